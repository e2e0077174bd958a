"""A document as the labelling page shows it: sentences, paragraphs, the schema's keywords,
and per tag the model's score, threshold, proposal and evidence sentence."""

from __future__ import annotations

import re

from ..io.records import Document
from ..io.schema import TagSchema
from ..text.sentences import sentence_spans

MAX_KEYS = 9  # tags 1-9 have a key each
MAX_KEYWORD_SPANS = 300  # highlighted keyword spans per tag in one article


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines when it has any (a hard-
    wrapped .txt), else between line breaks (a saved page, a JSONL text with newlines);
    the whole text, when it has none."""
    breaks = r"\n[ \t\r\f\v]*\n\s*" if re.search(r"\n[ \t\r\f\v]*\n", text) else r"\n\s*"
    out, at = [], 0
    for m in re.finditer(breaks, text):
        if text[at:m.start()].strip():
            out.append((at, m.start()))
        at = m.end()
    if text[at:].strip() or not out:
        out.append((at, len(text)))
    return out


def keyword_patterns(schema: TagSchema) -> dict[str, re.Pattern]:
    """Per tag with keywords, one pattern finding them as whole words, in any case, across
    any run of spaces or punctuation between a phrase's words (for highlighting: the
    model's own matching, with its context words, is :class:`tagger.text.keywords.Lexicon`)."""
    out = {}
    for tag in schema.tags:
        phrases = sorted({k.strip() for k in tag.keywords if k.strip()}, key=len, reverse=True)
        if phrases:
            alts = ("[\\W_]+".join(re.escape(w) for w in p.split()) for p in phrases)
            out[tag.id] = re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)", re.IGNORECASE)
    return out


def document_view(doc: Document, schema: TagSchema, model, patterns: dict,
                  tag_order: str = "schema") -> dict:
    """The view of ``doc``: its sentences (spans of the text), paragraphs (spans, with the
    indices of their sentences), keyword spans per tag, and per tag the model's score,
    whether it passes the threshold, and its best sentence."""
    spans = sentence_spans(doc.text)
    scores, above, best = {}, set(), {}
    if model is not None:
        (pred,) = model.predict([doc])  # with each given tag's evidence sentence
        scores = pred.scores
        above = set(pred.tags)
        best = {t: (e["start"], e["end"]) for t, e in pred.evidence.items()}
    listed = list(enumerate(schema.tags))
    if tag_order == "score" and scores:
        listed.sort(key=lambda kt: -scores[kt[1].id])
    tags = []
    for n, (k, tag) in enumerate(listed):
        tags.append({"id": tag.id, "key": str(n + 1) if n < MAX_KEYS else "",
                     "name": tag.name or tag.id, "description": tag.description,
                     "score": scores.get(tag.id),
                     "threshold": float(model.thresholds[k]) if model is not None else None,
                     "model": tag.id in above, "best": best.get(tag.id)})
    return {"id": doc.id, "title": doc.title, "date": doc.date, "outlet": doc.outlet,
            "text": doc.text, "sentences": spans, "tags": tags, "scores": scores,
            "paragraphs": paragraphs(doc.text, spans),
            "keywords": keyword_spans(patterns, doc.text)}


def paragraphs(text: str, spans: list) -> list[dict]:
    """Each paragraph's span and the indices of the sentences starting in it."""
    paras = paragraph_spans(text)
    out = [{"start": a, "end": b, "sentences": []} for a, b in paras]
    k = 0
    for i, (start, _) in enumerate(spans):
        while k + 1 < len(paras) and start >= paras[k + 1][0]:
            k += 1
        out[k]["sentences"].append(i)
    return out


def keyword_spans(patterns: dict, text: str) -> dict[str, list]:
    """Per tag, the [start, end] of each of its schema keywords in the text (bounded)."""
    out = {}
    for tag, pattern in patterns.items():
        found = []
        for m in pattern.finditer(text):
            found.append([m.start(), m.end()])
            if len(found) >= MAX_KEYWORD_SPANS:
                break
        out[tag] = found
    return out


def proposal(view: dict) -> dict | None:
    """What the model proposes for a document: its tags above threshold and the evidence
    sentence of each (None with no model)."""
    if not view["scores"]:
        return None
    model = [t for t in view["tags"] if t["model"]]
    return {"tags": [t["id"] for t in model],
            "evidence": {t["id"]: list(t["best"]) for t in model if t["best"]}}
