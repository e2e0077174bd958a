"""A self-contained HTML evaluation report: tables and plots embedded in one file."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from .metrics import Evaluation, calibration_bins
from .files import write_text_atomic

MAX_CURVES = 12   # precision-recall panels: the most frequent tags
MAX_ERRORS = 25


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _img(src: str, alt: str) -> str:
    return f'<img class="plot" alt="{html.escape(alt)}" src="{src}">'


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
    return _img(_png(fig), "precision-recall curves with the chosen thresholds")


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
    return _img(_png(fig), "calibration plot")


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
    return _img(_png(fig), "which tags are confused with which"), matrix


def worst_errors(ev: Evaluation) -> list[dict]:
    """Wrongly tagged documents, most confidently wrong first."""
    wrong = (ev.Y != ev.P).any(axis=1)
    cost = np.abs(ev.Y - ev.proba).max(axis=1)
    order = [i for i in np.argsort(-cost, kind="stable") if wrong[i]][:MAX_ERRORS]
    return [{"id": ev.ids[i], "title": ev.titles[i],
             "true": [t for t, y in zip(ev.tags, ev.Y[i]) if y],
             "predicted": [t for t, p in zip(ev.tags, ev.P[i]) if p],
             "scores": {t: float(s) for t, s in zip(ev.tags, ev.proba[i])}} for i in order]


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;
color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
#errors th{text-align:left}
td.text{text-align:left;max-width:420px}
tr.avg td{font-weight:bold}
img.plot{max-width:100%;border:1px solid #eee;margin:0.5em 0}
.note{color:#666;font-size:13px}
"""


def render(ev: Evaluation, *, title: str = "tagger evaluation", about: str = "") -> str:
    """The whole report as one HTML string."""
    import matplotlib

    matplotlib.use("Agg")
    summary = ev.summary()
    e = html.escape
    rows = []
    for tag, m in summary["per_tag"].items():
        lo, hi = m["f1_ci95"]
        rows.append(f"<tr><td>{e(tag)}</td><td>{m['precision']:.3f}</td><td>{m['recall']:.3f}</td>"
                    f"<td>{m['f1']:.3f}</td><td>[{lo:.3f}, {hi:.3f}]</td><td>{m['support']}</td>"
                    f"<td>{m['threshold']:.3f}</td><td>{m['ece']:.3f}</td></tr>")
    for avg in ("micro", "macro"):
        m = summary[avg]
        lo, hi = m["f1_ci95"]
        rows.append(f'<tr class="avg"><td>{avg} avg</td><td>{m["precision"]:.3f}</td>'
                    f'<td>{m["recall"]:.3f}</td><td>{m["f1"]:.3f}</td><td>[{lo:.3f}, {hi:.3f}]</td>'
                    "<td></td><td></td><td></td></tr>")
    conf_img, matrix = confusion(ev)
    labels = [*ev.tags, "(none)"]
    conf_rows = "".join(
        f"<tr><td>{e(labels[i])}</td>" + "".join(f"<td>{matrix[i, j]}</td>" for j in range(len(labels)))
        + "</tr>" for i in range(len(labels))) if len(labels) <= 12 else ""
    conf_table = ("<table id=\"confusion\"><tr><th>true \\ predicted</th>"
                  + "".join(f"<th>{e(lab)}</th>" for lab in labels) + f"</tr>{conf_rows}</table>"
                  if conf_rows else "")
    err_rows = "".join(
        f"<tr><td>{e(x['id'])}</td><td class=\"text\">{e(x['title'])}</td>"
        f"<td class=\"text\">{e(', '.join(x['true']) or '-')}</td>"
        f"<td class=\"text\">{e(', '.join(x['predicted']) or '-')}</td>"
        f"<td class=\"text\">{e(', '.join(f'{t} {s:.2f}' for t, s in sorted(x['scores'].items(), key=lambda kv: -kv[1])[:4]))}</td></tr>"
        for x in worst_errors(ev))
    how = (f"{summary['cv_folds']}-fold cross-validation (each fold scored by a model that never saw it)"
           if summary.get("cv_folds") else "a saved model scored on labelled documents")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{e(title)}</h1>
<p class="note">{summary['n_docs']} labelled documents; {e(how)}. {e(about)}</p>
<h2>Scores per tag</h2>
<table id="scores"><tr><th>tag</th><th>precision</th><th>recall</th><th>F1</th>
<th>F1 95% interval</th><th>support</th><th>threshold</th><th>ECE</th></tr>
{''.join(rows)}</table>
<p class="note">Intervals: percentile bootstrap over documents ({summary['bootstrap']['n_boot']}
resamples, seed {summary['bootstrap']['seed']}). ECE: expected calibration error over ten
probability bins (0 is perfect).</p>
<h2>Precision-recall curves</h2>
<p class="note">The red point is the decision threshold in use. At most {MAX_CURVES} tags, most frequent first.</p>
{pr_curves(ev)}
<h2>Calibration</h2>
<p class="note">A score of 0.8 should be right about 8 times in 10: points near the diagonal.
Numbers are tag decisions per bin.</p>
{calibration_plot(ev)}
<h2>Which tags are confused with which</h2>
<p class="note">Documents with true tag (row) that were given the predicted tag (column); shading
is the share of the row.</p>
{conf_img}
{conf_table}
<h2>Worst errors</h2>
<table id="errors"><tr><th>id</th><th>title</th><th>true</th><th>predicted</th><th>scores</th></tr>
{err_rows}</table>
</body></html>
"""


def write_report(ev: Evaluation, path: str | Path, **kwargs) -> Path:
    """Write the report atomically to ``path``."""
    write_text_atomic(path, render(ev, **kwargs))
    return Path(path)
