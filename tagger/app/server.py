"""The labelling web app: Starlette routes over a :class:`~tagger.app.session.Session`.

Pages are rendered on the server from Jinja2 templates (autoescaped: article text is shown
as text, whatever it holds); the page's script only sends keys' decisions as JSON and
reloads. Nothing a request names reaches the file system: documents are looked up by id
in memory, and the two static files by a fixed table.

The JSON API (the page's and scripts'; every POST needs the CSRF token in ``X-CSRF-Token``):

- ``GET /api/next?tab&annotator``: the document the tab shows (claimed), and progress;
- ``POST /api/decide`` ``{tab, annotator, id, answer, tags, accepted, evidence,
  no_evidence, none}``; ``POST /api/undo`` ``{tab, annotator}``;
- ``GET /api/history?annotator&tab&limit``, ``GET /api/search?q&annotator&limit``,
  ``GET /doc/{id}?tab&annotator`` (the page for that document);
- ``POST /api/heartbeat`` ``{tab, annotator, id}``, ``POST /api/release`` ``{tab, annotator}``;
- ``GET /api/progress``, ``GET /api/stats``, ``GET /export.jsonl``, ``GET /export.csv``.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from urllib.parse import quote
from importlib.resources import files

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse,
                                 Response)
from starlette.routing import Route

from ..errors import DecisionError
from ..io.labelsets import EXPORT_MEDIA_TYPES, export_text
from .guard import Guard, json_body
from .page import page_context
from .session import Session

ANNOTATOR = re.compile(r"^[\w.@+-]{1,64}$")
TAB = re.compile(r"^[A-Za-z0-9-]{8,64}$")
STATIC = {"label.js": "text/javascript", "label.css": "text/css"}
MAX_QUERY_CHARS = 200


def create_app(session: Session, *, token: str | None = None,
               allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> Starlette:
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

    def tab_of(value) -> str:
        if not isinstance(value, str) or not TAB.match(value):
            raise DecisionError("a tab id is 8 to 64 letters, digits or dashes")
        return value

    def render(annotator: str, tab: str, doc_id: str | None, opened: bool = False):
        previous = session.previous(annotator, doc_id) if doc_id is not None else None
        return HTMLResponse(page.render(**page_context(session, annotator, tab, csrf, doc_id,
                                                       previous, opened)))

    # Plain functions run in a thread pool, so the database's waits (a commit's fsync,
    # another writer's lock) never stall other requests; async ones hand it their work.
    def index(request: Request):
        q = request.query_params
        if "tab" not in q:
            annotator = who(q.get("annotator"))
            return RedirectResponse(f"/?tab={uuid.uuid4()}&annotator={annotator}", status_code=303)
        annotator, tab = who(q.get("annotator")), tab_of(q.get("tab"))
        return render(annotator, tab, session.next_document(annotator, tab))

    def open_doc(request: Request):
        q, doc_id = request.query_params, request.path_params["doc_id"]
        annotator = who(q.get("annotator"))
        if doc_id not in session.by_id:
            return PlainTextResponse("no such document in this session", status_code=404)
        if "tab" not in q:
            return RedirectResponse(f"/doc/{quote(doc_id, safe='')}?tab={uuid.uuid4()}"
                                    f"&annotator={annotator}", status_code=303)
        tab = tab_of(q.get("tab"))
        return render(annotator, tab, session.open_document(annotator, tab, doc_id), True)

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found", status_code=404)
        return Response(assets[name], media_type=STATIC[name])

    def next_doc(request: Request):
        q = request.query_params
        annotator, tab = who(q.get("annotator")), tab_of(q.get("tab"))
        doc_id = session.next_document(annotator, tab)
        view = session.view(doc_id) if doc_id is not None else None
        return JSONResponse({"document": view, "progress": session.progress(annotator)})

    async def decide(request: Request):
        body = await json_body(request)
        annotator, tab = who(body.get("annotator")), tab_of(body.get("tab"))
        answer = body.get("answer", "saved")
        if answer not in ("saved", "skipped"):
            raise DecisionError("the answer is 'saved' or 'skipped'")
        stored = await run_in_threadpool(
            session.decide, annotator=annotator, tab=tab, doc_id=str(body.get("id")),
            answer=answer, tags=_list(body.get("tags")), evidence=_list(body.get("evidence")),
            no_evidence=_list(body.get("no_evidence")), none=bool(body.get("none")),
            accepted=_list(body.get("accepted")))
        shown = await run_in_threadpool(session.progress, annotator)
        return JSONResponse({"saved": stored.to_dict(), "progress": shown})

    async def undo(request: Request):
        body = await json_body(request)
        annotator, tab = who(body.get("annotator")), tab_of(body.get("tab"))
        undone = await run_in_threadpool(session.undo, annotator, tab)
        shown = await run_in_threadpool(session.progress, annotator)
        return JSONResponse({"undone": undone.to_dict() if undone else None, "progress": shown})

    def progress(request: Request):
        return JSONResponse(session.progress(who(request.query_params.get("annotator"))))

    def history(request: Request):
        q = request.query_params
        annotator = who(q.get("annotator"))
        if q.get("tab") is not None:
            tab_of(q.get("tab"))
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
        body = await json_body(request)
        annotator, tab = who(body.get("annotator")), tab_of(body.get("tab"))
        doc_id = body.get("id")
        held = await run_in_threadpool(session.heartbeat, annotator, tab,
                                       None if doc_id is None else str(doc_id))
        return JSONResponse({"held": held})

    async def release(request: Request):
        body = await json_body(request)
        annotator, tab = who(body.get("annotator")), tab_of(body.get("tab"))
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
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def not_stored(request: Request, exc: sqlite3.Error):
        # nothing was acknowledged: the page keeps the decision and says why
        return JSONResponse({"error": f"the label database could not store this ({exc}); "
                                      "nothing was saved"}, status_code=503)

    routes = [Route("/", index), Route("/static/{name}", static),
              Route("/doc/{doc_id:path}", open_doc),
              Route("/api/next", next_doc), Route("/api/progress", progress),
              Route("/api/csrf", csrf_token), Route("/api/history", history),
              Route("/api/search", search), Route("/api/stats", stats),
              Route("/export.{fmt}", export),
              Route("/api/decide", decide, methods=["POST"]),
              Route("/api/undo", undo, methods=["POST"]),
              Route("/api/heartbeat", heartbeat, methods=["POST"]),
              Route("/api/release", release, methods=["POST"])]
    app = Starlette(routes=routes, exception_handlers={DecisionError: refused,
                                                        sqlite3.Error: not_stored})
    app.add_middleware(Guard, token=token, csrf=csrf, allowed_hosts=allowed_hosts)
    return app


def _list(value) -> list:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 1000:
        raise DecisionError("tags, evidence and no_evidence are lists (of at most 1000)")
    return value


def _int(value, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise DecisionError("a limit is a whole number") from None
