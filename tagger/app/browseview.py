"""What the browse pages show of one article, and a correction of its tags as a labelling
decision (a person's, marked as coming from the archive)."""

from __future__ import annotations

import sqlite3

from ..errors import DecisionError
from ..labels.database import Decision, LabelDB, to_decision
from .browsedb import Archive

ORIGIN_CHARS = 1000


def spans(row: sqlite3.Row, tags: list[str]) -> dict[str, tuple[int, int]]:
    """Each tag's evidence sentence as (start, end) in the text, kept only when the offsets
    lie inside the text and hold that sentence (else found by its text, else none)."""
    text, found = row["text"] or "", {}
    for t in tags:
        evidence, start, end = row[f"{t}_evidence"], row[f"{t}_start"], row[f"{t}_end"]
        if (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
                and (not evidence or text[start:end].strip() == str(evidence).strip())):
            found[t] = (start, end)
        elif evidence and str(evidence).strip() and str(evidence).strip() in text:
            at = text.index(str(evidence).strip())
            found[t] = (at, at + len(str(evidence).strip()))
    return found


def segments(text: str, found: dict[str, tuple[int, int]]) -> list[dict]:
    """The text cut at every span's ends: each piece with the tags whose evidence covers it
    (the template escapes the pieces; nothing of the text is ever markup)."""
    cuts = sorted({0, len(text), *[p for s in found.values() for p in s]})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [t for t, (s, e) in found.items() if s <= a and b <= e]
        out.append({"text": text[a:b], "tags": covering})
    return out


def article(archive: Archive, row: sqlite3.Row) -> dict:
    found = spans(row, archive.tags)
    return {"id": row["id"], "title": row["title"] or "", "date": row["date"] or "",
            "source": row["source"] or "", "url": _http(row["url"]), "model": row["model"] or "",
            "segments": segments(row["text"] or "", found),
            "tags": [{"id": t, "given": row[t] == 1, "score": row[f"{t}_score"],
                      "threshold": archive.thresholds.get(t),
                      "evidence": row[f"{t}_evidence"] or "", "highlighted": t in found}
                     for t in archive.tags]}


def in_force(labels: LabelDB, doc_id: str, annotator: str) -> Decision | None:
    found = labels.rows("SELECT * FROM current_labels WHERE doc_id = ? AND annotator = ? "
                        "AND answer = 'saved'", (doc_id, annotator))
    return to_decision(found[0]) if found else None


def correct(labels: LabelDB, archive: Archive, row: sqlite3.Row, *, annotator: str,
            kind: str, tag: str) -> Decision:
    """Store the annotator's correction of one tag of an archived document: 'wrong' (the
    tag does not apply) or 'missing' (it does). The decision holds the document's whole
    label: the annotator's label in force, else the archive's tags (those kept unchanged
    are marked as the model's proposal accepted, so they never pass for a person's own)."""
    if kind not in ("wrong", "missing"):
        raise DecisionError("a correction is 'wrong' or 'missing'")
    if tag not in archive.tags:
        raise DecisionError(f"unknown tag {str(tag)[:64]!r}")
    proposal = tuple(t for t in archive.tags if row[t] == 1)
    with labels.transaction() as con:
        found = con.execute("SELECT * FROM current_labels WHERE doc_id = ? AND annotator = ? "
                            "AND answer = 'saved'", (row["id"], annotator)).fetchall()
        base = tuple(to_decision(found[0]).tags) if found else proposal
        if kind == "wrong" and tag not in base:
            raise DecisionError(f"{tag} is not among this article's tags")
        if kind == "missing" and tag in base:
            raise DecisionError(f"{tag} is already among this article's tags")
        tags = tuple(t for t in archive.tags if (t in base) != (t == tag))
        accepted = tuple(t for t in tags if t in proposal and t != tag)
        origin = f"archive {archive.path.name}"[:ORIGIN_CHARS]
        scores = {t: float(row[f"{t}_score"]) for t in archive.tags
                  if isinstance(row[f"{t}_score"], (int, float))}
        return labels.add(Decision(doc_id=row["id"], annotator=annotator, answer="saved",
                                   tags=tags, model=row["model"] or "", scores=scores,
                                   origin=origin, accepted=accepted, proposal=proposal), con)


def _http(url) -> str:
    """The url, shown as a link only when it is http(s) (never javascript: or data:)."""
    url = str(url or "")
    return url if url.lower().startswith(("http://", "https://")) else ""
