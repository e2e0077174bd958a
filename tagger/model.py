"""The tagging model: TF-IDF features, one-vs-rest logistic regression, a threshold per tag."""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Callable, Iterable, Sequence

import numpy as np

from .documents import Document
from .errors import ModelError, SettingsError
from .labels import TagSchema, binarize, labelled, tag_set

TOKEN_PATTERN = r"(?u)\b\w\w+\b"


@dataclass(frozen=True)
class Bound:
    """What a setting may be: its kind and range, or its choices. Declared once, beside the
    setting; :class:`Settings` checks itself against it, for the library, the command
    line and model files alike."""

    kind: type                 # int, float or bool
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False      # lo itself is not allowed
    choices: tuple | None = None

    def check(self, name: str, value):
        """The value, normalised (an int for a float setting becomes a float), or raise."""
        if self.choices is not None:
            if value not in self.choices:
                raise SettingsError(f"setting {name!r} must be one of "
                                    f"{', '.join(map(repr, self.choices))} (got {value!r})")
            return value
        ok = isinstance(value, self.kind) and not (self.kind is not bool and isinstance(value, bool))
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok, value = True, float(value) if abs(value) < 1e300 else math.inf
        if not ok:
            raise SettingsError(f"setting {name!r} must be {self.describe()} (got {value!r})")
        if self.kind is not bool:
            low_fails = self.lo is not None and (value <= self.lo if self.lo_open else value < self.lo)
            if (isinstance(value, float) and not math.isfinite(value)) or low_fails or \
                    (self.hi is not None and value > self.hi):
                raise SettingsError(f"setting {name!r} must be {self.describe()} (got {value!r})")
        return value

    def describe(self) -> str:
        what = {int: "a whole number", float: "a number", bool: "true or false"}[self.kind]
        if self.kind is bool:
            return what
        lo = "" if self.lo is None else f"{'above' if self.lo_open else 'at least'} {self.lo:g}"
        hi = "" if self.hi is None else f"at most {self.hi:g}"
        return what + (" " + " and ".join(x for x in (lo, hi) if x) if lo or hi else "")


def setting(default, bound: Bound, doc: str):
    return field(default=default, metadata={"bound": bound, "doc": doc})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How a model is built. Every field is saved in the model's metadata, and checked
    against its bound when a Settings is made (a bad value raises SettingsError)."""

    ngram_max: int = setting(2, Bound(int, 1, 3), "Longest word n-gram used as a feature.")
    min_df: int = setting(2, Bound(int, 1, 10**6), "Drop terms seen in fewer documents.")
    max_df: float = setting(1.0, Bound(float, 0.0, 1.0, lo_open=True),
                            "Drop terms seen in a larger share of the documents.")
    sublinear_tf: bool = setting(True, Bound(bool), "Term frequency as 1 + log(count).")
    C: float = setting(10.0, Bound(float, 0.0, 1e6, lo_open=True),
                       "Inverse regularisation strength of the logistic regression.")
    class_weight: str | None = setting("balanced", Bound(str, choices=("balanced", None)),
                                       "Class weights of the logistic regression.")
    unlabelled_idf: bool = setting(False, Bound(bool), "Vocabulary and IDF from every "
                                   "document given, or only the labelled ones.")
    folds: int = setting(5, Bound(int, 2, 50), "Cross-validation folds for the search, "
                         "thresholds and calibration.")
    seed: int = setting(0, Bound(int, 0, 2**32 - 1), "Random seed.")
    min_f1: float = setting(0.2, Bound(float, 0.0, 1.0), "Below this cross-validated F1 a "
                            "tag keeps the plain 0.5 cut-off.")
    keyword_window: int = setting(30, Bound(int, 0, 1000), "Count a tag's keyword when one of "
                                  "its context words is within this many words; 0 leaves "
                                  "keyword features out.")
    keyword_weight: float = setting(1.0, Bound(float, 0.0, 1000.0),
                                    "Scale of the log(1 + mentions) keyword features.")

    def __post_init__(self):
        for f in fields(self):
            value = f.metadata["bound"].check(f.name, getattr(self, f.name))
            object.__setattr__(self, f.name, value)

    @classmethod
    def from_dict(cls, values: dict) -> "Settings":
        """Settings from a mapping (a model file's), refusing unknown names."""
        if not isinstance(values, dict):
            raise SettingsError("settings must be a mapping of names to values")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in values if k not in known)
        if unknown:
            raise SettingsError(f"unknown setting {unknown[0]!r}")
        return cls(**values)

    def vectorizer_params(self) -> dict:
        """TfidfVectorizer arguments: fixed by this format but for the settings' own."""
        return dict(analyzer="word", lowercase=True, token_pattern=TOKEN_PATTERN,
                    ngram_range=(1, self.ngram_max), min_df=self.min_df, max_df=self.max_df,
                    sublinear_tf=self.sublinear_tf, norm="l2", smooth_idf=True, use_idf=True,
                    dtype=np.float64)


