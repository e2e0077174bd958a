"""A tagged archive (the SQLite file `tagger tag --out x.sqlite` writes), read for browsing.

Opened read-only (``mode=ro``): browsing never changes the archive. Every value a request
gives reaches SQL as a bound parameter; the only names put into SQL are the archive's own
tag ids, checked against :data:`TAG_ID` and the table's columns when it is opened. A search
is cut into words, each quoted for FTS5, so no quote or operator a person types can break
the query.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from ..errors import DecisionError, InputError
from ..io.layout import Layout
from ..io.sqlitestore import check_archive

TAG_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
WORD = re.compile(r"\w+")
MAX_QUERY_CHARS = 200
MAX_WORDS = 20
PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_CSV_ROWS = 100_000
BASE_COLUMNS = ("id", "date", "title", "source", "url", "model", "text")


@dataclass(frozen=True)
class Filters:
    """What the result list shows: each field checked by :func:`filters_from`."""

    tag: str = ""
    source: str = ""
    start: str = ""
    end: str = ""
    min_score: float | None = None
    q: str = ""

    def query(self, **extra) -> str:
        """These filters as a query string (for links: paging, CSV)."""
        fields = {"tag": self.tag, "source": self.source, "from": self.start, "to": self.end,
                  "min_score": "" if self.min_score is None else f"{self.min_score:g}",
                  "q": self.q, **extra}
        return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in fields.items() if v != "")


class Archive:
    """An archive file, opened read-only; one connection per thread (requests run in a
    thread pool)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(self.path, "does not exist" if not self.path.exists()
                             else "is not a file")
        check_archive(self.path)  # read-only, creating nothing beside another program's file
        self._local = threading.local()
        try:
            self.meta, self.tags, self.thresholds = self._read_meta(self.connect())
        except sqlite3.DatabaseError as exc:
            raise InputError(self.path, f"cannot be read as a tagger archive ({exc})") from None

    def connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            uri = "file:" + quote(str(self.path.resolve())) + "?mode=ro"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            con.row_factory = sqlite3.Row
            self._local.con = con
        return con

    def _read_meta(self, con):
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"archive", "documents", "runs", "documents_fts"} <= tables:
            raise InputError(self.path, "is an SQLite database, but not a tagger archive")
        meta = dict(con.execute("SELECT key, value FROM archive").fetchall())
        if "format_version" not in meta or "tags" not in meta:
            raise InputError(self.path, "is an SQLite database, but not a tagger archive")
        try:
            listed = json.loads(meta["tags"])
            tags = [str(t["id"]) for t in listed]
            thresholds = {str(t["id"]): float(t["threshold"]) for t in listed}
        except (ValueError, TypeError, KeyError):
            raise InputError(self.path, "is a tagger archive whose list of tags cannot be "
                                        "read") from None
        columns = {r[1] for r in con.execute("PRAGMA table_info(documents)")}
        for t in tags:
            wanted = {t, f"{t}_score", f"{t}_evidence", f"{t}_start", f"{t}_end"}
            if not TAG_ID.match(t) or not wanted <= columns:
                raise InputError(self.path, f"is a tagger archive whose tag {t!r} has no "
                                            "columns of its own")
        if not set(BASE_COLUMNS) <= columns:
            raise InputError(self.path, "is a tagger archive without the documents' columns")
        return meta, tags, thresholds

    def rows(self, sql: str, args=()) -> list[sqlite3.Row]:
        return self.connect().execute(sql, args).fetchall()

    def tag_counts(self) -> dict[str, int]:
        """Per tag, the documents given it, and ``""``: the documents in the archive."""
        sums = ", ".join(f'coalesce(sum("{t}" = 1), 0)' for t in self.tags)
        row = self.rows(f"SELECT count(*){', ' + sums if sums else ''} FROM documents")[0]
        return {"": row[0], **{t: row[k + 1] for k, t in enumerate(self.tags)}}

    def sources(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT DISTINCT source FROM documents WHERE source "
                                        "IS NOT NULL AND source != '' ORDER BY source LIMIT 500")]

    def runs(self) -> list[dict]:
        """Each run with its drift warnings (an unreadable report: none shown, said so)."""
        out = []
        for r in self.rows("SELECT * FROM runs ORDER BY run"):
            try:
                drift = json.loads(r["drift"]) if r["drift"] else {}
            except ValueError:
                drift = {"reasons": ["the run's drift report cannot be read"], "warning": True}
            drift = drift if isinstance(drift, dict) else {}
            reasons = [str(x) for x in (drift.get("warnings") or drift.get("reasons") or [])]
            out.append({"run": r["run"], "started": r["started"] or "",
                        "finished": r["finished"] or "", "documents": r["documents"],
                        "model": r["model"] or "", "warning": bool(drift.get("warning")),
                        "reasons": reasons[:20]})
        return out

    def where(self, f: Filters) -> tuple[str, list]:
        """The SQL condition and its arguments for these filters."""
        clauses, args = [], []
        if f.tag:
            clauses.append(f'd."{f.tag}" = 1')
        if f.source:
            clauses.append("d.source = ?")
            args.append(f.source)
        if f.start:
            clauses.append("d.date >= ?")
            args.append(f.start)
        if f.end:
            clauses.append("d.date <= ?")
            args.append(f.end)
        if f.min_score is not None:
            scored = [f.tag] if f.tag else self.tags
            clauses.append("(" + " OR ".join(f'd."{t}_score" >= ?' for t in scored) + ")")
            args.extend([f.min_score] * len(scored))
        if f.q:
            clauses.append("d.rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts "
                           "MATCH ?)")
            args.append(fts_query(f.q))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def search(self, f: Filters, page: int = 1) -> tuple[int, list[dict]]:
        """(documents matching, the page's documents: newest first)."""
        where, args = self.where(f)
        total = self.rows(f"SELECT count(*) FROM documents d{where}", args)[0][0]
        given = ", ".join(f'd."{t}"' for t in self.tags)
        rows = self.rows(f"SELECT d.id, d.date, d.title, d.source{', ' + given if given else ''} "
                         f"FROM documents d{where} ORDER BY d.date DESC, d.id LIMIT ? OFFSET ?",
                         [*args, PAGE_SIZE, (page - 1) * PAGE_SIZE])
        return total, [{"id": r["id"], "date": r["date"] or "", "title": r["title"] or "",
                        "source": r["source"] or "",
                        "tags": [t for t in self.tags if r[t] == 1]} for r in rows]

    def document(self, doc_id: str) -> sqlite3.Row | None:
        found = self.rows("SELECT * FROM documents WHERE id = ?", (doc_id,))
        return found[0] if found else None

    def layout(self) -> Layout:
        """The archive's record layout: its tags, and the fields kept that it has columns
        for (the names are the file's: each is quoted where it goes into SQL)."""
        try:
            keep = json.loads(self.meta.get("keep") or "[]")
        except ValueError:
            keep = []
        columns = {r[1] for r in self.rows("PRAGMA table_info(documents)")}
        keep = [k for k in keep if isinstance(k, str) and k in columns] \
            if isinstance(keep, list) else []
        return Layout(tuple(self.tags), tuple(dict.fromkeys(keep)), self.meta.get("model", ""))

    def export_rows(self, f: Filters):
        """The layout and the rows of the CSV of these filters (at most
        :data:`MAX_CSV_ROWS`), every column of the record layout, as `tagger tag` writes."""
        where, args = self.where(f)
        layout = self.layout()
        quoted = ('d."' + c.replace('"', '""') + '"' for c in layout.columns())
        cur = self.connect().execute(
            "SELECT " + ", ".join(quoted) + f" FROM documents d{where} "
            "ORDER BY d.date DESC, d.id LIMIT ?", [*args, MAX_CSV_ROWS])
        return layout, cur


