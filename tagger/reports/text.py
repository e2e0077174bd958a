"""Scores as a plain-text table for the terminal."""

from __future__ import annotations


def interval(m: dict, missing: str = "") -> str:
    """A score's 95% interval as ``[0.812, 0.861]``, or ``missing`` when it has none."""
    lo_hi = m.get("f1_ci95")
    if not lo_hi or lo_hi[0] is None:
        return missing
    return f"[{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]"


def format_table(result: dict) -> str:
    """A plain-text table of a score dict, one row per tag and the two averages."""
    rows = [(tag, m) for tag, m in result["per_tag"].items()]
    support = sum(m["support"] for _, m in rows)
    width = max([len("macro avg"), *(len(t) for t, _ in rows)])

    lines = [f"{'tag':<{width}}  precision  recall     f1  95% interval     support    ECE"]
    for tag, m in rows:
        ece = f"{m['ece']:6.3f}" if "ece" in m else ""
        lines.append(f"{tag:<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  {m['f1']:5.3f}"
                     f"  {interval(m):<15s}  {m['support']:7d}  {ece}".rstrip())
    lines.append("")
    for avg in ("micro", "macro"):
        m = result[avg]
        lines.append(f"{avg + ' avg':<{width}}  {m['precision']:9.3f}  {m['recall']:6.3f}  "
                     f"{m['f1']:5.3f}  {interval(m):<15s}  {support:7d}".rstrip())
    how = f"{result['cv_folds']}-fold cross-validation, " if result.get("cv_folds") else ""
    lines.append(f"\n{result['n_docs']} labelled documents ({how}95% bootstrap intervals; "
                 "ECE: expected calibration error)")
    return "\n".join(lines)


def by_table(result: dict) -> str:
    """One row per slice (year, quarter, month or source): documents, micro and macro F1
    with their 95% bootstrap intervals."""
    by = result["by"]
    width = max([len(result["by_kind"]), *(len(k) for k in by)])
    lines = [f"{result['by_kind']:<{width}}  documents  micro-F1  95% interval     "
             "macro-F1  95% interval"]
    def cell(m):
        if m["f1"] is None:
            return f"{'n/a':>8}  {'':15s}"
        return f"{m['f1']:8.3f}  {interval(m)}"

    for key, m in by.items():
        lines.append(f"{key:<{width}}  {m['n_docs']:9d}  {cell(m['micro'])}  {cell(m['macro'])}".rstrip())
    if any(m["micro"]["f1"] is None for m in by.values()):
        lines.append("(n/a: no tag to find in that slice, and none given)")
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
    lines += _with_model_text(result.get("model") or {}, width)
    disputed = result["disagreements"]
    if disputed:
        done = sum(d["adjudicated"] for d in disputed)
        lines += ["", f"disagreements: {len(disputed)} ({done} adjudicated)"]
        for d in disputed:
            said = "; ".join(f"{who}: {', '.join(tags) or '(no tag)'}"
                             for who, tags in d["labels"].items())
            lines.append(f"  {d['id']}  {said}" + ("  [adjudicated]" if d["adjudicated"] else ""))
    return "\n".join(lines) + "\n"


def _with_model_text(by: dict, width: int) -> list[str]:
    """Per annotator: how much of their labelling accepted the model's proposal unchanged,
    and their agreement with its proposals per tag."""
    if not by:
        return []
    lines = ["", "the model's proposals (decisions that recorded them):",
             "annotator            decisions  tags given  accepted  share  of proposals  unrecorded"]
    for name, m in by.items():
        lines.append(f"{name:<20} {m['decisions']:9d} {m['tags_given']:11d} {m['accepted']:9d}  "
                     f"{_share(m['accepted_share'])}  {_share(m['proposals_accepted']):>12}  "
                     f"{m['unrecorded']:10d}")
    for name, m in by.items():
        if m["per_tag"]:
            lines += ["", f"agreement, {name} vs the model's proposals, on {m['decisions']} "
                          "decisions:", f"{'tag':<{width}}  kappa     F1  both  only {name[:12]}  "
                                        "only model"]
            for tag, t in m["per_tag"].items():
                lines.append(f"{tag:<{width}}  {_num(t['kappa'])}  {_num(t['f1'])}  {t['both']:4d}  "
                             f"{t['only_first']:{6 + len(name[:12])}d}  {t['only_second']:10d}")
    return lines


def _share(x) -> str:
    return "  n/a" if x is None else f"{x:5.0%}"


def model_summary(model, path) -> str:
    """What a person reads first about a model: its data, tags, scores, settings and the
    command that rebuilds it (`tagger info`)."""
    meta, s = model.metadata, model.settings
    dates = meta.get("date_range") or {}
    lines = [f"model: {path}"]
    when = (f", dated {dates['first']} to {dates['last']}" if dates.get("first")
            else ", dates unknown")
    years = ", ".join(f"{y}: {n:,}" for y, n in dates.get("by_year", {}).items())
    lines.append(f"trained on {meta.get('n_train_docs', 0):,} labelled documents "
                 f"({meta.get('n_unlabelled_docs', 0):,} unlabelled){when}"
                 + (f" ({years})" if years else ""))
    cv = meta.get("cv") or {}
    per_tag = cv.get("per_tag", {})
    width = max([len("macro avg"), *(len(t) for t in model.tags)])

    lines += ["", f"{'tag':<{width}}  threshold  CV F1  95% interval     labels"]
    for t, thr in zip(model.tags, model.thresholds):
        m = per_tag.get(t, {})
        f1 = f"{m['f1']:5.3f}" if "f1" in m else "  n/a"
        lines.append(f"{t:<{width}}  {thr:9.3f}  {f1}  {interval(m):<15s}  "
                     f"{meta.get('tag_counts', {}).get(t, 0):6d}".rstrip())
    for avg in ("micro", "macro"):
        if avg in cv:
            lines.append(f"{avg + ' avg':<{width}}  {'':9}  {cv[avg]['f1']:5.3f}  {interval(cv[avg])}".rstrip())
    if cv:
        lines.append(f"(out-of-fold scores of {cv.get('folds')}-fold cross-validation on the "
                     "training labels; tagger evaluate --cv gives the unbiased estimate)")
    searched = len(meta.get("search") or [])
    lines += ["", f"settings: C={s.C:g}, ngram-max={s.ngram_max}, keyword-window="
                  f"{s.keyword_window if model.keywords else 0}, sentences "
                  f"{'on (sentence-C=' + format(s.sentence_C, 'g') + ')' if s.sentences else 'off'}, "
                  f"{'unlabelled' if s.unlabelled_idf else 'labelled'} IDF, min-df={s.min_df}, "
                  f"seed={s.seed}" + (f"; best of {searched} by cross-validation" if searched > 1 else "")]
    lines.append(f"features: {model.n_features:,} ({model.n_terms:,} terms, "
                 f"{model.n_keyword_features} keyword, {model.n_sentence_features} sentence)")
    drift = meta.get("drift")
    if drift:
        lines.append(f"drift baseline: {drift['unseen_share']:.1%} of words unseen in training, "
                     f"{drift['near_share']:.0%} of documents near a threshold")
    if meta.get("command"):
        lines.append(f"rebuild: {meta['command']}")
    return "\n".join(lines)
