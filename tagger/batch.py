"""Batch tagging at volume: streaming, parallel, resumable, locally or on a Dask cluster.

Documents are read lazily and cut into numbered chunks of ``batch_size``. Each chunk is
tagged (in this process, in joblib worker processes, or on Dask workers) and committed as
its own part file under ``OUT.parts/`` by an atomic rename, so a killed run loses at most
the chunks in flight: running the same command again skips every committed chunk. When
all chunks are in, the parts are joined into ``OUT`` (again atomically) and the parts
directory is removed. Memory is bounded by the chunks in flight, not by the input size.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from .documents import MAX_DOC_BYTES, Document, Skipped, expand_paths, parse_record, raw_records
from .errors import DuplicateError, InputError, OutputError, TaggerError
from .files import OutputLock, atomic_open, check_output, sweep_directory

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet",
              ".pq": "parquet"}
MANIFEST = "manifest.json"
DUPLICATES = ("error", "skip", "keep")  # what to do with a document id seen before


@dataclass
class BatchSummary:
    """What a batch run did."""

    documents: int = 0      # documents tagged (in this run or a resumed one)
    tagged: int = 0         # documents given at least one tag
    skipped: int = 0        # unreadable documents, listed in the errors file
    seconds: float = 0.0
    resumed_chunks: int = 0
    output: str = ""
    errors_path: str | None = None

    def line(self) -> str:
        rate = self.documents / self.seconds if self.seconds > 0 else 0.0
        text = (f"{self.documents} documents tagged ({self.tagged} with tags), "
                f"{self.skipped} skipped, in {self.seconds:.1f}s ({rate:,.0f} docs/s) -> {self.output}")
        if self.resumed_chunks:
            text += f"; {self.resumed_chunks} chunks resumed from an earlier run"
        if self.skipped:
            text += f"; reasons in {self.errors_path}"
        return text


def tag_stream(model, docs: Iterable[Document], *, batch_size: int = 1000,
               jobs: int = 1) -> Iterator:
    """Yield a Prediction for each document, lazily and in order, chunk by chunk."""
    chunks = _batched(docs, batch_size)
    if jobs == 1:
        for chunk in chunks:
            yield from model.predict(chunk)
        return
    from joblib import Parallel, delayed

    with Parallel(n_jobs=jobs, return_as="generator") as parallel:
        for preds in parallel(delayed(model.predict)(chunk) for chunk in chunks):
            yield from preds


def _batched(items: Iterable, size: int) -> Iterator[list]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def output_format(out: str | Path, fmt: str | None) -> str:
    """The output format, from --format or the output file's extension."""
    if fmt:
        if fmt not in OUTPUT_FORMATS:
            raise InputError(out, f"unknown output format {fmt!r} (use {', '.join(OUTPUT_FORMATS)})")
        return fmt
    found = EXTENSIONS.get(Path(out).suffix.lower())
    if not found:
        raise InputError(out, "cannot tell the output format from the extension: use .jsonl, "
                              ".csv or .parquet, or give --format")
    return found


# ---- the work done on one chunk, wherever it runs ----

@lru_cache(maxsize=4)
def _cached_model(path: str, stamp: tuple):
    from .persist import load_model

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


@dataclass
class Chunk:
    """One tagged chunk, rendered, with what the join needs to know of its documents."""

    index: int
    payload: bytes
    ids: list[str]          # of the tagged documents, in output order
    sources: list           # [[source, count], ...]: where those documents came from, in runs
    flags: str              # "1" for each tagged document that got a tag, else "0"
    skipped: list[Skipped]


def _runs(values: Iterable[str]) -> list:
    return [[v, len(list(g))] for v, g in itertools.groupby(values)]


def tag_chunk(model_ref, index: int, records: Sequence, fmt: str,
              max_doc_bytes: int = MAX_DOC_BYTES) -> Chunk:
    """Parse, tag and render one chunk."""
    model = _resolve(model_ref)
    items = [parse_record(r, max_doc_bytes) for r in records]
    docs = [d for d in items if isinstance(d, Document)]
    skipped = [d for d in items if isinstance(d, Skipped)]
    preds = model.predict(docs)
    return Chunk(index=index, payload=render_part(preds, model.tags, fmt),
                 ids=[d.id for d in docs], sources=_runs(d.source for d in docs),
                 flags="".join("1" if p.tags else "0" for p in preds), skipped=skipped)


def render_part(preds, tags: Sequence[str], fmt: str) -> bytes:
    if fmt == "jsonl":
        from .outputs import jsonl_bytes

        return jsonl_bytes(preds)
    if fmt == "csv":
        from .outputs import csv_text

        return csv_text(preds, tags, header=False).encode()  # the join adds the header
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table({"id": pa.array([p.id for p in preds], pa.string()),
                          "tags": pa.array([p.tags for p in preds], pa.list_(pa.string())),
                          **{t: pa.array([p.scores[t] for p in preds], pa.float64()) for t in tags}})
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()
    raise ValueError(fmt)


