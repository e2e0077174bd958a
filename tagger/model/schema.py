"""The schema of ``model.json``: types, ranges and allowed keys, checked before anything is used.

Decoded with msgspec into the structs below, which refuse unknown keys, values of the
wrong type, numbers out of range or not finite (JSON has no NaN; an overflowing literal
such as ``1e400`` is refused as out of range), and nesting too deep. The model's settings
are checked by :class:`tagger.model.Settings` itself, against the bounds declared beside
each setting; ``python -m tagger.model.schema`` prints this schema as JSON Schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from ..errors import ModelError
from ..labels.tagschema import MAX_TAGS, TAG_ID, column_clash

FORMAT = "tagger-model"  # what model.json says it is, and the version of its layout
FORMAT_VERSION = 1
MAX_PHRASES = 10_000  # keywords or context words of one tag

TagId = Annotated[str, msgspec.Meta(pattern=TAG_ID.pattern)]
Phrase = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Probability = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Text = Annotated[str, msgspec.Meta(max_length=100_000)]


class KeywordList(msgspec.Struct, forbid_unknown_fields=True):
    """One tag's keywords and context words (see tagger.text.keywords.Lexicon)."""

    tag: TagId
    keywords: Annotated[list[Phrase], msgspec.Meta(min_length=1, max_length=MAX_PHRASES)]
    context: Annotated[list[Phrase], msgspec.Meta(max_length=MAX_PHRASES)] = []


