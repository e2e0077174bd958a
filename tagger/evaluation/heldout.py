"""Scores on articles a model was not trained on, kept in the model (and shown in its card).

`tagger evaluate --json` writes them, naming the data and label files and the scored
documents' dates; :func:`held_out_scores` reads such a file back, checked: it must score
this very model, on documents it was not trained on.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ..errors import InputError, ModelError
from ..io.decoding import read_capped
from ..model.provenance import model_identity
from ..model.schema import MAX_HELD_OUT, HeldOutScores, ScoresFile

SCORES_CAP = 8 * 2**20  # bytes of a score file (a few kB, more with --by)


def _read(path: Path) -> ScoresFile:
    raw = read_capped(path, SCORES_CAP, "a score file")
    try:
        return msgspec.json.decode(raw, type=ScoresFile)
    except msgspec.ValidationError as exc:
        raise InputError(path, f"not scores written by tagger evaluate --json ({exc})") from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InputError(path, f"not valid JSON ({exc})") from None


def held_out_scores(model, path: str | Path) -> dict:
    """The scores in a `tagger evaluate --json` file, as the model keeps them; refused
    (InputError naming the file) unless they score this model, on documents it was not
    trained on, named by their files."""
    path = Path(path)
    scores = _read(path)
    if scores.cv_folds is not None or scores.model is None:
        raise InputError(path, "scores of a cross-validation, not of a saved model")
    as_saved = msgspec.json.decode(msgspec.json.encode(model_identity(model)))  # tuples as lists
    if msgspec.to_builtins(scores.model) != as_saved:
        raise InputError(path, "scores another model (its training data or settings differ "
                               "from this one's)")
    t = scores.training_documents
    if t is None or not t.recorded:
        raise InputError(path, "does not say whether the documents scored include the "
                               "model's training documents")
    if t.in_training and not t.left_out:
        raise InputError(path, f"the scores include {t.in_training} of the model's training "
                               "documents, so they are not scores on new articles")
    if scores.documents is None or not scores.documents.data:
        raise InputError(path, "does not name the data scored (written by an older tagger: "
                               "score the model again)")
    if set(scores.per_tag) != set(model.tags):
        raise InputError(path, "scores other tags than the model's")
    entry = HeldOutScores(documents=scores.documents, n_docs=scores.n_docs, micro=scores.micro,
                          macro=scores.macro, per_tag=scores.per_tag)
    # as model.json holds it: only the fields declared there, checked as they will be read
    raw = msgspec.json.encode(entry)
    return msgspec.to_builtins(msgspec.json.decode(raw, type=HeldOutScores))

def keep_held_out(model, entries: list[dict]) -> list[dict]:
    """Add held-out scores to the model's metadata: each replaces one on the same files and
    dates, if any, else comes after those kept. Returns the model's list."""
    kept = list(model.metadata.get("held_out") or [])
    for entry in entries:
        same = [i for i, e in enumerate(kept) if e["documents"] == entry["documents"]]
        if same:
            kept[same[0]] = entry
        else:
            kept.append(entry)
    if len(kept) > MAX_HELD_OUT:
        raise ModelError(f"a model keeps at most {MAX_HELD_OUT} sets of held-out scores; "
                         f"these would make {len(kept)}")
    model.metadata["held_out"] = kept
    return kept
