"""Scores as plain-text tables for the terminal; the columns are laid out by
:func:`tagger.text.tables.plain_table` (tabulate), the numbers formatted here."""

from __future__ import annotations

from ..io.formats import renders
from ..text.tables import plain_table


def interval(m: dict, missing: str = "") -> str:
    """A score's 95% interval as ``[0.812, 0.861]``, or ``missing`` when it has none."""
    lo_hi = m.get("f1_ci95")
    if not lo_hi or lo_hi[0] is None:
        return missing
    return f"[{lo_hi[0]:.3f}, {lo_hi[1]:.3f}]"


def format_table(result: dict) -> str:
    """A plain-text table of a score dict, one row per tag and the two averages."""
    def row(name, m, support, ece=""):
        return [name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}",
                interval(m), str(support), ece]

    rows = [row(tag, m, m["support"], f"{m['ece']:.3f}" if "ece" in m else "")
            for tag, m in result["per_tag"].items()]
    support = sum(m["support"] for m in result["per_tag"].values())
    rows += [[], *(row(f"{avg} avg", result[avg], support) for avg in ("micro", "macro"))]
    table = plain_table(["tag", "precision", "recall", "f1", "95% interval", "support", "ECE"],
                        rows, right=(1, 2, 3, 5, 6))
    how = f"{result['cv_folds']}-fold cross-validation, " if result.get("cv_folds") else ""
    return (f"{table}\n\n{result['n_docs']} labelled documents ({how}95% bootstrap intervals; "
            "ECE: expected calibration error)")


def documents_line(documents: dict | None) -> str:
    """The scored documents by their files and dates, e.g. "economist-2023-2025.jsonl with
    labels economist-random.csv, dated 2023-01-05 to 2025-06-30"."""
    if not documents:
        return ""
    data = ", ".join(documents.get("data", [])) or "documents"
    labels = documents.get("labels", [])
    dates = documents.get("dates") or {}
    when = (f", dated {dates['first']} to {dates['last']}" if dates.get("first")
            else ", undated")
    undated = f" ({dates['undated']} undated)" if dates.get("first") and dates.get("undated") else ""
    return data + (f" with labels {', '.join(labels)}" if labels else "") + when + undated


def comparison_table(result: dict) -> str:
    """Two models on the same documents (:func:`tagger.evaluation.compare.compare`): per
    tag and on average, each one's F1, the difference with its 95% paired interval and the
    share of resamples in which the new model scores higher."""
    d = result["difference"]
    named = [*d["per_tag_f1"].items(), ("", None), ("micro avg", d["micro_f1"]),
             ("macro avg", d["macro_f1"])]
    rows = [[] if m is None else
            [tag, f"{m['new']:.3f}", f"{m['old']:.3f}", f"{m['difference']:+.3f}",
             f"[{m['ci95'][0]:+.3f}, {m['ci95'][1]:+.3f}]",
             f"{100 * m['new_better_share']:.1f}% of resamples"] for tag, m in named]
    lines = [plain_table(["tag", "new F1", "old F1", "new - old", "95% interval", "new higher in"],
                         rows, right=(1, 2, 3))]
    t = result["training_documents"]
    seen = ", ".join(f"{k} model: {'not recorded' if t[k] is None else t[k]}" for k in ("new", "old"))
    lines.append(f"\n{result['n_docs']} labelled documents neither model was trained on: "
                 f"{documents_line(result['documents'])}")
    lines.append(f"{t['left_out']} of the {t['given']} given were left out as training documents "
                 f"({seen}).")
    lines.append(f"Paired bootstrap: {d['n_boot']} resamples of the documents, each scoring both "
                 f"models; {100 * d['level']:.0f}% percentile intervals of new - old (seed {d['seed']}).")
    for side in ("only_new", "only_old"):
        if result[side]:
            lines.append(f"Tags of the {side[5:]} model alone, not compared: {', '.join(result[side])}.")
    return "\n".join(lines)


def by_table(result: dict) -> str:
    """One row per slice (year, quarter, month or source): documents, micro and macro F1
    with their 95% bootstrap intervals."""
    by = result["by"]

    def cells(m):
        return ["n/a", ""] if m["f1"] is None else [f"{m['f1']:.3f}", interval(m)]

    rows = [[key, str(m["n_docs"]), *cells(m["micro"]), *cells(m["macro"])] for key, m in by.items()]
    lines = [plain_table([result["by_kind"], "documents", "micro-F1", "95% interval", "macro-F1",
                          "95% interval"], rows, right=(1, 2, 4))]
    if any(m["micro"]["f1"] is None for m in by.values()):
        lines.append("(n/a: no tag to find in that slice, and none given)")
    return "\n".join(lines)


