"""`tagger browse`: a read-only page over a tagged archive, and corrections of its tags.

- ``GET /``: per tag the documents given it, a chart per week (or month), runs' drift
  warnings; ``GET /list?tag&source&from&to&min_score&q&page``: the filtered documents;
- ``GET /doc/{id}``: an article, its evidence sentences highlighted, its scores;
- ``GET /export.csv?...``: the current filter's documents as CSV;
- ``POST /api/correct`` ``{id, tag, kind: "wrong"|"missing"}`` (CSRF header): a labelling
  decision in the label database, when the server has one.

The same guard as `tagger label` (:class:`~tagger.app.guard.Guard`: host, token, CSRF,
CSP); pages are Jinja2, autoescaped; nothing a request names reaches the file system.
"""

from __future__ import annotations

import secrets
import sqlite3
from importlib.resources import files
from typing import Literal

import msgspec

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Route

from ..errors import DecisionError
from ..io.labeldb import LabelDB
from ..io.writers import csv_table
from .browsechart import chart, series
from .browsedb import PAGE_SIZE, Archive, Filters, filters_from, page_of
from .browseview import article, correct, in_force
from .guard import Guard, body_bytes
from .tabs import DocId, TagId, parsed

STATIC = {"browse.js": "text/javascript", "browse.css": "text/css"}


class Correction(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/correct``."""

    id: DocId
    tag: TagId
    kind: Literal["wrong", "missing"]


def create_browse_app(archive: Archive, *, labels: LabelDB | None = None,
                      annotator: str = "annotator", token: str | None = None,
                      allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")) -> Starlette:
    """The app over ``archive``; corrections go to ``labels`` as ``annotator`` (without
    ``labels`` the article page says how to enable them)."""
    env = Environment(loader=PackageLoader("tagger.app", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    pages = {n: env.get_template(f"browse_{n}.html.j2") for n in ("front", "list", "doc")}
    csrf = labels.secret() if labels is not None else secrets.token_urlsafe(24)
    assets = {name: (files("tagger.app") / "static" / name).read_bytes() for name in STATIC}
    common = {"csrf": csrf, "archive_name": archive.path.name, "tags": archive.tags,
              "model_name": archive.meta.get("model_name", ""),
              "model": archive.meta.get("model", ""), "corrections": labels is not None,
              "annotator": annotator}

    def render(name: str, **context) -> HTMLResponse:
        return HTMLResponse(pages[name].render(**common, **context))

    def front(request: Request):
        runs = archive.runs()
        return render("front", counts=archive.tag_counts(), runs=runs,
                      chart=chart(series(archive), runs), sources=archive.sources(),
                      filters=Filters())

    def listing(request: Request):
        f = filters_from(request.query_params, archive.tags)
        page = page_of(request.query_params.get("page"))
        total, docs = archive.search(f, page)
        last = max(1, -(-total // PAGE_SIZE))
        return render("list", filters=f, docs=docs, total=total, page=page, last=last,
                      sources=archive.sources(), query=f.query())

    def document(request: Request):
        row = archive.document(request.path_params["doc_id"])
        if row is None:
            return PlainTextResponse("no such document in this archive", status_code=404)
        mine = in_force(labels, row["id"], annotator) if labels is not None else None
        return render("doc", doc=article(archive, row), mine=mine)

    def export(request: Request):
        f = filters_from(request.query_params, archive.tags)
        layout, cursor = archive.export_rows(f)
        return Response(csv_table(layout, cursor.fetchall(), bom=True),
                        media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="archive.csv"'})

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return Response(assets[name], media_type=STATIC[name])

    async def correction(request: Request):
        if labels is None:
            raise DecisionError("this server has no label database to store corrections in")
        body = parsed(await body_bytes(request), Correction)
        row = await run_in_threadpool(archive.document, body.id)
        if row is None:
            raise DecisionError("no such document in this archive")
        stored = await run_in_threadpool(correct, labels, archive, row, annotator=annotator,
                                         kind=body.kind, tag=body.tag)
        return JSONResponse({"saved": stored.to_dict()})

    async def refused(request: Request, exc: DecisionError):
        if request.method == "GET" and not request.url.path.startswith("/api/"):
            return PlainTextResponse(f"refused: {exc}", status_code=400)
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def not_stored(request: Request, exc: sqlite3.Error):
        return JSONResponse({"error": f"the database could not answer ({exc}); nothing was "
                                      "saved"}, status_code=503)

    routes = [Route("/", front), Route("/list", listing), Route("/doc/{doc_id:path}", document),
              Route("/export.csv", export), Route("/static/{name}", static),
              Route("/api/correct", correction, methods=["POST"])]
    app = Starlette(routes=routes, exception_handlers={DecisionError: refused,
                                                        sqlite3.Error: not_stored})
    # a page reached by another name (DNS rebinding) is refused before anything runs
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts),
                       www_redirect=False)
    app.add_middleware(Guard, token=token, csrf=csrf)  # outermost: its headers on every answer
    return app
