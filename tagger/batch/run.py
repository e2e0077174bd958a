"""Batch tagging at volume: streaming, parallel, resumable, locally or on a Dask cluster.

Documents are read lazily and cut into numbered chunks of ``batch_size``. Each chunk is
tagged (see :mod:`.engines`) and committed as a part file (see :mod:`.parts`), so a killed
run loses at most the chunks in flight and running the same command again skips every
committed chunk. Memory is bounded by the chunks in flight, not by the input size. The
output does not depend on the number of jobs or the engine. One run at a time may write an
output (a lock beside it); the output is never an input, a link, a device or a directory.
The parts are then joined into it (see :mod:`.finish`), and the figures of how the
documents tagged drift from the training documents go to ``OUT.drift.json`` (see
:func:`tagger.model.drift.drift_report`).

An incremental run adds to an archive: only documents whose id is not in it yet are tagged,
and added to it all at once (the archive is replaced atomically, so it is either as it was
or complete).

A run adapting the priors scores every document to be tagged in a first pass (holding only
their probabilities) and estimates each tag's rate among them (:mod:`tagger.model.priors`);
they are then tagged with scores adjusted to those rates, which ``OUT.drift.json`` records
(``adapted_priors``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..errors import ArchiveModelError, DuplicateError, FileError, InputError, OutputError, TaggerError
from ..io.archive import archive_ids
from ..io.documents import expand_paths
from ..io.files import OutputLock, check_output
from ..io.records import MAX_DOC_BYTES, Document
from ..io.sqlitestore import check_archive, model_mismatch
from ..io.layout import Layout, check_keep
from ..io.writers import output_format
from . import engines, parts, workers
from .feed import feeding, running
from .finish import BatchSummary, drift_file, finish, join_output, utc_now
from .retag import retag_archive
from .sidecars import sidecars


def tag_stream(model, docs: Iterable[Document], *, batch_size: int = 1000,
               jobs: int = 1, evidence: bool = True) -> Iterator:
    """Yield a Prediction for each document, lazily and in order, chunk by chunk."""
    chunks = engines.batched(docs, batch_size)
    jobs = min(jobs, workers.available_cpus())
    if jobs == 1:
        for chunk in chunks:
            yield from model.predict(chunk, evidence=evidence)
        return
    from joblib import Parallel, delayed

    with Parallel(n_jobs=jobs, return_as="generator") as parallel:
        for preds in parallel(delayed(model.predict)(chunk, evidence=evidence) for chunk in chunks):
            yield from preds


def _adapted(model, model_dir: Path, files, batch_size: int, jobs: int, max_doc_bytes: int,
             exclude: frozenset, method: str):
    """(the model adapted to the input's tag rates, the estimate): a first pass scores the
    documents to be tagged, then ``method`` estimates the rates from their probabilities."""
    from ..model.priors import adapted_model, estimate_for

    proba = engines.score_local(model, model_dir, files, batch_size, jobs, max_doc_bytes, exclude)
    estimate = estimate_for(model, proba, method)
    return adapted_model(model, estimate), estimate


def _fingerprint_inputs(files: Sequence[Path]) -> list:
    out = []
    for f in files:
        st = f.stat()
        out.append([str(f.resolve()), st.st_size, st.st_mtime_ns])
    return out


def _repeated_files(files: Sequence[Path], duplicates: str) -> list[Path]:
    """The input files; one given twice is an error, found at once, when duplicates are."""
    if parts.DUPLICATES.entry(duplicates).info.get("refuses"):
        seen: set[Path] = set()
        for f in files:
            if f.resolve() in seen:
                raise DuplicateError(f, "is given twice; tag each input once, or choose to "
                                        "skip or keep repeated documents")
            seen.add(f.resolve())
    return list(files)


def _same_model(out: Path, fmt: str, fingerprint: str) -> None:
    """One archive holds one model's tags: adding with another model is refused."""
    if fmt == "sqlite":
        why = model_mismatch(out, fingerprint)
        if why:
            raise ArchiveModelError(out, why)


# Below this much input, one process tags it faster than a pool of workers starts
# (a pool costs about 0.2 s; one process tags 1 MiB of news in under 0.1 s).
SMALL_INPUT = 2**20


def default_jobs(files: Sequence[Path]) -> int:
    """Every CPU this process may use, unless the input is too small to be worth a pool."""
    size = 0
    for f in files:
        try:
            size += f.stat().st_size
        except OSError:
            pass  # an unreadable input is reported when it is read
    return 1 if size < SMALL_INPUT else workers.available_cpus()


def tag_files(inputs: Sequence[str | Path], out: str | Path, *, model_dir: str | Path,
              fmt: str | None = None, batch_size: int = 1000, jobs: int | None = None,
              engine: str = "local", scheduler: str | None = None,
              progress: Callable[[int], None] | None = None,
              connect_timeout: float = 20, duplicates: str = "error",
              max_doc_bytes: int = MAX_DOC_BYTES, evidence: bool = True,
              incremental: bool = False, adapt_priors: str | None = None,
              retag: bool = False, keep: Sequence[str] = ()) -> BatchSummary:
    """Tag every document behind ``inputs`` into ``out``, resuming an interrupted run.

    Unreadable documents (and any over ``max_doc_bytes``) are skipped and listed in
    ``OUT.errors.jsonl``. A document id seen before is an error with ``duplicates="error"``,
    listed and left out with ``"skip"``, tagged again with ``"keep"``. ``progress`` is
    called with the number of documents in each chunk as it is committed. With
    ``evidence``, each assigned tag comes with its evidence sentence and span. With
    ``incremental``, ``out`` is an archive that grows (and with ``retag``, a SQLite archive
    of another model is tagged again with this one first). ``adapt_priors`` ("em" or
    "mean", :data:`tagger.config.PRIOR_ESTIMATES`) adjusts the scores to the tag rates
    estimated among the documents. The module docstring tells how each works. Every record
    is in the layout of :mod:`tagger.io.layout`, with the input fields named in ``keep``;
    the model and thresholds are in the file's metadata, or for a format with no place for
    it in ``OUT.meta.json``.
    """
    started, stamp = time.perf_counter(), utc_now()
    out = Path(out)
    fmt = output_format(out, fmt)
    _check_options(inputs, batch_size, duplicates)
    run = engines.ENGINES.lookup(engine)
    model_dir = Path(model_dir)
    model, layout = _opened(out, fmt, model_dir, keep, incremental)
    if retag and incremental and fmt == "sqlite" and out.exists():
        _retag(out, model_dir, batch_size=batch_size, jobs=jobs, max_doc_bytes=max_doc_bytes,
               evidence=evidence, keep=keep)
    files = _input_files(inputs, out, fmt, duplicates)
    with OutputLock(out):
        plan = _plan(out, fmt, model, model_dir, layout, files, batch_size, jobs,
                     max_doc_bytes, evidence, incremental, adapt_priors)
        summary = BatchSummary(output=str(out), resumed_chunks=len(plan.done))
        with feeding(out, fmt, plan.parts_dir, layout, plan.base, duplicates) as feed:
            try:
                with running(feed):  # the output is built as the chunks come, if it is built
                    run(engines.Work(plan.model, None if plan.estimate else model_dir, files,
                                     plan.parts_dir, fmt, batch_size, plan.done, plan.jobs,
                                     layout, max_doc_bytes, evidence, plan.exclude, scheduler,
                                     connect_timeout, progress))
            except BaseException as exc:
                _abandon(out, plan.parts_dir, exc)
                raise
            counts = join_output(out, fmt, plan.parts_dir, layout, duplicates, plan.base,
                                 plan.model, model_dir.name, feed)
    finish(summary, counts, out, fmt, model=plan.model, model_name=model_dir.name,
           layout=layout, estimate=plan.estimate, incremental=incremental, started=stamp,
           files=files)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_options(inputs: Sequence[str | Path], batch_size: int, duplicates: str) -> None:
    """Refuse a batch size under 1, an unknown way to treat duplicates and standard input."""
    if batch_size < 1:
        raise TaggerError("the batch size must be at least 1")
    parts.DUPLICATES.entry(duplicates)  # an unknown way raises, naming the known ones
    if any(str(p) == "-" for p in inputs):
        raise InputError("-", "batch tagging reads files, not standard input; save it to a "
                              "file, or tag it with predict")


def _opened(out: Path, fmt: str, model_dir: Path, keep: Sequence[str], incremental: bool):
    """(the model, the record layout), each checked before any work starts: the model, the
    fields to keep and, when adding to a SQLite archive, that the archive is one."""
    from ..model.persist import load_model, model_digest

    model = load_model(model_dir)
    if incremental and fmt == "sqlite":
        check_archive(out)  # another program's database is refused before anything is written
    return model, Layout(tuple(model.tags), check_keep(keep, model.tags), model_digest(model_dir))


def _retag(out: Path, model_dir: Path, **settings) -> None:
    """Tag the documents of the SQLite archive ``out`` again with the model in ``model_dir``
    (the archive is replaced whole)."""
    retag_archive(out, lambda src, dst: tag_files([src], dst, model_dir=model_dir, fmt="sqlite",
                                                  **settings))


def _input_files(inputs: Sequence[str | Path], out: Path, fmt: str, duplicates: str) -> list[Path]:
    """The input files, once each unless repeats are allowed; every file the run writes is
    checked to be none of them (nor in an input directory)."""
    files = _repeated_files(expand_paths(inputs), duplicates)
    input_dirs = [p for p in inputs if str(p) != "-" and Path(p).is_dir()]
    for target in (out, parts.errors_file(out), drift_file(out), *sidecars(out, fmt)):
        check_output(target, inputs=files, input_dirs=input_dirs)
    return files


@dataclass
class _Plan:
    """The work of a run holding its output's lock: what to tag, with what, and where."""

    model: object           # adapted to the documents' tag rates, when asked
    base: Path | None       # the archive added to (incremental), else None
    exclude: frozenset      # the ids already in it, left out
    jobs: int
    estimate: object        # the estimated tag rates (tagger.model.priors), when adapted
    parts_dir: Path
    done: set[int]          # the chunks committed by an earlier identical run


def _plan(out: Path, fmt: str, model, model_dir: Path, layout: Layout, files: list[Path],
          batch_size: int, jobs: int | None, max_doc_bytes: int, evidence: bool,
          incremental: bool, adapt_priors: str | None) -> _Plan:
    """Plan the run: the archive added to, the workers, the adapted model, and the parts
    directory resumed when its manifest says an earlier run was this one."""
    manifest = {"inputs": _fingerprint_inputs(files), "model": layout.model,
                "batch_size": batch_size, "format": fmt, "max_doc_bytes": max_doc_bytes,
                "evidence": evidence, "keep": list(layout.keep), "parts": parts.PARTS_VERSION}
    base, exclude = None, frozenset()
    if incremental and out.exists():
        _same_model(out, fmt, manifest["model"])
        exclude = frozenset(archive_ids(out, fmt, layout))
        base = out
        manifest["archive"] = _fingerprint_inputs([out])
    # never more workers than CPUs to run them: more only cost memory (a model each)
    jobs = min(jobs or default_jobs(files), workers.available_cpus())
    estimate = None
    if adapt_priors:
        model, estimate = _adapted(model, model_dir, files, batch_size, jobs, max_doc_bytes,
                                   exclude, adapt_priors)
        manifest["adapted_priors"] = [adapt_priors, *estimate.estimated.tolist()]
    parts_dir = Path(str(out) + ".parts")
    return _Plan(model, base, exclude, jobs, estimate, parts_dir,
                 parts.prepare(parts_dir, manifest))


def _abandon(out: Path, parts_dir: Path, exc: BaseException) -> None:
    """After a failed or stopped run, keep only its committed parts; a part that could not
    be written is an error naming ``out`` (raised here), any other is raised by the caller."""
    kept = parts.abandon(parts_dir)
    if isinstance(exc, FileError) and Path(exc.path).parent == parts_dir:
        raise _parts_error(out, parts_dir, exc, kept) from None


def _parts_error(out: Path, parts_dir: Path, exc: FileError, kept: int) -> OutputError:
    """The error of a part that could not be written (a full disk, say), naming the output."""
    what = exc.reason.split(";")[0]  # "cannot be written (No space left on device)"
    then = (f"{parts.kept_phrase(kept)} in {parts_dir.name}; free space, then run the "
            "same command again to continue" if kept else "nothing was written")
    return OutputError(out, f"{what} (a part in {parts_dir.name}); {then}")
