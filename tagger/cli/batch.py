"""`tagger tag`: many documents into one file, or added day by day to an archive."""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager

import click

from ..batch.engines import ENGINES
from ..batch.parts import DUPLICATES
from ..io.formats import formats_for, help_for
from ..io.writers import describe_outputs
from .commands import main
from .options import (adapt_priors_option, evidence_option, handle_errors, keep_option,
                      max_doc_bytes_option, model_option, resolve_model, say)


@main.command()
@model_option()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False),
              help=f"Output file: {describe_outputs()}.")
@click.option("--format", "fmt", type=click.Choice(formats_for("file").choices()),
              help=f"Output format [default: from the --out extension]: {help_for('file')}.")
@click.option("--bom", is_flag=True,
              help="With a .csv output: start it with a UTF-8 byte order mark, for Excel "
                   "(the same as --format csv-excel).")
@keep_option
@click.option("--batch-size", type=click.IntRange(1), default=1000, show_default=True,
              help="Documents per chunk: the unit of parallel work and of resumption.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Worker processes, at most the CPUs this process may use [default: all of "
                   "them; one for inputs under 1 MiB].")
@click.option("--engine", type=click.Choice(ENGINES.choices()), default="local", show_default=True,
              help=f"Where the chunks are tagged: {ENGINES.help_text()}.")
@click.option("--scheduler", help="Dask scheduler address, e.g. tcp://127.0.0.1:8786 (with --engine dask).")
@click.option("--duplicates", type=click.Choice(DUPLICATES.choices()), default="error",
              show_default=True,
              help="A document id seen before (the same file twice, or one id in two inputs): "
                   f"{DUPLICATES.help_text()}.")
@click.option("--incremental", is_flag=True,
              help="Add to the archive --out: tag only the documents whose id is not in it "
                   "yet, and add them all at once (run it daily over a growing input).")
@click.option("--retag", is_flag=True,
              help="With --incremental on a SQLite archive tagged by another model: tag its "
                   "documents again with this model first (the archive is replaced whole).")
@evidence_option
@adapt_priors_option
@max_doc_bytes_option
@click.option("--quiet", "-q", is_flag=True,
              help="No progress bar, no summary line and no drift warning (OUT.drift.json has it).")
@handle_errors
def tag(model, inputs, out, fmt, bom, keep, batch_size, jobs, engine, scheduler, duplicates,
        incremental, retag, evidence, adapt_priors, max_doc_bytes, quiet):
    """Tag many documents into one file: streaming, parallel and resumable.

    INPUTS are as for --data: files, and directories of them. Each output record has the
    columns id, date, title, source, url (empty when a document has none), the fields
    given to --keep, model (the model's fingerprint), then per tag: TAG (true when the
    tag is given), TAG_score (its probability), TAG_evidence, TAG_start and TAG_end (the
    evidence sentence and its span in the text), as `tagger predict --format jsonl` gives
    them. The model's name, fingerprint and thresholds are in the file's metadata (Parquet,
    SQLite) or in OUT.meta.json (JSONL, CSV). If a run is interrupted, run the same
    command again: it goes on from the last committed chunk. Unreadable documents are
    skipped and listed with their reasons in OUT.errors.jsonl.

    How the documents differ from the model's training documents (words it has never
    seen, each tag's rate, scores close to a threshold) goes to OUT.drift.json; when they
    pass its bounds, a one-line warning says so.

    Exit status: 0 when every document was tagged, 3 when some were skipped, 1 on an
    error.

    \b
    Examples:
      tagger tag ../shared/corpus/ukraine-2022.jsonl --out tags.jsonl
      tagger tag ../shared/corpus/news-2023-2025.jsonl seeds/ --out tags.parquet --jobs 2
      tagger tag --incremental seeds/ --out archive.jsonl
      tagger tag --incremental seeds/ --out archive.sqlite
      tagger tag ../shared/corpus/news-2023-2025.jsonl --out tags.csv --bom
    """
    # Tagging does no BLAS work (its sums are the compiled kernel's), and the threads
    # OpenBLAS starts with NumPy spin idle for a while: 0.1 CPU-second of every run, taken
    # from other work on a busy machine. Read once, when NumPy is first imported: here.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from ..batch.run import tag_files
    from ..errors import ArchiveModelError
    from ..model.drift import drift_warning

    fmt = _with_bom(out, fmt) if bom else fmt
    shown = not quiet and sys.stderr.isatty()
    bar = _tagging_bar(shown)
    try:
        with bar, _sigterm_stops():
            summary = tag_files(inputs, out, model_dir=resolve_model(model), fmt=fmt,
                                batch_size=batch_size, jobs=jobs, engine=engine,
                                scheduler=scheduler,
                                progress=bar.update if shown else None,  # no watching
                                duplicates=duplicates, max_doc_bytes=max_doc_bytes,
                                evidence=evidence, incremental=incremental,
                                adapt_priors=adapt_priors, retag=retag, keep=keep)
    except ArchiveModelError as exc:
        raise click.ClickException(f"{exc}; to do so, add --retag") from None
    except KeyboardInterrupt as exc:
        raise click.ClickException(_stopped(exc, out)) from None
    if not quiet:
        say(summary.line(), err=True)
        warning = drift_warning(summary.drift) if summary.drift else None
        if warning:
            say(warning, err=True)
    if summary.skipped:
        sys.exit(3)


def _tagging_bar(shown: bool):
    """tqdm's bar if ``shown`` (on a terminal); else none, and tqdm not imported (it imports
    importlib.metadata: 30 ms of start-up while the workers wait to be forked)."""
    if not shown:
        from ..batch.progress import Silent

        return Silent()
    from tqdm import tqdm

    return tqdm(desc="tagging", unit="doc", file=sys.stderr, smoothing=0.1)


def _stopped(exc: KeyboardInterrupt, out: str) -> str:
    """What a stopped run says: how it was stopped, and the truth of what is kept."""
    from ..batch.parts import kept_chunks, kept_phrase

    why = "stopped (SIGTERM)" if exc.args == ("SIGTERM",) else "interrupted"
    kept = kept_chunks(out)
    then = (f"{kept_phrase(kept)}; run the same command again to continue" if kept
            else "no chunk was finished, nothing was written; run the same command again "
                 "to start over")
    return f"{why}: {then}"


def _with_bom(out: str, fmt: str | None) -> str:
    """--bom: the CSV format for Excel, for a CSV output only."""
    from ..io.writers import output_format

    if output_format(out, fmt) not in ("csv", "csv-excel"):
        raise click.UsageError("--bom is for a CSV output (.csv or --format csv)")
    return "csv-excel"


@contextmanager
def _sigterm_stops():
    """SIGTERM stops a run as Ctrl-C does (its workers stopped, its lock released, one
    line said) instead of killing the process where it stands."""
    import threading

    from ..batch.workers import end_quietly

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers
        return
    parent = os.getpid()

    def stop(signum, frame):
        if os.getpid() != parent:  # a worker forked before it set its own handlers
            end_quietly()
        raise KeyboardInterrupt("SIGTERM")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)

