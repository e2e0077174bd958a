"""The labelling web app: Starlette routes over a :class:`~tagger.app.session.Session`.

Pages are rendered on the server from Jinja2 templates (autoescaped: article text is shown
as text, whatever it holds); the page's script only sends keys' decisions as JSON and
reloads. Nothing a request names reaches the file system: documents are looked up by id
in memory, and the two static files by a fixed table.

The JSON API (the page's and scripts'). Every request that changes anything is a POST with
the CSRF token in ``X-CSRF-Token`` and a JSON body, checked once where it enters
(:mod:`tagger.app.tabs`); a GET changes nothing. A tab id is issued by the server:

- ``POST /api/tab`` ``{annotator}``: a new tab id;
- ``POST /api/next`` ``{tab, annotator}``: the document the tab holds, else the next one
  claimed for it, and progress;
- ``POST /api/decide`` ``{tab, annotator, id, answer, tags, accepted, evidence,
  no_evidence, none}`` (only for the document the tab holds; the tab's next follows);
  ``POST /api/undo`` ``{tab, annotator}``; ``POST /api/open`` ``{tab, annotator, id}``;
- ``POST /api/heartbeat`` ``{tab, annotator, id}``, ``POST /api/release`` ``{tab, annotator}``;
- ``GET /api/history?annotator&limit``, ``GET /api/search?q&annotator&limit``,
  ``GET /api/progress``, ``GET /api/stats``, ``GET /export.jsonl``, ``GET /export.csv``;
- the pages ``GET /?tab&annotator`` and ``GET /doc/{id}?tab&annotator`` show what the tab
  holds; the page's script claims (or opens) by POST and reloads.
"""

from __future__ import annotations

import re
import sqlite3

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response)
from starlette.routing import Route

from ..errors import DecisionError
from ..labels.resolve import EXPORT_MEDIA_TYPES, export_text
from .guard import body_bytes
from .page import page_context
from .session import Session
from .tabs import (Decide, NewTab, TabConflict, TabRequest, Tabs, UnknownTab, holds,
                   parsed)
from .web import LOOPBACK, assets, guarded, static, templates

ANNOTATOR = re.compile(r"^[\w.@+-]{1,64}$")
STATIC = {"label.js": "text/javascript", "label.css": "text/css"}
MAX_QUERY_CHARS = 200


class LabelState:
    """What the routes share (``app.state.label``): the session, the tabs this server issued,
    the CSRF secret and the page's template."""

    def __init__(self, session: Session):
        self.session = session
        self.page = templates().get_template("label.html.j2")
        self.csrf = session.db.secret()
        self.tabs = Tabs()

    def who(self, value) -> str:
        """The annotator a request names (the session's when none), checked."""
        name = value if isinstance(value, str) and value else self.session.annotator
        if not ANNOTATOR.match(name):
            raise DecisionError("an annotator's name is 1 to 64 letters, digits or . @ + -")
        return name

    def tab_of(self, value, annotator: str) -> str | None:
        """A tab this server issued to the annotator; None for none given (a page's GET)."""
        return None if not value else self.tabs.check(value, annotator)

    def render(self, annotator: str, tab: str | None, doc_id: str | None, opened: bool = False,
               want: str = "") -> HTMLResponse:
        previous = self.session.previous(annotator, doc_id) if doc_id is not None else None
        context = page_context(self.session, annotator, tab or "", self.csrf, doc_id, previous,
                               opened)
        return HTMLResponse(self.page.render(**context, want=want))


def state(request: Request) -> LabelState:
    return request.app.state.label


def create_app(session: Session, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] = LOOPBACK) -> Starlette:
    """The app. ``token``: required on every request when given (the CLI always gives one
    when the server listens beyond loopback); ``allowed_hosts``: the Host headers served."""
    label = LabelState(session)
    app = Starlette(routes=ROUTES, exception_handlers={DecisionError: refused,
                                                        sqlite3.Error: not_stored})
    app.state.label, app.state.assets = label, assets(STATIC)
    return guarded(app, token=token, csrf=label.csrf, allowed_hosts=allowed_hosts)


# Plain functions run in a thread pool, so the database's waits (a commit's fsync,
# another writer's lock) never stall other requests; async ones hand it their work.
# A page's GET shows what its tab holds and changes nothing: with nothing held, the
# page's script claims (want "next") or opens (want the id) by POST, then reloads.
def index(request: Request):
    s, q = state(request), request.query_params
    annotator = s.who(q.get("annotator"))
    try:
        tab = s.tab_of(q.get("tab"), annotator)
    except UnknownTab:  # a bookmark from an earlier run: a fresh page mints a new tab
        return RedirectResponse(f"/?annotator={annotator}", status_code=303)
    doc_id = holds(s.session.db, annotator, tab) if tab else None
    doc_id = doc_id if doc_id in s.session.by_id else None
    return s.render(annotator, tab, doc_id, want="" if doc_id else "next")


def open_doc(request: Request):
    s, q, doc_id = state(request), request.query_params, request.path_params["doc_id"]
    annotator = s.who(q.get("annotator"))
    if doc_id not in s.session.by_id:
        return PlainTextResponse("no such document in this session", status_code=404)
    try:
        tab = s.tab_of(q.get("tab"), annotator)
    except UnknownTab:
        tab = None
    if tab and holds(s.session.db, annotator, tab) == doc_id:
        return s.render(annotator, tab, doc_id, True)
    return s.render(annotator, tab, None, want=doc_id)


