"""Options shared by commands, the model they default to, and turning errors into one line."""

from __future__ import annotations

import dataclasses
import errno
import functools
import os
import sys
from pathlib import Path

import click

from ..errors import DuplicateError, TaggerError
from ..io.readers import describe as describe_inputs
from ..io.records import MAX_DOC_BYTES
from ..text.safe import terminal_safe


def resolve_model(path: str | None) -> Path:
    """--model, else $TAGGER_MODEL (click fills it in), else the shipped model: never a
    directory that merely happens to be under the current one."""
    from ..model.persist import shipped_model

    if path:
        return Path(path)
    shipped = shipped_model()
    if shipped is not None:
        return shipped
    raise click.ClickException("no model given and no shipped model installed: pass --model "
                               "DIR or set TAGGER_MODEL")


def max_doc_bytes_option(f):
    return click.option("--max-doc-bytes", type=click.IntRange(1), default=MAX_DOC_BYTES,
                        show_default=True,
                        help="Largest document (a .txt file, a JSONL line, a CSV or Parquet "
                             "row, standard input) read; a larger one is a bad document.")(f)


def evidence_option(f):
    return click.option("--evidence/--no-evidence", default=True, show_default=True,
                        help="Give each assigned tag its evidence: the best sentence of the "
                             "document's text, with its character span in the text (the "
                             "TAG_evidence, TAG_start and TAG_end columns; empty without).")(f)


def keep_option(f):
    return click.option("--keep", "keep", multiple=True, metavar="FIELD",
                        help="Carry this input field into each record, after url, as text "
                             "(repeatable; empty when a document has none).")(f)


def adapt_priors_option(f):
    from ..config import PRIOR_ESTIMATES

    ways = PRIOR_ESTIMATES.help_text()
    return click.option("--adapt-priors", type=click.Choice(PRIOR_ESTIMATES.choices()), default=None,
                        help="Estimate each tag's rate among these documents from the model's "
                             "own scores (no labels) and adjust the scores to it before the "
                             f"thresholds ({ways}). The rates go to standard error (tag: also "
                             "OUT.drift.json). For batches of dozens of documents or more; "
                             "off by default: docs/tagging.md says what it gained.")(f)


def model_option(required: bool = False):
    return click.option("--model", "-m", "model", envvar="TAGGER_MODEL", required=required,
                        type=click.Path(file_okay=False, dir_okay=True),
                        help="Model directory [env: TAGGER_MODEL; default: the shipped "
                             "models/ukraine-war].")


def format_option(kind: str = "predictions", default: str = "table"):
    """--format: the output formats that render ``kind`` (tagger.io.formats), as the module
    rendering it has attached them; the caller imports that module first."""
    from ..io.formats import formats_for, help_for

    return click.option("--format", "-f", "fmt", type=click.Choice(formats_for(kind).choices()),
                        default=default, show_default=True,
                        help=f"Output format: {help_for(kind)}.")


def data_options(f):
    """--data, --labels, --tags and --max-doc-bytes, shared by train and evaluate."""
    f = max_doc_bytes_option(f)
    f = click.option("--tags", "tags_path", type=click.Path(dir_okay=False),
                     help="Tag schema (TOML) [default: the tags.toml beside the first --labels "
                          "file, if there is one; else the tags seen in the labels].")(f)
    f = click.option("--labels", "-l", "label_files", multiple=True, type=click.Path(dir_okay=False),
                     help="Hand labels: CSV 'id,tags', or JSONL labels with their evidence "
                          "sentences, or an evidence file (repeatable). Without it, labels "
                          "come from the data's own 'tags' field.")(f)
    f = click.option("--data", "-d", "data", multiple=True, required=True,
                     help=f"Documents: a {describe_inputs()} file, or a directory of them "
                          "(repeatable).")(f)
    return f


def _click_type(bound):
    if bound.kind is int:
        return click.IntRange(None if bound.lo is None else int(bound.lo),
                              None if bound.hi is None else int(bound.hi))
    return click.FloatRange(bound.lo, bound.hi, min_open=bound.lo_open)


def _values(values) -> str:
    return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


