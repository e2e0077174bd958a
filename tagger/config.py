"""Model settings, each declared once with its bound, help text and searched values.

:class:`Settings` checks itself against those declarations when made; the command line
builds its options from them, the manual its table of settings (see ``settings_table``),
and model files are checked against them when loaded.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from typing import Annotated, Literal

import msgspec

from .errors import SettingsError
from .registry import Registry
from .structs import Invalid, convert, fits


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


_UNSET = object()


def setting(default, bound: Bound, doc: str, *, search: tuple | None = None,
            flag: str | None = None, absent=_UNSET):
    """A Settings field: its default, bound and help text; ``search`` the values tried by
    default when it is not fixed; ``flag`` its command-line option (None: not an option);
    ``absent`` the value a model file written before the setting existed was built with
    (by default, the default)."""
    return field(default=default, metadata={"bound": bound, "doc": doc, "search": search,
                                            "flag": flag,
                                            "absent": default if absent is _UNSET else absent})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """How a model is built. Every field is saved in the model's metadata, and checked
    against its bound when a Settings is made (a bad value raises SettingsError)."""

    folds: int = setting(5, Bound(int, 2, 50), "Cross-validation folds for the search, "
                         "thresholds and calibration.", flag="--folds")
    seed: int = setting(0, Bound(int, 0, 2**32 - 1), "Random seed.", flag="--seed")
    ngram_max: int = setting(2, Bound(int, 1, 3), "Longest word n-gram used as a feature.",
                             search=(1, 2), flag="--ngram-max")
    C: float = setting(10.0, Bound(float, 0.0, 1e6, lo_open=True),
                       "Inverse regularisation strength of the logistic regression.",
                       search=(10.0, 30.0, 100.0, 300.0), flag="--C")
    keyword_window: int = setting(30, Bound(int, 0, 1000), "Count a tag's keyword (from the "
                                  "schema's 'keywords') when one of its 'context' words is "
                                  "within this many words; 0 leaves keyword features out.",
                                  search=(0, 15, 30), flag="--keyword-window")
    sentences: bool = setting(False, Bound(bool), "Learn from the labels' evidence sentences: "
                              "a sentence scorer per tag, whose best score in an article is a "
                              "feature of the article (needs labels with evidence).",
                              search=(False, True), flag="--sentences/--no-sentences")
    sentence_C: float = setting(1.0, Bound(float, 0.0, 1e6, lo_open=True),
                                "Inverse regularisation strength of the sentence scorers.",
                                flag="--sentence-C")
    hard_negative_weight: float = setting(1.0, Bound(float, 0.0, 1000.0, lo_open=True),
                                          "Weight, in training the sentence scorers, of a "
                                          "sentence of an article not given the tag that names "
                                          "one of the tag's keywords (a hard negative).",
                                          flag="--hard-negative-weight", absent=1.0)
    sentence_cues: float = setting(0.3, Bound(float, 0.0, 10.0),
                                   "Value of the sentence scorers' cue features (who speaks "
                                   "and how: reporting, threat, official, commentary, modal, "
                                   "negation words, and pairs of them); 0 leaves them out.",
                                   flag="--sentence-cues", absent=0.0)
    unlabelled_idf: bool = setting(False, Bound(bool), "Vocabulary and IDF from every "
                                   "document given, or only the labelled ones.",
                                   flag="--unlabelled-idf/--labelled-idf")
    min_df: int = setting(2, Bound(int, 1, 10**6), "Drop terms seen in fewer documents.",
                          flag="--min-df")
    max_df: float = setting(1.0, Bound(float, 0.0, 1.0, lo_open=True),
                            "Drop terms seen in a larger share of the documents.")
    sublinear_tf: bool = setting(True, Bound(bool), "Term frequency as 1 + log(count).")
    class_weight: str | None = setting("balanced", Bound(str, choices=("balanced", None)),
                                       "Class weights of the logistic regression.")
    min_f1: float = setting(0.2, Bound(float, 0.0, 1.0), "Below this cross-validated F1 a "
                            "tag keeps the plain 0.5 cut-off.")
    keyword_weight: float = setting(1.0, Bound(float, 0.0, 1000.0),
                                    "Scale of the log(1 + mentions) keyword features.")
    ngram_weight: float = setting(1.0, Bound(float, 0.0, 1.0, lo_open=True),
                                  "Scale of the TF-IDF n-gram features against the keyword "
                                  "and sentence features in training (folded into the "
                                  "saved weights): below 1, the n-grams are regularised "
                                  "harder, and the model leans on keywords and sentences.",
                                  flag="--ngram-weight", absent=1.0)
    name_weight: float = setting(1.0, Bound(float, 0.0, 1.0, lo_open=True),
                                 "Scale of the TF-IDF weight of names and numbers (terms the "
                                 "training texts mostly capitalise mid-sentence, or holding a "
                                 "digit): below 1, the words of one period count for less.",
                                 flag="--name-weight", absent=1.0)

    def __post_init__(self):
        for f in fields(self):
            value = f.metadata["bound"].check(f.name, getattr(self, f.name))
            object.__setattr__(self, f.name, value)

    @classmethod
    def from_dict(cls, values: dict) -> "Settings":
        """Settings from a mapping (a model file's), refusing unknown names: checked by
        :data:`SAVED_SETTINGS`, made from the declarations above."""
        if not isinstance(values, dict):
            raise SettingsError("settings must be a mapping of names to values")
        try:
            checked = convert(values, SAVED_SETTINGS)
        except Invalid:
            raise _mistake(cls, values) from None
        return cls(**{name: getattr(checked, name) for name in values})

    @classmethod
    def from_saved(cls, values: dict) -> "Settings":
        """Settings from a model file: a setting it does not name takes the value models
        were built with before the setting existed (so an older model tags as it did)."""
        if not isinstance(values, dict):
            raise SettingsError("settings must be a mapping of names to values")
        absent = {f.name: f.metadata["absent"] for f in fields(cls)}
        return cls.from_dict({**absent, **values})


def _shape(bound: Bound):
    """A setting's bound as a msgspec type: its choices, or its kind within its range."""
    if bound.choices is not None:
        return Literal[bound.choices]
    limits = {} if bound.lo is None else {"gt" if bound.lo_open else "ge": bound.lo}
    limits.update({} if bound.hi is None else {"le": bound.hi})
    return Annotated[bound.kind, msgspec.Meta(**limits)] if limits else bound.kind


# Settings as a model file gives them: each field's type and range from its bound, no
# other names.
SAVED_SETTINGS = msgspec.defstruct(
    "SavedSettings", [(f.name, _shape(f.metadata["bound"]), f.default) for f in fields(Settings)],
    kw_only=True, forbid_unknown_fields=True)


def _mistake(cls, values: dict) -> SettingsError:
    """Why ``values`` did not fit, as the declarations say it: the first unknown name, else
    the first setting (in their order) outside its bound."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        return SettingsError(f"unknown setting {unknown[0]!r}")
    for f in fields(cls):
        if f.name in values:
            bound = f.metadata["bound"]
            try:
                bound.check(f.name, values[f.name])
            except SettingsError as exc:
                return exc
            if not fits(values[f.name], _shape(bound)):  # the bound let pass what msgspec did not
                return SettingsError(f"setting {f.name!r} must be {bound.describe()} "
                                     f"(got {values[f.name]!r})")
    return SettingsError("settings must be a mapping of names to values")


# What `tagger train` (and tagger.train) search by default: every combination is
# cross-validated on the training labels and the best micro-F1 wins (macro-F1 breaks
# ties). keyword_window is searched only when the tag schema lists keywords, sentences
# only when the labels carry evidence. IDF from
# unlabelled documents is an option, not searched: it gave no gain beyond noise
# (benchmarks/unlabelled_gain.py).
DEFAULT_SEARCH = {f.name: f.metadata["search"] for f in fields(Settings) if f.metadata["search"]}


def search_space(fixed=()) -> dict:
    """The default search without the settings in ``fixed`` (those given a value)."""
    return {k: v for k, v in DEFAULT_SEARCH.items() if k not in set(fixed)}


def settings_table() -> str:
    """The settings as a Markdown table (for the manual, docs/training.md)."""
    d = Settings()
    rows = ["| setting | option | default | allowed | searched over | what |",
            "|---|---|---|---|---|---|"]
    for f in fields(Settings):
        m = f.metadata
        flag = f"`{m['flag'].split('/')[0]}`" if m["flag"] else "-"
        bound = m["bound"]
        allowed = " or ".join(map(str, bound.choices)) if bound.choices else bound.describe()
        searched = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in m["search"] or ())
        rows.append(f"| `{f.name}` | {flag} | {getattr(d, f.name)} | {allowed} | "
                    f"{searched or '-'} | {m['doc']} |")
    return "\n".join(rows) + "\n"


# How `--adapt-priors` estimates a batch's tag rates from the model's scores (see
# tagger.model.priors; measured by benchmarks/priors.py).
PRIOR_ESTIMATES: Registry = Registry("way to estimate tag rates", error=SettingsError)
PRIOR_ESTIMATES.add(
    "em", "em", help="EM of Saerens, Latinne & Decaestecker (2002), repeated until the rates settle")
PRIOR_ESTIMATES.add(
    "mean", "mean",
    help="the documents' mean score (one step of that EM: probabilistic classify-and-count)")


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity, as a container or taskset limits
    it): the most worker processes worth starting, for tagging and training alike."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this system
        return os.cpu_count() or 1
