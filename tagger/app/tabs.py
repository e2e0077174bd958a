"""The browser tabs this server issued, and the checked shapes of what the page sends.

A tab id is minted by the server (``POST /api/tab``) and remembered in memory with its
annotator; a request naming any other tab is refused, so no page of another site (nor a
script guessing ids) can claim articles under invented tabs. How many tabs are kept is
bounded: per annotator the least recently used one is forgotten beyond
:data:`MAX_TABS_PER_ANNOTATOR`, and the server's beyond :data:`MAX_TABS` (a forgotten
tab's article is let go; its page, reloaded, gets a new tab).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Annotated, Literal

import msgspec

from ..errors import DecisionError
from ..labels.queue import held

MAX_TABS_PER_ANNOTATOR = 32
MAX_TABS = 1024
MAX_LIST = 1000  # tags, evidence spans, ... in one decision
MAX_OFFSET = 2**31  # no article is longer (they are capped far below)

Name = Annotated[str, msgspec.Meta(pattern=r"^[\w.@+-]{1,64}$")]
TabId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
DocId = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
TagId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Offset = Annotated[int, msgspec.Meta(ge=0, le=MAX_OFFSET)]
Tags = Annotated[list[TagId], msgspec.Meta(max_length=MAX_LIST)]


class TabConflict(DecisionError):
    """A request about a document its tab does not hold (answered 409)."""


class UnknownTab(DecisionError):
    """A tab id this server did not issue, or issued to another annotator (answered 404)."""


class Span(msgspec.Struct, forbid_unknown_fields=True):
    tag: TagId
    start: Offset
    end: Offset
    text: Annotated[str, msgspec.Meta(max_length=100_000)] | None = None  # ignored: the
    # span's text is read from the server's copy of the article


class Decide(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/decide``."""

    tab: TabId
    id: DocId
    annotator: Name | None = None
    answer: Literal["saved", "skipped"] = "saved"
    tags: Tags = []
    accepted: Tags = []
    no_evidence: Tags = []
    evidence: Annotated[list[Span], msgspec.Meta(max_length=MAX_LIST)] = []
    none: bool = False


class TabRequest(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/next``, ``/api/undo``, ``/api/release``, ``/api/heartbeat``, ``/api/open``
    (``id``: the document it shows, or opens)."""

    tab: TabId
    annotator: Name | None = None
    id: DocId | None = None


class NewTab(msgspec.Struct, forbid_unknown_fields=True):
    """``POST /api/tab``."""

    annotator: Name | None = None


def parsed(raw: bytes, shape: type):
    """The request body as ``shape``, or a :class:`DecisionError` naming what is wrong."""
    try:
        return msgspec.json.decode(raw, type=shape)
    except msgspec.ValidationError as exc:
        raise DecisionError(f"the request is not valid: {exc}") from None
    except msgspec.DecodeError:
        raise DecisionError("the request body is not JSON") from None


class Tabs:
    """The tab ids issued, each with its annotator, least recently used first."""

    def __init__(self):
        self._tabs: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def mint(self, annotator: str) -> tuple[str, list[tuple[str, str]]]:
        """A new tab id for ``annotator``, and the (tab, annotator) forgotten to make room:
        the annotator's least recently used beyond their bound, the server's beyond its."""
        with self._lock:
            mine = [t for t, (a, _) in self._tabs.items() if a == annotator]
            over = max(0, len(mine) - MAX_TABS_PER_ANNOTATOR + 1)
            dropped = [(t, annotator) for t in mine[:over]]
            for t, _ in dropped:
                del self._tabs[t]
            while len(self._tabs) >= MAX_TABS:
                t, (a, _) = self._tabs.popitem(last=False)
                dropped.append((t, a))
            tab = secrets.token_urlsafe(16)
            self._tabs[tab] = (annotator, time.time())
            return tab, dropped

    def check(self, tab: str, annotator: str) -> str:
        """``tab``, if this server issued it to ``annotator``."""
        with self._lock:
            owner = self._tabs.get(tab)
            if owner is None or owner[0] != annotator:
                raise UnknownTab(f"tab {tab!r} was not opened by this server for {annotator} "
                                 "(reload the page to get a new one)")
            self._tabs.move_to_end(tab)
            return tab

    def __len__(self) -> int:
        return len(self._tabs)


def holds(db, annotator: str, tab: str) -> str | None:
    """The document the tab holds now (None: nothing, or its claim lapsed)."""
    con = db.connect()
    try:
        return held(con, annotator, tab)
    finally:
        con.close()


def check_held(con, annotator: str, tab: str, doc_id: str) -> None:
    """Refuse a decision on a document the tab does not hold. A claim that lapsed (a machine
    asleep) is taken again when no other tab holds the document now."""
    current = held(con, annotator, tab)
    if current == doc_id:
        return
    if current is None and con.execute("SELECT 1 FROM claims WHERE doc_id = ?",
                                       (doc_id,)).fetchone() is None:
        return
    shown = f"it holds {current!r}" if current is not None else "another tab holds it"
    raise TabConflict(f"this tab does not hold document {doc_id!r} ({shown}): reload the page")
