"""The labelling page's content, from a session's view of a document: the text in
paragraphs and sentences with the schema's keywords marked, the annotator's own starting
choice, and the model's proposal kept apart from it. Rendered by the Jinja2 template
label.html.j2 (autoescaped), read by static/label.js."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from .keys import KEYS, key_table
from .session import Session
from .views import proposal


def pieces(view: dict) -> list[list[dict]]:
    """The text as the page shows it: paragraphs, each a list of its sentences (with the
    tags whose evidence the model found there, and the schema's keywords marked) and the
    characters between them, in order. A paragraph break inside a sentence is not one."""
    text = view["text"]
    best: dict[tuple, list] = {}
    for t in view["tags"]:
        if t["best"]:
            best.setdefault(tuple(t["best"]), []).append(t["id"])
    keywords = _keyword_spans(view["keywords"])
    breaks = [p["start"] for p in view["paragraphs"]][1:]
    out: list[list[dict]] = [[] for _ in range(len(breaks) + 1)]

    def put(start: int, end: int, piece: dict) -> None:
        out[bisect_right(breaks, start)].append({"text": text[start:end], **piece})

    at = 0
    for start, end in view["sentences"]:
        _gap(at, start, breaks, put)
        put(start, end, {"start": start, "end": end, "model": best.get((start, end), []),
                         "parts": _marked(text, start, end, keywords)})
        at = end
    _gap(at, len(text), breaks, put)
    return [_trimmed(p) for p in out if any(x["text"].strip() for x in p)]


def _gap(start: int, end: int, breaks: list[int], put) -> None:
    """The text between two sentences, cut where a paragraph starts."""
    cuts = [b for b in breaks if start < b < end]
    for a, b in zip([start, *cuts], [*cuts, end]):
        if b > a:
            put(a, b, {})


def _trimmed(paragraph: list[dict]) -> list[dict]:
    """A paragraph without the line breaks around it (the page draws the break)."""
    while paragraph and "start" not in paragraph[0] and not paragraph[0]["text"].strip():
        paragraph = paragraph[1:]
    while paragraph and "start" not in paragraph[-1] and not paragraph[-1]["text"].strip():
        paragraph = paragraph[:-1]
    return paragraph


def _keyword_spans(keywords: dict) -> list[tuple[int, int, str]]:
    """The schema keywords found in the text, (start, end, tags), first first; where two
    overlap the earlier (then the longer) wins."""
    spans: dict[tuple[int, int], list] = {}
    for tag, found in keywords.items():
        for start, end in found:
            spans.setdefault((int(start), int(end)), []).append(tag)
    out, reach = [], -1
    for (start, end), tags in sorted(spans.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        if start >= reach:
            out.append((start, end, " ".join(tags)))
            reach = end
    return out


def _marked(text: str, start: int, end: int, keywords: list) -> list[dict]:
    """A sentence's text in parts, the keywords in it marked with their tags."""
    parts, at = [], start
    for k_start, k_end, tags in keywords[bisect_left(keywords, (start, -1, "")):]:
        if k_start >= end:
            break
        if k_start > at:
            parts.append({"text": text[at:k_start]})
        parts.append({"text": text[k_start:min(k_end, end)], "kw": tags})
        at = min(k_end, end)
    if at < end:
        parts.append({"text": text[at:end]})
    return parts


def _chosen(previous, proposed: dict | None) -> dict:
    """What the page starts from: the annotator's own earlier decision on the document (the
    one just undone, or the one being reopened), else nothing. A skip starts from nothing:
    it chose no tag, and "no tag applies" is a choice it did not make. Beside it, never
    mixed in, the model's proposal: its tags and [tag, start, end] of each one's evidence
    sentence (None with no model)."""
    chosen = {"tags": [], "evidence": [], "no_evidence": [], "none": False, "accepted": [],
              "answer": None if previous is None else previous.answer, "proposal": None}
    if previous is not None and previous.answer in ("saved", "adjudicated"):
        chosen.update(tags=list(previous.tags), no_evidence=list(previous.no_evidence),
                      evidence=[[e["tag"], e["start"], e["end"]] for e in previous.evidence
                                if e["start"] is not None],
                      none=not previous.tags, accepted=list(previous.accepted or ()))
    if proposed is not None:
        chosen["proposal"] = {"tags": proposed["tags"],
                              "evidence": [[t, *proposed["evidence"][t]] for t in proposed["tags"]
                                           if t in proposed["evidence"]]}
    return chosen


def page_context(session: Session, annotator: str, tab: str, csrf: str, doc_id: str | None,
                 previous=None, reopened: bool = False) -> dict:
    """Everything the page template needs to show ``doc_id`` (None: the queue is done)
    to ``annotator`` in ``tab``, starting from the decision ``previous`` (their own)."""
    context = {"progress": session.progress(annotator), "csrf": csrf, "tab": tab,
               "reviewing": session.reviewing, "tags": session.schema.tags, "view": None,
               "keys": KEYS, "key_table": key_table(), "reopened": reopened}
    if doc_id is not None:
        view = session.view(doc_id)
        others = session.others(doc_id) if session.reviewing else []
        chosen = _chosen(previous, proposal(view))
        context.update(view=view, paragraphs=pieces(view), previous=previous, others=others,
                       chosen=chosen, proposal=chosen["proposal"] or {"tags": []},
                       suspects=session.suspects.get(doc_id, []))
    return context