# What `tagger train` searches by default: every combination is cross-validated on the
# training labels and the best micro-F1 wins (macro-F1 breaks ties). keyword_window is
# searched only when the tag schema lists keywords. IDF from unlabelled documents is an
# option, not searched: it gave no gain beyond noise (benchmarks/unlabelled_gain.py).
DEFAULT_SEARCH = {"C": (10.0, 30.0, 100.0, 300.0), "ngram_max": (1, 2), "keyword_window": (0, 15, 30)}


@dataclass(frozen=True)
class Prediction:
    """Tags assigned to one document, with a probability per tag."""

    id: str
    tags: list[str]
    scores: dict[str, float]

    def to_dict(self) -> dict:
        return {"id": self.id, "tags": list(self.tags), "scores": dict(self.scores)}


@dataclass
class TaggerModel:
    """A trained model: everything needed to tag, as plain arrays and settings.

    Tagging needs neither scikit-learn nor a pickled object: the vocabulary, IDF weights
    and coefficients are enough. ``vectorizer`` rebuilds the equivalent scikit-learn
    TfidfVectorizer on demand, for inputs the fast counter does not cover.
    """

    tags: list[str]
    vocabulary: dict[str, int]  # term -> feature index
    idf: np.ndarray           # (n_features,)
    vectorizer_params: dict   # TfidfVectorizer keyword arguments
    coef: np.ndarray          # (n_tags, n_features)
    intercept: np.ndarray     # (n_tags,)
    thresholds: np.ndarray    # (n_tags,)
    settings: Settings
    # keyword lists behind the last coef columns: [{"tag", "keywords", "context"}]
    keywords: list = field(default_factory=list)
    metadata: dict = field(default_factory=dict)

    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # documents counted at a time: larger slices are slower (they fall out of CPU caches)
    SLICE = 256

    @property
    def n_features(self) -> int:
        """TF-IDF terms plus keyword features."""
        return self.coef.shape[1]

    @property
    def n_terms(self) -> int:
        return len(self.vocabulary)

    def _lexicon(self):
        if "lexicon" not in self._cache:
            self._cache["lexicon"] = make_lexicon(self.keywords, self.settings)
        return self._cache["lexicon"]

    @property
    def vectorizer(self):
        """The equivalent fitted scikit-learn TfidfVectorizer (built on first use)."""
        if "vectorizer" not in self._cache:
            from sklearn.feature_extraction.text import TfidfVectorizer

            params = dict(self.vectorizer_params)
            params["ngram_range"] = tuple(params["ngram_range"])
            vec = TfidfVectorizer(**params, dtype=np.float64)
            vec.vocabulary_ = self.vocabulary
            vec.idf_ = self.idf
            self._cache["vectorizer"] = vec
        return self._cache["vectorizer"]

    def _counter(self):
        """The fast exact n-gram counter for this vocabulary, or None if not applicable."""
        if "counter" not in self._cache:
            from .features import NgramCounter

            p = self.vectorizer_params
            counter = None
            if NgramCounter.supports(p) and p.get("norm") in ("l2", None):
                try:
                    counter = NgramCounter(self.vocabulary, tuple(p["ngram_range"]))
                except ValueError:  # a vocabulary it cannot key exactly: use scikit-learn
                    counter = None
            self._cache["counter"] = counter
        return self._cache["counter"]

    def _tfidf_entries(self, texts):
        """TF-IDF values as (rows, cols, values), weighted and normalised as scikit-learn does.

        ``texts`` may be the counter's Tokens of the texts."""
        p = self.vectorizer_params
        rows, cols, counts = self._counter().entries(texts)
        n_docs = texts.n_docs if hasattr(texts, "n_docs") else len(texts)
        values = counts.astype(np.float64)
        if p.get("sublinear_tf"):
            np.log(values, out=values)
            values += 1.0
        if p.get("use_idf", True):
            values *= self.idf[cols]
        if p.get("norm") == "l2":
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_docs))
            norms[norms == 0.0] = 1.0
            values /= norms[rows]
        return rows, cols, values

    def transform(self, texts: Sequence[str]):
        """The model's features (a CSR matrix): TF-IDF equal to the scikit-learn
        vectorizer's, then the keyword features, if any."""
        import scipy.sparse as sp

        texts = list(texts)
        if self._counter() is None:
            X = self.vectorizer.transform(texts)
        else:
            rows, cols, values = self._tfidf_entries(texts)
            X = sp.csr_matrix((values, (rows, cols)), shape=(len(texts), self.n_terms))
            X.sort_indices()
        if self._lexicon() is not None:
            X = _with_keywords(X, keyword_matrix(self._lexicon(), texts, self.settings))
        return X

    def _linear_scores(self, rows, cols, values, n_docs: int) -> np.ndarray:
        """X @ coef.T + intercept from sparse entries, without building a matrix."""
        if len(self.tags) > 16:  # many tags: one sparse product beats a pass per tag
            import scipy.sparse as sp

            order = np.argsort(rows, kind="stable")  # a few row-ordered runs: linear merge
            indptr = np.zeros(n_docs + 1, dtype=np.int64)
            np.cumsum(np.bincount(rows, minlength=n_docs), out=indptr[1:])
            X = sp.csr_matrix((values[order], cols[order], indptr), shape=(n_docs, self.n_terms))
            return np.asarray(X @ self.coef[:, :self.n_terms].T) + self.intercept
        z = np.empty((n_docs, len(self.tags)))
        for k in range(len(self.tags)):
            z[:, k] = np.bincount(rows, weights=values * self.coef[k, cols], minlength=n_docs)
        return z + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of each tag (n_docs x n_tags)."""
        texts = list(texts)
        out = np.empty((len(texts), len(self.tags)))
        for i in range(0, len(texts), self.SLICE):
            part = texts[i:i + self.SLICE]
            counter, lexicon = self._counter(), self._lexicon()
            if counter is None:
                from .features import tokenize

                X = self.vectorizer.transform(part)
                z = np.asarray(X @ self.coef[:, :self.n_terms].T) + self.intercept
                tokens = tokenize(part) if lexicon is not None else None
            else:
                tokens = counter.tokenize(part)  # one tokenization for both kinds of feature
                z = self._linear_scores(*self._tfidf_entries(tokens), len(part))
            if lexicon is not None:
                z += keyword_values(lexicon, tokens, self.settings) @ self.coef[:, self.n_terms:].T
            out[i:i + len(part)] = 1.0 / (1.0 + np.exp(-z))  # the logistic function
        return out

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """0/1 tag decisions from probabilities, by each tag's own threshold."""
        return (proba >= self.thresholds).astype(np.int8)

    def predict(self, docs: Sequence[Document]) -> list[Prediction]:
        """Tags and scores for each document, in order."""
        docs = list(docs)
        if not docs:
            return []
        proba = self.predict_proba([d.content for d in docs])
        return self.predictions_from_proba([d.id for d in docs], proba)

    def predictions_from_proba(self, ids: Sequence[str], proba: np.ndarray) -> list[Prediction]:
        chosen = proba >= self.thresholds
        out = []
        for doc_id, row, mask in zip(ids, proba, chosen):
            out.append(Prediction(
                id=doc_id,
                tags=[t for t, m in zip(self.tags, mask) if m],
                scores={t: round(float(p), 6) for t, p in zip(self.tags, row)},
            ))
        return out


