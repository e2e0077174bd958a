"""An explanation (:func:`tagger.model.explain.explain`) as text for a terminal, or as one
self-contained HTML page with the evidence highlighted."""

from __future__ import annotations

from ..io.formats import renders
from ..io.records import Document
from ..text.safe import terminal_safe_all

SHOWN_GROUPS = 12  # in the text view and the page's table: the largest, by size
SHOWN_SENTENCES = 3
SHOWN_KEYWORDS = 10
PART_NAMES = {"ngram": "n-gram", "keyword": "keyword", "sentence": "sentence"}
_BOLD, _GREEN, _RED, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[31m", "\x1b[0m"


def _shown(explanation: dict) -> list[tuple[str, dict]]:
    """The tags worth a reader's time: given, or just under their threshold; else all."""
    items = list(explanation["tags"].items())
    chosen = [(t, x) for t, x in items if x["assigned"] or x["why_not"]]
    return chosen or items


def verdict(x: dict) -> str:
    return "given" if x["assigned"] else "why not: just under" if x["why_not"] else "not given"


def parts_text(group: dict) -> str:
    """A group's parts, e.g. "n-gram -0.061, keyword +0.990, sentence +0.879"."""
    return ", ".join(f"{PART_NAMES[p]} {v:+.3f}" for p, v in group["parts"].items())


def keyword_summary(keywords: list[dict]) -> list[dict]:
    """Keyword occurrences gathered by list and words, largest share first: {"list",
    "keyword", "count", "context" (every context word near one of them), "value"}."""
    out: dict[tuple, dict] = {}
    for k in keywords:
        g = out.setdefault((k["list"], k["keyword"]), {"list": k["list"], "keyword": k["keyword"],
                                                        "count": 0, "context": [], "value": 0.0})
        g["count"] += 1
        g["value"] += k.get("value", 0.0)
        g["context"] += [c for c in k["context"] if c not in g["context"]]
    return sorted(out.values(), key=lambda g: -abs(g["value"]))


def keyword_text(k: dict) -> str:
    """Keyword occurrences (:func:`keyword_summary`): the words, how often, their list, the
    context words that let them count, their share of the logit."""
    times = f" x{k['count']}" if k["count"] > 1 else ""
    near = f", near {', '.join(k['context'])}" if k["context"] else ""
    return f"{k['keyword']}{times} ({k['list']} list{near}) {k['value']:+.3f}"


def _summary_lines(explanation: dict) -> list[str]:
    """Every tag, given or not: its score against its threshold."""
    tags = explanation["tags"]
    width = max(len(t) for t in tags)
    lines = [f"{'tag':<{width}}  score  threshold  verdict"]
    for tag, x in tags.items():
        lines.append(f"{tag:<{width}}  {x['probability']:.3f}  {x['threshold']:9.3f}  {verdict(x)}")
    return lines


def explanation_text(explanation: dict, *, color: bool = False, every_tag: bool = False) -> str:
    """A reader's view: every tag's score and threshold, then per tag worth reading its
    verdict, the words and features that moved it most (each word's n-gram, keyword and
    sentence parts together), the keywords matched and the best sentences. ``color``
    highlights with terminal escape codes."""
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = [paint(f"{explanation['id']}", _BOLD), *_summary_lines(explanation)]
    for tag, x in (explanation["tags"].items() if every_tag else _shown(explanation)):
        sign = ">=" if x["assigned"] else "<"
        lines.append("")
        lines.append(paint(f"{tag}: {x['probability']:.3f} {sign} threshold {x['threshold']:.3f} "
                           f"({verdict(x)})", _BOLD))
        lines.append(f"  logit {x['logit']:+.3f} = intercept {x['intercept']:+.3f} + "
                     f"{len(x['groups'])} words and features")
        for g in x["groups"][:SHOWN_GROUPS]:
            value = paint(f"{g['value']:+.3f}", _GREEN if g["value"] > 0 else _RED)
            lines.append(f"  {value}  {g['feature']} ({parts_text(g)})")
        rest = len(x["groups"]) - SHOWN_GROUPS
        if rest > 0:
            total = sum(g["value"] for g in x["groups"][SHOWN_GROUPS:])
            lines.append(f"  {total:+.3f}  ({rest} smaller)")
        if x["keywords"]:
            gathered = keyword_summary(x["keywords"])
            shown = ", ".join(keyword_text(k) for k in gathered[:SHOWN_KEYWORDS])
            more = len(gathered) - SHOWN_KEYWORDS
            lines.append(f"  keywords matched: {shown}" + (f" and {more} more" if more > 0 else ""))
        for s in x["sentences"][:SHOWN_SENTENCES]:
            where = "title" if s.get("field") else f"{s['start']}-{s['end']}"
            lines.append(f"  sentence {s['score']:.3f} [{where}] {paint(s['text'], _BOLD)}")
    return "\n".join(lines) + "\n"


def _pieces(text: str, start: int, end: int, weights: dict[int, tuple]) -> list[dict]:
    """The characters [start, end) of a text cut at the highlighted spans in it: each piece
    with its group's contribution (``value``) and that as a share of the largest
    (``weight``)."""
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


def _tag_view(doc: Document, tag: str, x: dict, open_: bool) -> dict:
    """The text cut into sentences (the best one marked) and words (by their group's
    contribution)."""
    weights: dict[int, tuple] = {}
    words = [g for g in x["groups"] if g["kind"] == "word"]
    scale = max((abs(g["value"]) for g in words), default=1.0) or 1.0
    for g in words:  # largest first, so the larger contribution at a place wins
        for span in g["spans"]:
            if span.get("field") or span["start"] in weights:
                continue  # the title is shown apart
            weights[span["start"]] = (span["end"], g["value"] / scale, g["value"])
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
    return {"tag": tag, "x": x, "blocks": blocks, "best": best, "open": open_,
            "verdict": verdict(x), "top": x["groups"][:SHOWN_GROUPS],
            "keywords": [dict(k, text=keyword_text(k)) for k in keyword_summary(x["keywords"])]}


def explanation_html(explanation: dict, doc: Document) -> str:
    """One self-contained page (autoescaped: the article is shown as text, never markup):
    every tag, the tags worth reading open and the others folded."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("tagger.reports", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["parts"] = parts_text
    shown = {t for t, _ in _shown(explanation)}
    views = [_tag_view(doc, t, x, t in shown) for t, x in explanation["tags"].items()]
    return env.get_template("explain.html.j2").render(e=explanation, doc=doc, views=views)


@renders("text", "explanation", help="for a terminal, highlighted when it is one")
def text_view(explanation: dict, *, doc: Document, color: bool = False,
              every_tag: bool = False) -> str:
    """:func:`explanation_text` of the explanation made terminal-safe: the article's and the
    model's words without escape sequences (the colours are ours)."""
    return explanation_text(terminal_safe_all(explanation), color=color, every_tag=every_tag)


@renders("html", "explanation")
def html_view(explanation: dict, *, doc: Document, color: bool = False,
              every_tag: bool = False) -> str:
    return explanation_html(explanation, doc)
