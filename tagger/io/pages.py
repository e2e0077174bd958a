"""Saved web pages as documents: the article's main text, title and date, extracted by
trafilatura (navigation, comments, cookie banners and footers left out)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .records import Document, check_text, iso_date

# Fewer words than this is not an article: what an extractor finds on an index page, a
# cookie wall or an error page (a banner, a menu).
MIN_ARTICLE_WORDS = 20


def page_document(raw: bytes, path: Path) -> Document:
    """One saved page (its bytes, any encoding it declares or trafilatura detects) as a
    document with id the file's name without its suffix; a page with no article text is
    an InputError saying so."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its warnings are not ours
    try:
        found = trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False,
                                            include_tables=True)
    except Exception as exc:  # a page trafilatura cannot parse is a bad document, not a crash
        raise InputError(path, f"cannot be read as a web page ({type(exc).__name__})") from None
    text = (getattr(found, "text", None) or "").strip() if found is not None else ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise InputError(path, "is a web page with no article text (fewer than "
                               f"{MIN_ARTICLE_WORDS} words of it)")
    title = " ".join((getattr(found, "title", None) or "").split())
    first, _, rest = text.partition("\n")
    if title and first.strip() == title and rest.strip():
        text = rest.strip()  # the page's heading repeats its title: keep it once
    check_text(title + text, path)
    return Document(id=path.stem, text=text, title=title, source=str(path),
                    date=iso_date(getattr(found, "date", None)))
