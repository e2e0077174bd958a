"""Where chunks are tagged: in this process, in local worker processes, or on Dask workers.
The engines a run may use are registered in ``ENGINES``: a function that tags and commits
every chunk of a :class:`Work` not done yet."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ..errors import TaggerError
from ..io.documents import parse_record, raw_records
from ..io.records import MAX_DOC_BYTES, Document, Skipped
from ..io.layout import Layout
from ..io.writers import render_part
from ..registry import Registry
from ..text import compiled
from .parts import Chunk, commit
from .progress import PartsWatcher
from .workers import collected_per_chunk, end_quietly, run_in_pool


def batched(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


@lru_cache(maxsize=4)
def _cached_model(path: str, stamp: tuple):
    from ..model.persist import load_model

    return load_model(path)


def _resolve(model_ref):
    """A model, or a model directory path loaded once per worker process."""
    if isinstance(model_ref, str) and model_ref in _INHERITED:
        return _INHERITED[model_ref]
    if isinstance(model_ref, (str, Path)):
        p = Path(model_ref)
        stamp = tuple((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in sorted(p.iterdir()))
        return _cached_model(str(p), stamp)
    return model_ref


def _runs(values: Iterable[str]) -> list:
    return [[v, len(list(g))] for v, g in itertools.groupby(values)]


def tag_chunk(model_ref, index: int, records: Sequence, fmt: str,
              max_doc_bytes: int = MAX_DOC_BYTES, evidence: bool = True,
              exclude: frozenset = frozenset(), layout: Layout | None = None) -> Chunk:
    """Parse, tag and render one chunk in ``layout`` (with each tag's evidence sentence, if
    asked), leaving out the documents whose id is in ``exclude`` (already in the archive)."""
    model = _resolve(model_ref)
    layout = layout or Layout(tuple(model.tags))
    items = [parse_record(r, max_doc_bytes, layout.keep) for r in records]
    docs = [d for d in items if isinstance(d, Document)]
    known = len(docs)
    if exclude:
        docs = [d for d in docs if d.id not in exclude]
    known -= len(docs)
    skipped = [d for d in items if isinstance(d, Skipped)]
    from ..model.drift import DriftCounts

    drift = DriftCounts()
    preds = model.predict(docs, evidence=evidence, drift=drift)
    return Chunk(index=index, payload=render_part(preds, docs, layout, fmt),
                 ids=[d.id for d in docs], sources=_runs(d.source for d in docs),
                 flags="".join("1" if p.tags else "0" for p in preds), skipped=skipped,
                 drift=drift.to_dict(), known=known)


def _tag_share(model_ref, files, parts: Path, fmt: str, batch_size: int, done: set[int],
               share: int, shares: int, max_doc_bytes: int = MAX_DOC_BYTES,
               evidence: bool = True, exclude: frozenset = frozenset(),
               layout: Layout | None = None) -> int:
    """Tag and commit chunks share, share + shares, ... of the input; returns how many.

    Each worker reads the input itself and skips the other workers' chunks, so no
    document text passes between processes.
    """
    model = _resolve(model_ref)
    parent = os.getppid()
    count = 0
    keep = layout.keep if layout else ()
    records = raw_records(files, max_doc_bytes, keep)
    with collected_per_chunk() as collect:
        for index, chunk in enumerate(batched(records, batch_size)):
            if index % shares != share or index in done:
                continue
            if shares > 1 and os.getppid() != parent:
                end_quietly()  # the run was killed: end rather than write for nobody
            commit(parts, tag_chunk(model, index, chunk, fmt, max_doc_bytes, evidence,
                                    exclude, layout), fmt)
            count += 1
            collect()
    return count


# Models handed to forked workers by inheritance rather than by pickling
_INHERITED: dict[str, object] = {}


def run_local(model, model_dir: Path | None, files, parts: Path, fmt: str, batch_size: int,
               done: set[int], jobs: int, max_doc_bytes: int = MAX_DOC_BYTES,
               evidence: bool = True, exclude: frozenset = frozenset(),
               layout: Layout | None = None):
    """Tag and commit the chunks not ``done``, in ``jobs`` processes. Without fork, workers
    load the model from ``model_dir``, or are sent ``model`` itself when it is None (a
    model changed in memory, such as one adapted to a batch's tag rates)."""
    _in_workers(model, model_dir, jobs, lambda ref, share: (
        ref, files, parts, fmt, batch_size, done, share, jobs, max_doc_bytes, evidence,
        exclude, layout), _tag_share)


def _in_workers(model, model_dir: Path | None, jobs: int, arguments, task) -> list:
    """``task(*arguments(ref, share))`` for each share of the work, in a pool of ``jobs``
    processes, ``ref`` standing for the model; the results in share order. One job runs
    here, on the model itself. The first error of any share stops the others at once.

    concurrent.futures' pool, not joblib's nor multiprocessing.Pool: a worker that dies
    (the out-of-memory killer, say) breaks it with an error where those wait forever, and
    the shares pass no arrays in, so joblib's memory-mapping folder (and the tracker
    process that warns of it when the run is killed) would be one more process for nothing."""
    import multiprocessing

    if jobs == 1:
        return [task(*arguments(model, 0))]
    fork = _can_fork()
    if fork:
        # Build the featurizer before the pool forks: workers inherit the model ready to
        # use instead of each paying for imports and set-up.
        model.featurizer()
        if compiled.kernel is None:  # NumPy's path sums by scipy: imported once, not per worker
            import scipy.sparse  # noqa: F401

        ref = f"inherited:{id(model)}"
        _INHERITED[ref] = model
    else:  # spawned workers load the model from its directory once each
        ref = str(model_dir) if model_dir is not None else model
    context = multiprocessing.get_context("fork" if fork else "spawn")
    try:
        return run_in_pool(context, jobs, [(task, *arguments(ref, share)) for share in range(jobs)])
    finally:
        if fork:
            _INHERITED.pop(ref, None)


def _score_share(model_ref, files, batch_size: int, share: int, shares: int,
                 max_doc_bytes: int, exclude: frozenset) -> dict:
    """{chunk index: probabilities of its readable documents} for chunks share,
    share + shares, ... of the input (documents in ``exclude`` left out)."""
    import numpy as np

    model = _resolve(model_ref)
    out = {}
    for index, chunk in enumerate(batched(raw_records(files, max_doc_bytes), batch_size)):
        if index % shares != share:
            continue
        docs = [d for d in (parse_record(r, max_doc_bytes) for r in chunk)
                if isinstance(d, Document) and d.id not in exclude]
        out[index] = (model.predict_proba([d.content for d in docs]) if docs
                      else np.empty((0, len(model.tags))))
    return out


def score_local(model, model_dir: Path | None, files, batch_size: int, jobs: int,
                max_doc_bytes: int = MAX_DOC_BYTES, exclude: frozenset = frozenset()):
    """The probabilities of every readable document behind ``files`` (n_docs x n_tags, in
    input order), chunk by chunk in ``jobs`` processes: a first pass over the input that
    holds no text, only the scores. The same whatever ``jobs``: each document is scored
    alone, and the chunks are put back in order."""
    import numpy as np

    shares = _in_workers(model, model_dir, jobs, lambda ref, share: (
        ref, files, batch_size, share, jobs, max_doc_bytes, exclude), _score_share)
    chunks = {i: p for share in shares for i, p in share.items()}
    parts = [chunks[i] for i in sorted(chunks)]
    return np.vstack(parts) if parts else np.empty((0, len(model.tags)))


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and \
        multiprocessing.get_start_method(allow_none=True) in (None, "fork")


def run_dask(model, chunks, fmt: str, scheduler: str | None, connect_timeout: float = 20,
              window: int | None = None, max_doc_bytes: int = MAX_DOC_BYTES,
              evidence: bool = True, exclude: frozenset = frozenset(),
              layout: Layout | None = None):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise TaggerError("the dask engine needs dask.distributed: pip install 'tagger[dask]'") from None
    if not scheduler:
        raise TaggerError("the dask engine needs the address of a scheduler (tcp://HOST:PORT)")
    where = repr(scheduler)[1:-1]  # one line, whatever was typed
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except (ValueError, TypeError) as exc:  # distributed's parse of the address
        raise TaggerError(f"'{where}' is not a Dask scheduler address (tcp://HOST:PORT): "
                          f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except (OSError, TimeoutError) as exc:
        raise TaggerError(f"cannot reach the Dask scheduler at {where} ({exc})") from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = window or 2 * n_workers
        # the model travels to each worker once; tasks refer to it by its future
        model_future = client.scatter(model, broadcast=True)
        exclude_future = client.scatter(exclude, broadcast=True) if exclude else frozenset()
        running = as_completed()
        chunks = iter(chunks)
        run_id = f"{os.getpid()}-{time.time_ns()}"

        def submit_next() -> bool:
            item = next(chunks, None)
            if item is None:
                return False
            index, records = item
            running.add(client.submit(tag_chunk, model_future, index, records, fmt,
                                      max_doc_bytes, evidence, exclude_future, layout,
                                      key=f"tagger-chunk-{run_id}-{index}", pure=False))
            return True

        for _ in range(window):
            if not submit_next():
                break
        for future in running:
            yield future.result()
            submit_next()
    finally:
        client.close()


@dataclass(frozen=True)
class Work:
    """The chunks a run has an engine tag and commit: those of ``files`` not ``done``."""

    model: object
    model_dir: Path | None  # where spawned workers load the model (None: they are sent it)
    files: Sequence[Path]
    parts_dir: Path
    fmt: str
    batch_size: int
    done: set[int]
    jobs: int
    layout: Layout
    max_doc_bytes: int = MAX_DOC_BYTES
    evidence: bool = True
    exclude: frozenset = frozenset()  # the ids already in the archive added to
    scheduler: str | None = None
    connect_timeout: float = 20
    progress: Callable[[int], None] | None = None  # called with each chunk's documents


ENGINES: Registry[Callable[[Work], None]] = Registry("engine", error=TaggerError)


@ENGINES.register("local", help="worker processes on this machine")
def on_this_machine(work: Work) -> None:
    with PartsWatcher(work.parts_dir, work.progress):
        run_local(work.model, work.model_dir, work.files, work.parts_dir, work.fmt,
                  work.batch_size, work.done, work.jobs, work.max_doc_bytes, work.evidence,
                  work.exclude, work.layout)


@ENGINES.register("dask", help="the workers of a Dask cluster")
def on_dask(work: Work) -> None:
    def pending():
        records = raw_records(work.files, work.max_doc_bytes, work.layout.keep)
        for index, chunk in enumerate(batched(records, work.batch_size)):
            if index not in work.done:
                yield index, chunk

    for result in run_dask(work.model, pending(), work.fmt, work.scheduler,
                           work.connect_timeout, max_doc_bytes=work.max_doc_bytes,
                           evidence=work.evidence, exclude=work.exclude, layout=work.layout):
        commit(work.parts_dir, result, work.fmt)
        if work.progress:
            work.progress(len(result.ids) + len(result.skipped))
