"""`tagger evaluate`: a saved model's scores, cross-validated scores, or two models compared."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import TrainingDataError
from ..evaluation.slices import SLICINGS
from .commands import main
from .options import (data_files, data_options, handle_errors, load_data, model_option,
                      progress_bar, resolve_model, say, schema_path, settings_from,
                      settings_options)


@main.command()
@model_option()
@data_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the scores as JSON to this file.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write a self-contained HTML report (plots, worst errors) to this file.")
@click.option("--cv", type=click.IntRange(2, 50),
              help="Cross-validate K folds on the labels instead of scoring a saved model.")
@click.option("--by", type=click.Choice(SLICINGS.choices()),
              help="Also score each year, quarter, month or source (outlet) on its own.")
@click.option("--against", type=click.Path(file_okay=False),
              help="Compare --model (the new one) with this model (the old one) on the same "
                   "documents: the paired bootstrap difference of their F1s.")
@click.option("--include-training", is_flag=True,
              help="Also score documents the model was trained on (left out by default: a "
                   "score on them says nothing of new articles).")
@settings_options
@click.option("--quiet", "-q", is_flag=True,
              help="No progress with --cv: a bar on a terminal, else a line per fold with the "
                   "time left.")
@handle_errors
def evaluate(model, data, label_files, tags_path, json_path, report_path, cv, by, against,
             include_training, quiet, max_doc_bytes, **kwargs):
    """Score a model on labelled documents: per-tag precision, recall, F1 and support.

    F1 scores come with 95% bootstrap intervals, and each tag with its expected
    calibration error (ECE). Unlabelled documents are ignored. With --cv K no saved model
    is used: K models are trained (settings search included) on folds stratified for
    multi-label data, and each scores the fold it did not see.

    A saved model keeps a hash of each of its training documents: those among the
    documents given are counted and left out, unless --include-training.

    With --against OLD, both models score the same documents (the training documents of
    either left out), and each F1 (micro, macro, per tag) is given for both with the
    difference new - old and its 95% paired bootstrap interval: the same resampled
    documents score both models. The JSON (--json) names the data files and the dates
    of the documents scored, as `tagger card --eval` shows them.

    \b
    Examples:
      tagger evaluate --model model-2022 --data ../shared/corpus/economist-2023-2025.jsonl \\
        --labels labels/economist-random.csv --json scores.json --report report.html
      tagger evaluate --cv 3 --data ../shared/corpus/ukraine-2022.jsonl \\
        --labels labels/reference-train.csv --tags labels/tags.toml --report report.html
      tagger evaluate --model model-2022 --data ../shared/corpus/economist-2023-2025.jsonl \\
        --labels labels/economist-random.csv --by year
      tagger evaluate --model model-2022 --against model-2022-words \\
        --data ../shared/corpus/economist-2023-2025.jsonl --labels labels/economist-random.csv
    """
    from ..io.files import check_output

    inputs = [*data_files(data), *label_files]
    for target in (json_path, report_path):
        if target:
            check_output(target, inputs=inputs)
    sources = {"data": [Path(d).name for d in data], "labels": [Path(f).name for f in label_files]}
    if against:
        compare_models(model, against, data, label_files, json_path, report_path, cv, by,
                       include_training, max_doc_bytes, sources)
        return
    if cv:
        result, about = cross_validated(data, label_files, tags_path, cv, by, quiet,
                                        max_doc_bytes, kwargs)
    else:
        result, about = scored(model, data, label_files, by, include_training, max_doc_bytes,
                               sources)
    show_evaluation(result, about, json_path, report_path, by)


def cross_validated(data, label_files, tags_path, cv, by, quiet, max_doc_bytes, options):
    """`evaluate --cv K`: K models trained on folds, each scoring the fold it did not see;
    the result and the report's line on it."""
    from ..evaluation.crossval import cross_validation

    tags_path = schema_path(tags_path, label_files, quiet)
    settings, search = settings_from(options)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
    with progress_bar(cv, "cross-validating", quiet, unit="fold") as bar:
        result = cross_validation(docs, k=cv, schema=schema, settings=settings, search=search,
                                  progress=bar.update, by=by, n_jobs=options["n_jobs"])
    return result, "Settings searched inside each fold." if search else ""


def scored(model, data, label_files, by, include_training, max_doc_bytes, sources):
    """`evaluate --model DIR`: the saved model's scores; the result and the report's line."""
    from ..evaluation.results import evaluation
    from ..model.persist import load_model

    path = resolve_model(model)
    loaded = load_model(path)
    # labels are checked against the model's own tags: a tag it lacks is an error
    docs, _ = load_data(data, label_files, None, max_doc_bytes, known_tags=loaded.tags)
    try:
        result = evaluation(loaded, docs, include_training=include_training, by=by,
                            sources=sources)
    except TrainingDataError as exc:
        raise click.ClickException(f"{exc} (or give --include-training to score them "
                                   "anyway)") from None
    return result, f"Model: {path}."


def show_evaluation(result, about: str, json_path, report_path, by) -> None:
    """The report and JSON (when asked for), then the tables and the training note."""
    from ..io.files import write_text_atomic
    from ..reports.text import by_table, format_table

    summary = result.summary()
    note = training_note(summary.get("training_documents"))
    if report_path:
        from ..reports.html import write_report

        write_report(result, report_path, about=about)
    if json_path:
        write_text_atomic(json_path, json.dumps(summary, indent=2) + "\n")
    say(format_table(summary))
    if by:
        say("\n" + by_table(summary))
    if note:
        say(note)


def compare_models(model, against, data, label_files, json_path, report_path, cv, by,
                   include_training, max_doc_bytes, sources) -> None:
    """`evaluate --model NEW --against OLD`: the paired comparison, as a table and JSON."""
    from ..evaluation.compare import compare
    from ..io.files import write_text_atomic
    from ..model.persist import load_model
    from ..reports.text import comparison_table

    for flag, given in (("--cv", cv), ("--report", report_path), ("--by", by),
                        ("--include-training", include_training)):
        if given:
            raise click.ClickException(f"--against compares two saved models on documents "
                                       f"neither was trained on; it does not take {flag}")
    new, old = load_model(resolve_model(model)), load_model(resolve_model(against))
    known = [*new.tags, *(t for t in old.tags if t not in new.tags)]
    docs, _ = load_data(data, label_files, None, max_doc_bytes, known_tags=known)
    try:
        result = compare(new, old, docs, sources=sources)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from None
    if json_path:
        write_text_atomic(json_path, json.dumps(result, indent=2) + "\n")
    say(comparison_table(result))


def training_note(training: dict | None) -> str | None:
    """One line on the documents given that the model was trained on, if any."""
    if not training:
        return None
    if not training["recorded"]:
        return ("note: this model does not record its training documents, so some of these "
                "may have been among them; retrain it to know")
    n = training["in_training"]
    if not n:
        return None
    if training["left_out"]:
        return (f"{n} of the {training['given']} labelled documents were in the model's "
                "training data: left out (--include-training scores them too)")
    return (f"{n} of the {training['given']} labelled documents were in the model's training "
            "data and are scored (--include-training): these scores overstate how it does "
            "on new articles")
