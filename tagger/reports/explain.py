"""An explanation (:func:`tagger.model.explain.explain`) as text for a terminal, or as one
self-contained HTML page with the evidence highlighted."""

from __future__ import annotations

from ..io.records import Document

SHOWN_CONTRIBUTIONS = 12  # in the text view: the largest, by size
SHOWN_SENTENCES = 3
_BOLD, _GREEN, _RED, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[0m"


def _shown(explanation: dict) -> list[tuple[str, dict]]:
    """The tags worth a reader's time: given, or just under their threshold; else all."""
    items = list(explanation["tags"].items())
    chosen = [(t, x) for t, x in items if x["assigned"] or x["why_not"]]
    return chosen or items


def explanation_text(explanation: dict, *, color: bool = False, every_tag: bool = False) -> str:
    """A reader's view: per tag, its verdict, the largest contributions and best sentences.
    ``color`` highlights with terminal escape codes."""
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(f"{explanation['id']}", _BOLD)]
    for tag, x in (explanation["tags"].items() if every_tag else _shown(explanation)):
        verdict = ("given" if x["assigned"] else "why not: just under" if x["why_not"]
                   else "not given")
        sign = ">=" if x["assigned"] else "<"
        lines.append("")
        lines.append(paint(f"{tag}: {x['probability']:.3f} {sign} threshold {x['threshold']:.3f} "
                           f"({verdict})", _BOLD))
        lines.append(f"  logit {x['logit']:+.3f} = intercept {x['intercept']:+.3f} + "
                     f"{len(x['contributions'])} features")
        for c in x["contributions"][:SHOWN_CONTRIBUTIONS]:
            value = paint(f"{c['value']:+.3f}", _GREEN if c["value"] > 0 else _RED)
            lines.append(f"  {value}  {c['feature']} ({c['kind']}, {c['x']:.3f} x {c['weight']:+.2f})")
        rest = len(x["contributions"]) - SHOWN_CONTRIBUTIONS
        if rest > 0:
            total = sum(c["value"] for c in x["contributions"][SHOWN_CONTRIBUTIONS:])
            lines.append(f"  {total:+.3f}  ({rest} smaller contributions)")
        for s in x["sentences"][:SHOWN_SENTENCES]:
            where = "title" if s.get("field") else f"{s['start']}-{s['end']}"
            lines.append(f"  sentence {s['score']:.3f} [{where}] {paint(s['text'], _BOLD)}")
    return "\n".join(lines) + "\n"


def _pieces(text: str, start: int, end: int, weights: dict[int, tuple]) -> list[dict]:
    """The characters [start, end) of a text cut at the n-gram spans in it: each piece with
    its contribution (``value``) and that as a share of the largest (``weight``)."""
    out, at = [], start
    for s in sorted(p for p in weights if start <= p < end):
        e, w, v = weights[s]
        if s < at:
            continue
        if s > at:
            out.append({"text": text[at:s], "weight": 0.0, "value": 0.0})
        out.append({"text": text[s:min(e, end)], "weight": w, "value": v})
        at = min(e, end)
    if at < end:
        out.append({"text": text[at:end], "weight": 0.0, "value": 0.0})
    return out


def _tag_view(doc: Document, tag: str, x: dict) -> dict:
    """The text cut into sentences (the best one marked) and n-grams (by contribution)."""
    weights: dict[int, tuple] = {}
    scale = max((abs(c["value"]) for c in x["contributions"] if c["kind"] == "ngram"), default=1.0)
    for c in x["contributions"]:
        for span in c.get("spans", []):
            if span.get("field") or span["start"] in weights:
                continue  # the title is shown apart; the larger contribution at a place wins
            weights[span["start"]] = (span["end"], c["value"] / scale, c["value"])
    sentences = sorted((s for s in x["sentences"] if not s.get("field")), key=lambda s: s["start"])
    best = max(sentences, key=lambda s: s["score"], default=None)
    blocks, at = [], 0
    for s in sentences:
        if s["start"] > at:
            blocks.append({"sentence": False, "pieces": _pieces(doc.text, at, s["start"], weights)})
        blocks.append({"sentence": True, "best": s is best, "score": s["score"],
                       "pieces": _pieces(doc.text, s["start"], s["end"], weights)})
        at = s["end"]
    if at < len(doc.text):
        blocks.append({"sentence": False, "pieces": _pieces(doc.text, at, len(doc.text), weights)})
    return {"tag": tag, "x": x, "blocks": blocks, "best": best,
            "top": x["contributions"][:SHOWN_CONTRIBUTIONS]}


def explanation_html(explanation: dict, doc: Document) -> str:
    """One self-contained page (autoescaped: the article is shown as text, never markup)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("tagger.reports", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    views = [_tag_view(doc, t, x) for t, x in _shown(explanation)]
    return env.get_template("explain.html.j2").render(e=explanation, doc=doc, views=views)