def fts_query(text: str) -> str:
    """A person's search as an FTS5 query: its words, each quoted, all required."""
    words = WORD.findall(text)[:MAX_WORDS]
    if not words:
        raise DecisionError("a search needs at least one word (letters or digits)")
    return " ".join(f'"{w}"' for w in words)


def filters_from(params, tags: list[str]) -> Filters:
    """Filters from a request's query parameters, each checked (DecisionError: why not)."""
    tag = params.get("tag", "")
    if tag and tag not in tags:
        raise DecisionError(f"unknown tag {tag[:64]!r}")
    start, end = _date(params.get("from", "")), _date(params.get("to", ""))
    raw = params.get("min_score", "")
    try:
        min_score = float(raw) if raw else None
    except ValueError:
        raise DecisionError("the minimum score is a number from 0 to 1") from None
    if min_score is not None and not 0 <= min_score <= 1:
        raise DecisionError("the minimum score is a number from 0 to 1")
    q = params.get("q", "").strip()
    if len(q) > MAX_QUERY_CHARS:
        raise DecisionError(f"a search is at most {MAX_QUERY_CHARS} characters")
    if q:
        fts_query(q)
    source = params.get("source", "")
    if len(source) > 500:
        raise DecisionError("a source is at most 500 characters")
    return Filters(tag, source, start, end, min_score, q)


def page_of(value: str | None) -> int:
    try:
        page = int(value or 1)
    except ValueError:
        raise DecisionError("a page is a whole number") from None
    if not 1 <= page <= MAX_PAGE:
        raise DecisionError(f"a page is from 1 to {MAX_PAGE}")
    return page


def _date(value: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value[:10]).isoformat() if len(value) == 10 else _bad_date()
    except ValueError:
        return _bad_date()


def _bad_date():
    raise DecisionError("a date is written YYYY-MM-DD")
