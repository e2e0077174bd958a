"""What the two web apps (`tagger label`, `tagger browse`) share: their templates, their
fixed table of static files, and the stack of checks every request passes first."""

from __future__ import annotations

from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from secure.middleware import SecureASGIMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response

from .guard import Guard, security_headers

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def templates() -> Environment:
    """The package's Jinja2 templates, autoescaped (text is shown as text, whatever it holds)."""
    return Environment(loader=PackageLoader("tagger.app", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True))


def assets(table: dict[str, str]) -> dict[str, tuple[bytes, str]]:
    """The static files ``table`` names (name -> media type), read once: nothing a request
    names reaches the file system."""
    return {name: ((files("tagger.app") / "static" / name).read_bytes(), media)
            for name, media in table.items()}


async def static(request: Request):
    """``GET /static/{name}``: one of the app's files (``app.state.assets``), else 404."""
    found = request.app.state.assets.get(request.path_params["name"])
    if found is None:
        return Response("not found", status_code=404)
    return Response(found[0], media_type=found[1])


def guarded(app: Starlette, *, token: str | None, csrf: str,
            allowed_hosts: tuple[str, ...]) -> Starlette:
    """``app`` behind the checks of :mod:`tagger.app.guard`, outermost last."""
    # a page reached by another name (DNS rebinding) is refused before anything runs
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts),
                       www_redirect=False)
    app.add_middleware(Guard, token=token, csrf=csrf)
    # outermost: its headers on every answer, the refusals above included
    app.add_middleware(SecureASGIMiddleware, secure=security_headers())
    return app
