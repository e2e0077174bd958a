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
