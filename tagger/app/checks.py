"""What a save must hold before it is stored: the checks of :meth:`Session.decide
<tagger.app.session.Session.decide>`, each refusal a :class:`DecisionError` saying why."""

from __future__ import annotations

from typing import Sequence

from ..errors import DecisionError
from ..io.records import Document


def checked_skip(tags, none: bool, evidence, no_evidence, accepted) -> tuple:
    """A skip's evidence (none): refused when it carries any choice, which it would drop."""
    if tags or none or evidence or no_evidence or accepted:
        raise DecisionError("a skip chooses nothing: no tags, 'no tag applies' or evidence")
    return ()


def checked_tags(known: Sequence[str], tags, accepted, none: bool, proposal: dict | None):
    """The tags and accepted tags of a save, refused with the reason when they do not make
    one: nothing chosen (an untouched article stores nothing), 'no tag applies' with tags,
    an unknown tag, or an accepted tag not saved or not proposed by the model."""
    if not all(isinstance(t, str) for t in [*tags, *accepted]):
        raise DecisionError("tags are names (strings)")
    tags, accepted = tuple(tags), tuple(accepted)
    if not tags and not none:
        raise DecisionError("no tag chosen and no proposal accepted: nothing was saved "
                            "(say 'read, no tag applies' (0) if none does)")
    if tags and none:
        raise DecisionError(f"'no tag applies' and {tags[0]} together: choose one")
    unknown = [t for t in tags if t not in set(known)]
    if unknown:
        raise DecisionError(f"unknown tag {unknown[0]!r}")
    for t in accepted:
        if t not in tags:
            raise DecisionError(f"{t} is accepted but not among the tags saved")
        if proposal is None or t not in proposal["tags"]:
            raise DecisionError(f"{t} is accepted, but the model did not propose it for "
                                "this article")
    return tags, accepted


def checked_evidence(doc: Document, tags, accepted, evidence, no_evidence,
                     proposal: dict | None):
    """The evidence spans (read from the server's text, never the request's) and the tags
    saved without any; an accepted tag given none keeps the model's sentence, if it had
    one. A tag of the annotator's own needs a sentence or to be said to have none."""
    spans = [span(doc, e, set(tags)) for e in evidence]
    backed = {s["tag"] for s in spans}
    for t in accepted:
        if t not in backed and t not in no_evidence and t in proposal["evidence"]:
            start, end = proposal["evidence"][t]
            spans.append({"tag": t, "start": start, "end": end, "text": doc.text[start:end]})
            backed.add(t)
    missing = [t for t in tags if t not in backed and t not in no_evidence and t not in accepted]
    if missing:
        raise DecisionError(f"{missing[0]} has no evidence: click the sentence that earns it, "
                            "or say it has none (n)")
    return tuple(spans), tuple(t for t in tags if t not in backed)


def span(doc: Document, e: dict, tags: set) -> dict:
    """One evidence span of a request, checked, with its text from the document."""
    try:
        tag, start, end = e["tag"], int(e["start"]), int(e["end"])
    except (KeyError, TypeError, ValueError):
        raise DecisionError("each evidence span needs its tag, start and end") from None
    if tag not in tags:
        raise DecisionError(f"evidence for {tag!r}, a tag the decision does not give")
    if not 0 <= start < end <= len(doc.text):
        raise DecisionError("an evidence span lies outside the document's text")
    return {"tag": tag, "start": start, "end": end, "text": doc.text[start:end]}
