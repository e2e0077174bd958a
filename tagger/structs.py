"""msgspec where data enters: a parsed value is converted to a Struct that declares its
shape (types, ranges, patterns), and a failure is told by where it happened, so that the
caller can say it in its own words, naming the file and line."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from .errors import TaggerError

T = TypeVar("T")

_STEP = re.compile(r"\.([A-Za-z_]\w*)|\[(\d+|\.\.\.)\]")


class Invalid(TaggerError):
    """A value that does not fit its Struct: ``at`` is the path to the bad part, keys and
    indices (``"..."`` for a mapping's key, which msgspec does not name), ending with the
    field's name when a required one is missing; ``missing`` says that it is. Its callers
    put it in the file's words (a TaggerError, so that it pickles like the others)."""

    def __init__(self, at: tuple, missing: bool, detail: str):
        super().__init__(detail)
        self.at, self.missing, self.detail = at, missing, detail


def convert(value: Any, shape: type[T]) -> T:
    """``value`` (parsed JSON or TOML) as ``shape``; raises :class:`Invalid`."""
    try:
        return msgspec.convert(value, shape)
    except msgspec.ValidationError as exc:
        raise invalid(exc) from None


def fits(value: Any, shape: Any) -> bool:
    """Whether ``value`` converts to ``shape`` (a part checked alone, to name it)."""
    try:
        msgspec.convert(value, shape)
    except msgspec.ValidationError:
        return False
    return True


def invalid(exc: msgspec.ValidationError) -> Invalid:
    """Where a conversion failed, from msgspec's message ("... - at `$.tag[2].id`")."""
    text = str(exc)
    detail, _, where = text.partition(" - at `$")
    at = [m.group(1) or (int(m.group(2)) if m.group(2).isdigit() else "...")
          for m in _STEP.finditer(where.rstrip("`"))]
    missing = re.match(r"Object missing required field `(\w+)`", detail)
    if missing:
        at.append(missing.group(1))
    unknown = re.match(r"Object contains unknown field `(.+)`$", detail)
    if unknown:
        at.append(unknown.group(1))
    return Invalid(tuple(at), bool(missing), detail)
