"""A tagged archive in the agreed SQLite layout, built from given rows (what `tagger tag
--out x.sqlite` writes), for the browse tests and benchmark."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

FINGERPRINT = "f" * 64


def make_archive(path, docs: list[dict], tags: list[str], *, thresholds: dict | None = None,
                 runs: list[dict] | None = None, keep: tuple[str, ...] = ()) -> Path:
    """``docs``: dicts with id, date, title, source, url, text, and per tag ``tag`` (0/1),
    ``tag_score``, ``tag_evidence``, ``tag_start``, ``tag_end`` (missing: NULL / 0)."""
    path = Path(path)
    con = sqlite3.connect(path)
    per_tag = [c for t in tags for c in (f'"{t}" INTEGER', f'"{t}_score" REAL',
                                         f'"{t}_evidence" TEXT', f'"{t}_start" INTEGER',
                                         f'"{t}_end" INTEGER')]
    columns = ["id TEXT PRIMARY KEY", "date TEXT", "title TEXT", "source TEXT", "url TEXT",
               "model TEXT", *[f'"{k}" TEXT' for k in keep], "text TEXT", *per_tag]
    con.execute("PRAGMA journal_mode=WAL")
    con.execute(f"CREATE TABLE documents ({', '.join(columns)})")
    con.execute("CREATE VIRTUAL TABLE documents_fts USING fts5(title, text, "
                "content='documents')")
    con.execute("CREATE TABLE runs (run INTEGER PRIMARY KEY, model TEXT, model_name TEXT, "
                "started TEXT, finished TEXT, inputs TEXT, documents INTEGER, drift TEXT)")
    con.execute("CREATE TABLE archive (key TEXT PRIMARY KEY, value TEXT)")
    names = ["id", "date", "title", "source", "url", "model", *keep, "text",
             *[c for t in tags for c in (t, f"{t}_score", f"{t}_evidence", f"{t}_start",
                                         f"{t}_end")]]
    sql = (f"INSERT INTO documents ({', '.join(chr(34) + n + chr(34) for n in names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    defaults = {t: 0 for t in tags}
    con.executemany(sql, [[{"model": FINGERPRINT, **defaults, **d}.get(n) for n in names]
                          for d in docs])
    con.execute("INSERT INTO documents_fts (rowid, title, text) "
                "SELECT rowid, title, text FROM documents")
    thresholds = thresholds or {t: 0.5 for t in tags}
    meta = {"format_version": "1", "model": FINGERPRINT, "model_name": "test-model",
            "tags": json.dumps([{"id": t, "threshold": thresholds[t]} for t in tags])}
    con.executemany("INSERT INTO archive VALUES (?, ?)", meta.items())
    for k, r in enumerate(runs or [{"finished": "2024-01-01T00:00:00Z", "drift": {}}], 1):
        con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (k, FINGERPRINT, "test-model", r.get("started", r["finished"]),
                     r["finished"], json.dumps(r.get("inputs", ["docs.jsonl"])),
                     r.get("documents", len(docs)), json.dumps(r["drift"])))
    con.commit()
    con.close()
    return path
