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


FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_TAGS = ["missile_strikes", "air_defence_aid", "escalation_rhetoric", "energy_attacks"]
SOURCES = ("Daily Wire Service", "The Weekly", "Evening Post")


def fixture_docs(copies: int = 1, *, days: float = 3, pad: int = 0) -> list[dict]:
    """The fixture articles (the project's own synthetic text) as archive rows: their hand
    labels as the tags given, their evidence sentences with offsets, a source each and a
    date every ``days`` days from 2023-01-02; ``copies`` > 1 repeats them under new ids
    and ``pad`` lengthens each text to about that many characters with its own sentences
    (the benchmark's large archive, articles as long as the corpus's)."""
    import csv
    from datetime import date, timedelta

    articles = [json.loads(line) for line in (FIXTURES / "articles.jsonl").read_text().splitlines()]
    with (FIXTURES / "labels.csv").open() as fh:
        labels = {r["id"]: [t for t in r["tags"].split(";") if t] for r in csv.DictReader(fh)}
    evidence = {}
    for line in (FIXTURES / "evidence.jsonl").read_text().splitlines():
        r = json.loads(line)
        evidence[(r["id"], r["tag"])] = r["evidence"][0]
    out, first = [], date(2023, 1, 2)
    for c in range(copies):
        for k, a in enumerate(articles):
            n = c * len(articles) + k
            text = a["text"]
            while len(text) < pad:
                text += " " + a["text"]
            row = {"id": a["id"] if copies == 1 else f"{a['id']}-{c}", "title": a["title"],
                   "text": text, "date": (first + timedelta(days=int(n * days))).isoformat(),
                   "source": SOURCES[n % len(SOURCES)], "url": f"https://news.example/{n}"}
            for t in FIXTURE_TAGS:
                given = t in labels.get(a["id"], [])
                row[t], row[f"{t}_score"] = int(given), (0.62 + (n % 37) / 100 if given
                                                         else 0.02 + (n % 29) / 100)
                sentence = evidence.get((a["id"], t))
                if given and sentence and sentence in a["text"]:
                    start = a["text"].index(sentence)
                    row.update({f"{t}_evidence": sentence, f"{t}_start": start,
                                f"{t}_end": start + len(sentence)})
            out.append(row)
    return out
