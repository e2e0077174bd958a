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


def _num(value) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


def agreement_text(result: dict) -> str:
    """Annotator counts, per-tag agreement tables and disagreements, for the terminal
    (from :func:`tagger.evaluation.agreement.agreement`)."""
    lines = ["annotator            labelled  saved  skipped  undone  adjudicated"]
    for name, c in result["annotators"].items():
        lines.append(f"{name:<20} {c['labelled']:8d} {c['saved']:6d} {c['skipped']:8d} "
                     f"{c['undone']:7d} {c['adjudicated']:12d}")
    if not result["annotators"]:
        lines.append("(no decisions yet)")
    tables = [(" vs ".join(p["annotators"]), p) for p in result["pairs"]]
    if len(tables) > 1 and result["pooled"]:
        tables.append(("all pairs pooled", result["pooled"]))
    width = max([len("tag"), *(len(t) for t in result["tags"])])
    for title, part in tables:
        lines += ["", f"agreement, {title}, on {part['n_docs']} documents both labelled:",
                  f"{'tag':<{width}}  kappa     F1  both  only 1st  only 2nd"]
        for tag, m in part["per_tag"].items():
            lines.append(f"{tag:<{width}}  {_num(m['kappa'])}  {_num(m['f1'])}  {m['both']:4d}  "
                         f"{m['only_first']:8d}  {m['only_second']:8d}")
    if not result["pairs"]:
        lines += ["", "no document labelled by two annotators yet: agreement needs overlap "
                      "(tagger label --overlap 0.1)"]
    disputed = result["disagreements"]
    if disputed:
        done = sum(d["adjudicated"] for d in disputed)
        lines += ["", f"disagreements: {len(disputed)} ({done} adjudicated)"]
        for d in disputed:
            said = "; ".join(f"{who}: {', '.join(tags) or '(no tag)'}"
                             for who, tags in d["labels"].items())
            lines.append(f"  {d['id']}  {said}" + ("  [adjudicated]" if d["adjudicated"] else ""))
    return "\n".join(lines) + "\n"
