"""A document as the labelling page shows it: sentences, paragraphs, the schema's keywords,
and per tag the model's score, threshold, proposal and evidence sentence."""

from __future__ import annotations

import re

from ..io.records import Document
from ..labels.tagschema import TagSchema
from ..text.featurizer import TEXT
from .keys import TAG_ORDERS

MAX_KEYS = 9  # tags 1-9 have a key each
MAX_KEYWORD_SPANS = 300  # highlighted keyword spans per tag in one article


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: text between blank lines when it has any (a hard-
    wrapped .txt), else between line breaks (a saved page, a JSONL text with newlines);
    the whole text, when it has none."""
    breaks = r"\n[ \t\r\f\v]*\n" if re.search(r"\n[ \t\r\f\v]*\n", text) else r"\n"
    out, at = [], 0
    for m in [*re.finditer(breaks, text), None]:
        end = m.start() if m is not None else len(text)
        piece = text[at:end]
        if piece.strip():  # the paragraph without the spaces around it
            start = at + len(piece) - len(piece.lstrip())
            out.append((start, at + len(piece.rstrip())))
        at = m.end() if m is not None else at
    return out or [(0, len(text))]


WORD = re.compile(r"[^\W_]+")


def keyword_patterns(schema: TagSchema) -> dict[str, list]:
    """Every tag's keywords as word sequences (casefolded), indexed by their first word:
    ``{first: [(words, tags), ...]}``, longest first. They are found as whole words in any
    case, across any run of spaces or punctuation between them (for highlighting: the
    model's own matching, with its context words, is :class:`tagger.text.keywords.Lexicon`)."""
    tags_of: dict[tuple, list] = {}
    for tag in schema.tags:
        for k in tag.keywords:
            words = tuple(WORD.findall(k.casefold()))
            if words and tag.id not in tags_of.setdefault(words, []):
                tags_of[words].append(tag.id)
    out: dict[str, list] = {}
    for words in sorted(tags_of, key=len, reverse=True):
        out.setdefault(words[0], []).append((words, tags_of[words]))
    return out


def document_view(doc: Document, schema: TagSchema, model, patterns: dict,
                  tag_order: str = "schema") -> dict:
    """The view of ``doc``: its sentences (spans of the text), paragraphs (spans, with the
    indices of their sentences), keyword spans per tag, and per tag the model's score,
    whether it passes the threshold, and its best sentence."""
    spans = TEXT.sentence_spans(doc.text)
    scores, above, best = {}, set(), {}
    if model is not None:
        (pred,) = model.predict([doc])  # with each given tag's evidence sentence
        scores = pred.scores
        above = set(pred.tags)
        best = {t: (e["start"], e["end"]) for t, e in pred.evidence.items()}
    listed = TAG_ORDERS.lookup(tag_order)(list(enumerate(schema.tags)), scores)
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
    """Per tag with keywords, the [start, end] of each in the text (the longest phrase at
    a place; at most :data:`MAX_KEYWORD_SPANS` per tag), in one pass over its words."""
    out: dict[str, list] = {t: [] for cands in patterns.values() for _, ts in cands for t in ts}
    free = 0  # where the last match ended: matches do not overlap
    for m in WORD.finditer(text):
        cands = patterns.get(m.group().casefold()) if m.start() >= free else None
        for words, tags in cands or ():
            end = _phrase_end(text, m.end(), words[1:])
            if end is not None:
                for tag in tags:
                    if len(out[tag]) < MAX_KEYWORD_SPANS:
                        out[tag].append([m.start(), end])
                free = end
                break
    return out


def _phrase_end(text: str, at: int, rest: tuple) -> int | None:
    """Where a phrase ends whose first word ends at ``at`` and whose next words are
    ``rest`` (None: they do not follow)."""
    following = WORD.finditer(text, at)
    for word in rest:
        m = next(following, None)
        if m is None or m.group().casefold() != word:
            return None
        at = m.end()
    return at


def proposal(view: dict) -> dict | None:
    """What the model proposes for a document: its tags above threshold and the evidence
    sentence of each (None with no model)."""
    if not view["scores"]:
        return None
    model = [t for t in view["tags"] if t["model"]]
    return {"tags": [t["id"] for t in model],
            "evidence": {t["id"]: list(t["best"]) for t in model if t["best"]}}
