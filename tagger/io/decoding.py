"""Turning bytes into text: UTF-8, UTF-16/32 with or without a BOM, or a detected encoding."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from ..errors import InputError


# Byte-order marks, longest first: UTF-32's little-endian mark begins with UTF-16's.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))


WIDE = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")


SNIFF_BYTES = 1 << 16


def sniff_encoding(head: bytes) -> str | None:
    """UTF-8 with a BOM, or UTF-16/32 with or without one, from a file's first bytes.

    None means neither: UTF-8 or a legacy 8-bit encoding. Text in UTF-16 or UTF-32 without
    a mark is told apart from binary data by decoding a sample each way: the encoding
    whose sample decodes into printable text (and holds no NUL) wins.
    """
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" not in head:
        return None
    best, best_share = None, 0.95  # below this share of printable characters: binary
    for name in WIDE:
        unit = 4 if "32" in name else 2
        sample = head[:len(head) - len(head) % unit]
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        if not text or "\x00" in text:
            continue
        share = sum(c.isprintable() or c.isspace() for c in text) / len(text)
        if share > best_share:
            best, best_share = name, share
    return best


def decode_bytes(raw: bytes, path, *, line: int | None = None, record: str | None = None) -> str:
    """Decode text as UTF-8, UTF-16/32 (with or without a BOM), or in the encoding
    charset-normalizer detects; else raise."""
    if not raw.strip():
        raise InputError(path, "is empty", line=line, record=record)
    # most text has neither a BOM nor a NUL: check those cheaply before sniffing
    wide = (sniff_encoding(raw[:SNIFF_BYTES])
            if raw[:1] in b"\xef\xfe\xff\x00" or b"\x00" in raw else None)
    if wide is not None:
        try:
            return raw.decode(wide)
        except UnicodeDecodeError:
            raise InputError(path, f"is not valid {wide.upper()} text", line=line,
                             record=record) from None
    if b"\x00" in raw:
        raise InputError(path, "is a binary file, not text", line=line, record=record)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        raise InputError(path, "is not UTF-8 and its encoding could not be detected",
                         line=line, record=record)
    return str(best)


def text_encoding(path: Path) -> str:
    """The encoding to stream a whole text file in (CSV, JSONL), from its first bytes."""
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    wide = sniff_encoding(head)
    if wide is not None:
        return wide
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head).best()
    if best is None:
        raise InputError(path, "is not UTF-8 and its encoding could not be detected")
    return best.encoding


def read_bounded(path: Path, cap: int) -> bytes:
    """A file's bytes, but never more than ``cap + 1`` of them: a result longer than ``cap``
    means the file is over the cap. A regular file is read at its own size, since
    ``read(n)`` sets aside all ``n`` bytes first (5 MiB per .txt document otherwise)."""
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size  # 0 for a pipe or a /proc file: read up to the cap
        return fh.read(min(size, cap) + 1 if size else cap + 1)


def read_capped(path: Path, cap: int, what: str = "") -> bytes:
    """A whole file's bytes, refusing one larger than ``cap`` bytes (``what``: the kind of
    file, for the message) and one that cannot be read, as an InputError naming it."""
    try:
        raw = read_bounded(path, cap)
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    if len(raw) > cap:
        raise InputError(path, f"is larger than the cap of {cap:,} bytes{' for ' + what if what else ''}")
    return raw


def read_text_file(path: Path, cap: int) -> str:
    """A whole text file, decoded, refusing one larger than ``cap`` bytes."""
    return decode_bytes(read_capped(path, cap), path)
