"""Why a model gave each tag, or did not: the exact linear decomposition of its logit.

A tag's logit is its intercept plus, for every feature the document has, the feature's
value times its weight (Platt scaling is folded into the weights), and its probability is
the logistic function of the logit, which `tagger predict` reports. The features are the
n-grams (TF-IDF), the keyword features of the schema's keyword lists, and the sentence
features (each tag's best sentence score). Offsets are into the document's text; a span in
the title says so (``"field": "title"``), and an n-gram running from the title into the
text starts in the title and ends in the text (``"field": "title+text"``).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..io.records import Document

# tags under their threshold are explained as "why not" from this share of it
NEAR_MISS = 0.5


def _place(start: int, end: int, title_len: int) -> dict:
    if start >= title_len:
        return {"start": start - title_len, "end": end - title_len}
    if end < title_len:
        return {"start": start, "end": end, "field": "title"}
    # an n-gram from the end of the title into the text
    return {"start": start, "end": end - title_len, "field": "title+text"}


def _feature_names(model) -> list[tuple[str, str]]:
    """(name, kind) of every feature column."""
    terms = [""] * model.n_terms
    for term, j in model.vocabulary.items():
        terms[j] = term
    names = [(t, "ngram") for t in terms]
    lists = model.keywords if model.n_keyword_features else []
    names += [(f"keywords of {k['tag']}", "keyword") for k in lists]
    if model.n_sentence_features:
        names += [(f"best sentence for {t}", "sentence") for t in model.tags]
    return names


def _ngram_spans(analysis, title_len: int) -> dict[int, list[dict]]:
    """Character spans of each n-gram feature's occurrences."""
    spans: dict[int, list[dict]] = {}
    if analysis.hits is None:
        return spans
    tokens = analysis.tokens
    offset = int(tokens.chars.starts[0])
    for n, at, feat in analysis.hits:
        for a, f in zip(at.tolist(), feat.tolist()):
            start = int(tokens.starts[a]) - offset
            end = int(tokens.ends[a + n - 1]) - offset
            spans.setdefault(f, []).append(_place(start, end, title_len))
    return spans


def explain(model, doc: Document, *, tags: Sequence[str] | None = None) -> dict:
    """The explanation of each tag (all, or ``tags``) for one document:
    ``{"id", "tags": {TAG: {"probability", "threshold", "assigned", "why_not", "logit",
    "intercept", "contributions": [{"feature", "kind", "value", ...}], "sentences": [...]}}}``.

    Contributions are ordered by size, and with the intercept sum to the logit; sentences
    are ranked by score (the sentence scorer's, or for a model without one, the document
    model's terms applied to each sentence alone)."""
    chosen = list(model.tags) if tags is None else list(tags)
    unknown = [t for t in chosen if t not in model.tags]
    if unknown:
        raise ModelError(f"the model has no tag {unknown[0]!r} (its tags: {', '.join(model.tags)})")
    analysis = model.analyse([doc.content])
    title_len = len(doc.title) + 1 if doc.title else 0
    names = _feature_names(model)
    spans = _ngram_spans(analysis, title_len)
    row = analysis.features[0]
    cols, values = row.indices, row.data
    sentences, scores, _ = analysis.evidence if analysis.evidence else (None, None, None)
    out = {"id": doc.id, "tags": {}}
    for tag in chosen:
        k = model.tags.index(tag)
        weights = model.coef[k, cols]
        parts = weights * values
        logit = float(analysis.logits[0, k])  # as tagging computes it; the parts sum to it
        probability = float(1.0 / (1.0 + np.exp(-logit)))
        threshold = float(model.thresholds[k])
        contributions = []
        for j in np.argsort(-np.abs(parts), kind="stable"):
            if parts[j] == 0.0:
                continue
            col = int(cols[j])
            name, kind = names[col]
            c = {"feature": name, "kind": kind, "value": float(parts[j]),
                 "x": float(values[j]), "weight": float(weights[j])}
            if kind == "ngram":
                c["spans"] = spans.get(col, [])
            contributions.append(c)
        ranked = []
        if sentences is not None:
            for s in np.argsort(-scores[:, k], kind="stable"):
                place = _place(int(sentences.start[s]), int(sentences.end[s]), title_len)
                source = doc.title if place.get("field") else doc.text
                ranked.append({"text": source[place["start"]:place["end"]], **place,
                               "score": float(scores[s, k])})
        out["tags"][tag] = {
            "probability": probability, "threshold": threshold,
            "assigned": probability >= threshold,
            "why_not": NEAR_MISS * threshold <= probability < threshold,
            "logit": logit, "intercept": float(model.intercept[k]),
            "contributions": contributions, "sentences": ranked}
    return out
