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
from urllib.parse import quote
from importlib.resources import files

import msgspec
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response)
from starlette.routing import Route

from ..errors import DecisionError
from ..io.labelsets import EXPORT_MEDIA_TYPES, export_text
from .guard import Guard, body_bytes
from .page import page_context
from .session import Session
from .tabs import (Decide, NewTab, TabConflict, TabRequest, Tabs, UnknownTab, holds,
                   parsed)

ANNOTATOR = re.compile(r"^[\w.@+-]{1,64}$")
STATIC = {"label.js": "text/javascript", "label.css": "text/css"}
MAX_QUERY_CHARS = 200


def create_app(session: Session, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "[::1]")) -> Starlette:
    """The app. ``token``: required on every request when given (the CLI always gives one
    when the server listens beyond loopback); ``allowed_hosts``: the Host headers served."""
    env = Environment(loader=PackageLoader("tagger.app", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    page = env.get_template("label.html.j2")
    csrf = session.db.secret()
    assets = {name: (files("tagger.app") / "static" / name).read_bytes() for name in STATIC}

    def who(value) -> str:
        name = value if isinstance(value, str) and value else session.annotator
        if not ANNOTATOR.match(name):
            raise DecisionError("an annotator's name is 1 to 64 letters, digits or . @ + -")
        return name

    tabs = Tabs()

    def tab_of(value, annotator: str) -> str | None:
        """A tab this server issued to the annotator; None for none given (a page's GET)."""
        return None if not value else tabs.check(value, annotator)

    def render(annotator: str, tab: str | None, doc_id: str | None, opened: bool = False,
               want: str = ""):
        previous = session.previous(annotator, doc_id) if doc_id is not None else None
        context = page_context(session, annotator, tab or "", csrf, doc_id, previous, opened)
        return HTMLResponse(page.render(**context, want=want))

    # Plain functions run in a thread pool, so the database's waits (a commit's fsync,
    # another writer's lock) never stall other requests; async ones hand it their work.
    # A page's GET shows what its tab holds and changes nothing: with nothing held, the
    # page's script claims (want "next") or opens (want the id) by POST, then reloads.
    def index(request: Request):
        q = request.query_params
        annotator = who(q.get("annotator"))
        try:
            tab = tab_of(q.get("tab"), annotator)
        except UnknownTab:  # a bookmark from an earlier run: a fresh page mints a new tab
            return RedirectResponse(f"/?annotator={annotator}", status_code=303)
        doc_id = holds(session.db, annotator, tab) if tab else None
        doc_id = doc_id if doc_id in session.by_id else None
        return render(annotator, tab, doc_id, want="" if doc_id else "next")

    def open_doc(request: Request):
        q, doc_id = request.query_params, request.path_params["doc_id"]
        annotator = who(q.get("annotator"))
        if doc_id not in session.by_id:
            return PlainTextResponse("no such document in this session", status_code=404)
        try:
            tab = tab_of(q.get("tab"), annotator)
        except UnknownTab:
            tab = None
        if tab and holds(session.db, annotator, tab) == doc_id:
            return render(annotator, tab, doc_id, True)
        return render(annotator, tab, None, want=doc_id)

    async def new_tab(request: Request):
        body = parsed(await body_bytes(request), NewTab)
        tab, dropped = tabs.mint(who(body.annotator))
        for old, owner in dropped:  # its article is free at once
            await run_in_threadpool(session.release, owner, old)
        return JSONResponse({"tab": tab})

    async def tab_request(request: Request) -> tuple[str, str, TabRequest]:
        body = parsed(await body_bytes(request), TabRequest)
        annotator = who(body.annotator)
        return annotator, tabs.check(body.tab, annotator), body

    async def next_doc(request: Request):
        annotator, tab, _ = await tab_request(request)
        doc_id = await run_in_threadpool(session.next_document, annotator, tab)
        view = session.view(doc_id) if doc_id is not None else None
        shown = await run_in_threadpool(session.progress, annotator)
        return JSONResponse({"document": view, "progress": shown})

    async def open_by_id(request: Request):
        annotator, tab, body = await tab_request(request)
        if body.id is None:
            raise DecisionError("say which document to open (id)")
        await run_in_threadpool(session.open_document, annotator, tab, body.id)
        return JSONResponse({"held": body.id})

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return Response(assets[name], media_type=STATIC[name])

    async def decide(request: Request):
        body = parsed(await body_bytes(request), Decide)
        annotator = who(body.annotator)
        tab = tabs.check(body.tab, annotator)
        stored = await run_in_threadpool(
            session.decide, annotator=annotator, tab=tab, doc_id=body.id, answer=body.answer,
            tags=body.tags, evidence=[msgspec.structs.asdict(e) for e in body.evidence],
            no_evidence=body.no_evidence, none=body.none, accepted=body.accepted)
        await run_in_threadpool(session.next_document, annotator, tab)  # the tab's next
        shown = await run_in_threadpool(session.progress, annotator)
        return JSONResponse({"saved": stored.to_dict(), "progress": shown})

    async def undo(request: Request):
        annotator, tab, _ = await tab_request(request)
        undone = await run_in_threadpool(session.undo, annotator, tab)
        shown = await run_in_threadpool(session.progress, annotator)
        return JSONResponse({"undone": undone.to_dict() if undone else None, "progress": shown})

    def progress(request: Request):
        return JSONResponse(session.progress(who(request.query_params.get("annotator"))))

    def history(request: Request):
        q = request.query_params
        annotator = who(q.get("annotator"))
        return JSONResponse({"decisions": session.history(annotator, _int(q.get("limit"), 20))})

    def search(request: Request):
        q = request.query_params
        words = q.get("q", "")
        if len(words) > MAX_QUERY_CHARS:
            raise DecisionError(f"a search is at most {MAX_QUERY_CHARS} characters")
        annotator = who(q.get("annotator"))
        return JSONResponse({"results": session.search(words, annotator,
                                                       _int(q.get("limit"), 20))})

    async def heartbeat(request: Request):
        annotator, tab, body = await tab_request(request)
        held = await run_in_threadpool(session.heartbeat, annotator, tab, body.id)
        return JSONResponse({"held": held})

    async def release(request: Request):
        annotator, tab, _ = await tab_request(request)
        await run_in_threadpool(session.release, annotator, tab)
        return JSONResponse({"released": True})

    def stats(request: Request):
        return JSONResponse(session.stats(who(request.query_params.get("annotator"))))

    def export(request: Request):
        fmt, q = request.path_params["fmt"], request.query_params
        if fmt not in EXPORT_MEDIA_TYPES:
            return PlainTextResponse("not found", status_code=404)
        annotator = who(q["annotator"]) if q.get("annotator") else None
        text, _ = export_text(session.db, fmt, annotator=annotator,
                              own_only=q.get("own_only") in ("1", "true", "yes"))
        return Response(text, media_type=EXPORT_MEDIA_TYPES[fmt], headers={
            "content-disposition": f'attachment; filename="labels.{fmt}"'})

    async def csrf_token(request: Request):
        return JSONResponse({"csrf": csrf})

    async def refused(request: Request, exc: DecisionError):
        code = 409 if isinstance(exc, TabConflict) else 404 if isinstance(exc, UnknownTab) else 400
        return JSONResponse({"error": str(exc)}, status_code=code)

    async def not_stored(request: Request, exc: sqlite3.Error):
        # nothing was acknowledged: the page keeps the decision and says why
        return JSONResponse({"error": f"the label database could not store this ({exc}); "
                                      "nothing was saved"}, status_code=503)

    routes = [Route("/", index), Route("/static/{name}", static),
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
    app = Starlette(routes=routes, exception_handlers={DecisionError: refused,
                                                        sqlite3.Error: not_stored})
    # a page reached by another name (DNS rebinding) is refused before anything runs
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts),
                       www_redirect=False)
    app.add_middleware(Guard, token=token, csrf=csrf)  # outermost: its headers on every answer
    return app


def _int(value, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise DecisionError("a limit is a whole number") from None