def keyword_lists(schema: TagSchema | None, tags: Sequence[str]) -> list[dict]:
    """The schema's keyword lists, in tag order, for the tags that have them."""
    if schema is None:
        return []
    by_id = {t.id: t for t in schema.tags}
    return [{"tag": t, "keywords": list(by_id[t].keywords), "context": list(by_id[t].context)}
            for t in tags if t in by_id and by_id[t].keywords]


def make_lexicon(keywords: list[dict], settings: Settings):
    """The keyword matcher for a model, or None when it has no keyword features."""
    if not keywords or settings.keyword_window <= 0:
        return None
    from .features import Lexicon

    return Lexicon([k["keywords"] for k in keywords], [k["context"] for k in keywords],
                   settings.keyword_window)


def keyword_values(lexicon, tokens, settings: Settings) -> np.ndarray:
    """Keyword features (n_docs x n_lists): log(1 + mentions in context), scaled.

    A count, not a share of the text: one sentence about a topic is what the labels ask for,
    however long the article around it."""
    return np.log1p(lexicon.counts(tokens)) * settings.keyword_weight


def keyword_matrix(lexicon, texts: Sequence[str], settings: Settings) -> np.ndarray:
    """Keyword features of many texts, counted a slice at a time."""
    from .features import tokenize

    step = TaggerModel.SLICE
    parts = [keyword_values(lexicon, tokenize(texts[i:i + step]), settings)
             for i in range(0, len(texts), step)]
    return np.vstack(parts) if parts else np.zeros((0, lexicon.n_lists))