def _num(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@renders("text", "agreement", help="tables, for a person")
def agreement_text(result: dict) -> str:
    """Annotator counts, per-tag agreement tables and disagreements, for the terminal
    (from :func:`tagger.labels.agreement.agreement`)."""
    counts = ("labelled", "saved", "skipped", "undone", "adjudicated")
    lines = [plain_table(["annotator", *counts],
                         [[name, *(str(c[k]) for k in counts)] for name, c in result["annotators"].items()],
                         right=range(1, 6))]
    if not result["annotators"]:
        lines.append("(no decisions yet)")
    tables = [(" vs ".join(p["annotators"]), p) for p in result["pairs"]]
    if len(tables) > 1 and result["pooled"]:
        tables.append(("all pairs pooled", result["pooled"]))
    for title, part in tables:
        lines += ["", f"agreement, {title}, on {part['n_docs']} documents both labelled:",
                  _agreement_table(part["per_tag"], "only 1st", "only 2nd")]
    if not result["pairs"]:
        lines += ["", "no document labelled by two annotators yet: agreement needs overlap "
                      "(tagger label --overlap 0.1)"]
    lines += _with_model_text(result.get("model") or {})
    disputed = result["disagreements"]
    if disputed:
        done = sum(d["adjudicated"] for d in disputed)
        lines += ["", f"disagreements: {len(disputed)} ({done} adjudicated)"]
        for d in disputed:
            said = "; ".join(f"{who}: {', '.join(tags) or '(no tag)'}"
                             for who, tags in d["labels"].items())
            lines.append(f"  {d['id']}  {said}" + ("  [adjudicated]" if d["adjudicated"] else ""))
    return "\n".join(lines) + "\n"


def _agreement_table(per_tag: dict, first: str, second: str) -> str:
    """Per tag: kappa, F1 and the documents given it by both, by the first alone, by the
    second alone."""
    return plain_table(["tag", "kappa", "F1", "both", first, second],
                       [[tag, _num(m["kappa"]), _num(m["f1"]), str(m["both"]), str(m["only_first"]),
                         str(m["only_second"])] for tag, m in per_tag.items()], right=range(1, 6))


def _with_model_text(by: dict) -> list[str]:
    """Per annotator: how much of their labelling accepted the model's proposal unchanged,
    and their agreement with its proposals per tag."""
    if not by:
        return []
    lines = ["", "the model's proposals, per annotator (share: of the tags they gave, those",
             "accepted unchanged; unrecorded: decisions from before this was recorded):",
             plain_table(["annotator", "decisions", "tags given", "accepted", "share", "of proposals",
                          "unrecorded"],
                         [[name, str(m["decisions"]), str(m["tags_given"]), str(m["accepted"]),
                           _share(m["accepted_share"]), _share(m["proposals_accepted"]),
                           str(m["unrecorded"])] for name, m in by.items()], right=range(1, 7))]
    for name, m in by.items():
        if m["per_tag"]:
            lines += ["", f"agreement, {name} vs the model's proposals, on {m['with_proposal']} "
                          "decisions made with one shown:",
                      _agreement_table(m["per_tag"], f"only {name[:12]}", "only model")]
    return lines


def _share(x) -> str:
    return "n/a" if x is None else f"{x:.0%}"


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
    rows = [[t, f"{thr:.3f}", f"{per_tag[t]['f1']:.3f}" if "f1" in per_tag.get(t, {}) else "n/a",
             interval(per_tag.get(t, {})), str(meta.get("tag_counts", {}).get(t, 0))]
            for t, thr in zip(model.tags, model.thresholds)]
    rows += [[f"{avg} avg", "", f"{cv[avg]['f1']:.3f}", interval(cv[avg])]
             for avg in ("micro", "macro") if avg in cv]
    lines += ["", plain_table(["tag", "threshold", "CV F1", "95% interval", "labels"], rows,
                              right=(1, 2, 4))]
    if cv:
        lines.append(f"(out-of-fold scores of {cv.get('folds')}-fold cross-validation on the "
                     "training labels; tagger evaluate --cv gives the unbiased estimate)")
    for e in meta.get("held_out") or []:  # tagger card --eval
        lines.append(f"on {e['n_docs']:,} articles it was not trained on, "
                     f"{documents_line(e['documents'])}: micro-F1 {e['micro']['f1']:.3f} "
                     f"{interval(e['micro'])}, macro-F1 {e['macro']['f1']:.3f} {interval(e['macro'])}")
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
