"""What every request must show before the app acts on it.

- its Host header names this server (no DNS-rebinding page can reach it by another name:
  Starlette's ``TrustedHostMiddleware``, below this one);
- the access token, when the server has one (always, beyond loopback): an
  ``Authorization: Bearer`` header, or the cookie set when the page was opened with
  ``?token=``;
- for a request that changes anything (POST): the page's CSRF token in ``X-CSRF-Token``,
  an ``Origin`` (when sent) of this server, and a JSON body of at most :data:`MAX_BODY`
  bytes. A page of another site can neither read the CSRF token nor set that header.

The Host check is Starlette's ``TrustedHostMiddleware`` (added for both apps by
:func:`tagger.app.web.guarded`; it parses ``[::1]:PORT`` since Starlette 1.x). The rest
is written here because Starlette has no token, CSRF or security-header middleware: the
checks are few, compare secrets in constant time, and each is tested
(tests/test_label_app.py, tests/test_reliability_app.py).
"""

from __future__ import annotations

import hmac
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

from starlette.middleware.trustedhost import parse_host_header
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse

from ..errors import DecisionError

MAX_BODY = 256 * 2**10
COOKIE = "tagger_token"  # and the port: a browser sends a host's cookies to every port, so
# two pages served at once (label and another) would otherwise overwrite each other's token
HEADERS = [  # the page's scripts and styles are its own files; nothing else runs or loads
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; "
                                 b"img-src 'self'; connect-src 'self'; base-uri 'none'; "
                                 b"form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


def _same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """ASGI middleware: refuses what fails the checks above, adds security headers."""

    def __init__(self, app, *, token: str | None, csrf: str):
        self.app, self.token, self.csrf = app, token, csrf

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self.refusal(scope, headers)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        if refusal is not None:
            return await refusal(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)

    def refusal(self, scope, headers: dict):
        host = headers.get("host", "")
        parsed = parse_host_header(host)
        port = (parsed.port if parsed is not None else None) or ""
        name = f"{COOKIE}_{port}" if port.isdigit() else COOKIE
        if self.token is not None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            cookie = SimpleCookie(headers.get("cookie", ""))
            given = headers.get("authorization", "")
            bearer = given[7:] if given.lower().startswith("bearer ") else None
            if scope["method"] == "GET" and _same((query.get("token") or [None])[0], self.token):
                rest = urlencode({k: v[0] for k, v in query.items() if k != "token"})
                response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
                response.set_cookie(name, self.token, httponly=True, samesite="strict")
                return response
            if not (_same(bearer, self.token)
                    or _same(cookie[name].value if name in cookie else None, self.token)):
                return PlainTextResponse("refused: this server needs its access token "
                                         "(open the address tagger printed)", 403)
        if scope["method"] not in ("GET", "HEAD"):
            if not _same(headers.get("x-csrf-token"), self.csrf):
                return JSONResponse({"error": "refused: missing or wrong CSRF token (reload "
                                              "the page)"}, status_code=403)
            origin = headers.get("origin")
            if origin is not None and origin != f"{scope.get('scheme', 'http')}://{host}":
                return JSONResponse({"error": "refused: a request from another site"},
                                    status_code=403)
            if not headers.get("content-type", "").startswith("application/json"):
                return JSONResponse({"error": "requests send JSON"}, status_code=415)
        return None


async def body_bytes(request: Request) -> bytes:
    """The request's body, read up to :data:`MAX_BODY` bytes and no further (its shape is
    checked where it is used: :func:`tagger.app.tabs.parsed`)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise DecisionError(f"a request body is at most {MAX_BODY // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)