def make_vectorizer(settings: Settings):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(**settings.vectorizer_params())


def make_classifier(settings: Settings, n_jobs: int | None = None):
    """One logistic regression per tag (the dual liblinear solver: fast for text)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(LogisticRegression(
        C=settings.C, class_weight=settings.class_weight, solver="liblinear", dual=True,
        max_iter=5000, random_state=settings.seed), n_jobs=n_jobs)


def make_pipeline(settings: Settings):
    """The scikit-learn pipeline equivalent to a model before calibration."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", make_vectorizer(settings)), ("clf", make_classifier(settings))])


def fingerprint(docs: Iterable[Document], tags: Sequence[str]) -> str:
    """SHA-256 over the labelled documents' ids, text and tags, in id order."""
    h = hashlib.sha256()
    h.update(("\x1f".join(tags) + "\n").encode())
    for d in sorted(docs, key=lambda d: d.id):
        h.update(d.id.encode() + b"\x00" + d.content.encode() + b"\x00"
                 + ";".join(sorted(d.tags or ())).encode() + b"\n")
    return "sha256:" + h.hexdigest()


def check_trainable(Y: np.ndarray, tags: Sequence[str], n_docs: int) -> None:
    """Each tag needs positive and negative examples; say what to label if not."""
    for k, tag in enumerate(tags):
        pos = int(Y[:, k].sum())
        if pos == 0:
            raise ModelError(f"tag {tag!r} has no positive examples among the {n_docs} labelled "
                             f"documents: label some documents that carry {tag!r}, or drop it "
                             "from the schema")
        if pos == n_docs:
            raise ModelError(f"tag {tag!r} has no negative examples: all {n_docs} labelled "
                             f"documents carry it; label some documents without {tag!r}")


