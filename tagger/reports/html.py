"""A self-contained HTML evaluation report: tables and plots embedded in one file."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

from ..evaluation.calibration import calibration_bins
from ..evaluation.results import Evaluation
from ..evaluation.slices import UNDATED
from ..io.files import write_text_atomic

MAX_CURVES = 12   # precision-recall panels: the most frequent tags
MAX_ERRORS = 25
MAX_SUBSTITUTION_TAGS = 12  # beyond this many tags, the missed-for-added table is left out


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def pr_curves(ev: Evaluation) -> str:
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve

    order = np.argsort(-ev.Y.sum(axis=0), kind="stable")[:MAX_CURVES]
    order = [k for k in order if ev.Y[:, k].sum() > 0]
    cols = min(2, max(1, len(order)))
    rows = max(1, -(-len(order) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.4 * cols, 5.0 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, k in zip(axes.ravel(), order):
        ax.axis("on")
        precision, recall, thr = precision_recall_curve(ev.Y[:, k], ev.proba[:, k])
        ax.plot(recall, precision, color="#1f77b4")
        chosen = ev.proba[:, k] >= ev.thresholds[k]
        tp = float((chosen & (ev.Y[:, k] == 1)).sum())
        p_at = tp / max(chosen.sum(), 1)
        r_at = tp / max(ev.Y[:, k].sum(), 1)
        ax.plot([r_at], [p_at], "o", color="#d62728", label=f"threshold {ev.thresholds[k]:.2f}")
        ax.set_title(ev.tags[k], fontsize=12)
        ax.set_xlabel("recall", fontsize=10)
        ax.set_ylabel("precision", fontsize=10)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9, loc="lower left")
    fig.tight_layout()
    return _png(fig)


def calibration_plot(ev: Evaluation) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    mean_p, rate, count = calibration_bins(ev.Y.ravel().astype(float), ev.proba.ravel())
    used = count > 0
    ax.plot(mean_p[used], rate[used], "o-", color="#1f77b4", label="all tags")
    for x, y, n in zip(mean_p[used], rate[used], count[used]):
        ax.annotate(str(int(n)), (x, y), fontsize=7, xytext=(3, -9), textcoords="offset points")
    ax.set_xlabel("predicted probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def tag_outcomes(ev: Evaluation) -> list[dict]:
    """Per tag: given rightly, missed, wrongly added and rightly left out (documents)."""
    Y, P = ev.Y.astype(bool), ev.P.astype(bool)
    return [{"tag": t, "correct": int((Y[:, k] & P[:, k]).sum()), "missed": int((Y[:, k] & ~P[:, k]).sum()),
             "added": int((~Y[:, k] & P[:, k]).sum()), "absent": int((~Y[:, k] & ~P[:, k]).sum())}
            for k, t in enumerate(ev.tags)]


def substitutions(ev: Evaluation) -> np.ndarray:
    """Rows: a tag missed; columns: a tag wrongly added to the same document, then
    "(none added)"; cells: documents. The last row counts wrong additions with nothing missed."""
    Y, P = ev.Y.astype(int), ev.P.astype(int)
    missed, added = Y * (1 - P), (1 - Y) * P
    nothing_missed, nothing_added = (missed.sum(1) == 0).astype(int), (added.sum(1) == 0).astype(int)
    top = np.column_stack([missed.T @ added, missed.T @ nothing_added])
    bottom = np.append(nothing_missed @ added, 0)
    return np.vstack([top, bottom])


def outcomes_plot(ev: Evaluation, outcomes: list[dict]) -> str:
    """Horizontal bars per tag: given rightly, missed, wrongly added."""
    import matplotlib.pyplot as plt

    tags = [o["tag"] for o in outcomes][::-1]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.4 * len(tags) + 1)))
    left = np.zeros(len(tags))
    for key, colour, label in (("correct", "#2ca02c", "given rightly"), ("missed", "#ff7f0e", "missed"),
                               ("added", "#d62728", "wrongly added")):
        values = np.array([o[key] for o in outcomes][::-1], dtype=float)
        ax.barh(tags, values, left=left, color=colour, label=label)
        left += values
    ax.set_xlabel("documents")
    ax.legend(fontsize=8, loc="lower right")
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def over_time_plot(summary: dict) -> str | None:
    """Micro- and macro-F1 per period with their 95% intervals (None unless scored by a
    period with at least one dated slice)."""
    import matplotlib.pyplot as plt

    if summary.get("by_kind") not in ("year", "quarter", "month"):
        return None
    keys = [k for k in summary["by"] if k != UNDATED and summary["by"][k]["micro"]["f1"] is not None]
    if not keys:
        return None
    x = np.arange(len(keys))
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys) + 3), 4))
    for avg, colour, shift in (("micro", "#1f77b4", -0.08), ("macro", "#ff7f0e", 0.08)):
        f1 = np.array([summary["by"][k][avg]["f1"] for k in keys])
        lo = np.array([summary["by"][k][avg]["f1_ci95"][0] for k in keys])
        hi = np.array([summary["by"][k][avg]["f1_ci95"][1] for k in keys])
        ax.errorbar(x + shift, f1, yerr=[f1 - lo, hi - f1], fmt="o-", capsize=4, color=colour,
                    label=f"{avg}-F1 (95% interval)")
    ax.set_xticks(x, [f"{k}\n({summary['by'][k]['n_docs']})" for k in keys], fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("F1")
    ax.set_xlabel(f"{summary['by_kind']} (documents)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    return _png(fig)


def worst_errors(ev: Evaluation) -> list[dict]:
    """Wrongly tagged documents, most confidently wrong first."""
    wrong = (ev.Y != ev.P).any(axis=1)
    cost = np.abs(ev.Y - ev.proba).max(axis=1)
    order = [i for i in np.argsort(-cost, kind="stable") if wrong[i]][:MAX_ERRORS]
    out = []
    for i in order:
        evidence = []
        for k, tag in enumerate(ev.tags):
            e = (ev.evidence[i] if ev.evidence else {}).get(tag)
            if ev.Y[i, k] != ev.P[i, k] and e:
                evidence.append({"tag": tag, "kind": "missed" if ev.Y[i, k] else "wrongly added",
                                 "text": e["text"], "score": e["score"]})
        out.append({"id": ev.ids[i], "title": ev.titles[i],
                    "true": [t for t, y in zip(ev.tags, ev.Y[i]) if y],
                    "predicted": [t for t, p in zip(ev.tags, ev.P[i]) if p],
                    "scores": {t: float(s) for t, s in zip(ev.tags, ev.proba[i])},
                    "evidence": evidence})
    return out


def render(ev: Evaluation, *, title: str = "tagger evaluation", about: str = "") -> str:
    """The whole report as one HTML string, from templates/report.html.j2 (autoescaped:
    article titles and ids are shown as text, never as markup)."""
    import jinja2
    import matplotlib

    matplotlib.use("Agg")
    summary = ev.summary()
    env = jinja2.Environment(loader=jinja2.PackageLoader("tagger.reports", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    outcomes = tag_outcomes(ev)
    errors = worst_errors(ev)
    for x in errors:
        x["top"] = [f"{t} {p:.2f}" for t, p in sorted(x["scores"].items(), key=lambda kv: -kv[1])[:4]]
    how = (f"{summary['cv_folds']}-fold cross-validation (each fold scored by a model that never saw it)"
           if summary.get("cv_folds") else "a saved model scored on labelled documents")
    return env.get_template("report.html.j2").render(
        title=title, about=about, how=how, s=summary, max_curves=MAX_CURVES,
        pr_src=pr_curves(ev), calibration_src=calibration_plot(ev),
        outcomes=outcomes, outcomes_src=outcomes_plot(ev, outcomes),
        subs=substitutions(ev).tolist(), sub_rows=[*ev.tags, "(nothing missed)"],
        sub_cols=[*ev.tags, "(none added)"], max_sub=MAX_SUBSTITUTION_TAGS,
        over_time_src=over_time_plot(summary), errors=errors)


def write_report(ev: Evaluation, path: str | Path, **kwargs) -> Path:
    """Write the report atomically to ``path``."""
    write_text_atomic(path, render(ev, **kwargs))
    return Path(path)
