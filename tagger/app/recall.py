"""Going back: an annotator's recent decisions, and documents found by words, so that a
label from twenty articles ago is one click away, not twenty undos."""

from __future__ import annotations

from typing import Sequence

from ..io.records import Document
from ..labels.database import LabelDB, to_decision

MAX_HISTORY = 200        # decisions the history gives at most
MAX_RESULTS = 50         # search results at most
MAX_QUERY_WORDS = 10     # words of a search at most
SNIPPET_CHARS = 160


class Recall:
    """History and search over one session's documents and its label database."""

    def __init__(self, db: LabelDB, docs: Sequence[Document]):
        self.db, self.docs = db, list(docs)
        self.by_id = {d.id: d for d in self.docs}
        self._haystacks: list | None = None

    def history(self, annotator: str, limit: int = 20) -> list[dict]:
        """The annotator's decisions in force, newest first: per document the latest not
        undone (saved, skipped or adjudicated), of documents in this session. ``accepted``
        is None for a decision stored before accepted proposals were recorded."""
        rows = self.db.rows(
            "SELECT * FROM effective e WHERE annotator = ? AND answer IN ('saved', 'skipped', "
            "'adjudicated') AND NOT EXISTS (SELECT 1 FROM effective f WHERE f.doc_id = e.doc_id "
            "AND f.annotator = e.annotator AND f.seq > e.seq AND f.answer IN ('saved', "
            "'skipped', 'adjudicated')) ORDER BY seq DESC LIMIT ?",
            (annotator, max(1, min(int(limit), MAX_HISTORY))))
        out = []
        for r in rows:
            d = to_decision(r)
            if d.doc_id in self.by_id:
                out.append({"seq": d.seq, "id": d.doc_id, "title": self.by_id[d.doc_id].title,
                            "answer": d.answer, "tags": list(d.tags),
                            "accepted": None if d.accepted is None else list(d.accepted),
                            "created": d.created})
        return out

    def search(self, query: str, annotator: str | None = None, limit: int = 20) -> list[dict]:
        """Documents whose title or text holds every word of ``query`` (any case), titles
        matching first, each with a plain-text snippet around the first word and whether
        the annotator (anyone, when None) has labelled it."""
        words = [w.casefold() for w in str(query).split()][:MAX_QUERY_WORDS]
        if not words:
            return []
        limit = max(1, min(int(limit), MAX_RESULTS))
        titles, blob, starts = self._index()
        in_title = [i for i, t in enumerate(titles) if all(w in t for w in words)][:limit]
        titled = set(in_title)
        found = in_title + [i for i in self._in_text(words, blob, starts, limit)
                            if i not in titled]
        docs = [self.docs[i] for i in found[:limit]]
        labelled = self.labelled(annotator, [d.id for d in docs])
        return [{"id": d.id, "title": d.title, "snippet": snippet(d.text, words[0]),
                 "labelled": d.id in labelled} for d in docs]

    def _index(self):
        """Built once: the casefolded titles, and every title and text casefolded in one
        string with where each document starts, so a word is found by one C-speed scan."""
        if self._haystacks is None:
            titles = [d.title.casefold() for d in self.docs]
            # UTF-8 bytes: one byte a character for most text, and bytes.find's fast scan
            parts = [f"{t}\n{d.text.casefold()}\x00".encode() for t, d in zip(titles, self.docs)]
            starts = [0]
            for part in parts:
                starts.append(starts[-1] + len(part))
            self._haystacks = (titles, b"".join(parts), starts)
        return self._haystacks

    @staticmethod
    def _in_text(words: list, blob: bytes, starts: list, limit: int) -> list[int]:
        """The first ``limit`` documents (by index) holding every word: scan for the
        longest word, check the others within each document it is found in."""
        from bisect import bisect_right

        words = [w.encode() for w in words]
        anchor = max(words, key=len)
        out, at = [], blob.find(anchor)
        while at >= 0 and len(out) < limit * 2:  # twice: some are title matches already
            i = bisect_right(starts, at) - 1
            if all(blob.find(w, starts[i], starts[i + 1]) >= 0 for w in words):
                out.append(i)
            at = blob.find(anchor, starts[i + 1])
        return out

    def labelled(self, annotator: str | None, ids: list[str]) -> set:
        """Of ``ids``, those whose answer in force by ``annotator`` (anyone, when None) is a
        label: saved, not skipped; or adjudicated."""
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        who, args = ("AND annotator = ?", [annotator]) if annotator else ("", [])
        # the answer in force (a skip after a save is a skip): current_labels, not effective
        rows = self.db.rows(f"SELECT doc_id FROM current_labels WHERE doc_id IN ({marks}) "
                            f"AND answer = 'saved' {who} UNION SELECT doc_id FROM adjudications "
                            f"WHERE doc_id IN ({marks}) {who}", [*ids, *args, *ids, *args])
        return {r["doc_id"] for r in rows}


def snippet(text: str, word: str) -> str:
    """About :data:`SNIPPET_CHARS` characters of ``text`` around ``word``'s first place."""
    at = max(text.casefold().find(word), 0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = " ".join(text[start:start + SNIPPET_CHARS].split())
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")