# ---- the run: manifest, parts, resumption, joining ----

def _fingerprint_inputs(files: Sequence[Path]) -> list:
    out = []
    for f in files:
        st = f.stat()
        out.append([str(f.resolve()), st.st_size, st.st_mtime_ns])
    return out


def _model_digest(model_dir: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(model_dir.iterdir()):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _prepare_parts(parts: Path, manifest: dict) -> set[int]:
    """Committed chunk numbers of an earlier identical run; start afresh otherwise."""
    path = parts / MANIFEST
    if parts.is_symlink() or (parts.exists() and not parts.is_dir()):
        raise OutputError(parts, "is in the way of the parts of this run (not a directory)")
    if parts.is_dir():
        try:
            same = json.loads(path.read_text()) == manifest
        except (OSError, ValueError):
            same = False
        if same:
            sweep_directory(parts)
            return {_index(p) for p in parts.glob("part-*.done") if _part_intact(p, manifest["format"])}
        shutil.rmtree(parts)
    parts.mkdir(parents=True)
    try:
        with atomic_open(path, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh)
    except BaseException:
        shutil.rmtree(parts, ignore_errors=True)
        raise
    return set()


def _index(path: Path) -> int:
    return int(path.name.split("-")[1].split(".")[0])


def _part_intact(marker: Path, fmt: str) -> bool:
    """Is the part behind a .done marker complete (its size as recorded)?"""
    try:
        record = json.loads(marker.read_text())
        return marker.with_suffix(f".{fmt}").stat().st_size == record["bytes"]
    except (OSError, ValueError, KeyError):
        return False


def _commit_part(parts: Path, chunk: Chunk, fmt: str) -> None:
    if not parts.is_dir():
        raise TaggerError(f"{parts}: the parts directory went away; was the run restarted?")
    # Parts are not flushed to disk one by one (that costs more than tagging a small
    # chunk); a part whose size does not match its marker is simply tagged again.
    with atomic_open(parts / f"part-{chunk.index:09d}.{fmt}", "wb", durable=False) as fh:
        fh.write(chunk.payload)
    record = {"documents": len(chunk.ids), "tagged": chunk.flags.count("1"),
              "bytes": len(chunk.payload), "ids": chunk.ids, "sources": chunk.sources,
              "flags": chunk.flags,
              "skipped": [{"id": s.id, "source": s.source, "reason": s.reason}
                          for s in chunk.skipped]}
    # the .done marker is written last: a part counts only once its data is in place
    with atomic_open(parts / f"part-{chunk.index:09d}.done", "w", encoding="utf-8",
                     durable=False) as fh:
        json.dump(record, fh)


def _duplicates(records: list[dict], mode: str) -> tuple[dict[int, set[int]], list[dict]]:
    """Which rows of which chunks repeat an earlier document id, as ``mode`` asks:
    ({chunk: {row, ...}} to drop, their entries for the errors file)."""
    if mode == "keep":
        return {}, []
    first: dict[str, str] = {}
    drop: dict[int, set[int]] = {}
    listed = []
    for i, record in enumerate(records):
        sources = itertools.chain.from_iterable(itertools.repeat(src, n)
                                                for src, n in record["sources"])
        for row, (doc_id, source) in enumerate(zip(record["ids"], sources)):
            if doc_id not in first:
                first[doc_id] = source
                continue
            if mode == "error":
                raise DuplicateError(source, f"document id given twice (first in "
                                             f"{first[doc_id]}); tag each document once, or "
                                             "choose to skip or keep repeated ids",
                                     record=doc_id)
            drop.setdefault(i, set()).add(row)
            listed.append({"id": doc_id, "source": source,
                           "reason": f"duplicate id (first in {first[doc_id]}); skipped"})
    return drop, listed


def _without_rows(data: bytes, rows: set[int], fmt: str) -> bytes:
    """A rendered part with some of its records left out."""
    if fmt == "jsonl":
        return b"".join(line for i, line in enumerate(data.splitlines(keepends=True))
                        if i not in rows)
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    writer.writerows(r for i, r in enumerate(reader) if i not in rows)
    return buf.getvalue().encode("utf-8")


def _join_parts(parts: Path, out: Path, fmt: str, tags: Sequence[str], n_chunks: int,
                summary: BatchSummary, duplicates: str = "error") -> None:
    errors_path = Path(str(out) + ".errors.jsonl")
    records = [json.loads((parts / f"part-{i:09d}.done").read_text()) for i in range(n_chunks)]
    drop, dropped = _duplicates(records, duplicates)
    skipped_lines = []
    for i, record in enumerate(records):
        gone = drop.get(i, ())
        summary.documents += record["documents"] - len(gone)
        summary.tagged += sum(f == "1" for row, f in enumerate(record["flags"]) if row not in gone)
        summary.skipped += len(record["skipped"])
        skipped_lines.extend(json.dumps(s, ensure_ascii=False) + "\n" for s in record["skipped"])
    summary.skipped += len(dropped)
    skipped_lines.extend(json.dumps(s, ensure_ascii=False) + "\n" for s in dropped)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.string())),
                            *((t, pa.float64()) for t in tags)])
        with atomic_open(out, "wb") as fh:
            with pq.ParquetWriter(fh, schema) as writer:
                for i in range(n_chunks):
                    table = pq.read_table(parts / f"part-{i:09d}.parquet")
                    if i in drop:
                        table = table.filter(pa.array([r not in drop[i] for r in range(len(table))]))
                    writer.write_table(table)
    else:
        with atomic_open(out, "wb") as fh:
            if fmt == "csv":
                from .outputs import csv_text

                fh.write(csv_text([], tags).encode())
            for i in range(n_chunks):
                part = parts / f"part-{i:09d}.{fmt}"
                if i in drop:
                    fh.write(_without_rows(part.read_bytes(), drop[i], fmt))
                    continue
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, fh)
    if skipped_lines:
        with atomic_open(errors_path, "w", encoding="utf-8") as fh:
            fh.writelines(skipped_lines)
        summary.errors_path = str(errors_path)
    else:
        errors_path.unlink(missing_ok=True)
    shutil.rmtree(parts)


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


