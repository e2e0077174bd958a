"""Which unlabelled articles to label next.

- ``uncertain``: per tag, the articles whose calibrated probability lies nearest that tag's
  threshold (in logits, where a step means the same at 0.02 as at 0.5); tags take turns,
  from one drawn with the seed, so each gets an equal share of the picks and rare tags are
  not crowded out.
- ``mixed`` (the default): the same, with every :data:`RANDOM_EVERY`-th pick drawn at
  random, so that labels chosen this way still tell honestly how the model does.
- ``random``: a seeded random sample.
- ``cold``: no model at all: per tag, the articles with the most mentions of the schema's
  keywords in context, tags taking turns; then the articles least like those picked.

Given ``tags``, the turns go to those tags only (where the model is weakest, say); the
random fifth of ``mixed`` stays random, so the batch still tells how the model does.

No two picks are near-duplicates: an article whose TF-IDF cosine with a pick already made
is above :data:`NEAR_DUPLICATE` is passed over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..errors import ModelError
from ..io.records import Document
from ..io.schema import TagSchema
from ..model.drift import threshold_gap

STRATEGIES = ("mixed", "uncertain", "random", "cold")
NEAR_DUPLICATE = 0.5   # TF-IDF cosine (word unigrams and bigrams, IDF from the pool)
RANDOM_EVERY = 5       # mixed: picks 5, 10, 15, ... are random (a fifth)
UNCERTAIN_LOGIT = 1.0  # a tag within this many logits of its threshold is "uncertain"



@dataclass(frozen=True)
class Pick:
    """One article to label, and why: ``how`` it was picked, and the tags behind it with
    their scores (probabilities, or keyword mentions for ``cold``)."""

    id: str
    rank: int
    how: str
    tags: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"rank": self.rank, "id": self.id, "how": self.how, "tags": dict(self.tags)}


def pool_vectors(docs: Sequence[Document]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from ..text.tokens import TOKEN_PATTERN

    vec = TfidfVectorizer(token_pattern=TOKEN_PATTERN, ngram_range=(1, 2), min_df=1,
                          sublinear_tf=True, dtype=np.float64)
    return vec.fit_transform([d.content for d in docs]).tocsr()


class _Picker:
    """Picks in order, refusing near-duplicates of what was picked before."""

    def __init__(self, X, bound: float):
        self.X, self.bound = X, bound
        self.chosen: list[int] = []
        self.taken: set[int] = set()

    def ok(self, i: int) -> bool:
        if i in self.taken:
            return False
        if self.chosen:
            sims = self.X[self.chosen] @ self.X[i].T
            if sims.nnz and sims.max() > self.bound:
                self.taken.add(i)  # never again
                return False
        return True

    def take(self, i: int) -> None:
        self.chosen.append(i)
        self.taken.add(i)


def suggest(pool: Sequence[Document], *, model=None, n: int = 50, strategy: str = "mixed",
            schema: TagSchema | None = None, seed: int = 0,
            near_duplicate: float = NEAR_DUPLICATE, vectors=None,
            tags: Sequence[str] | None = None) -> list[Pick]:
    """Up to ``n`` articles of ``pool`` to label next, best first (see the module's text).

    ``vectors``: the pool's L2-normalised TF-IDF rows, when the caller keeps them (a
    labelling loop asks again and again of one pool); by default made here. ``tags``: spend
    the picks on these tags only (all of them by default)."""
    if strategy not in STRATEGIES:
        raise ModelError(f"unknown strategy {strategy!r} (use {', '.join(STRATEGIES)})")
    if strategy in ("mixed", "uncertain") and model is None:
        raise ModelError(f"the {strategy!r} strategy ranks by a model's scores, and no model "
                         "was given")
    if tags and strategy == "random":
        raise ModelError("random picks are drawn without regard to tags: focusing on tags "
                         "needs the uncertain, mixed or cold strategy")
    if tags:
        known = list(model.tags) if strategy != "cold" else (schema.ids if schema else [])
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise ModelError(f"unknown tag {unknown[0]!r} (known: {', '.join(known)})")
    pool = list(pool)
    if not pool or n < 1:
        return []
    X = pool_vectors(pool) if vectors is None else vectors
    picker = _Picker(X, near_duplicate)
    rng = np.random.default_rng(seed)
    random_order = iter(rng.permutation(len(pool)).tolist())
    out: list[Pick] = []

    def random_pick():
        for i in random_order:
            if picker.ok(i):
                picker.take(i)
                return Pick(pool[i].id, len(out) + 1, "random", scores(i))
        return None

    if strategy == "cold":
        return _cold(pool, schema, picker, n, X, tags)
    proba = model.predict_proba([d.content for d in pool]) if model is not None else None

    def scores(i):
        if proba is None:
            return {}
        gap = threshold_gap(proba[i], model.thresholds)
        return {t: round(float(proba[i, k]), 6) for k, t in enumerate(model.tags)
                if gap[k] <= UNCERTAIN_LOGIT}

    if strategy == "random":
        while len(out) < n and (p := random_pick()) is not None:
            out.append(p)
        return out
    gap = threshold_gap(proba, model.thresholds)
    # The first turn goes to a tag drawn with the seed: with fewer picks than tags, a fixed
    # order would leave the same tags out of every batch.
    focus = [k for k, t in enumerate(model.tags) if not tags or t in tags]
    shift = int(rng.integers(len(focus)))
    turns = focus[shift:] + focus[:shift]
    per_tag = [iter(np.argsort(gap[:, k], kind="stable").tolist()) for k in turns]
    turn = 0
    while len(out) < n:
        if strategy == "mixed" and (len(out) + 1) % RANDOM_EVERY == 0:
            p = random_pick()
            if p is not None:
                out.append(p)
                continue
        found = None
        for _ in range(len(per_tag)):  # this tag's turn; a tag with none left passes it on
            k = turn % len(per_tag)
            turn += 1
            found = next((i for i in per_tag[k] if picker.ok(i)), None)
            if found is not None:
                break
        if found is None:
            break
        picker.take(found)
        why = scores(found) or {model.tags[turns[k]]: round(float(proba[found, turns[k]]), 6)}
        out.append(Pick(pool[found].id, len(out) + 1, "uncertain", why))
    return out


def _cold(pool, schema, picker: _Picker, n: int, X, tags=None) -> list[Pick]:
    """Keyword mentions per tag, tags taking turns; then the least similar to the picks."""
    from ..config import Settings
    from ..model.core import make_lexicon
    from ..model.features import keyword_lists
    from ..text.featurizer import Featurizer

    if schema is None or not any(t.keywords for t in schema.tags):
        raise ModelError("the 'cold' strategy needs a tag schema with keywords")
    keywords = keyword_lists(schema, schema.ids)
    lexicon = make_lexicon(keywords, Settings())
    text = Featurizer(lexicon=lexicon)
    hits = np.asarray(text.keyword_counts(text.tokenize([d.content for d in pool])), dtype=np.float64)
    names = [k["tag"] for k in keywords]
    if tags and not set(tags) & set(names):
        raise ModelError(f"the 'cold' strategy needs keywords for {', '.join(tags)} in the "
                         "tag schema")
    per_tag = [iter([i for i in np.argsort(-hits[:, k], kind="stable").tolist() if hits[i, k] > 0])
               for k in range(hits.shape[1]) if not tags or names[k] in tags]
    out: list[Pick] = []
    turn, exhausted = 0, set()
    while len(out) < n and len(exhausted) < len(per_tag):
        k = turn % len(per_tag)
        turn += 1
        found = next((i for i in per_tag[k] if picker.ok(i)), None)
        if found is None:
            exhausted.add(k)
            continue
        picker.take(found)
        out.append(Pick(pool[found].id, len(out) + 1, "keywords",
                        {t: int(hits[found, j]) for j, t in enumerate(names) if hits[found, j] > 0}))
    while len(out) < n:  # diversity: the article least like any pick so far
        free = [i for i in range(len(pool)) if i not in picker.taken]
        if not free:
            break
        if picker.chosen:
            sims = (X[free] @ X[picker.chosen].T).max(axis=1).toarray().ravel()
            order = np.argsort(sims, kind="stable")
        else:
            order = np.arange(len(free))
        found = next((free[j] for j in order.tolist() if picker.ok(free[j])), None)
        if found is None:
            break
        picker.take(found)
        out.append(Pick(pool[found].id, len(out) + 1, "diverse", {}))
    return out
