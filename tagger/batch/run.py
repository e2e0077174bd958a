"""Batch tagging at volume: streaming, parallel, resumable, locally or on a Dask cluster.

Documents are read lazily and cut into numbered chunks of ``batch_size``. Each chunk is
tagged (see :mod:`.engines`) and committed as a part file (see :mod:`.parts`), so a killed
run loses at most the chunks in flight and running the same command again skips every
committed chunk. Memory is bounded by the chunks in flight, not by the input size.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..errors import ArchiveModelError, DuplicateError, FileError, InputError, OutputError, TaggerError
from ..io.archive import archive_ids
from ..io.documents import expand_paths, raw_records
from ..io.files import OutputLock, check_output, write_text_atomic
from ..io.records import MAX_DOC_BYTES, Document
from ..io.sqlitestore import add_run, check_archive, model_mismatch
from ..io.layout import Layout, check_keep
from ..io.writers import output_format
from . import engines, parts, workers
from .progress import PartsWatcher
from .retag import retag_archive
from .sidecars import sidecars, write_sidecars


@dataclass
class BatchSummary:
    """What a batch run did."""

    documents: int = 0      # documents tagged (in this run or a resumed one)
    tagged: int = 0         # documents given at least one tag
    skipped: int = 0        # unreadable documents, listed in the errors file
    seconds: float = 0.0
    resumed_chunks: int = 0
    known: int = 0          # documents already in the archive (incremental), left out
    output: str = ""
    errors_path: str | None = None
    drift: dict | None = None      # the drift report (tagger.evaluation.drift), also in OUT.drift.json
    drift_path: str | None = None
    priors: object = None          # the estimated tag rates (tagger.model.priors), when adapted

    def line(self) -> str:
        rate = self.documents / self.seconds if self.seconds > 0 else 0.0
        text = (f"{self.documents} documents tagged ({self.tagged} with tags), "
                f"{self.skipped} skipped, in {self.seconds:.1f}s ({rate:,.0f} docs/s) -> {self.output}")
        if self.known:
            text += f"; {self.known} already in the archive, left out"
        if self.resumed_chunks:
            text += f"; {self.resumed_chunks} chunks resumed from an earlier run"
        if self.skipped:
            text += f"; reasons in {self.errors_path}"
        if self.priors is not None:
            text += f"; {self.priors.summary()}"
        if self.drift is not None:
            from ..evaluation.drift import drift_summary

            text += f"; {drift_summary(self.drift)} in {self.drift_path}"
        return text


def drift_file(out: Path) -> Path:
    """Where a run writing ``out`` reports how its documents drift from training."""
    return Path(str(out) + ".drift.json")


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
    if duplicates == "error":
        seen: set[Path] = set()
        for f in files:
            if f.resolve() in seen:
                raise DuplicateError(f, "is given twice; tag each input once, or choose to "
                                        "skip or keep repeated documents")
            seen.add(f.resolve())
    return list(files)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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
    listed and left out with ``"skip"``, tagged again with ``"keep"``. The output does not
    depend on ``jobs`` or the engine. One run at a time may write ``out`` (a lock beside
    it); the output is never an input, a link, a device or a directory. ``progress`` is
    called with the number of documents in each chunk as it is committed. With
    ``evidence``, each assigned tag comes with its evidence sentence and span.

    With ``incremental``, ``out`` is an archive that grows: only documents whose id is not
    in it yet are tagged, and added to it all at once (the archive is replaced atomically,
    so it is either as it was or complete). The figures of how the documents tagged drift
    from the training documents go to ``OUT.drift.json`` (see
    :func:`tagger.evaluation.drift.drift_report`).

    With ``adapt_priors`` ("em" or "mean", :data:`tagger.config.PRIOR_ESTIMATES`), a first
    pass scores every document to be tagged (holding only their probabilities) and
    estimates each tag's rate among them (:mod:`tagger.model.priors`); they are then
    tagged with scores adjusted to those rates, which ``OUT.drift.json`` records
    (``adapted_priors``).

    Every record is in the layout of :mod:`tagger.io.layout`, with the input fields named
    in ``keep``; the model and thresholds are in the file's metadata, or for a format with
    no place for it in ``OUT.meta.json``.
    """
    from ..model.persist import load_model, model_digest

    started, stamp = time.perf_counter(), _now()
    out = Path(out)
    fmt = output_format(out, fmt)
    if batch_size < 1:
        raise TaggerError("the batch size must be at least 1")
    if duplicates not in parts.DUPLICATES:
        raise TaggerError(f"unknown way to treat duplicates {duplicates!r} "
                          f"(use {', '.join(parts.DUPLICATES)})")
    if any(str(p) == "-" for p in inputs):
        raise InputError("-", "batch tagging reads files, not standard input; save it to a "
                              "file, or tag it with predict")
    model_dir = Path(model_dir)
    model = load_model(model_dir)  # validates the model before any work starts
    if incremental and fmt == "sqlite":
        check_archive(out)  # another program's database is refused before anything is written
    layout = Layout(tuple(model.tags), check_keep(keep, model.tags), model_digest(model_dir))
    if retag and incremental and fmt == "sqlite" and out.exists():
        retag_archive(out, lambda src, dst: tag_files(
            [src], dst, model_dir=model_dir, fmt="sqlite", batch_size=batch_size, jobs=jobs,
            max_doc_bytes=max_doc_bytes, evidence=evidence, keep=keep))
    files = _repeated_files(expand_paths(inputs), duplicates)
    input_dirs = [p for p in inputs if str(p) != "-" and Path(p).is_dir()]
    for target in (out, parts.errors_file(out), drift_file(out), *sidecars(out, fmt)):
        check_output(target, inputs=files, input_dirs=input_dirs)
    with OutputLock(out):
        manifest = {"inputs": _fingerprint_inputs(files), "model": layout.model,
                    "batch_size": batch_size, "format": fmt, "max_doc_bytes": max_doc_bytes,
                    "evidence": evidence, "keep": list(layout.keep)}
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
        done = parts.prepare(parts_dir, manifest)
        summary = BatchSummary(output=str(out), resumed_chunks=len(done))

        try:
            _run_engine(engine, model, None if estimate else model_dir, files, parts_dir, fmt,
                        batch_size, done, jobs, max_doc_bytes, evidence, exclude, scheduler,
                        connect_timeout, progress, layout)
        except BaseException as exc:
            kept = parts.abandon(parts_dir)
            if isinstance(exc, FileError) and Path(exc.path).parent == parts_dir:
                raise _parts_error(out, parts_dir, exc, kept) from None
            raise
        n_chunks = parts.count_committed(parts_dir)
        meta = layout.metadata(model_dir.name, [float(t) for t in model.thresholds])
        counts = parts.join(parts_dir, out, fmt, layout, n_chunks, duplicates, base, meta)
        if base is None or counts["documents"]:
            write_sidecars(out, fmt, layout, meta)
    summary.known = counts["known"]
    summary.documents, summary.tagged = counts["documents"], counts["tagged"]
    summary.skipped, summary.errors_path = counts["skipped"], counts["errors_path"]
    from ..evaluation.drift import drift_report

    summary.drift = {"model": layout.model, "model_name": model_dir.name,
                     **drift_report(model, counts["drift"])}
    if estimate is not None:
        summary.priors = estimate
        summary.drift["adapted_priors"] = estimate.to_dict()
    summary.drift_path = str(drift_file(out))
    # a run with nothing new keeps the last report: an empty one would hide its warnings
    if not (incremental and counts["known"] and not summary.documents
            and Path(summary.drift_path).exists()):
        write_text_atomic(summary.drift_path, json.dumps(summary.drift, indent=2) + "\n")
    if fmt == "sqlite" and summary.documents:
        add_run(out, {"model": layout.model, "model_name": model_dir.name, "started": stamp,
                      "finished": _now(), "drift": summary.drift,
                      "inputs": [str(f) for f in files], "documents": summary.documents})
    summary.seconds = time.perf_counter() - started
    return summary