async def new_tab(request: Request):
    s, body = state(request), parsed(await body_bytes(request), NewTab)
    tab, dropped = s.tabs.mint(s.who(body.annotator))
    for old, owner in dropped:  # its article is free at once
        await run_in_threadpool(s.session.release, owner, old)
    return JSONResponse({"tab": tab})


async def tab_request(request: Request) -> tuple[str, str, TabRequest]:
    """A POST's annotator, its tab (issued to them) and its body."""
    s, body = state(request), parsed(await body_bytes(request), TabRequest)
    annotator = s.who(body.annotator)
    return annotator, s.tabs.check(body.tab, annotator), body


async def next_doc(request: Request):
    session = state(request).session
    annotator, tab, _ = await tab_request(request)
    doc_id = await run_in_threadpool(session.next_document, annotator, tab)
    view = session.view(doc_id) if doc_id is not None else None
    shown = await run_in_threadpool(session.progress, annotator)
    return JSONResponse({"document": view, "progress": shown})


async def open_by_id(request: Request):
    annotator, tab, body = await tab_request(request)
    if body.id is None:
        raise DecisionError("say which document to open (id)")
    await run_in_threadpool(state(request).session.open_document, annotator, tab, body.id)
    return JSONResponse({"held": body.id})


async def decide(request: Request):
    s, body = state(request), parsed(await body_bytes(request), Decide)
    annotator = s.who(body.annotator)
    tab, session = s.tabs.check(body.tab, annotator), s.session
    stored = await run_in_threadpool(
        session.decide, annotator=annotator, tab=tab, doc_id=body.id, answer=body.answer,
        tags=body.tags, evidence=[msgspec.structs.asdict(e) for e in body.evidence],
        no_evidence=body.no_evidence, none=body.none, accepted=body.accepted)
    await run_in_threadpool(session.next_document, annotator, tab)  # the tab's next
    shown = await run_in_threadpool(session.progress, annotator)
    return JSONResponse({"saved": stored.to_dict(), "progress": shown})


async def undo(request: Request):
    session = state(request).session
    annotator, tab, _ = await tab_request(request)
    undone = await run_in_threadpool(session.undo, annotator, tab)
    shown = await run_in_threadpool(session.progress, annotator)
    return JSONResponse({"undone": undone.to_dict() if undone else None, "progress": shown})


def progress(request: Request):
    s = state(request)
    return JSONResponse(s.session.progress(s.who(request.query_params.get("annotator"))))


def history(request: Request):
    s, q = state(request), request.query_params
    annotator = s.who(q.get("annotator"))
    return JSONResponse({"decisions": s.session.history(annotator, _int(q.get("limit"), 20))})


def search(request: Request):
    s, q = state(request), request.query_params
    words = q.get("q", "")
    if len(words) > MAX_QUERY_CHARS:
        raise DecisionError(f"a search is at most {MAX_QUERY_CHARS} characters")
    annotator = s.who(q.get("annotator"))
    return JSONResponse({"results": s.session.search(words, annotator,
                                                     _int(q.get("limit"), 20))})


async def heartbeat(request: Request):
    annotator, tab, body = await tab_request(request)
    held = await run_in_threadpool(state(request).session.heartbeat, annotator, tab, body.id)
    return JSONResponse({"held": held})


async def release(request: Request):
    annotator, tab, _ = await tab_request(request)
    await run_in_threadpool(state(request).session.release, annotator, tab)
    return JSONResponse({"released": True})


def stats(request: Request):
    s = state(request)
    return JSONResponse(s.session.stats(s.who(request.query_params.get("annotator"))))


def export(request: Request):
    s, fmt, q = state(request), request.path_params["fmt"], request.query_params
    if fmt not in EXPORT_MEDIA_TYPES:
        return PlainTextResponse("not found", status_code=404)
    annotator = s.who(q["annotator"]) if q.get("annotator") else None
    text, _ = export_text(s.session.db, fmt, annotator=annotator,
                          own_only=q.get("own_only") in ("1", "true", "yes"))
    return Response(text, media_type=EXPORT_MEDIA_TYPES[fmt], headers={
        "content-disposition": f'attachment; filename="labels.{fmt}"'})


async def csrf_token(request: Request):
    return JSONResponse({"csrf": state(request).csrf})


async def refused(request: Request, exc: DecisionError):
    code = 409 if isinstance(exc, TabConflict) else 404 if isinstance(exc, UnknownTab) else 400
    return JSONResponse({"error": str(exc)}, status_code=code)


async def not_stored(request: Request, exc: sqlite3.Error):
    # nothing was acknowledged: the page keeps the decision and says why
    return JSONResponse({"error": f"the label database could not store this ({exc}); "
                                  "nothing was saved"}, status_code=503)


def _int(value, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise DecisionError("a limit is a whole number") from None


ROUTES = [Route("/", index), Route("/static/{name}", static),
          Route("/doc/{doc_id:path}", open_doc),
          Route("/api/progress", progress),
          Route("/api/csrf", csrf_token), Route("/api/history", history),
          Route("/api/search", search), Route("/api/stats", stats),
          Route("/export.{fmt}", export),
          Route("/api/tab", new_tab, methods=["POST"]),
          Route("/api/next", next_doc, methods=["POST"]),
          Route("/api/open", open_by_id, methods=["POST"]),
          Route("/api/decide", decide, methods=["POST"]),
          Route("/api/undo", undo, methods=["POST"]),
          Route("/api/heartbeat", heartbeat, methods=["POST"]),
          Route("/api/release", release, methods=["POST"])]
