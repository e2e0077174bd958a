"""What every benchmark shares: --quick and --json, its one summary line, the machine it ran on.

A benchmark script (run as `python benchmarks/NAME.py`, so this directory is on its path and
`import common` finds this file) adds the options with `options(parser)` and ends with
`report(...)`, which prints one line in a fixed form,

    summary NAME | WHAT: FIGURE UNIT | baseline BASELINE_WHAT: BASELINE UNIT | ratio RATIO

(RATIO = FIGURE / BASELINE; both in the same unit) and, with --json PATH, writes it with the
date, the machine (cores, CPU model, load) and the script's other figures, so the tables in
the manual (docs/performance.md) are generated from a saved run (tools/readme_parts.py) rather than typed.
Figures only: never any text of the corpus.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
RESULTS = REPO / "benchmarks" / "results"
STARTED = time.perf_counter()
LOAD_AT_START = os.getloadavg()

NUMBER = r"-?(?:inf|nan|\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
SUMMARY = re.compile(
    rf"^summary (?P<name>[\w.-]+) \| (?P<what>[^|:]+): (?P<figure>{NUMBER}) (?P<unit>\S+) "
    rf"\| baseline (?P<baseline_what>[^|:]+): (?P<baseline>{NUMBER}) (?P=unit) "
    rf"\| ratio (?P<ratio>{NUMBER})$", re.M)


def options(parser: argparse.ArgumentParser, quick: str) -> argparse.ArgumentParser:
    """Add --quick (``quick`` says what it shrinks), --json and --note to ``parser``."""
    parser.add_argument("--quick", action="store_true",
                        help=f"A small input and one run, in seconds (what the tests run): {quick}.")
    parser.add_argument("--json", type=Path, metavar="PATH",
                        help="Also write the summary, the other figures, the date and the "
                             "machine here as JSON.")
    parser.add_argument("--note", default="",
                        help="Kept in the JSON: what the figures need said (a shared machine, say).")
    return parser


def number(x: float) -> str:
    """A figure as the summary line shows it: no thousands separators, 3-4 digits."""
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return f"{x:.0f}" if abs(x) >= 1000 else f"{x:.1f}" if abs(x) >= 100 else f"{x:.3g}"


def summary_line(name: str, what: str, figure: float, unit: str, baseline_what: str,
                 baseline: float) -> str:
    ratio = figure / baseline if baseline else float("inf")
    for label in (what, baseline_what):
        if "|" in label or ":" in label:
            raise ValueError(f"a summary label holds '|' or ':': {label!r}")
    return (f"summary {name} | {what}: {number(figure)} {unit} | baseline {baseline_what}: "
            f"{number(baseline)} {unit} | ratio {ratio:.3f}")


def parse_summary(output: str) -> dict:
    """The summary line in a benchmark's output, as a dict (numbers as floats); KeyError
    when there is none, ValueError when there is more than one."""
    found = list(SUMMARY.finditer(output))
    if not found:
        raise KeyError("no summary line")
    if len(found) > 1:
        raise ValueError(f"{len(found)} summary lines")
    out = found[0].groupdict()
    for key in ("figure", "baseline", "ratio"):
        out[key] = float(out[key])
    return out


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cores": os.cpu_count(), "usable_cores": usable, "cpu_model": cpu_model(),
            "system": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "load_average_1_5_15_min": {"at_start": [round(x, 2) for x in LOAD_AT_START],
                                        "at_end": [round(x, 2) for x in os.getloadavg()]}}


def commit() -> str:
    """The code measured: the commit, with '-dirty' when files differ from it."""
    try:
        return subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty",
                               "--abbrev=12"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


COMMIT = commit()  # at the start: the code measured, before any later edit


def command(name: str) -> str:
    """The command that repeats the run (its --json and --note left out)."""
    argv, kept = sys.argv[1:], []
    while argv:
        arg = argv.pop(0)
        if arg in ("--json", "--note"):
            argv = argv[1:]
        elif not arg.startswith(("--json=", "--note=")):
            kept.append(arg)
    return shlex.join(["python", f"benchmarks/{name}.py", *kept])


def report(script: str, args: argparse.Namespace, *, what: str, figure: float, unit: str,
           baseline_what: str, baseline: float, target: str = "", figures: dict | None = None,
           ) -> str:
    """Print the summary line of the benchmark ``script`` (its __file__); with --json,
    write it there with ``figures`` (plain JSON values: figures only, never corpus text)."""
    name = Path(script).stem
    line = summary_line(name, what, figure, unit, baseline_what, baseline)
    print(line, flush=True)
    if getattr(args, "json", None):
        record = {**parse_summary(line), "target": target,
                  "quick": bool(getattr(args, "quick", False)),
                  "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "seconds": round(time.perf_counter() - STARTED, 1),
                  "command": command(name),
                  "commit": COMMIT, "note": getattr(args, "note", ""), "machine": machine(),
                  "figures": figures or {}}
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2, default=float) + "\n", encoding="utf-8")
    return line
