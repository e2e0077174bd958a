"""Progress of a batch run, learnt by watching its parts directory."""

from __future__ import annotations

import json
from pathlib import Path


class PartsWatcher:
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


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class ProgressLines:
    """A progress bar's ``update`` for standard error that is not a terminal (a log, a
    pipe, a CI job): one plain line per update, with the time elapsed and an estimate of
    the time left (the mean time per step so far, times the steps left)."""

    def __init__(self, total: int, desc: str, unit: str, file, clock=None):
        import time

        self.total, self.desc, self.unit, self.file = total, desc, unit, file
        self.clock = clock or time.monotonic
        self.done, self.start = 0, self.clock()

    def update(self, n: int = 1) -> None:
        self.done += n
        elapsed = self.clock() - self.start
        left = elapsed / self.done * max(0, self.total - self.done) if self.done else 0.0
        print(f"{self.desc}: {self.done}/{self.total} {self.unit}s, {_clock(elapsed)} elapsed, "
              f"about {_clock(left)} left", file=self.file, flush=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class Silent:
    """A progress bar that shows nothing (--quiet)."""

    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
