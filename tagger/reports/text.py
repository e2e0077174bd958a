"""Scores as a plain-text table for the terminal."""

from __future__ import annotations


def format_table(result: dict) -> str:
    """A plain-text table of a score dict, one row per tag and the two averages."""
    rows = [(tag, m) for tag, m in result["per_tag"].items()]
    support = sum(m["support"] for _, m in rows)
    width = max([len("macro avg"), *(len(t) for t, _ in rows)])

    def ci(m):
        lo, hi = m.get("f1_ci95", (None, None))
        return f"[{lo:.3f}, {hi:.3f}]" if lo is not None else ""

    lines = [f"{'tag':<{width}}  precision  recall     f1  95% interval     support    ECE"]
    for tag, m in rows:
        ece = f"{m['ece']:6.3f}" if "ece" in m else ""
        lines.append(f"{tag:<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}"
                     f"  {ci(m):<15s}  {m['support']:7d}  {ece}".rstrip())
    lines.append("")
    for avg in ("micro", "macro"):
        m = result[avg]
        lines.append(f"{avg + ' avg':<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  "
                     f"{m['f1']:5.3f}  {ci(m):<15s}  {support:7d}".rstrip())
    how = f"{result['cv_folds']}-fold cross-validation, " if result.get("cv_folds") else ""
    lines.append(f"\n{result['n_docs']} labelled documents ({how}95% bootstrap intervals; "
                 "ECE: expected calibration error)")
    return "\n".join(lines)
