"""A model card: the README.md of a model directory, in Hugging Face's model card layout
(YAML metadata, then intended use, tags, data, scores with intervals, limits, rebuild)."""

from __future__ import annotations

import re
from pathlib import Path

from ..io.files import write_text_atomic
from ..model.persist import CARD_FILE, library_versions
from ..text.safe import terminal_safe
from .text import documents_line, interval


# A link whose target runs script or carries a payload: only its text is kept.
_BAD_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?\s*(?:javascript|vbscript|data)\s*:"
                       r"(?:[^()]|\([^()]*\))*\)", re.I)
# HTML first (so the escapes are not escaped again), then CommonMark's punctuation that
# can start markup inside a line (emphasis, links, images, code, strike, table cells).
_MD_ESCAPES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"),
               *((c, "\\" + c) for c in "\\`*_[]~|")]


def _md(text) -> str:
    """A value for a Markdown table cell or line: one line, no markup, no HTML and no
    script links (the schema and the metadata are user data, and a model may be received
    from anyone)."""
    text = _BAD_LINK.sub(r"\1", " ".join(terminal_safe(text or "").split()))
    for a, b in _MD_ESCAPES:
        text = text.replace(a, b)
    return text


def _code_span(text) -> str:
    """One line of text as a code span, its delimiters longer than any backtick run in it."""
    text = " ".join(terminal_safe(text or "").split())
    tick = "`" * (_longest_run(text, "`") + 1)
    return f"{tick} {text} {tick}" if "`" in text else f"{tick}{text}{tick}"


def _fence(text) -> str:
    """A fenced code block of ``text`` whose fence is longer than any backtick run in it
    (CommonMark: a fence closes only on a run at least as long), so nothing ends it early."""
    text = terminal_safe(text)  # a README is read with cat too
    fence = "`" * max(3, _longest_run(text, "`") + 1)
    return f"{fence}bash\n{text}\n{fence}"


def _longest_run(text: str, char: str) -> int:
    return max((len(m) for m in re.findall(re.escape(char) + "+", text)), default=0)


def _counts(d: dict) -> str:
    return ", ".join(f"{_md(k)} {v:,}" for k, v in d.items())


def _most_first(counts: dict) -> dict:
    """Outlets by count, most first (ties by name), "(other)" and "(unknown)" last: the
    same order whether the metadata comes from training or from a saved model.json (whose
    keys are sorted)."""
    last = ("(other)", "(unknown)")
    ranked = sorted((k for k in counts if k not in last), key=lambda k: (-counts[k], k))
    return {k: counts[k] for k in [*ranked, *(k for k in last if k in counts)]}


def _held_out(entry: dict, tags) -> dict:
    """Held-out scores (tagger card --eval) for the card: named by their files and dates,
    tags in the model's order."""
    return {"title": _md(documents_line(entry["documents"])), "n_docs": entry["n_docs"],
            "micro": entry["micro"], "macro": entry["macro"],
            "per_tag": [(t, entry["per_tag"][t]) for t in tags if t in entry["per_tag"]]}


def model_card(model, *, name: str | None = None) -> str:
    """The model card of a loaded or trained model, as Markdown."""
    import jinja2

    meta = model.metadata
    dates = meta.get("date_range") or {"first": "", "last": "", "dated": 0, "undated": meta.get("n_train_docs", 0)}
    period = _md(f"{dates['first']} to {dates['last']}") if dates.get("first") else "unknown dates"
    schema = meta.get("schema") or [{"id": t} for t in model.tags]
    schema = [{"id": t["id"], "name": t.get("name") or t["id"], "description": t.get("description") or "-"}
              for t in schema if t["id"] in model.tags]
    s = model.settings
    settings_line = (f"C={s.C:g}, ngram-max={s.ngram_max}, keyword-window={s.keyword_window}, "
                     f"sentences={'on' if s.sentences else 'off'}, min-df={s.min_df}, seed={s.seed}")
    env = jinja2.Environment(loader=jinja2.PackageLoader("tagger.reports", "templates"),
                             autoescape=False, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["md"] = _md
    env.filters["code"] = _code_span
    return env.get_template("card.md.j2").render(
        name=_md(name or "tagger model"), tags=model.tags, keywords=bool(model.keywords),
        settings=s, schema=schema, thresholds=dict(zip(model.tags, model.thresholds.tolist())),
        n_train=meta.get("n_train_docs", 0), n_unlabelled=meta.get("n_unlabelled_docs", 0),
        dates=dates, period=period, by_year=_counts(dates.get("by_year", {})),
        sources=_counts(_most_first(meta.get("sources", {}))),
        tag_counts=_counts({t: n for t in model.tags
                            if (n := meta.get("tag_counts", {}).get(t)) is not None}),
        fingerprint=meta.get("training_data", ""), cv=meta["cv"],
        per_tag=[(t, meta["cv"]["per_tag"][t]) for t in model.tags if t in meta["cv"].get("per_tag", {})],
        ci=lambda m: interval(m, "n/a"),
        held_out=[_held_out(e, model.tags) for e in meta.get("held_out") or []],
        drift=meta.get("drift"), command=_fence(meta["command"]) if meta.get("command") else None, settings_line=settings_line,
        versions=", ".join(f"{_md(k)} {_md(v)}" for k, v in
                           sorted((meta.get("versions") or library_versions()).items())))


def write_card(model, directory: str | Path, **kwargs) -> Path:
    """Write the card to ``DIRECTORY/README.md`` atomically; returns its path."""
    path = Path(directory) / CARD_FILE
    write_text_atomic(path, model_card(model, **kwargs))
    return path