IsoDate = Annotated[str, msgspec.Meta(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


class DateRange(msgspec.Struct, forbid_unknown_fields=True):
    """The dates of the training documents: first and last ("" when none is dated)."""

    first: IsoDate = ""
    last: IsoDate = ""
    dated: Count = 0
    undated: Count = 0
    by_year: Annotated[dict[Annotated[str, msgspec.Meta(pattern=r"^\d{4}$")], Count],
                       msgspec.Meta(max_length=10_000)] = {}


class DriftBaseline(msgspec.Struct, forbid_unknown_fields=True):
    """The drift figures of the training documents, out of fold (tagger.model.drift)."""

    unseen_share: Probability
    near_share: Probability
    tag_rates: Annotated[list[Probability], msgspec.Meta(max_length=MAX_TAGS)]
    documents: Count
    # where tag rates and near_share come from: the model on unlabelled training documents
    # (like new ones), or out-of-fold scores of the labelled ones (which run higher)
    rates_from: Literal["unlabelled", "out_of_fold"] = "out_of_fold"
    note: Text = ""


MAX_HELD_OUT = 20  # sets of held-out scores a model keeps (tagger card --eval)
FileName = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Interval = Annotated[list[Probability], msgspec.Meta(min_length=2, max_length=2)]


class F1Scores(msgspec.Struct, forbid_unknown_fields=True):
    """Precision, recall and F1 (with its 95% bootstrap interval) of a tag or an average."""

    precision: Probability
    recall: Probability
    f1: Probability
    f1_ci95: Interval | None = None
    support: Count | None = None


class ScoredDocuments(msgspec.Struct, forbid_unknown_fields=True):
    """Which documents were scored: the data and label files (by name) and their dates."""

    data: Annotated[list[FileName], msgspec.Meta(max_length=100)] = []
    labels: Annotated[list[FileName], msgspec.Meta(max_length=100)] = []
    dates: DateRange = msgspec.field(default_factory=DateRange)


class HeldOutScores(msgspec.Struct, forbid_unknown_fields=True):
    """The model's scores on labelled documents it was not trained on (tagger evaluate),
    kept so that its card shows them (tagger card --eval)."""

    documents: ScoredDocuments
    n_docs: Annotated[int, msgspec.Meta(ge=1, le=2**53)]
    micro: F1Scores
    macro: F1Scores
    per_tag: Annotated[dict[TagId, F1Scores], msgspec.Meta(max_length=MAX_TAGS)]


class ModelFile(msgspec.Struct, forbid_unknown_fields=True):
    """model.json. The first block is what tagging uses; the rest describes the model."""

    format: Literal["tagger-model"]
    format_version: Literal[1]
    tags: Annotated[list[TagId], msgspec.Meta(min_length=1, max_length=MAX_TAGS)]
    thresholds: dict[TagId, Probability]
    settings: dict[str, Any]
    vectorizer: dict[str, Any]
    n_features: Count
    keywords: Annotated[list[KeywordList], msgspec.Meta(max_length=MAX_TAGS)] = []
    # described, shown by `tagger info`, never used to tag
    versions: dict[str, Text] = {}
    n_train_docs: Count = 0
    n_unlabelled_docs: Count = 0
    tag_counts: dict[TagId, Count] = {}
    training_data: Text = ""
    cv: dict[str, Any] = {}
    calibration: dict[TagId, dict[str, float]] = {}
    search: list[dict[str, Any]] = []
    schema: list[dict[str, Any]] = []
    command: Text | None = None
    date_range: DateRange | None = None
    sources: Annotated[dict[Annotated[str, msgspec.Meta(max_length=200)], Count],
                       msgspec.Meta(max_length=100)] = {}
    # used to warn when new documents drift from these (never to tag)
    drift: DriftBaseline | None = None
    held_out: Annotated[list[HeldOutScores], msgspec.Meta(max_length=MAX_HELD_OUT)] = []


DESCRIPTIVE = ("versions", "n_train_docs", "n_unlabelled_docs", "tag_counts", "training_data",
               "cv", "calibration", "search", "schema", "command", "date_range", "sources",
               "drift", "held_out")


def parse(raw: bytes, path: Path) -> ModelFile:
    """The checked contents of a model.json, or ModelError saying what is wrong and where."""
    try:
        meta = msgspec.json.decode(raw, type=ModelFile)
    except msgspec.ValidationError as exc:
        try:
            head = msgspec.json.decode(raw)
        except (msgspec.MsgspecError, RecursionError):
            head = {"format": FORMAT, "format_version": FORMAT_VERSION}  # say what was wrong
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise ModelError(f"{path}: not a tagger model (format is not {FORMAT!r})") from None
        version = head.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):  # "1" is not 1
            raise ModelError(f"{path}: not a valid tagger model ('format_version' must be "
                             f"an integer, got {version!r})") from None
        if version != FORMAT_VERSION:
            raise ModelError(f"{path}: model format version {head.get('format_version')!r} is "
                             f"not supported (this tagger reads version {FORMAT_VERSION})") from None
        raise ModelError(f"{path}: not a valid tagger model ({exc})") from None
    except msgspec.DecodeError as exc:
        raise ModelError(f"{path}: corrupt model metadata ({exc})") from None
    except RecursionError:
        raise ModelError(f"{path}: corrupt model metadata (nested too deep)") from None
    if len(set(meta.tags)) != len(meta.tags):
        raise ModelError(f"{path}: not a valid tagger model (a tag is listed twice)")
    clash = column_clash(meta.tags)  # as a tag schema's ids are: its output would be ambiguous
    if clash:
        raise ModelError(f"{path}: not a valid tagger model ({clash})")
    if set(meta.thresholds) != set(meta.tags):
        raise ModelError(f"{path}: not a valid tagger model (thresholds must be given for "
                         "exactly the model's tags)")
    if meta.drift is not None and len(meta.drift.tag_rates) != len(meta.tags):
        raise ModelError(f"{path}: not a valid tagger model (the drift figures give "
                         f"{len(meta.drift.tag_rates)} tag rates for {len(meta.tags)} tags)")
    return meta


def extra(meta: ModelFile) -> dict:
    """The descriptive part of the metadata, as plain values."""
    out = {k: msgspec.to_builtins(getattr(meta, k)) for k in DESCRIPTIVE}
    out = {k: v for k, v in out.items() if v is not None or k == "command"}
    if not out["held_out"]:  # a model saved again stays as it was written
        del out["held_out"]
    return out


# `tagger evaluate --json` holds more than these: what is not read is ignored
class LooseF1(F1Scores, forbid_unknown_fields=False):
    pass


class LooseDocuments(ScoredDocuments, forbid_unknown_fields=False):
    pass


class ScoredBy(msgspec.Struct):
    training_data: Text = ""
    settings: dict[str, Any] = {}


class TrainingDocuments(msgspec.Struct):
    recorded: bool = False
    in_training: Count | None = None
    left_out: bool = False


class ScoresFile(msgspec.Struct):
    """A score file written by `tagger evaluate --json` (of one model)."""

    n_docs: Count
    micro: LooseF1
    macro: LooseF1
    per_tag: Annotated[dict[TagId, LooseF1], msgspec.Meta(max_length=MAX_TAGS)]
    documents: LooseDocuments | None = None
    model: ScoredBy | None = None
    training_documents: TrainingDocuments | None = None
    cv_folds: Count | None = None


def json_schema() -> dict:
    """The schema as JSON Schema, for readers of the format."""
    return msgspec.json.schema(ModelFile)


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(json_schema(), indent=2))
