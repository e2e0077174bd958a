"""Why a model gave each tag, or did not: the exact linear decomposition of its logit, by
feature and by word.

A tag's logit is its intercept plus, for every feature the document has, the feature's
value times its weight (Platt scaling is folded into the weights), and its probability is
the logistic function of the logit, which `tagger predict` reports. The features are the
n-grams (TF-IDF), the keyword features of the schema's keyword lists, and the sentence
features (each tag's best sentence score). Offsets are into the document's text; a span in
the title says so (``"field": "title"``), and an n-gram running from the title into the
text starts in the title and ends in the text (``"field": "title+text"``).

Feature by feature, a word can look as if it lowered a tag that it raised: the keyword and
sentence features take much of the signal of words such as "missiles", and their n-gram
weights become corrections. So the contributions are also grouped by word (``groups``):
each n-gram's own contribution, plus its share of the keyword features (a keyword
feature's contribution split evenly among the keyword occurrences it counts), plus its
share of the sentence features. A sentence feature is the logistic function of its
scorer's logit ``z = b + sum(z_i)`` over the best sentence's n-grams; its contribution
``w * sigmoid(z)`` is split into ``w * r * z_i`` per n-gram, with
``r = (sigmoid(z) - sigmoid(b)) / (z - b)`` (the "rescale" rule: each n-gram moves the
score the way its own term's sign says), and ``w * sigmoid(b)``, the scorer's intercept's
part, a group of its own. The intercept and the groups sum to the logit (to rounding).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..io.records import Document
from ..text.cues import NAMES as CUE_NAMES

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


def _chars(tokens, a: int, b: int) -> tuple[int, int]:
    """Where tokens a..b (inclusive) of a one-document analysis lie in its content."""
    offset = int(tokens.chars.starts[0])
    return int(tokens.starts[a]) - offset, int(tokens.ends[b]) - offset


def _ngram_spans(analysis) -> dict[int, list[tuple[int, int]]]:
    """Where each n-gram feature occurs in the content."""
    spans: dict[int, list[tuple[int, int]]] = {}
    if analysis.hits is None:
        return spans
    for n, at, feat in analysis.hits:
        for a, f in zip(at.tolist(), feat.tolist()):
            spans.setdefault(f, []).append(_chars(analysis.tokens, a, a + n - 1))
    return spans


def _words(content: str, tokens, a: int, b: int) -> str:
    """Tokens a..b as the n-gram features name them (lower case, one space between)."""
    return " ".join(content[slice(*_chars(tokens, i, i))].lower()
                    for i in range(a, b + 1))


def _keyword_matches(model, analysis, content: str) -> list[dict]:
    """Every keyword occurrence the keyword features count, in reading order:
    ``{"list", "keyword", "context", "at"}``: the tag whose list it is on, the words, the
    list's context words within reach (that let it count), and its place in the content."""
    featurizer = model.featurizer()
    lexicon = featurizer.lexicon
    if lexicon is None or analysis.tokens is None or not model.n_keyword_features:
        return []
    tokens, last = analysis.tokens, len(analysis.tokens.hashes) - 1
    out = []
    for lst, (starts, ends) in zip(model.keywords, featurizer.keyword_hits(tokens)):
        context = {int(h) for p in featurizer.phrase_hashes(lst["context"]) for h in p}
        for a, b in sorted(zip(starts.tolist(), ends.tolist())):
            near = range(max(a - lexicon.window, 0), min(b + lexicon.window, last) + 1)
            words = [_words(content, tokens, i, i) for i in near if int(tokens.hashes[i]) in context]
            out.append({"list": lst["tag"], "keyword": _words(content, tokens, a, b),
                        "context": list(dict.fromkeys(words)), "at": _chars(tokens, a, b)})
    return sorted(out, key=lambda m: m["at"])


