"""The part-file store of a batch run: numbered, committed chunks, resumed and joined.

Each chunk is committed as its own part file under ``OUT.parts/`` by an atomic rename,
its ``.done`` marker last, so a killed run loses at most the chunks in flight. When every
chunk is in, the parts are joined into ``OUT`` (atomically) and the directory removed.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NoReturn

from ..errors import DuplicateError, OutputError, TaggerError
from ..io.files import atomic_open, sweep_directory
from ..io.layout import Layout
from ..io.writers import file_format
from ..io.records import Skipped
from ..registry import Registry


@dataclass
class Chunk:
    """One tagged chunk, rendered, with what the join needs to know of its documents."""

    index: int
    payload: bytes
    ids: list[str]          # of the tagged documents, in output order
    sources: list           # [[source, count], ...]: where those documents came from, in runs
    flags: str              # "1" for each tagged document that got a tag, else "0"
    skipped: list[Skipped]
    drift: dict | None = None  # the chunk's drift counts (tagger.model.drift.DriftCounts)
    known: int = 0             # documents left out as already in the archive


MANIFEST = "manifest.json"
# What the parts of a run hold, in its manifest: a stopped run resumes only parts written as
# this tagger writes them (2: a SQLite archive's parts are databases, no longer JSON lines)
PARTS_VERSION = 2


def _refuse(doc_id: str, source: str, first: str) -> NoReturn:
    raise DuplicateError(source, f"document id given twice (first in {first}); tag each "
                                 "document once, or choose to skip or keep repeated ids",
                         record=doc_id)


def _leave_out(doc_id: str, source: str, first: str) -> dict:
    return {"id": doc_id, "source": source, "reason": f"duplicate id (first in {first}); skipped"}


# What to do with a document id seen before: a function (id, source, the first one's
# source) -> its entry among the skipped documents, or None to keep and tag it again.
DUPLICATES: Registry[Callable[[str, str, str], dict] | None] = Registry(
    "way to treat duplicates", error=TaggerError)
DUPLICATES.add("error", _refuse, help="stop with an error", refuses=True)
DUPLICATES.add("skip", _leave_out, help="skip it (listed with the skipped documents)")
DUPLICATES.add("keep", None, help="keep and tag it again")


def errors_file(out: Path) -> Path:
    """Where the skipped documents of a run writing ``out`` are listed."""
    return Path(str(out) + ".errors.jsonl")


def prepare(parts: Path, manifest: dict) -> set[int]:
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
            return _intact_chunks(parts, manifest["format"])
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


def _intact_chunks(parts: Path, fmt: str) -> set[int]:
    """The chunks committed whole; the marker of any other goes (it is tagged again), so
    every marker found while the run goes on stands for a part that is all there."""
    intact = set()
    for marker in parts.glob("part-*.done"):
        if _part_intact(marker, fmt):
            intact.add(_index(marker))
        else:
            marker.unlink()
    return intact


def _part_intact(marker: Path, fmt: str) -> bool:
    """Is the part behind a .done marker complete (its size as recorded)?"""
    try:
        record = json.loads(marker.read_text())
        return marker.with_suffix(f".{fmt}").stat().st_size == record["bytes"]
    except (OSError, ValueError, KeyError):
        return False


def commit(parts: Path, chunk: Chunk, fmt: str) -> None:
    if not parts.is_dir():
        raise TaggerError(f"{parts}: the parts directory went away; was the run restarted?")
    # Parts are not flushed to disk one by one (that costs more than tagging a small
    # chunk); a part whose size does not match its marker is simply tagged again.
    with atomic_open(parts / f"part-{chunk.index:09d}.{fmt}", "wb", durable=False) as fh:
        fh.write(chunk.payload)
    record = {"documents": len(chunk.ids), "tagged": chunk.flags.count("1"),
              "bytes": len(chunk.payload), "ids": chunk.ids, "sources": chunk.sources,
              "flags": chunk.flags, "drift": chunk.drift, "known": chunk.known,
              "skipped": [{"id": s.id, "source": s.source, "reason": s.reason}
                          for s in chunk.skipped]}
    # the .done marker is written last: a part counts only once its data is in place
    with atomic_open(parts / f"part-{chunk.index:09d}.done", "w", encoding="utf-8",
                     durable=False) as fh:
        json.dump(record, fh)


class FirstSeen:
    """Which rows of the chunks, taken in order, repeat an earlier document id, as ``mode``
    (one of :data:`DUPLICATES`) asks: refused, left out (and listed), or kept."""

    def __init__(self, mode: str):
        self.treat = DUPLICATES.lookup(mode)
        self.first: dict[str, str] = {}
        self.listed: list[dict] = []

    def drops(self, record: dict) -> set[int]:
        """The rows of the next chunk (its .done ``record``) to leave out."""
        if self.treat is None:
            return set()
        drop = set()
        sources = itertools.chain.from_iterable(itertools.repeat(src, n)
                                                for src, n in record["sources"])
        for row, (doc_id, source) in enumerate(zip(record["ids"], sources)):
            if doc_id not in self.first:
                self.first[doc_id] = source
                continue
            self.listed.append(self.treat(doc_id, source, self.first[doc_id]))
            drop.add(row)
        return drop


def _duplicates(records: list[dict], mode: str) -> tuple[dict[int, set[int]], list[dict]]:
    """Which rows of which chunks repeat an earlier document id, as ``mode`` asks:
    ({chunk: {row, ...}} to drop, their entries for the errors file)."""
    seen = FirstSeen(mode)
    drop = {i: rows for i, record in enumerate(records) if (rows := seen.drops(record))}
    return drop, seen.listed


def read_record(parts: Path, index: int) -> dict:
    """What the .done marker of chunk ``index`` records of it."""
    return json.loads((parts / f"part-{index:09d}.done").read_text())


def part_file(parts: Path, index: int, fmt: str) -> Path:
    return parts / f"part-{index:09d}.{fmt}"


def join(parts: Path, out: Path, fmt: str, layout: Layout, n_chunks: int,
         duplicates: str = "error", base: Path | None = None, meta: dict | None = None,
         feed=None) -> dict:
    """Join the committed parts into ``out`` (and the skipped into ``OUT.errors.jsonl``),
    or have ``feed`` (a :class:`tagger.batch.feed.PartsFeed`, which has been building it
    from the parts as they came) finish it;
    returns the counts: documents, tagged, skipped, errors_path (or None) and the drift
    counts of every chunk added up, and ``known``: documents left out as already in
    ``base``, the archive the new records are added to (``out`` itself, replaced whole)."""
    from ..model.drift import DriftCounts

    errors_path = errors_file(out)
    records = [read_record(parts, i) for i in range(n_chunks)]
    drop, dropped = _duplicates(records, duplicates)
    summary = {"documents": 0, "tagged": 0, "skipped": 0, "errors_path": None,
               "drift": DriftCounts(), "known": 0}
    skipped_lines = []
    for i, record in enumerate(records):
        if record.get("drift"):  # duplicates left out still count: they were read as new
            summary["drift"] = summary["drift"].merge(DriftCounts.from_dict(record["drift"]))
        gone = drop.get(i, ())
        summary["documents"] += record["documents"] - len(gone)
        summary["tagged"] += sum(f == "1" for row, f in enumerate(record["flags"]) if row not in gone)
        summary["skipped"] += len(record["skipped"])
        summary["known"] += record.get("known", 0)
        skipped_lines.extend(json.dumps(s, ensure_ascii=False) + "\n" for s in record["skipped"])
    summary["skipped"] += len(dropped)
    skipped_lines.extend(json.dumps(s, ensure_ascii=False) + "\n" for s in dropped)
    files = [part_file(parts, i, fmt) for i in range(n_chunks)]
    if base is None or summary["documents"]:  # with nothing new, the archive stays as it is
        if feed is not None:  # built as the run tagged: the rest added, then renamed in place
            feed.complete(n_chunks, drop, meta)
        else:
            with atomic_open(out, "wb") as fh:
                file_format(fmt).join(files, fh, layout, drop, base, meta)
    if skipped_lines:
        with atomic_open(errors_path, "w", encoding="utf-8") as fh:
            fh.writelines(skipped_lines)
        summary["errors_path"] = str(errors_path)
    else:
        errors_path.unlink(missing_ok=True)
    shutil.rmtree(parts)
    return summary


def abandon(parts: Path) -> int:
    """After a failed or stopped run: remove the temporaries of its ended writers, and the
    directory itself when no chunk was committed; returns how many chunks are kept."""
    if not parts.is_dir() or parts.is_symlink():
        return 0
    sweep_directory(parts)
    kept = sum(1 for _ in parts.glob("part-*.done"))
    if not kept:
        shutil.rmtree(parts, ignore_errors=True)
    return kept


def count_committed(parts: Path) -> int:
    """Number of committed chunks, which must be 0..n-1 with none missing."""
    indices = sorted(_index(p) for p in parts.glob("part-*.done"))
    if indices != list(range(len(indices))):
        missing = sorted(set(range(max(indices) + 1)) - set(indices))
        raise TaggerError(f"{parts}: chunks {missing[:5]} were not tagged; run the command again")
    return len(indices)


def kept_phrase(kept: int) -> str:
    """'the 1 chunk finished is kept', 'the 3 chunks finished are kept'."""
    return (f"the {kept} chunk{'s' if kept != 1 else ''} finished "
            f"{'are' if kept != 1 else 'is'} kept")


def kept_chunks(out: Path) -> int:
    """How many finished chunks of a stopped run wait beside ``out`` for the next one."""
    parts = Path(str(out) + ".parts")
    if not parts.is_dir() or parts.is_symlink():
        return 0
    return sum(1 for _ in parts.glob("part-*.done"))
