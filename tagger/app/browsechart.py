"""The front page's chart: documents given each tag per week (or month, over a long span),
drawn as inline SVG on the server (no script, nothing loaded), with each run whose drift
report warned marked at the day it finished."""

from __future__ import annotations

from datetime import date, timedelta

from .browsedb import Archive

MAX_WEEKS = 104   # beyond two years, weeks are too thin to read: months
WIDTH, HEIGHT, PAD = 720, 220, 36
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def series(archive: Archive) -> dict:
    """``{"unit": "week"|"month", "buckets": [start dates], "counts": {tag: [n, ...]}}``."""
    lo, hi = archive.rows("SELECT min(date), max(date) FROM documents "
                          "WHERE date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'")[0]
    if lo is None:
        return {"unit": "week", "buckets": [], "counts": {t: [] for t in archive.tags}}
    first, last = date.fromisoformat(lo), date.fromisoformat(hi)
    unit = "week" if (last - first).days // 7 < MAX_WEEKS else "month"
    bucket = ("date(date, '-' || ((strftime('%w', date) + 6) % 7) || ' days')"
              if unit == "week" else "substr(date, 1, 7) || '-01'")
    sums = "".join(f', coalesce(sum("{t}" = 1), 0)' for t in archive.tags)
    rows = archive.rows(f"SELECT {bucket} AS b{sums} FROM documents WHERE date GLOB "
                        "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' GROUP BY b ORDER BY b")
    found = {r[0]: r for r in rows}
    buckets, day = [], _start(first, unit)
    while day <= last:
        buckets.append(day.isoformat())
        day = day + timedelta(days=7) if unit == "week" else _next_month(day)
    counts = {t: [found[b][k + 1] if b in found else 0 for b in buckets]
              for k, t in enumerate(archive.tags)}
    return {"unit": unit, "buckets": buckets, "counts": counts}


def chart(data: dict, runs: list[dict]) -> dict:
    """What the template draws: a polyline per tag, axis labels, run markers (coordinates
    only: every text shown goes through the template's escaping)."""
    buckets, n = data["buckets"], len(data["buckets"])
    top = max([1, *[c for cs in data["counts"].values() for c in cs]])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(k: float) -> float:
        return round(PAD + (k / max(n - 1, 1)) * inner_w, 1)

    def y(v: int) -> float:
        return round(HEIGHT - PAD - v / top * inner_h, 1)

    lines = [{"tag": t, "colour": COLOURS[i % len(COLOURS)],
              "points": " ".join(f"{x(k)},{y(v)}" for k, v in enumerate(cs))}
             for i, (t, cs) in enumerate(data["counts"].items())]
    ticks = [{"x": x(k), "label": buckets[k]} for k in range(0, n, max(1, n // 6))]
    markers = []
    for run in runs:
        when = (run["finished"] or run["started"])[:10]
        if not (run["warning"] and n and len(when) == 10):
            continue
        k = sum(1 for b in buckets if b <= when) - 1  # the bucket it falls in, clamped
        markers.append({"x": x(min(max(k, 0), n - 1)), "run": run["run"], "when": when,
                        "reasons": "; ".join(run["reasons"]) or "drift warning"})
    return {"width": WIDTH, "height": HEIGHT, "pad": PAD, "top": top, "y_top": y(top),
            "y_base": HEIGHT - PAD, "lines": lines, "ticks": ticks, "markers": markers,
            "unit": data["unit"], "empty": n == 0}


def _start(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)


def _next_month(day: date) -> date:
    return day.replace(year=day.year + 1, month=1) if day.month == 12 else day.replace(
        month=day.month + 1)
