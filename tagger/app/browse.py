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
from typing import Literal

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import DecisionError
from ..io.writers import csv_table
from ..labels.database import LabelDB
from .browsechart import chart, series
from .browsedb import PAGE_SIZE, Archive, Filters, filters_from, page_of
from .browseview import article, correct, in_force
from .guard import body_bytes
from .tabs import DocId, TagId, parsed
from .web import LOOPBACK, assets, guarded, static, templates

STATIC = {"browse.js": "text/javascript", "browse.css": "text/css"}


class Correction(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/correct``."""

    id: DocId
    tag: TagId
    kind: Literal["wrong", "missing"]


class BrowseState:
    """What the routes share (``app.state.browse``): the archive, the label database (or
    None), the annotator corrections are stored as, and the pages' templates."""

    def __init__(self, archive: Archive, labels: LabelDB | None, annotator: str):
        self.archive, self.labels, self.annotator = archive, labels, annotator
        env = templates()
        self.pages = {n: env.get_template(f"browse_{n}.html.j2") for n in ("front", "list", "doc")}
        self.csrf = labels.secret() if labels is not None else secrets.token_urlsafe(24)
        self.common = {"csrf": self.csrf, "archive_name": archive.path.name, "tags": archive.tags,
                       "model_name": archive.meta.get("model_name", ""),
                       "model": archive.meta.get("model", ""), "corrections": labels is not None,
                       "annotator": annotator}

    def render(self, name: str, **context) -> HTMLResponse:
        return HTMLResponse(self.pages[name].render(**self.common, **context))


def state(request: Request) -> BrowseState:
    return request.app.state.browse


def create_browse_app(archive: Archive, *, labels: LabelDB | None = None,
                      annotator: str = "annotator", token: str | None = None,
                      allowed_hosts: tuple[str, ...] = LOOPBACK) -> Starlette:
    """The app over ``archive``; corrections go to ``labels`` as ``annotator`` (without
    ``labels`` the article page says how to enable them)."""
    browse = BrowseState(archive, labels, annotator)
    app = Starlette(routes=ROUTES, exception_handlers={DecisionError: refused,
                                                        sqlite3.Error: not_stored})
    app.state.browse, app.state.assets = browse, assets(STATIC)
    return guarded(app, token=token, csrf=browse.csrf, allowed_hosts=allowed_hosts)


def front(request: Request):
    s = state(request)
    runs = s.archive.runs()
    return s.render("front", counts=s.archive.tag_counts(), runs=runs,
                    chart=chart(series(s.archive), runs), sources=s.archive.sources(),
                    filters=Filters())


def listing(request: Request):
    s = state(request)
    f = filters_from(request.query_params, s.archive.tags)
    page = page_of(request.query_params.get("page"))
    total, docs = s.archive.search(f, page)
    last = max(1, -(-total // PAGE_SIZE))
    return s.render("list", filters=f, docs=docs, total=total, page=page, last=last,
                    sources=s.archive.sources(), query=f.query())


def document(request: Request):
    s = state(request)
    row = s.archive.document(request.path_params["doc_id"])
    if row is None:
        return PlainTextResponse("no such document in this archive", status_code=404)
    mine = in_force(s.labels, row["id"], s.annotator) if s.labels is not None else None
    return s.render("doc", doc=article(s.archive, row), mine=mine)


def export(request: Request):
    archive = state(request).archive
    f = filters_from(request.query_params, archive.tags)
    layout, cursor = archive.export_rows(f)
    return Response(csv_table(layout, cursor.fetchall(), bom=True),
                    media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="archive.csv"'})


async def correction(request: Request):
    s = state(request)
    if s.labels is None:
        raise DecisionError("this server has no label database to store corrections in")
    body = parsed(await body_bytes(request), Correction)
    row = await run_in_threadpool(s.archive.document, body.id)
    if row is None:
        raise DecisionError("no such document in this archive")
    stored = await run_in_threadpool(correct, s.labels, s.archive, row, annotator=s.annotator,
                                     kind=body.kind, tag=body.tag)
    return JSONResponse({"saved": stored.to_dict()})


async def refused(request: Request, exc: DecisionError):
    if request.method == "GET" and not request.url.path.startswith("/api/"):
        return PlainTextResponse(f"refused: {exc}", status_code=400)
    return JSONResponse({"error": str(exc)}, status_code=400)


async def not_stored(request: Request, exc: sqlite3.Error):
    return JSONResponse({"error": f"the database could not answer ({exc}); nothing was "
                                  "saved"}, status_code=503)


ROUTES = [Route("/", front), Route("/list", listing), Route("/doc/{doc_id:path}", document),
          Route("/export.csv", export), Route("/static/{name}", static),
          Route("/api/correct", correction, methods=["POST"])]
