"""Does it carry across years? The temporal benchmark: old method against new ones.

    python benchmarks/temporal.py [--methods old,new,...] [--seeds 0 1 2] [--scenarios abc]
        [--quick] [--json PATH]

(a) trained on the 450 2022 reference labels (with their evidence), scored on the 120
    Economist articles of 2023-2025 labelled at random (never trained on here);
(b) trained on the reference labels dated January-June 2022, scored on those dated
    July-December 2022;
(c) 5-fold cross-validation on every label (reference, Economist random and suggested),
    so that nothing is lost in-period.
Settings are fixed, never searched: "old" is today's method, the shipped model's chosen
settings (models/ukraine-war/model.json: C 300, unigrams, keyword window 15, sentence
features, sentence_C 1; the same as the 2022 model's). A method that reads unlabelled text
gets the target period's documents that are not scored in that scenario: (a) the 301
Economist articles outside economist-random, (b) the unlabelled 2022 articles of
July-December, (c) the 181 unlabelled Economist articles. news-2023-2025 is never read.
Prints, per scenario and method, micro/macro/per-tag F1 (median over seeds, the 95%
bootstrap interval of the median seed's run) and the paired bootstrap difference against
"old" (micro and escalation_rhetoric; median over seeds, interval of the median seed).
The summary line: the first scenario's micro-F1 of the first method after "old", against
old's. --quick: scenario (a) trained on the first 150 reference labels, old and new, seed 0.

Every variant tried (registered in METHODS below), micro-F1 and escalation_rhetoric F1 as
medians over seeds 0 1 2 (or seed 0 alone where marked), then the paired micro-F1
difference against old with the median seed's 95% interval. Measured on a busy 2-core
machine, December 2026; an interval of +-0.05 on (a) is what 120 articles allow.

  (a) 2022 -> Economist random     micro  escal.  paired micro vs old     (b) paired   (c) paired
  old (C 300, unigrams, kw 15,     0.639  0.444                           0.797        0.792
       sentences, no cues)
  cues0.3 = new (the default now)  0.688  0.606   +0.052 [-0.009,+0.126]  +0.006       -0.003 [-0.018,+0.012]
  cues0.5                          0.661  0.444   +0.020 [-0.025,+0.063]  +0.025       -
  cues1                            0.672  0.500   +0.032 [-0.015,+0.081]  +0.024       -0.006 [-0.020,+0.008]
  cues0.3+hard10                   0.693  0.593   +0.057 [-0.006,+0.119]  +0.011       -
  hard10 (hard negatives x10)      0.650  0.483   +0.011 [-0.036,+0.060]  +0.002       -
  hard3                 (seed 0)   0.650  0.444   +0.010 [-0.022,+0.037]  +0.005       -
  names0.3 (names, numbers x0.3)   0.625  0.424   -0.011 [-0.064,+0.041]  +0.010       -
  names+hard10                     0.639  0.483   -0.001 [-0.055,+0.055]  -0.001       -
  idf-later (IDF from later text)  0.661  0.444   +0.022 [-0.017,+0.070]  -0.002       -
  self0.3 (self-training)          0.661  0.467   +0.021 [-0.007,+0.053]  -0.003       -
  C30                              0.645  0.444   +0.009 [-0.024,+0.035]  +0.005       -
  C10                              0.632  0.444   -0.008 [-0.057,+0.033]  +0.002       -
  kw2 (keyword features x2)        0.641  0.444   +0.005 [+0.000,+0.015]  +0.003       -
  sentC3 (sentence_C 3)            0.633  0.444   -0.005 [-0.035,+0.026]  -            -
  ngram2 (1-2-grams)    (seed 0)   0.639  0.452   -0.001 [-0.062,+0.062]  +0.013       -
  ngramw0.5 (n-grams x0.5, seed 0) 0.650  0.444   +0.010 [-0.024,+0.040]  +0.003       -
  ngramw0.25            (seed 0)   0.650  0.444   +0.009 [-0.036,+0.049]  -0.003       -
  combo = names0.3+hard10+idf-later (seed 0)      +0.010                  -0.005       -
  self+combo            (seed 0)                  +0.004                  -0.004       -
  cues+idf-later        (seed 0)   0.683  0.647   +0.042 [-0.032,+0.119]  +0.009       -
  cues+self0.3          (seed 0)   0.678  0.625   +0.037 [-0.038,+0.112]  +0.013       -
  cues+C10+ngram2 (what the search   0.689  0.647   +0.050 [-0.017,+0.132]  +0.004       -
       picks on every label)
  (seed 0 alone, cues0.3 gave 0.694 / 0.606, +0.053 [-0.005,+0.116] on (a), +0.001 on (b))
(old's (b) and (c) columns are its micro-F1.) (c) was run only for candidates (15 trainings
a seed). Kept as the default: cues0.3, the largest gain on (a) of a single change (+0.052,
escalation_rhetoric +0.16; the micro interval still touches 0, so not significant at 95%),
with (b) and (c) unchanged within noise. cues0.3+hard10 scores (a) alike but adds a
setting for no clear gain. Issue 20's targets on (a), micro-F1 >= 0.72 and escalation_rhetoric
+0.10, are met for escalation_rhetoric (+0.16) but not for micro-F1 (0.688).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import common

REPO, SHARED = common.REPO, common.SHARED
LABELS = REPO / "labels"
CORPUS = SHARED / "corpus"
QUICK_LABELS = 150  # --quick: the first reference labels (this script's and priors.py's)
# the shipped model's chosen settings (and the 2022 model's): today's method, with the
# settings added for issue 20 at the values that leave them out (their defaults may differ)
FIXED = dict(C=300.0, ngram_max=1, keyword_window=15, sentences=True, sentence_C=1.0,
             sentence_cues=0.0, hard_negative_weight=1.0, name_weight=1.0, ngram_weight=1.0)
FOCUS = "escalation_rhetoric"


@dataclass
class Method:
    """A way of training: Settings on top of FIXED, whether it reads unlabelled text of the
    target period, or a function of its own (train docs, unlabelled docs, schema, seed ->
    a function from texts to 0/1 decisions)."""

    doc: str
    settings: dict = field(default_factory=dict)
    unlabelled: bool = False
    fit: Callable | None = None


METHODS: dict[str, Method] = {}


def register(name: str, doc: str, **kw) -> None:
    METHODS[name] = Method(doc, **kw)


register("old", "today's method: the shipped model's settings")
register("new", "the new default: the old settings with sentence cue features (0.3)",
         settings=dict(sentence_cues=0.3))
register("C30", "stronger regularisation of the document model (C 30)", settings=dict(C=30.0))
register("C10", "stronger regularisation still (C 10)", settings=dict(C=10.0))
register("idf-later", "vocabulary and IDF also from the unlabelled later articles",
         settings=dict(unlabelled_idf=True), unlabelled=True)
register("kw2", "keyword features weighted twice", settings=dict(keyword_weight=2.0))
register("names0.3", "names and numbers' TF-IDF weight scaled by 0.3", settings=dict(name_weight=0.3))
register("hard3", "hard negatives (sentences of articles not given the tag that name its keywords) weigh 3",
         settings=dict(hard_negative_weight=3.0))
register("hard10", "hard negatives weigh 10", settings=dict(hard_negative_weight=10.0))
register("ngram2", "word 1-2-grams, in the document and the sentence model", settings=dict(ngram_max=2))
register("sentC3", "sentence scorers less regularised (sentence_C 3)", settings=dict(sentence_C=3.0))


def self_trained(margin: float, base: dict):
    """Self-training: the model tags the unlabelled later articles; those it is sure of
    (every tag's score at least ``margin`` from its threshold) join the training labels
    with those tags (no evidence), and the model is trained again."""
    def fit(docs, pool, schema, settings):
        from dataclasses import replace

        import tagger

        settings = replace(settings, **base)
        model = tagger.train(list(docs) + list(pool), schema=schema, settings=settings, search=None)
        texts = [d.content for d in pool]
        proba = model.predict_proba(texts)
        sure = np.all(np.abs(proba - model.thresholds) >= margin, axis=1)
        decided = model.decide(proba)
        pseudo = [replace(d, tags=tuple(t for t, on in zip(model.tags, row) if on), evidence=())
                  for d, row, ok in zip(pool, decided, sure) if ok]
        model = tagger.train(list(docs) + pseudo + [d for d, ok in zip(pool, sure) if not ok],
                             schema=schema, settings=settings, search=None)
        return lambda t: model.decide(model.predict_proba(t))
    return fit


register("names+hard10", "names 0.3 and hard negatives 10",
         settings=dict(name_weight=0.3, hard_negative_weight=10.0))
register("ngramw0.5", "n-gram features scaled by 0.5 against keyword and sentence features",
         settings=dict(ngram_weight=0.5))
register("ngramw0.25", "n-gram features scaled by 0.25", settings=dict(ngram_weight=0.25))
register("cues0.3", "sentence scorers with cue features (who speaks and how) of value 0.3",
         settings=dict(sentence_cues=0.3))
register("cues0.5", "sentence cue features of value 0.5", settings=dict(sentence_cues=0.5))
register("cues1", "sentence cue features of value 1", settings=dict(sentence_cues=1.0))
register("cues0.3+hard10", "cues 0.3 and hard negatives 10",
         settings=dict(sentence_cues=0.3, hard_negative_weight=10.0))
register("cues+C10+ngram2", "cues 0.3 with what the search picks on every label: C 10, word 1-2-grams",
         settings=dict(sentence_cues=0.3, C=10.0, ngram_max=2))
register("self0.3", "self-training on the unlabelled later articles (margin 0.3)",
         unlabelled=True, fit=self_trained(0.3, {}))
register("cues+idf-later", "cues 0.3 and IDF from the later articles",
         settings=dict(sentence_cues=0.3, unlabelled_idf=True), unlabelled=True)
register("cues+self0.3", "cues 0.3 and self-training (margin 0.3)", unlabelled=True,
         fit=self_trained(0.3, dict(sentence_cues=0.3)))
register("combo", "names 0.3 + hard negatives 10 + IDF from later articles",
         settings=dict(name_weight=0.3, hard_negative_weight=10.0, unlabelled_idf=True), unlabelled=True)
register("self+combo", "self-training (margin 0.3) on top of combo", unlabelled=True,
         fit=self_trained(0.3, dict(name_weight=0.3, hard_negative_weight=10.0, unlabelled_idf=True)))


# (training ids, settings) -> today's model, fitted once for "old" and the variants that
# adjust its scores (a few dozen models at most: one per seed and split)
_TRAINED: dict = {}


def trained(docs, schema, settings):
    import tagger

    key = (tuple(d.id for d in docs), settings)
    if key not in _TRAINED:
        _TRAINED[key] = tagger.train(list(docs), schema=schema, settings=settings, search=None)
    return _TRAINED[key]


def adapted_priors(how: str):
    """Today's model, its scores adjusted to the tag rates estimated (tagger.model.priors,
    `--adapt-priors HOW`) on the scored documents, plus the unlabelled pool when given."""
    def fit(docs, pool, schema, settings):
        from tagger.model.priors import adapted_model, estimate_for

        model = trained(docs, schema, settings)
        pool_proba = model.predict_proba([d.content for d in pool])

        def decide(texts):
            proba = model.predict_proba(texts)
            estimate = estimate_for(model, np.vstack([proba, pool_proba]), how)
            adapted = adapted_model(model, estimate)
            return adapted.decide(adapted.predict_proba(texts))
        return decide
    return fit


for _how in ("em", "mean"):
    register(f"priors-{_how}", f"tag rates estimated on the scored documents ({_how}), scores "
             f"adjusted (--adapt-priors {_how})", fit=adapted_priors(_how))
    register(f"priors-{_how}+pool", "the same, rates estimated on the scored and the "
             "unlabelled documents of the period", fit=adapted_priors(_how), unlabelled=True)


def train_with(method: Method, docs, pool, schema, seed: int):
    import tagger

    settings = tagger.Settings(**{**FIXED, **method.settings, "seed": seed})
    if method.fit is not None:
        return method.fit(docs, pool if method.unlabelled else [], schema, settings)
    if not method.settings and not method.unlabelled:  # today's fit: kept for the variants above
        model = trained(docs, schema, settings)
    else:
        model = tagger.train(list(docs) + (list(pool) if method.unlabelled else []), schema=schema,
                             settings=settings, search=None)
    return lambda texts: model.decide(model.predict_proba(texts))


# ---------------------------------------------------------------- data and scenarios

def load(corpus: str, label_files):
    import tagger

    docs = tagger.read_documents([CORPUS / corpus])
    return tagger.attach_labels(docs, label_files)


def data():
    ref = [LABELS / "reference-train.csv", LABELS / "reference-train-evidence.jsonl"]
    rnd = [LABELS / "economist-random.csv", LABELS / "economist-random-evidence.jsonl"]
    sug = [SHARED / "labels" / "economist-suggested.csv",
           SHARED / "labels" / "economist-suggested-evidence.jsonl"]
    y2022 = load("ukraine-2022.jsonl", ref)
    econ_random = load("economist-2023-2025.jsonl", rnd)
    econ_all = load("economist-2023-2025.jsonl", rnd + sug)
    return y2022, econ_random, econ_all


def scenarios(which: str, first: int | None = None):
    """name -> (description, [(train docs, test docs, unlabelled pool)] per split); with
    ``first``, only the first reference labels (--quick)."""
    from tagger.labels.attach import binarize, labelled
    from tagger.model.trainset import fold_splits

    y2022, econ_random, econ_all = data()
    ref = labelled(y2022)[:first]
    out = {}
    if "a" in which:
        test = labelled(econ_random)
        out["a"] = ("2022 reference (450) -> Economist random 2023-2025 (120)",
                    lambda seed: [(ref, test, [d for d in econ_random if d.tags is None])])
    if "b" in which:
        first = [d for d in ref if d.date < "2022-07-01"]
        second = [d for d in ref if d.date >= "2022-07-01"]
        pool = [d for d in y2022 if d.tags is None and d.date >= "2022-07-01"]
        out["b"] = (f"reference Jan-Jun 2022 ({len(first)}) -> Jul-Dec 2022 ({len(second)})",
                    lambda seed: [(first, second, pool)])
    if "c" in which:
        every = ref + labelled(econ_all)
        pool = [d for d in econ_all if d.tags is None]

        def folds(seed):
            tags = sorted({t for d in every for t in d.tags})
            splits = fold_splits(binarize(every, tags), 5, seed)
            return [([every[i] for i in tr], [every[i] for i in te], pool) for tr, te in splits]
        out["c"] = (f"5-fold CV on every label ({len(every)}: reference + Economist random + suggested)",
                    folds)
    return out


def run(method: Method, splits, schema, seed: int, tags):
    """Decisions on every test document of the scenario, in split order, and their labels."""
    from tagger.labels.attach import binarize

    Ys, Ps = [], []
    for train_docs, test_docs, pool in splits:
        decide = train_with(method, train_docs, pool, schema, seed)
        Ps.append(np.asarray(decide([d.content for d in test_docs])))
        Ys.append(binarize(test_docs, tags))
    return np.vstack(Ys), np.vstack(Ps)


# ---------------------------------------------------------------- report

def fmt_ci(v, ci):
    return f"{v:.3f} [{ci[0]:.3f},{ci[1]:.3f}]"


def fmt_diff(d):
    return f"{d[0]:+.3f} [{d[1]:+.3f},{d[2]:+.3f}]"


def median_run(runs, key):
    """The run whose `key` is the median over seeds (the lower middle for an even count)."""
    order = sorted(runs, key=key)
    return order[(len(order) - 1) // 2]


def report(name: str, per_seed: dict, tags, into: dict | None = None) -> list[str]:
    """Lines for one method: F1 medians over seeds, intervals and paired differences."""
    from tagger.model.bootstrap import paired_difference
    from tagger.model.metrics import score
    from tagger.model.bootstrap import add_intervals

    runs = []
    for seed, (Y, P, P_old) in per_seed.items():
        s = score(Y, P, tags)
        add_intervals(s, Y, P, tags, seed=seed)
        d = paired_difference(Y, P, P_old, tags, seed=seed)
        runs.append((s, d))
    med = lambda f: statistics.median(f(r) for r in runs)  # noqa: E731
    s_mid, _ = median_run(runs, lambda r: r[0]["micro"]["f1"])
    _, d_mid = median_run(runs, lambda r: r[1]["micro_f1"][0])
    _, e_mid = median_run(runs, lambda r: r[1]["per_tag_f1"][FOCUS][0])
    if into is not None:  # the medians, for the JSON
        into[name] = {"micro_f1": med(lambda r: r[0]["micro"]["f1"]),
                      "macro_f1": med(lambda r: r[0]["macro"]["f1"])}
    cells = [f"{name:<12}", fmt_ci(med(lambda r: r[0]["micro"]["f1"]), s_mid["micro"]["f1_ci95"]),
             f"{med(lambda r: r[0]['macro']['f1']):.3f}"]
    cells += [f"{med(lambda r, t=t: r[0]['per_tag'][t]['f1']):.3f}" for t in tags]
    if name != "old":
        cells += [fmt_diff([med(lambda r: r[1]["micro_f1"][0]), *d_mid["micro_f1"][1:]]),
                  fmt_diff([med(lambda r: r[1]["per_tag_f1"][FOCUS][0]),
                            *e_mid["per_tag_f1"][FOCUS][1:]])]
    return ["  ".join(cells)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", default="old,new",
                    help="comma-separated, from: " + ", ".join(METHODS))
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--scenarios", default="abc")
    args = common.options(ap, f"scenario (a) on the first {QUICK_LABELS} reference labels, "
                              "old and new, seed 0").parse_args()
    if args.quick:
        args.methods, args.seeds, args.scenarios = "old,new", [0], "a"
    names = [m for m in args.methods.split(",") if m]
    unknown = [m for m in names if m not in METHODS]
    if unknown:
        sys.exit(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    if "old" not in names:
        names.insert(0, "old")
    import tagger

    schema = tagger.load_schema(LABELS / "tags.toml")
    tags = [t.id for t in schema.tags]
    figures: dict = {}
    for key, (title, make_splits) in scenarios(args.scenarios,
                                               QUICK_LABELS if args.quick else None).items():
        print(f"\n({key}) {title}", flush=True)
        print("  ".join([f"{'method':<12}", f"{'micro-F1 [95%]':<21}", "macro", *[t[:6] for t in tags],
                         "micro vs old [95%]      ", f"{FOCUS[:10]} vs old [95%]"]))
        old = {}
        for name in names:
            t0 = time.perf_counter()
            per_seed = {}
            for seed in args.seeds:
                Y, P = run(METHODS[name], make_splits(seed), schema, seed, tags)
                if name == "old":
                    old[seed] = P
                per_seed[seed] = (Y, P, old[seed])
            for line in report(name, per_seed, tags, figures.setdefault(key, {})):
                print(line + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    first = next(iter(figures))
    other = next((n for n in names if n != "old"), "old")
    common.report(__file__, args, what=f"({first}) micro-F1 {other}",
                  figure=figures[first][other]["micro_f1"], unit="F1",
                  baseline_what=f"({first}) micro-F1 old", baseline=figures[first]["old"]["micro_f1"],
                  figures={"seeds": args.seeds, "methods": names, "scenarios": figures})


if __name__ == "__main__":
    main()
