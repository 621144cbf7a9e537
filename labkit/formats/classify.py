"""Shared slow-path classification of lines that a parser's fast path did not accept.

The parsers only call into this module once their main pattern or their decoding failed, so a
well-formed line never pays for these checks. The order is the one in ``records.REASONS``:
``too_long``, ``binary``, ``invalid_utf8``, ``empty``, then the format's own ``malformed``.
"""

from __future__ import annotations

import re

from labkit.records import Reject

__all__ = ["classify", "decode_text", "too_long"]

#: Control bytes that make a line ``binary`` (tab is allowed).
_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def too_long(line: bytes, max_line: int) -> Reject:
    """The ``too_long`` reject for a line longer than ``max_line`` bytes."""
    return Reject("too_long", f"{len(line)} bytes > limit {max_line}")


def decode_text(line: bytes) -> str | Reject:
    """Decode a line for a slow path: the text, or the ``binary`` / ``invalid_utf8`` / ``empty``
    reject that applies first. One trailing ``\\r`` is stripped before anything else."""
    if line[-1:] == b"\r":
        line = line[:-1]
    bad = _CONTROL.search(line)
    if bad is not None:
        return Reject("binary", f"control byte 0x{line[bad.start()]:02x} at offset {bad.start()}")
    try:
        text = line.decode()
    except UnicodeDecodeError as exc:
        at = exc.start
        return Reject("invalid_utf8", f"invalid UTF-8 byte 0x{line[at]:02x} at offset {at}")
    if not text.strip():
        return Reject("empty", "blank line" if text else "empty line")
    return text


def classify(line: bytes, detail: str, *, max_line: int | None = None) -> Reject:
    """The reject for a line that a format does not accept.

    ``detail`` describes the ``malformed`` case and is used only when no earlier reason applies.
    ``max_line``, when given, also checks ``too_long`` first.
    """
    if max_line is not None and len(line) > max_line:
        return too_long(line, max_line)
    text = decode_text(line)
    if type(text) is Reject:
        return text
    return Reject("malformed", detail)
