"""The command line: parses options, calls the library, formats what it returns."""

from __future__ import annotations

import errno
import functools
import json
import os
import shlex
import sys
from pathlib import Path

import click

from . import __version__
from .documents import MAX_DOC_BYTES
from .batch import DUPLICATES
from .errors import DuplicateError, TaggerError

SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "ukraine-war"


def resolve_model(path: str | None) -> Path:
    """--model, else $TAGGER_MODEL (click fills it in), else the shipped model: never a
    directory that merely happens to be under the current one."""
    if path:
        return Path(path)
    if SHIPPED_MODEL.is_dir():
        return SHIPPED_MODEL
    raise click.ClickException("no model given and no shipped model installed: pass --model "
                               "DIR or set TAGGER_MODEL")


def max_doc_bytes_option(f):
    return click.option("--max-doc-bytes", type=click.IntRange(1), default=MAX_DOC_BYTES,
                        show_default=True,
                        help="Largest document (a .txt file, a JSONL line, a CSV or Parquet "
                             "row, standard input) read; a larger one is a bad document.")(f)


def model_option(required: bool = False):
    return click.option("--model", "-m", "model", envvar="TAGGER_MODEL", required=required,
                        type=click.Path(file_okay=False, dir_okay=True),
                        help="Model directory [env: TAGGER_MODEL; default: the shipped "
                             "models/ukraine-war].")


def format_option(default: str = "table"):
    from .outputs import FORMATS

    return click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default=default,
                        show_default=True, help="Output format.")


def data_options(f):
    """--data, --labels, --tags and --max-doc-bytes, shared by train and evaluate."""
    f = max_doc_bytes_option(f)
    f = click.option("--tags", "tags_path", type=click.Path(dir_okay=False),
                     help="Tag schema (TOML) [default: the tags.toml beside the first --labels "
                          "file, if there is one; else the tags seen in the labels].")(f)
    f = click.option("--labels", "-l", "label_files", multiple=True, type=click.Path(dir_okay=False),
                     help="Hand labels, CSV 'id,tags' (repeatable). Without it, labels come "
                          "from the data's own 'tags' field.")(f)
    f = click.option("--data", "-d", "data", multiple=True, required=True,
                     help="Documents: a directory of .txt, a .txt, .jsonl, .csv or .parquet "
                          "file (repeatable).")(f)
    return f