def tag_files(inputs: Sequence[str | Path], out: str | Path, *, model_dir: str | Path,
              fmt: str | None = None, batch_size: int = 1000, jobs: int | None = None,
              engine: str = "local", scheduler: str | None = None,
              progress: Callable[[int], None] | None = None,
              connect_timeout: float = 20, duplicates: str = "error",
              max_doc_bytes: int = MAX_DOC_BYTES) -> BatchSummary:
    """Tag every document behind ``inputs`` into ``out``, resuming an interrupted run.

    Unreadable documents (and any over ``max_doc_bytes``) are skipped and listed in
    ``OUT.errors.jsonl``. A document id seen before is an error with ``duplicates="error"``,
    listed and left out with ``"skip"``, tagged again with ``"keep"``. The output does not
    depend on ``jobs`` or the engine. One run at a time may write ``out`` (a lock beside
    it); the output is never an input, a link, a device or a directory. ``progress`` is
    called with the number of documents in each chunk as it is committed.
    """
    from .persist import load_model

    started = time.perf_counter()
    out = Path(out)
    fmt = output_format(out, fmt)
    if batch_size < 1:
        raise TaggerError("the batch size must be at least 1")
    if duplicates not in DUPLICATES:
        raise TaggerError(f"unknown way to treat duplicates {duplicates!r} "
                          f"(use {', '.join(DUPLICATES)})")
    if any(str(p) == "-" for p in inputs):
        raise InputError("-", "batch tagging reads files, not standard input; save it to a "
                              "file, or tag it with predict")
    model_dir = Path(model_dir)
    model = load_model(model_dir)  # validates the model before any work starts
    files = _repeated_files(expand_paths(inputs), duplicates)
    input_dirs = [p for p in inputs if str(p) != "-" and Path(p).is_dir()]
    for target in (out, Path(str(out) + ".errors.jsonl")):
        check_output(target, inputs=files, input_dirs=input_dirs)
    with OutputLock(out):
        manifest = {"inputs": _fingerprint_inputs(files), "model": _model_digest(model_dir),
                    "batch_size": batch_size, "format": fmt, "max_doc_bytes": max_doc_bytes}
        parts = Path(str(out) + ".parts")
        done = _prepare_parts(parts, manifest)
        summary = BatchSummary(output=str(out), resumed_chunks=len(done))

        if engine == "dask":
            def pending():
                for index, chunk in enumerate(_batched(raw_records(files, max_doc_bytes),
                                                       batch_size)):
                    if index not in done:
                        yield index, chunk

            for result in _run_dask(model, pending(), fmt, scheduler, connect_timeout,
                                    max_doc_bytes=max_doc_bytes):
                _commit_part(parts, result, fmt)
                if progress:
                    progress(len(result.ids) + len(result.skipped))
        elif engine == "local":
            with _PartsWatcher(parts, progress):
                _run_local(model, model_dir, files, parts, fmt, batch_size, done,
                           jobs or os.cpu_count() or 1, max_doc_bytes)
        else:
            raise TaggerError(f"unknown engine {engine!r} (use local or dask)")
        n_chunks = _check_parts(parts)
        _join_parts(parts, out, fmt, model.tags, n_chunks, summary, duplicates)
    summary.seconds = time.perf_counter() - started
    return summary


