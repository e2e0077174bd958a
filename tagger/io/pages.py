"""Saved web pages as documents: the article's main text, title and date, extracted by
trafilatura (navigation, comments, cookie banners and footers left out)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from ..errors import InputError
from .records import Document, check_text, iso_date

# Fewer words than this is not an article: what an extractor finds on an index page, a
# cookie wall or an error page (a banner, a menu).
MIN_ARTICLE_WORDS = 20
# Bounds per page, checked on the parsed tree before extraction (a linear walk): the
# extractor's time grows faster than the element count (600,000 tiny paragraphs ran for
# minutes), and the HTML parser silently drops what lies deeper than 255 elements. News
# pages hold a few thousand elements, nested a few dozen deep.
MAX_PAGE_ELEMENTS = 10_000
MAX_PAGE_DEPTH = 200
_START_TAG = re.compile(rb"<[A-Za-z]")


def _page_tree(raw: bytes, path: Path):
    """The page parsed (as trafilatura parses it), or an InputError naming the bound it
    passes."""
    from trafilatura.utils import load_html

    # a linear count of start tags first, so that a page of millions is refused unparsed
    if len(_START_TAG.findall(raw)) > MAX_PAGE_ELEMENTS:
        raise InputError(path, f"is a web page of more than {MAX_PAGE_ELEMENTS:,} elements "
                               "(the bound per page)")
    tree = load_html(raw)
    if tree is None:
        raise InputError(path, "cannot be read as a web page")
    count = 0
    for element in tree.iter():
        count += 1
        if count > MAX_PAGE_ELEMENTS:
            raise InputError(path, f"is a web page of more than {MAX_PAGE_ELEMENTS:,} elements "
                                   "(the bound per page)")
        if len(element) == 0 and sum(1 for _ in element.iterancestors()) >= MAX_PAGE_DEPTH:
            raise InputError(path, f"is a web page nested more than {MAX_PAGE_DEPTH} elements "
                                   "deep (the bound per page)")
    return tree


def page_document(raw: bytes, path: Path) -> Document:
    """One saved page (its bytes, any encoding it declares or trafilatura detects) as a
    document with id the file's name without its suffix; a page with no article text is
    an InputError saying so."""
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its warnings are not ours
    tree = _page_tree(raw, path)
    # the date only from the page's metadata (meta tags, JSON-LD, <time>, its address):
    # never guessed from a date its prose mentions
    dates = {"original_date": True, "extensive_search": False,
             "max_date": datetime.date.today().isoformat()}
    try:
        found = trafilatura.bare_extraction(tree, with_metadata=True, include_comments=False,
                                            include_tables=True, date_extraction_params=dates)
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