def settings_options(f):
    """Model settings shared by train and evaluate --cv. Searched ones default to None."""
    from .model import DEFAULT_SEARCH, Settings

    d = Settings()

    def searched(name):
        return f"[default: searched over {', '.join(str(v) for v in DEFAULT_SEARCH[name])}]"

    options = [
        click.option("--folds", type=click.IntRange(2, 50), default=d.folds, show_default=True,
                     help="Cross-validation folds for the search, thresholds and calibration."),
        click.option("--seed", type=int, default=d.seed, show_default=True, help="Random seed."),
        click.option("--ngram-max", type=click.IntRange(1, 3), default=None,
                     help="Longest word n-gram used as a feature " + searched("ngram_max") + "."),
        click.option("--C", "C", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Inverse regularisation strength " + searched("C") + "."),
        click.option("--keyword-window", type=click.IntRange(0), default=None,
                     help="Count a tag's keyword (from the schema's 'keywords') when one of its "
                          "'context' words is within this many words; 0 leaves keyword "
                          "features out " + searched("keyword_window") + "."),
        click.option("--unlabelled-idf/--labelled-idf", "unlabelled_idf",
                     default=d.unlabelled_idf, show_default=True,
                     help="Vocabulary and IDF from every document given, or only the labelled "
                          "ones."),
        click.option("--min-df", type=click.IntRange(1), default=d.min_df, show_default=True,
                     help="Drop terms seen in fewer documents."),
        click.option("--search/--no-search", default=True, show_default=True,
                     help="Choose the unfixed settings above by cross-validation; without "
                          "it, unfixed settings take their defaults "
                          f"(C={d.C}, ngram-max={d.ngram_max}, keyword-window="
                          f"{d.keyword_window})."),
        click.option("--jobs", "-j", "n_jobs", type=click.IntRange(1), default=None,
                     help="Processes for fitting the per-tag models [default: 1]."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def settings_from(kwargs):
    """(Settings, search grid) from the command-line options."""
    from .model import DEFAULT_SEARCH, Settings

    fixed = {k: kwargs[k] for k in ("ngram_max", "C", "keyword_window") if kwargs[k] is not None}
    settings = Settings(folds=kwargs["folds"], seed=kwargs["seed"], min_df=kwargs["min_df"],
                        unlabelled_idf=kwargs["unlabelled_idf"], **fixed)
    search = ({k: v for k, v in DEFAULT_SEARCH.items() if k not in fixed}
              if kwargs["search"] else None)
    return settings, search or None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of a broken or
    full stdout cannot print a traceback after the one-line error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def handle_errors(f):
    """Turn the library's errors, and the system's (disk full, permission denied, broken
    pipe), into one-line messages and exit code 1."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            result = f(*args, **kwargs)
            sys.stdout.flush()
            return result
        except DuplicateError as exc:
            raise click.ClickException(f"{exc} (--duplicates skip or keep)") from None
        except TaggerError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            if exc.filename is None and exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO):
                _silence_stdout()
                why = ("closed before the output ended (broken pipe)" if exc.errno == errno.EPIPE
                       else f"cannot be written ({exc.strerror})")
                raise click.ClickException(f"standard output {why}") from None
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
    return wrapper


def progress_bar(total: int, desc: str, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="fit", file=sys.stderr, leave=False,
                disable=quiet or not sys.stderr.isatty())


def schema_path(tags_path, label_files, quiet: bool):
    """--tags, else a tags.toml kept beside the labels (as labels/ holds both)."""
    if tags_path or not label_files:
        return tags_path
    beside = Path(label_files[0]).parent / "tags.toml"
    if not beside.is_file():
        return None
    if not quiet:
        click.echo(f"tag schema: {beside} (beside the labels; --tags to choose another)", err=True)
    return str(beside)


def load_data(data, label_files, tags_path, max_doc_bytes=MAX_DOC_BYTES, known_tags=None):
    """Documents with their labels, and the schema; labels must use the schema's tags (or
    ``known_tags``, a model's)."""
    from .documents import read_documents
    from .labels import attach_labels, load_schema

    schema = load_schema(tags_path) if tags_path else None
    docs = read_documents(data, max_doc_bytes=max_doc_bytes)
    known = schema.ids if schema else known_tags
    docs = attach_labels(docs, label_files, known_tags=known)
    return docs, schema


def data_files(data) -> list[Path]:
    from .documents import expand_paths

    return [p for p in expand_paths(data) if str(p) != "-"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tagger")
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
    from .model import train as train_model
    from .persist import check_model_target, save_model

    settings, search = settings_from(kwargs)
    check_model_target(model)  # before the work, not after it
    tags_path = schema_path(tags_path, label_files, quiet)
    docs, schema = load_data(data, label_files, tags_path, max_doc_bytes)
    command = rebuild_command(data, label_files, tags_path, model, kwargs)
    from .model import search_grid

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
    click.echo(f"settings: C={chosen.C:g}, ngram-max={chosen.ngram_max}, {keywords}, "
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
    from .model import Settings

    d = Settings()
    for key in ("folds", "seed", "min_df"):
        if options[key] != getattr(d, key):
            parts += ["--" + key.replace("_", "-"), str(options[key])]
    for key in ("ngram_max", "C", "keyword_window"):
        if options[key] is not None:
            parts += ["--" + key.replace("_", "-"), str(options[key])]
    if options["unlabelled_idf"]:
        parts.append("--unlabelled-idf")
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
      tagger evaluate --model models/ukraine-war --data test.jsonl --json scores.json
      tagger evaluate --data test.jsonl --report report.html
      tagger evaluate --cv 5 --data ../shared/corpus/ukraine-2022.jsonl \\
        --labels labels/reference-train.csv --tags labels/tags.toml
    """
    from .files import check_output, write_text_atomic
    from .metrics import cross_validation, evaluation, format_table
    from .persist import load_model

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
        from .report import write_report

        write_report(result, report_path, about=about)
    if json_path:
        write_text_atomic(json_path, json.dumps(summary, indent=2) + "\n")
    click.echo(format_table(summary))


@main.command()
@model_option()
@format_option()
@max_doc_bytes_option
@click.argument("paths", nargs=-1, required=True)
@handle_errors
def predict(model, fmt, max_doc_bytes, paths):
    """Tag a few documents: files, directories, or - for standard input.

    \b
    Examples:
      tagger predict seeds/004_40f943de2ae17bec.txt
      cat article.txt | tagger predict - --format json
    """
    from .documents import read_documents
    from .outputs import format_predictions
    from .persist import load_model

    loaded = load_model(resolve_model(model))
    docs = read_documents(paths, max_doc_bytes=max_doc_bytes)
    click.echo(format_predictions(loaded.predict(docs), loaded.tags, fmt), nl=False)


@main.command()
@model_option()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help="Output file: .jsonl, .csv or .parquet.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]),
              help="Output format [default: from the --out extension].")
@click.option("--batch-size", type=click.IntRange(1), default=1000, show_default=True,
              help="Documents per chunk: the unit of parallel work and of resumption.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes [default: all cores].")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Run in local processes (joblib) or on a Dask cluster.")
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (with --engine dask).")
@click.option("--duplicates", type=click.Choice(DUPLICATES), default="error", show_default=True,
              help="A document id seen before (the same file twice, or one id in two inputs): "
                   "stop with an error, skip it (listed with the skipped documents), or keep "
                   "and tag it again.")
@max_doc_bytes_option
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary line.")
@handle_errors
def tag(model, inputs, out, fmt, batch_size, jobs, engine, scheduler, duplicates, max_doc_bytes,
        quiet):
    """Tag many documents into one file: streaming, parallel and resumable.

    INPUTS are as for --data: directories of .txt, .jsonl, .csv and .parquet files. Each
    output record has the document's id, its tags and a score per tag, as `tagger
    predict` gives them. If a run is interrupted, run the same command again: it goes on
    from the last committed chunk. Unreadable documents are skipped and listed with their
    reasons in OUT.errors.jsonl.

    Exit status: 0 when every document was tagged, 3 when some were skipped, 1 on an
    error.

    \b
    Examples:
      tagger tag ../shared/corpus/ukraine-2022.jsonl --out tags.jsonl
      tagger tag articles/ --out tags.parquet --jobs 2 --batch-size 500
      tagger tag archive.jsonl --out tags.csv --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from tqdm import tqdm

    from .batch import tag_files

    bar = tqdm(desc="tagging", unit="doc", file=sys.stderr, smoothing=0.1,
               disable=quiet or not sys.stderr.isatty())
    try:
        with bar:
            summary = tag_files(inputs, out, model_dir=resolve_model(model), fmt=fmt,
                                batch_size=batch_size, jobs=jobs, engine=engine,
                                scheduler=scheduler, progress=bar.update,
                                duplicates=duplicates, max_doc_bytes=max_doc_bytes)
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
    from .persist import META_FILE, load_model

    path = resolve_model(model)
    load_model(path)  # validates it before printing what it holds
    click.echo((path / META_FILE).read_text(encoding="utf-8"), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
