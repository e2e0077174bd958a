"""The command line: parses options, calls the library, formats what it returns."""

from __future__ import annotations

import json
import shlex
import sys
import click

from ..batch.parts import DUPLICATES
from ..io.writers import OUTPUT_FORMATS, describe_outputs
from .options import (data_files, data_options, evidence_option, format_option,
                      handle_errors, load_data,
                      max_doc_bytes_option, model_option, progress_bar, resolve_model,
                      schema_path, settings_from, settings_options)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tagger", prog_name="tagger")
def main():
    """Tag news articles with topics, from hand labels and a TF-IDF linear model.

    Train on labelled articles, measure the model honestly, and tag new ones.
    """


@main.command()
@data_options
@click.option("--model", "-m", "model", required=True, type=click.Path(file_okay=False),
              help="Directory to write the model to (replaced atomically).")
@settings_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def train(data, label_files, tags_path, model, quiet, max_doc_bytes, **kwargs):
    """Train a model on labelled documents and save it to --model DIR.

    Each tag gets its own decision threshold, chosen by cross-validation to maximise its
    F1. The same data and settings give byte-identical model files.

    \b
    Example:
      tagger train --data ../shared/corpus/ukraine-2022.jsonl --data seeds \\
        --labels labels/reference-train.csv --labels labels/seeds.csv \\
        --tags labels/tags.toml --model models/ukraine-war
    """
    from ..model.persist import check_model_target, save_model
    from ..model.train import search_grid, train as train_model

    settings, search = settings_from(kwargs)
    check_model_target(model)  # before the work, not after it
    tags_path = schema_path(tags_path, label_files, quiet)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
    command = rebuild_command(data, label_files, tags_path, model, kwargs)
    with progress_bar(len(search_grid(settings, search)) + 1, "training", quiet) as bar:
        trained = train_model(docs, schema=schema, settings=settings, search=search,
                              command=command, n_jobs=kwargs["n_jobs"], progress=bar.update)
    save_model(trained, model)
    cv = trained.metadata["cv"]
    chosen = trained.settings
    click.echo(f"trained on {trained.metadata['n_train_docs']} labelled documents "
               f"({trained.metadata['n_unlabelled_docs']} unlabelled), {len(trained.tags)} tags, "
               f"{trained.n_features} features -> {model}")
    keywords = (f"keyword-window={chosen.keyword_window}" if trained.keywords
                else "no keyword features")
    sentences = (f"sentence features (sentence-C={chosen.sentence_C:g})" if chosen.sentences
                 else "no sentence features")
    click.echo(f"settings: C={chosen.C:g}, ngram-max={chosen.ngram_max}, {keywords}, {sentences}, "
               f"{'unlabelled' if chosen.unlabelled_idf else 'labelled'} IDF"
               + (f" (best of {len(trained.metadata['search'])} by cross-validation)" if search else ""))
    click.echo(f"{cv['folds']}-fold cross-validated micro-F1 {cv['micro']['f1']:.3f}, "
               f"macro-F1 {cv['macro']['f1']:.3f}")


def rebuild_command(data, label_files, tags_path, model, options) -> str:
    parts = ["tagger", "train"]
    for d in data:
        parts += ["--data", str(d)]
    for lf in label_files:
        parts += ["--labels", str(lf)]
    if tags_path:
        parts += ["--tags", str(tags_path)]
    parts += ["--model", str(model)]
    from dataclasses import fields

    from ..config import Settings

    d = Settings()
    for f in fields(Settings):  # the options each setting declares in tagger.config
        flag, value = f.metadata["flag"], options.get(f.name)
        if not flag or value is None:  # not an option, or searched
            continue
        if not f.metadata["search"] and value == getattr(d, f.name):  # its default
            continue
        if f.metadata["bound"].kind is bool:
            on, _, off = flag.partition("/")
            parts.append(on if value else off)
        else:
            parts += [flag, str(value)]
    if not options["search"]:
        parts.append("--no-search")
    return shlex.join(parts)


@main.command()
@model_option()
@data_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False),
              help="Also write the scores as JSON to this file.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Also write a self-contained HTML report (plots, worst errors) to this file.")
@click.option("--cv", type=click.IntRange(2, 50),
              help="Cross-validate K folds on the labels instead of scoring a saved model.")