def fold_splits(Y: np.ndarray, folds: int, seed: int):
    """Folds stratified for multi-label data (iterative stratification)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    n = len(Y)
    folds = max(2, min(folds, n))
    if Y.shape[1] == 1:  # one tag is not multi-label to the splitter: stratify on both classes
        Y = np.hstack([Y, 1 - Y])
    splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((n, 1)), Y))


def _quiet_fit(clf, X, Y):
    with warnings.catch_warnings():
        # a rare tag may be absent from a training fold; OneVsRest then predicts a constant
        warnings.filterwarnings("ignore", message="Label .* is present in all training")
        warnings.filterwarnings("ignore", message="Label not .* is present in all training")
        warnings.filterwarnings("ignore", message="Liblinear failed to converge")
        return clf.fit(X, Y)


def _logits(clf, X) -> np.ndarray:
    """Decision values (log-odds) of each tag; constant predictors give +-30."""
    out = np.empty((X.shape[0], len(clf.estimators_)))
    for k, est in enumerate(clf.estimators_):
        if hasattr(est, "decision_function") and hasattr(est, "coef_"):
            out[:, k] = est.decision_function(X)
        else:  # scikit-learn's _ConstantPredictor for a tag with one class in the fold
            out[:, k] = 30.0 if float(est.y_[0]) > 0.5 else -30.0
    return out


def best_threshold(y: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 for one tag, halfway to the next lower score."""
    from sklearn.metrics import precision_recall_curve

    if y.sum() == 0:
        return 0.5, 0.0
    precision, recall, thresholds = precision_recall_curve(y, scores)
    p, r = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    if f1.max() <= 0:
        return 0.5, 0.0
    best = int(np.argmax(f1))
    chosen = thresholds[best]
    below = scores[scores < chosen]
    # halfway to the next lower score, so a new document scoring just under the lowest
    # accepted training score is not cut off by an accident of the sample
    return (float((chosen + below.max()) / 2) if below.size else float(chosen)), float(f1[best])


def choose_thresholds(Y: np.ndarray, proba: np.ndarray, min_f1: float = 0.0) -> np.ndarray:
    """Per-tag F1-optimal thresholds; a tag whose best F1 is under ``min_f1`` keeps 0.5.

    The fallback (Yang's SCut.FBR) stops a tag with too little evidence from choosing a
    threshold so low that it tags everything.
    """
    return _thresholds_with_fallback(Y, proba, min_f1)[0]


def _thresholds_with_fallback(Y, proba, min_f1: float) -> tuple[np.ndarray, np.ndarray]:
    """(thresholds, which tags fell back to 0.5) — see :func:`choose_thresholds`."""
    out = np.empty(Y.shape[1])
    fell_back = np.zeros(Y.shape[1], dtype=bool)
    for k in range(Y.shape[1]):
        thr, f1 = best_threshold(Y[:, k], proba[:, k])
        fell_back[k] = f1 < min_f1
        out[k] = 0.5 if fell_back[k] else thr
    return out, fell_back


def cross_validated_decisions(Y: np.ndarray, proba: np.ndarray, splits, min_f1: float = 0.0
                              ) -> np.ndarray:
    """Decisions for each fold with thresholds chosen on the other folds only."""
    pred = np.zeros(Y.shape, dtype=np.int8)
    for train_idx, test_idx in splits:
        thr = choose_thresholds(Y[train_idx], proba[train_idx], min_f1)
        pred[test_idx] = proba[test_idx] >= thr
    return pred