def _check_parts(parts: Path) -> int:
    """Number of committed chunks, which must be 0..n-1 with none missing."""
    indices = sorted(_index(p) for p in parts.glob("part-*.done"))
    if indices != list(range(len(indices))):
        missing = sorted(set(range(max(indices) + 1)) - set(indices))
        raise TaggerError(f"{parts}: chunks {missing[:5]} were not tagged; run the command again")
    return len(indices)


class _PartsWatcher:
    """Reports committed chunks to a progress callback from a background thread.

    Worker processes commit parts themselves; watching the parts directory is how the
    main process learns of them without sitting on the path of the data.
    """

    def __init__(self, parts: Path, progress, interval: float = 0.2):
        self.parts, self.progress, self.interval = parts, progress, interval
        self.seen: set[str] = {p.name for p in parts.glob("part-*.done")}
        self._stop = None

    def poll(self) -> None:
        for p in self.parts.glob("part-*.done"):
            if p.name not in self.seen:
                self.seen.add(p.name)
                try:
                    record = json.loads(p.read_text())
                except (OSError, json.JSONDecodeError):
                    continue
                self.progress(record["documents"] + len(record["skipped"]))

    def __enter__(self):
        import threading

        if self.progress:
            self._stop = threading.Event()

            def loop():
                while not self._stop.wait(self.interval):
                    self.poll()

            self._thread = threading.Thread(target=loop, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        if self._stop is not None:
            self._stop.set()
            self._thread.join()
            if exc[0] is None:
                self.poll()
        return False


def _tag_share(model_ref, files, parts: Path, fmt: str, batch_size: int, done: set[int],
               share: int, shares: int, max_doc_bytes: int = MAX_DOC_BYTES) -> int:
    """Tag and commit chunks share, share + shares, ... of the input; returns how many.

    Each worker reads the input itself and skips the other workers' chunks, so no
    document text passes between processes.
    """
    model = _resolve(model_ref)
    parent = os.getppid()
    count = 0
    for index, chunk in enumerate(_batched(raw_records(files, max_doc_bytes), batch_size)):
        if index % shares != share or index in done:
            continue
        if shares > 1 and os.getppid() != parent:
            break  # the run was killed: stop rather than write for nobody
        _commit_part(parts, tag_chunk(model, index, chunk, fmt, max_doc_bytes), fmt)
        count += 1
    return count


# Models handed to forked workers by inheritance rather than by pickling
_INHERITED: dict[str, object] = {}


def _run_local(model, model_dir: Path, files, parts: Path, fmt: str, batch_size: int,
               done: set[int], jobs: int, max_doc_bytes: int = MAX_DOC_BYTES):
    if jobs == 1:
        _tag_share(model, files, parts, fmt, batch_size, done, 0, 1, max_doc_bytes)
        return
    from joblib import Parallel, delayed

    if _can_fork():
        # Build the counter before the pool forks: workers inherit the model ready to use
        # instead of each paying for imports and set-up.
        model._counter()
        model._lexicon()
        ref = f"inherited:{id(model)}"
        _INHERITED[ref] = model
        backend = "multiprocessing"
    else:  # loky workers load the model from its directory once each
        ref, backend = str(model_dir), "loky"
    try:
        Parallel(n_jobs=jobs, backend=backend)(
            delayed(_tag_share)(ref, files, parts, fmt, batch_size, done, share, jobs,
                                max_doc_bytes)
            for share in range(jobs))
    finally:
        _INHERITED.pop(ref, None)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods() and \
        multiprocessing.get_start_method(allow_none=True) in (None, "fork")


def _run_dask(model, chunks, fmt: str, scheduler: str | None, connect_timeout: float = 20,
              window: int | None = None, max_doc_bytes: int = MAX_DOC_BYTES):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise TaggerError("the dask engine needs dask.distributed: pip install 'tagger[dask]'") from None
    if not scheduler:
        raise TaggerError("the dask engine needs the address of a scheduler (tcp://HOST:PORT)")
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except (OSError, TimeoutError) as exc:
        raise TaggerError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        window = window or 2 * n_workers
        # the model travels to each worker once; tasks refer to it by its future
        model_future = client.scatter(model, broadcast=True)
        running = as_completed()
        chunks = iter(chunks)
        run_id = f"{os.getpid()}-{time.time_ns()}"

        def submit_next() -> bool:
            item = next(chunks, None)
            if item is None:
                return False
            index, records = item
            running.add(client.submit(tag_chunk, model_future, index, records, fmt,
                                      max_doc_bytes, key=f"tagger-chunk-{run_id}-{index}", pure=False))
            return True

        for _ in range(window):
            if not submit_next():
                break
        for future in running:
            yield future.result()
            submit_next()
    finally:
        client.close()