@settings_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@handle_errors
def evaluate(model, data, label_files, tags_path, json_path, report_path, cv, quiet,
             max_doc_bytes, **kwargs):
    """Score a model on labelled documents: per-tag precision, recall, F1 and support.

    F1 scores come with 95% bootstrap intervals, and each tag with its expected
    calibration error (ECE). Unlabelled documents are ignored. With --cv K no saved model
    is used: K models are trained (settings search included) on folds stratified for
    multi-label data, and each scores the fold it did not see.

    \b
    Examples:
      tagger evaluate --data ../shared/corpus/economist-2023-2025.jsonl \\
        --labels ../shared/labels/economist-random.csv --json scores.json --report report.html
      tagger evaluate --cv 5 --data ../shared/corpus/ukraine-2022.jsonl \\
        --labels labels/reference-train.csv --tags labels/tags.toml
    """
    from ..evaluation.crossval import cross_validation
    from ..evaluation.results import evaluation
    from ..io.files import check_output, write_text_atomic
    from ..model.persist import load_model
    from ..reports.text import format_table

    inputs = [*data_files(data), *label_files]
    for target in (json_path, report_path):
        if target:
            check_output(target, inputs=inputs)
    if cv:
        tags_path = schema_path(tags_path, label_files, quiet)
        settings, search = settings_from(kwargs)
        docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
        with progress_bar(cv, "cross-validating", quiet) as bar:
            result = cross_validation(docs, k=cv, schema=schema, settings=settings, search=search,
                                      progress=bar.update)
        about = "Settings searched inside each fold." if search else ""
    else:
        path = resolve_model(model)
        loaded = load_model(path)
        # labels are checked against the model's own tags: a tag it lacks is an error
        docs, _ = load_data(data, label_files, None, max_doc_bytes, known_tags=loaded.tags)
        result = evaluation(loaded, docs)
        about = f"Model: {path}."
    summary = result.summary()
    if report_path:
        from ..reports.html import write_report

        write_report(result, report_path, about=about)
    if json_path:
        write_text_atomic(json_path, json.dumps(summary, indent=2) + "\n")
    click.echo(format_table(summary))


@main.command()
@model_option()
@format_option()
@evidence_option
@max_doc_bytes_option
@click.argument("paths", nargs=-1, required=True)
@handle_errors
def predict(model, fmt, evidence, max_doc_bytes, paths):
    """Tag a few documents: files, directories, or - for standard input.

    \b
    Examples:
      tagger predict seeds/004_40f943de2ae17bec.txt
      cat seeds/000_2c1dc2b1a7e2b655.txt | tagger predict - --format json
    """
    from ..io.documents import read_documents
    from ..io.writers import format_predictions
    from ..model.persist import load_model

    loaded = load_model(resolve_model(model))
    docs = read_documents(paths, max_doc_bytes=max_doc_bytes)
    click.echo(format_predictions(loaded.predict(docs, evidence=evidence), loaded.tags, fmt),
               nl=False)


@main.command()
@model_option()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help=f"Output file: {describe_outputs()}.")
@click.option("--format", "fmt", type=click.Choice(list(OUTPUT_FORMATS)),
              help="Output format [default: from the --out extension].")
@click.option("--batch-size", type=click.IntRange(1), default=1000, show_default=True,
              help="Documents per chunk: the unit of parallel work and of resumption.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes [default: all cores; one for inputs under 1 MiB].")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run in local processes (joblib) or on a Dask cluster.")
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (with --engine dask).")
@click.option("--duplicates", type=click.Choice(DUPLICATES), default="error", show_default=True,
              help="A document id seen before (the same file twice, or one id in two inputs): "
                   "stop with an error, skip it (listed with the skipped documents), or keep "
                   "and tag it again.")
@evidence_option
@max_doc_bytes_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
@handle_errors
def tag(model, inputs, out, fmt, batch_size, jobs, engine, scheduler, duplicates, evidence,
        max_doc_bytes, quiet):
    """Tag many documents into one file: streaming, parallel and resumable.

    INPUTS are as for --data: files, and directories of them. Each
    output record has the document's id, its tags, a score per tag and each tag's
    evidence sentence, as `tagger predict` gives them. If a run is interrupted, run the same command again: it goes on
    from the last committed chunk. Unreadable documents are skipped and listed with their
    reasons in OUT.errors.jsonl.

    Exit status: 0 when every document was tagged, 3 when some were skipped, 1 on an
    error.

    \b
    Examples:
      tagger tag ../shared/corpus/ukraine-2022.jsonl --out tags.jsonl
      tagger tag ../shared/corpus/news-2023-2025.jsonl seeds/ --out tags.parquet --jobs 2
      tagger tag archive.jsonl --out tags.csv --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from tqdm import tqdm

    from ..batch.run import tag_files

    bar = tqdm(desc="tagging", unit="doc", file=sys.stderr, smoothing=0.1,
               disable=quiet or not sys.stderr.isatty())
    try:
        with bar:
            summary = tag_files(inputs, out, model_dir=resolve_model(model), fmt=fmt,
                                batch_size=batch_size, jobs=jobs, engine=engine,
                                scheduler=scheduler, progress=bar.update,
                                duplicates=duplicates, max_doc_bytes=max_doc_bytes,
                                evidence=evidence)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted: finished chunks are kept; run the same "
                                   "command again to continue") from None
    if not quiet:
        click.echo(summary.line(), err=True)
    if summary.skipped:
        sys.exit(3)


@main.command()
@model_option()
@handle_errors
def info(model):
    """Show a model's tags, thresholds, settings and cross-validated scores (JSON)."""
    from ..model.persist import META_FILE, load_model

    path = resolve_model(model)
    load_model(path)  # validates it before printing what it holds
    click.echo((path / META_FILE).read_text(encoding="utf-8"), nl=False)
