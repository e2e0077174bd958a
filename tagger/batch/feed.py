"""Building the output while the run tags: for a format built rather than concatenated (the
SQLite archive, whose full-text index costs about as much as the tagging), a thread of the
run's process adds each committed part, in chunk order, to the output being built, so the
indexing overlaps the tagging instead of following it.

The output is built under a temporary name in the parts directory and renamed into place
at the join, when the parts not added yet are added (see :func:`.parts.join`). It is made
from the committed parts alone, so a killed run's half-built file is simply thrown away
(the next run sweeps it) and built again from the parts: a resumed run still writes every
document once. A repeated id is left out exactly as the join leaves it out (the same
:class:`.parts.FirstSeen`, over the chunks in the same order); one the run must refuse
stops the feeding, and the join raises it as it would have.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from ..errors import OutputError
from ..io.files import temp_path
from ..io.layout import Layout
from ..io.writers import file_format
from .parts import FirstSeen, part_file, read_record


class PartsFeed:
    """Adds a run's committed parts, in order, to its output being built."""

    def __init__(self, parts: Path, out: Path, fmt: str, layout: Layout, base: Path | None,
                 duplicates: str, interval: float = 0.05):
        self.parts, self.out, self.fmt, self.layout, self.base = parts, out, fmt, layout, base
        self.interval = interval
        self.seen = FirstSeen(duplicates)
        self.next = 0              # the chunk to add next
        self.build = None          # made with the first rows (an archive copied, maybe)
        self.path = temp_path(parts / out.name)
        self.error: BaseException | None = None

    def _add(self, index: int, drop) -> None:
        rows = part_file(self.parts, index, self.fmt)
        if self.build is None:
            self.build = file_format(self.fmt).build(self.path, self.layout, self.base)
        self.build.add_part(rows, drop)

    def add_ready(self, stop: threading.Event | None = None) -> None:
        """Add the committed parts that come next, in order, up to the first not committed."""
        while not (stop and stop.is_set()):
            if not part_file(self.parts, self.next, "done").exists():
                return
            drop = self.seen.drops(read_record(self.parts, self.next))
            self._add(self.next, drop)
            self.build.write_back()  # while the workers tag, not after
            self.next += 1

    @contextmanager
    def running(self):
        """Feed the parts from a thread while the block (the tagging) runs."""
        stop = threading.Event()

        def loop():
            try:
                while True:
                    self.add_ready(stop)
                    if stop.wait(self.interval):
                        return
            except Exception as exc:  # kept, not printed: the join raises it (or, for a
                self.error = exc          # repeated id, the join's own check, as it always did)

        thread = threading.Thread(target=loop, name="tagger-parts-feed", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()

    def complete(self, n_chunks: int, drop: dict, meta: dict) -> None:
        """Add the parts not added yet (bar the rows in ``drop``, the join's, which the
        feeding left out too), finish the output and rename it into place."""
        try:
            if self.error is not None:
                raise self.error
            for index in range(self.next, n_chunks):
                self._add(index, drop.get(index, ()))
            self.next = n_chunks
            if self.build is None:  # no rows at all: an empty archive
                self.build = file_format(self.fmt).build(self.path, self.layout, self.base)
            self.build.finish(meta)
        except sqlite3.IntegrityError:
            raise OutputError(self.out, "holds each document once (its id is the key), so a "
                                        "document id given twice cannot be kept in it; skip "
                                        "repeated ids, or write another format") from None
        except (OSError, sqlite3.Error) as exc:
            raise OutputError(self.out, f"cannot be written ({exc}); nothing was "
                                        "changed") from None
        self.build.install(self.out)

    def discard(self) -> None:
        """Remove what was built, unless it is in place."""
        if self.build is not None:
            self.build.discard()


@contextmanager
def feeding(out: Path, fmt: str, parts: Path, layout: Layout, base: Path | None,
            duplicates: str):
    """A :class:`PartsFeed` for a run writing ``out`` in ``fmt`` (None for a format joined
    by concatenation), whose unfinished output goes when the block ends."""
    if file_format(fmt).build is None:
        yield None
        return
    feed = PartsFeed(parts, out, fmt, layout, base, duplicates)
    try:
        yield feed
    finally:
        feed.discard()


def running(feed: PartsFeed | None):
    """A block during which ``feed`` (if any) adds the parts as they are committed."""
    return feed.running() if feed is not None else nullcontext()