def fit_calibration(Y: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Platt scaling per tag: (a, b) with P(tag) = sigmoid(a * logit + b), fitted on
    out-of-fold logits. A tag with too few positives, or a fit that would not be
    increasing, keeps the identity (1, 0)."""
    from sklearn.linear_model import LogisticRegression

    params = np.tile([1.0, 0.0], (Y.shape[1], 1))
    for k in range(Y.shape[1]):
        if Y[:, k].sum() < 3 or (1 - Y[:, k]).sum() < 3:
            continue
        lr = LogisticRegression(C=1.0).fit(logits[:, [k]], Y[:, k])
        a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
        if a > 0:
            params[k] = (a, b)
    return params


def calibrate(logits: np.ndarray, params: np.ndarray) -> np.ndarray:
    z = logits * params[:, 0] + params[:, 1]
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class _Features:
    """Feature matrices for one feature setting, per fold."""

    folds: list  # (X_train, X_test) per split
    all_docs_vectorizer: object  # fitted on every document (unlabelled_idf), else None


def _feature_key(settings: Settings) -> tuple:
    """The settings that decide the features: candidates sharing them share matrices."""
    return (settings.ngram_max, settings.min_df, settings.max_df, settings.sublinear_tf,
            settings.unlabelled_idf, settings.keyword_window, settings.keyword_weight)


def _with_keywords(X, K):
    import scipy.sparse as sp

    return X if K is None else sp.hstack([X, sp.csr_matrix(K)], format="csr")


def _canonical(X):
    # worker processes get read-only copies, which scikit-learn must not need to re-sort
    X = X.tocsr()
    X.sum_duplicates()
    return X


def _features(settings: Settings, texts, all_texts, splits, K) -> _Features:
    """TF-IDF per fold (fitted on the fold's training part), plus keyword features ``K``
    (they learn nothing from the data, so one matrix serves every fold)."""
    if settings.unlabelled_idf:
        vec = make_vectorizer(settings).fit(all_texts)
        X = _with_keywords(vec.transform(texts), K)
        return _Features([(_canonical(X[tr]), _canonical(X[te])) for tr, te in splits], vec)
    folds = []
    for tr, te in splits:
        vec = make_vectorizer(settings)
        Ktr, Kte = (None, None) if K is None else (K[tr], K[te])
        folds.append((_canonical(_with_keywords(vec.fit_transform([texts[i] for i in tr]), Ktr)),
                      _canonical(_with_keywords(vec.transform([texts[i] for i in te]), Kte))))
    return _Features(folds, None)


def _candidate_scores(settings: Settings, feats: _Features, Y, splits, n_jobs):
    """Out-of-fold calibration, probabilities and CV decisions for one setting."""
    logits = np.zeros(Y.shape)
    for (tr, te), (Xtr, Xte) in zip(splits, feats.folds):
        logits[te] = _logits(_quiet_fit(make_classifier(settings, n_jobs), Xtr, Y[tr]), Xte)
    calib = fit_calibration(Y, logits)
    proba = calibrate(logits, calib)
    decisions = cross_validated_decisions(Y, proba, splits, settings.min_f1)
    return calib, proba, decisions


def search_grid(base: Settings, search: dict | None) -> list[Settings]:
    """Every combination of the searched values, on top of the base settings."""
    import itertools

    if not search:
        return [base]
    keys = sorted(search)
    return [replace(base, **dict(zip(keys, combo)))
            for combo in itertools.product(*(search[k] for k in keys))]


def train(docs: Sequence[Document], *, schema: TagSchema | None = None,
          settings: Settings | None = None, search: dict | None = None,
          command: str | None = None, n_jobs: int | None = None,
          progress: Callable[[int], None] | None = None) -> TaggerModel:
    """Train a model on the labelled documents among ``docs``.

    With ``search`` (a mapping of Settings fields to candidate values), every combination
    is scored by cross-validation on the training labels, per-tag thresholds chosen inside
    the same folds, and the best is kept. Scores are calibrated by Platt scaling fitted on
    out-of-fold logits, and per-tag thresholds maximise each tag's out-of-fold F1. Tags the
    schema gives keywords get a keyword feature each (see :func:`keyword_values`). Unlabelled
    documents are used only for the vocabulary and IDF, when a setting asks for it.
    ``progress`` is called with 1 after each candidate and after the final fit.
    """
    from . import metrics

    base = settings or Settings()
    train_docs = labelled(docs)
    if not train_docs:
        raise ModelError("no labelled documents: give --labels, or data with a 'tags' field")
    tags = tag_set(train_docs, schema)
    if not tags:
        raise ModelError(f"the {len(train_docs)} labelled documents carry no tags at all: "
                         "label some documents with the tags they should learn")
    Y = binarize(train_docs, tags)
    check_trainable(Y, tags, len(train_docs))
    texts = [d.content for d in train_docs]
    all_texts = [d.content for d in docs]
    splits = fold_splits(Y, base.folds, base.seed)
    keywords = keyword_lists(schema, tags)
    if not keywords and search:  # nothing for the keyword settings to change
        search = {k: v for k, v in search.items() if k not in ("keyword_window", "keyword_weight")}

    candidates = search_grid(base, search)
    feature_cache: dict = {}
    keyword_cache: dict = {}
    results = []

    def keyword_features(cand: Settings):
        key = (cand.keyword_window, cand.keyword_weight)
        if key not in keyword_cache:
            lexicon = make_lexicon(keywords, cand)
            keyword_cache[key] = None if lexicon is None else keyword_matrix(lexicon, texts, cand)
        return keyword_cache[key]

    for cand in candidates:
        key = _feature_key(cand)
        if key not in feature_cache:
            feature_cache[key] = _features(cand, texts, all_texts, splits, keyword_features(cand))
        calib, proba, decisions = _candidate_scores(cand, feature_cache[key], Y, splits, n_jobs)
        scored = metrics.score(Y, decisions, tags)
        results.append((scored["micro"]["f1"], scored["macro"]["f1"], cand, calib, proba, scored))
        if progress:
            progress(1)
    best = max(range(len(results)), key=lambda i: (results[i][0], results[i][1], -i))
    _, _, chosen, calib, oof_proba, cv_scores = results[best]

    thresholds, fell_back = _thresholds_with_fallback(Y, oof_proba, chosen.min_f1)
    # A tag left on the fallback cut-off keeps the balanced logistic regression's own
    # probability, for which 0.5 is the natural boundary; Platt scaling fitted on a handful
    # of positives would push every score below it and the tag would never be given.
    calib[fell_back] = (1.0, 0.0)
    # with the vocabulary from all documents, the search already fitted the final vectorizer
    vec = feature_cache[_feature_key(chosen)].all_docs_vectorizer
    feature_cache.clear()
    if vec is None:
        vec = make_vectorizer(chosen).fit(texts)
    K = keyword_features(chosen)
    clf = _quiet_fit(make_classifier(chosen, n_jobs),
                     _canonical(_with_keywords(vec.transform(texts), K)), Y)
    if progress:
        progress(1)
    raw_coef = np.vstack([e.coef_ for e in clf.estimators_]).astype(np.float64)
    raw_intercept = np.array([float(e.intercept_[0]) for e in clf.estimators_])
    # Platt scaling folded into the linear model: sigmoid(a (w.x + c) + b)
    coef = raw_coef * calib[:, [0]]
    intercept = raw_intercept * calib[:, 0] + calib[:, 1]
    params = chosen.vectorizer_params()
    params.pop("dtype")
    params["ngram_range"] = list(params["ngram_range"])

    return TaggerModel(
        tags=list(tags), vocabulary=dict(vec.vocabulary_), idf=np.asarray(vec.idf_, dtype=np.float64),
        vectorizer_params=params, coef=coef, intercept=intercept,
        thresholds=thresholds, settings=chosen,
        keywords=keywords if K is not None else [],
        metadata={
            "n_train_docs": len(train_docs),
            "n_unlabelled_docs": len(all_texts) - len(texts),
            "tag_counts": {t: int(c) for t, c in zip(tags, Y.sum(axis=0))},
            "training_data": fingerprint(train_docs, tags),
            "cv": {"folds": len(splits), "seed": base.seed, **cv_scores,
                   "note": "out-of-fold decisions, each fold's thresholds chosen on the other "
                           "folds; the search picked the best of the candidates below on these "
                           "same folds, so `tagger evaluate --cv` gives the unbiased estimate"},
            "calibration": {t: {"a": float(a), "b": float(b)} for t, (a, b) in zip(tags, calib)},
            "search": [{"settings": {k: v for k, v in asdict(r[2]).items() if search and k in search},
                        "micro_f1": r[0], "macro_f1": r[1]} for r in results],
            "schema": [asdict(t) for t in schema.tags] if schema else [{"id": t} for t in tags],
            "command": command,
        })