def _run_engine(engine, model, model_dir, files, parts_dir: Path, fmt: str, batch_size: int,
                done: set[int], jobs: int, max_doc_bytes: int, evidence: bool,
                exclude: frozenset, scheduler, connect_timeout: float, progress,
                layout: Layout) -> None:
    """Tag and commit every chunk not ``done`` on ``engine`` (dask or local)."""
    if engine == "dask":
        def pending():
            for index, chunk in enumerate(engines.batched(
                    raw_records(files, max_doc_bytes, layout.keep), batch_size)):
                if index not in done:
                    yield index, chunk

        for result in engines.run_dask(model, pending(), fmt, scheduler, connect_timeout,
                                       max_doc_bytes=max_doc_bytes, evidence=evidence,
                                       exclude=exclude, layout=layout):
            parts.commit(parts_dir, result, fmt)
            if progress:
                progress(len(result.ids) + len(result.skipped))
    elif engine == "local":
        with PartsWatcher(parts_dir, progress):
            engines.run_local(model, model_dir, files, parts_dir, fmt, batch_size, done, jobs,
                              max_doc_bytes, evidence, exclude, layout)
    else:
        raise TaggerError(f"unknown engine {engine!r} (use local or dask)")


def _parts_error(out: Path, parts_dir: Path, exc: FileError, kept: int) -> OutputError:
    """The error of a part that could not be written (a full disk, say), naming the output."""
    what = exc.reason.split(";")[0]  # "cannot be written (No space left on device)"
    then = (f"{parts.kept_phrase(kept)} in {parts_dir.name}; free space, then run the "
            "same command again to continue" if kept else "nothing was written")
    return OutputError(out, f"{what} (a part in {parts_dir.name}); {then}")
