"""The queues of `tagger label`: which article comes next, by name, registered once.

Each queue is a function ``start(session)`` that sets the session's order (or its
refresher, for ``suggest``); ``adjudicates``: its decisions are adjudications, winning over
the labels before them; ``disputed``: it offers only the articles whose annotators
disagree, as they stand when asked. A queue given as a file of document ids is none of
these (:func:`read_queue_file`).

Imported by the CLI at start-up for its help: what a queue needs is imported inside it.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DecisionError, InputError, ModelError
from ..registry import Registry

QUEUES: Registry = Registry("queue", error=DecisionError)


@QUEUES.register("order", help="as in the data", adjudicates=False, disputed=False)
def _in_order(session) -> None:
    session.order = [d.id for d in session.docs]


@QUEUES.register("random", help="seeded", adjudicates=False, disputed=False)
def _shuffled(session) -> None:
    import random

    session.order = [d.id for d in session.docs]
    random.Random(session.seed).shuffle(session.order)


@QUEUES.register("suggest", help="tagger suggest's mixed strategy, retrained as labels arrive",
                 adjudicates=False, disputed=False)
def _suggested(session) -> None:
    from .refresh import Refresher

    if session.model is None:
        raise ModelError("the 'suggest' queue orders articles by a model's scores, "
                         "and no model was given")
    session.refresher = Refresher(session.db, session.docs, session.schema, session.model,
                                  every=session.retrain_every, seed=session.seed,
                                  tags=session.suggest_tags)


@QUEUES.register("review", help="adjudicate disagreements", adjudicates=True, disputed=True)
def _disagreements(session) -> None:
    session.order = [d.id for d in session.docs]  # narrowed to the disputed when asked


@QUEUES.register("audit", help="the labels tagger audit finds probably wrong",
                 adjudicates=True, disputed=False)
def _suspects(session) -> None:
    session.order, session.suspects = audit_order(session)


def audit_order(session) -> tuple[list[str], dict]:
    """The labels in the database most likely wrong (:func:`tagger.evaluation.audit`),
    trained with the model's settings (else the defaults), no search."""
    from dataclasses import replace

    from ..evaluation.audit import audit
    from ..labels.resolve import resolve

    labels = resolve(session.db).labels
    docs = [replace(d, tags=labels.get(d.id)) for d in session.docs]
    found = audit(docs, schema=session.schema, k=None,
                  settings=session.model.settings if session.model is not None else None)
    by_doc: dict[str, list] = {}
    for s in found:
        by_doc.setdefault(s.id, []).append(s.to_dict())
    return list(by_doc), by_doc


def queue_help() -> str:
    """What `--queue` takes, for its help."""
    return ("Which article comes next: " + QUEUES.help_text(quote="'", sep=", ", form="{name} ({help})")
            + ", or a file of document ids, one a line.")


def read_queue_file(path: str | Path, known: set[str]) -> list[str]:
    """Document ids to label, in order, each among ``known``: one a line ('#' starts a
    comment), or a CSV with an ``id`` column, or JSONL objects with an ``id`` (as
    `tagger suggest` writes them)."""
    import csv
    import json

    from ..io.decoding import read_text_file

    path = Path(path)
    if not path.is_file():
        named = ", ".join(f"'{q}'" for q in QUEUES)
        raise InputError(path, f"does not exist (a queue is {named} or a file of document ids)")
    lines = read_text_file(path, 64 * 2**20).splitlines()
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        rows = []
        for n, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append((n, str(json.loads(line)["id"])))
                except (ValueError, KeyError, TypeError):
                    raise InputError(path, "expected a JSON object with an 'id'", line=n) from None
    elif "id" in next(csv.reader([first])):
        reader = csv.DictReader(lines)
        rows = [(reader.line_num, r["id"].strip()) for r in reader]
    else:
        rows = [(n, raw.split("#", 1)[0].strip()) for n, raw in enumerate(lines, start=1)]
    out, seen = [], set()
    for line, doc_id in rows:
        if not doc_id:
            continue
        if doc_id not in known:
            raise InputError(path, f"id {doc_id!r} is not among the documents given", line=line)
        if doc_id not in seen:
            seen.add(doc_id)
            out.append(doc_id)
    return out
