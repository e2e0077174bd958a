"""A self-contained HTML evaluation report: tables and plots embedded in one file."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np

from ..evaluation.calibration import calibration_bins
from ..evaluation.results import Evaluation
from ..io.files import write_text_atomic

MAX_CURVES = 12   # precision-recall panels: the most frequent tags
MAX_ERRORS = 25


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
    cols = min(4, max(1, len(order)))
    rows = max(1, -(-len(order) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.0 * rows), squeeze=False)
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
        ax.set_title(ev.tags[k], fontsize=9)
        ax.set_xlabel("recall", fontsize=8)
        ax.set_ylabel("precision", fontsize=8)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=7, loc="lower left")
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


def confusion(ev: Evaluation) -> tuple[str, np.ndarray]:
    """Rows: true tag (or none); columns: predicted tag (or none); cells: documents."""
    import matplotlib.pyplot as plt

    Y, P = ev.Y.astype(int), ev.P.astype(int)
    none_true, none_pred = (Y.sum(1) == 0).astype(int), (P.sum(1) == 0).astype(int)
    Yx = np.column_stack([Y, none_true])
    Px = np.column_stack([P, none_pred])
    matrix = Yx.T @ Px
    labels = [*ev.tags, "(none)"]
    size = max(4.0, 0.35 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(shown, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 12:
        for i in range(len(labels)):
            for j in range(len(labels)):
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if shown[i, j] > 0.5 else "black")
    return _png(fig), matrix


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
    confusion_src, matrix = confusion(ev)
    errors = worst_errors(ev)
    for x in errors:
        x["top"] = [f"{t} {p:.2f}" for t, p in sorted(x["scores"].items(), key=lambda kv: -kv[1])[:4]]
    how = (f"{summary['cv_folds']}-fold cross-validation (each fold scored by a model that never saw it)"
           if summary.get("cv_folds") else "a saved model scored on labelled documents")
    return env.get_template("report.html.j2").render(
        title=title, about=about, how=how, s=summary, max_curves=MAX_CURVES,
        pr_src=pr_curves(ev), calibration_src=calibration_plot(ev), confusion_src=confusion_src,
        labels=[*ev.tags, "(none)"], matrix=matrix.tolist(), errors=errors)


def write_report(ev: Evaluation, path: str | Path, **kwargs) -> Path:
    """Write the report atomically to ``path``."""
    write_text_atomic(path, render(ev, **kwargs))
    return Path(path)