def settings_options(f):
    """The model settings that are options (see tagger.config: flag, bound, help and
    searched values are declared there, once), plus --search and --jobs. A searched
    setting defaults to None: not fixed, so searched."""
    from dataclasses import fields

    from ..config import Settings

    d = Settings()
    options = []
    for field in fields(Settings):
        m = field.metadata
        if not m["flag"]:
            continue
        if m["bound"].kind is bool:
            searched = (f" [default: searched over {_values(m['search'])}]" if m["search"]
                        else "")
            options.append(click.option(m["flag"], field.name,
                                        default=None if m["search"] else getattr(d, field.name),
                                        show_default=not m["search"],
                                        help=m["doc"] + searched))
        elif m["search"]:
            options.append(click.option(m["flag"], field.name, type=_click_type(m["bound"]),
                                        default=None,
                                        help=f"{m['doc'][:-1]} [default: searched over "
                                             f"{_values(m['search'])}]."))
        else:
            options.append(click.option(m["flag"], field.name, type=_click_type(m["bound"]),
                                        default=getattr(d, field.name), show_default=True,
                                        help=m["doc"]))
    unfixed = ", ".join(f"{f.metadata['flag'].split('/')[0].lstrip('-')}="
                        f"{_values([getattr(d, f.name)])}"
                        for f in fields(Settings) if f.metadata["search"])
    options += [
        click.option("--search/--no-search", default=True, show_default=True,
                     help="Choose the unfixed settings above by cross-validation; without "
                          f"it, unfixed settings take their defaults ({unfixed})."),
        click.option("--jobs", "-j", "n_jobs", type=click.IntRange(1), default=None,
                     help="Processes for fitting folds and per-tag models, at most the CPUs "
                          "this process may use [default: all of them; one for under 200 "
                          "labelled documents]. The model does not depend on it."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


def settings_from(kwargs):
    """(Settings, search grid) from the command-line options."""
    from dataclasses import fields

    from ..config import Settings, search_space

    values = {f.name: kwargs[f.name] for f in fields(Settings)
              if f.metadata["flag"] and kwargs[f.name] is not None}
    fixed = [name for name in values if Settings.__dataclass_fields__[name].metadata["search"]]
    search = search_space(fixed) if kwargs["search"] else None
    return Settings(**values), search or None


def _silence_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush of a broken or
    full stdout cannot print a traceback after the one-line error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def say(text, *, err: bool = False, nl: bool = True) -> None:
    """Print text that may hold a model's or an article's words: escape sequences and
    control characters removed first (a planted OSC 52 would write the clipboard)."""
    click.echo(terminal_safe(text), err=err, nl=nl)


def print_predictions(predictions, docs, layout, fmt: str) -> None:
    """Predictions (of ``docs``, in ``layout``) on standard output: the table one line per
    document (a newline in an id shown as \\n) and terminal-safe; data for a program kept as
    it is unless a terminal shows it (JSON escapes control characters itself)."""
    from ..io.formats import for_person
    from ..io.writers import format_predictions

    if for_person(fmt):
        predictions = [dataclasses.replace(p, id=terminal_safe(p.id, one_line=True))
                       for p in predictions]
    text = format_predictions(predictions, docs, layout, fmt)
    if for_person(fmt) or sys.stdout.isatty():
        say(text, nl=False)
    else:
        click.echo(text, nl=False)


def handle_errors(f):
    """Turn the library's errors, and the system's (disk full, permission denied, broken
    pipe), into one-line messages and exit code 1."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            result = f(*args, **kwargs)
            sys.stdout.flush()
            return result
        except click.ClickException as exc:  # its message may quote a file's contents
            exc.message = terminal_safe(exc.message)
            raise
        except DuplicateError as exc:
            raise click.ClickException(terminal_safe(f"{exc} (--duplicates skip or keep)")) from None
        except TaggerError as exc:
            raise click.ClickException(terminal_safe(exc)) from None
        except OSError as exc:
            if exc.filename is None and exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO):
                _silence_stdout()
                why = ("closed before the output ended (broken pipe)" if exc.errno == errno.EPIPE
                       else f"cannot be written ({exc.strerror})")
                raise click.ClickException(f"standard output {why}") from None
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(terminal_safe(f"{where}{exc.strerror or exc}")) from None
    return wrapper


def progress_bar(total: int, desc: str, quiet: bool, unit: str = "fit"):
    """A tqdm bar on a terminal; else a plain line per step, with the time left (see
    :class:`~tagger.batch.progress.ProgressLines`); nothing when ``quiet``."""
    from ..batch.progress import ProgressLines, Silent

    if quiet:
        return Silent()
    if not sys.stderr.isatty():
        return ProgressLines(total, desc, unit, sys.stderr)
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)


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
    from ..io.documents import read_documents
    from ..labels.attach import attach_labels
    from ..labels.tagschema import load_schema

    schema = load_schema(tags_path) if tags_path else None
    docs = read_documents(data, max_doc_bytes=max_doc_bytes)
    known = schema.ids if schema else known_tags
    docs = attach_labels(docs, label_files, known_tags=known)
    return docs, schema


def data_files(data) -> list[Path]:
    from ..io.documents import expand_paths

    return [p for p in expand_paths(data) if str(p) != "-"]