def _best_sentences(model, analysis) -> dict[int, tuple]:
    """Per sentence feature (tag index t): (its best sentence's place in the content, the
    sentence's columns (n-grams, then cues), their terms z_i of the scorer's logit, the
    intercept b)."""
    if not model.n_sentence_features or analysis.evidence is None:
        return {}
    sentences, _, which = analysis.evidence
    rows = analysis.sentence_rows  # as the model scored them: n-grams, then cue features
    out = {}
    for t in range(len(model.tags)):
        s = int(which[0, t])
        if s >= 0:
            mine = rows.rows == s
            cols = rows.cols[mine]
            out[t] = ((int(sentences.start[s]), int(sentences.end[s])), cols,
                      model.sentence_coef[t, cols] * rows.values[mine],
                      float(model.sentence_intercept[t]))
    return out


def _logistic(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def rescale(z_terms: np.ndarray, b: float) -> float:
    """(sigmoid(z) - sigmoid(b)) / (z - b) for z = b + sum(z_terms); its limit, the
    logistic's slope at b, when z is (nearly) b."""
    z = b + float(np.sum(z_terms))
    if abs(z - b) < 1e-9:
        return _logistic(b) * (1.0 - _logistic(b))
    return (_logistic(z) - _logistic(b)) / (z - b)


class _Groups:
    """Contributions gathered by word (or by feature, for a part behind no word)."""

    def __init__(self):
        self.by: dict[str, dict] = {}

    def add(self, key: str, part: str, value: float, at=(), kind: str = "word"):
        g = self.by.setdefault(key, {"feature": key, "kind": kind, "parts": {}, "at": {}})
        g["parts"][part] = g["parts"].get(part, 0.0) + value
        g["at"].update(dict.fromkeys(at))  # a set that keeps its order

    def ranked(self, title_len: int) -> list[dict]:
        out = []
        for g in self.by.values():
            parts = {p: float(v) for p, v in g["parts"].items() if v != 0.0}
            if parts:
                out.append({"feature": g["feature"], "kind": g["kind"],
                            "value": float(sum(g["parts"].values())), "parts": parts,
                            "spans": [_place(a, b, title_len) for a, b in sorted(g["at"])]})
        return sorted(out, key=lambda g: -abs(g["value"]))


def _grouped(model, k: int, row, names, spans, matches, best, title_len) -> tuple[list, list]:
    """Tag k's contributions grouped by word, and the keyword matches behind them (each
    with its share)."""
    groups, shares = _Groups(), []
    first_kw = model.n_terms
    first_sent = first_kw + model.n_keyword_features
    for col, x in zip(row.indices.tolist(), row.data.tolist()):
        w = float(model.coef[k, col])
        name, kind = names[col]
        if kind == "ngram":
            groups.add(name, "ngram", w * x, spans.get(col, []))
            continue
        if kind == "sentence":
            _split_sentence(groups, model, col - first_sent, w, w * x, names, spans, best)
            continue
        found = [m for m in matches if m["list"] == model.keywords[col - first_kw]["tag"]]
        for m in found:  # the feature counts exactly these, so it is never empty
            groups.add(m["keyword"], "keyword", w * x / len(found), [m["at"]])
            shares.append({**m, "value": w * x / len(found)})
        if not found:  # keep the sum exact all the same
            groups.add(name, "keyword", w * x, kind="feature")
    keywords = [{"list": m["list"], "keyword": m["keyword"], "context": m["context"],
                 "value": m["value"], **_place(*m["at"], title_len)}
                for m in sorted(shares, key=lambda m: m["at"])]
    return groups.ranked(title_len), keywords


def _split_sentence(groups: _Groups, model, t: int, w: float, value: float, names, spans,
                    best) -> None:
    """Split sentence feature t's contribution (``value``, weight ``w``) among its best
    sentence's n-grams, the scorer's intercept taking the rest."""
    base = f"best sentence for {model.tags[t]}, as a whole"
    if t not in best:
        groups.add(base, "sentence", value, kind="feature")
        return
    (start, end), cols, z_terms, b = best[t]
    r = rescale(z_terms, b)
    given = 0.0
    for col, z in zip(cols.tolist(), z_terms.tolist()):
        if col >= model.n_terms:  # a cue feature of the sentence: a word class, no one place
            groups.add(f"cue: {CUE_NAMES[col - model.n_terms]}", "sentence", w * r * z, kind="feature")
        else:
            inside = [(a, e) for a, e in spans.get(col, []) if start <= a and e <= end]
            groups.add(names[col][0], "sentence", w * r * z, inside)
        given += w * r * z
    groups.add(base, "sentence", value - given, kind="feature")  # w * sigmoid(b), to rounding


def _contributions(model, k: int, row, names, spans, title_len) -> list[dict]:
    """Tag k's contributions feature by feature, largest first."""
    cols, values = row.indices, row.data
    weights = model.coef[k, cols]
    parts = weights * values
    out = []
    for j in np.argsort(-np.abs(parts), kind="stable"):
        if parts[j] == 0.0:
            continue
        col = int(cols[j])
        name, kind = names[col]
        c = {"feature": name, "kind": kind, "value": float(parts[j]),
             "x": float(values[j]), "weight": float(weights[j])}
        if kind == "ngram":
            c["spans"] = [_place(a, b, title_len) for a, b in spans.get(col, [])]
        out.append(c)
    return out


def _ranked_sentences(analysis, k: int, doc: Document, title_len: int) -> list[dict]:
    if analysis.evidence is None:
        return []
    sentences, scores, _ = analysis.evidence
    out = []
    for s in np.argsort(-scores[:, k], kind="stable"):
        place = _place(int(sentences.start[s]), int(sentences.end[s]), title_len)
        source = doc.title if place.get("field") else doc.text
        out.append({"text": source[place["start"]:place["end"]], **place,
                    "score": float(scores[s, k])})
    return out


def explain(model, doc: Document, *, tags: Sequence[str] | None = None) -> dict:
    """The explanation of each tag (all, or ``tags``) for one document:
    ``{"id", "keywords": [...], "tags": {TAG: {"probability", "threshold", "assigned",
    "why_not", "logit", "intercept", "groups": [...], "keywords": [...],
    "contributions": [...], "sentences": [...]}}}``.

    ``groups`` ({"feature", "kind", "value", "parts", "spans"}, largest first) and the
    intercept sum to the logit, and so do ``contributions`` (one per feature: {"feature",
    "kind", "value", "x", "weight"[, "spans"]}); ``keywords`` are the keyword occurrences
    counted ({"list", "keyword", "context", "start", "end"}, and per tag their share
    "value"); sentences are ranked by score (the sentence scorer's, or for a model without
    one, the document model's terms applied to each sentence alone)."""
    chosen = list(model.tags) if tags is None else list(tags)
    unknown = [t for t in chosen if t not in model.tags]
    if unknown:
        raise ModelError(f"the model has no tag {unknown[0]!r} (its tags: {', '.join(model.tags)})")
    analysis = model.analyse([doc.content])
    title_len = len(doc.title) + 1 if doc.title else 0
    names = _feature_names(model)
    spans = _ngram_spans(analysis)
    matches = _keyword_matches(model, analysis, doc.content)
    best = _best_sentences(model, analysis)
    row = analysis.features[0]
    out = {"id": doc.id,
           "keywords": [{"list": m["list"], "keyword": m["keyword"], "context": m["context"],
                         **_place(*m["at"], title_len)} for m in matches],
           "tags": {}}
    for tag in chosen:
        k = model.tags.index(tag)
        logit = float(analysis.logits[0, k])  # as tagging computes it; the parts sum to it
        probability = float(_logistic(logit))
        threshold = float(model.thresholds[k])
        groups, keywords = _grouped(model, k, row, names, spans, matches, best, title_len)
        out["tags"][tag] = {
            "probability": probability, "threshold": threshold,
            "assigned": probability >= threshold,
            "why_not": NEAR_MISS * threshold <= probability < threshold,
            "logit": logit, "intercept": float(model.intercept[k]),
            "groups": groups, "keywords": keywords,
            "contributions": _contributions(model, k, row, names, spans, title_len),
            "sentences": _ranked_sentences(analysis, k, doc, title_len)}
    return out
