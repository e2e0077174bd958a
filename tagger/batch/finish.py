"""The end of a batch run: its committed parts joined into the output with the files beside
it, the drift report (``OUT.drift.json``), the run's record in a SQLite archive, and what the
run did (:class:`BatchSummary`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from ..io.files import write_text_atomic
from ..io.layout import Layout
from ..io.sqlitestore import add_run
from . import parts
from .sidecars import write_sidecars


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
    drift: dict | None = None      # the drift report (tagger.model.drift), also in OUT.drift.json
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
            from ..model.drift import drift_summary

            text += f"; {drift_summary(self.drift)} in {self.drift_path}"
        return text


def drift_file(out: Path) -> Path:
    """Where a run writing ``out`` reports how its documents drift from training."""
    return Path(str(out) + ".drift.json")


def utc_now() -> str:
    """The time in UTC to the second, as a run's record gives when it started and finished."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def join_output(out: Path, fmt: str, parts_dir: Path, layout: Layout, duplicates: str,
                base: Path | None, model, model_name: str, feed=None) -> dict:
    """Join the committed parts into ``out`` (adding to the archive ``base``, if any; with
    ``feed``, the output built as the run tagged, see :mod:`.feed`) and write the files
    beside it; returns the counts of :func:`.parts.join`."""
    n_chunks = parts.count_committed(parts_dir)
    meta = layout.metadata(model_name, [float(t) for t in model.thresholds])
    counts = parts.join(parts_dir, out, fmt, layout, n_chunks, duplicates, base, meta, feed)
    if base is None or counts["documents"]:
        write_sidecars(out, fmt, layout, meta)
    return counts


def finish(summary: BatchSummary, counts: dict, out: Path, fmt: str, *, model, model_name: str,
           layout: Layout, estimate, incremental: bool, started: str,
           files: Sequence[Path]) -> None:
    """Fill ``summary`` with the ``counts`` of the join, write the drift report and, in a
    SQLite archive given documents, add the run's record (``started`` at that time)."""
    from ..model.drift import drift_report

    summary.known = counts["known"]
    summary.documents, summary.tagged = counts["documents"], counts["tagged"]
    summary.skipped, summary.errors_path = counts["skipped"], counts["errors_path"]
    summary.drift = {"model": layout.model, "model_name": model_name,
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
        add_run(out, {"model": layout.model, "model_name": model_name, "started": started,
                      "finished": utc_now(), "drift": summary.drift,
                      "inputs": [str(f) for f in files], "documents": summary.documents})
