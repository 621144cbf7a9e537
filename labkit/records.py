"""The record model shared by every parser, the writer and the checks.

A parsed line is a plain tuple (``Row``) in the order of ``FIELDS``: compact to pickle and ready for
``executemany``. A line that cannot be parsed becomes a ``Reject`` carrying a reason from
``REASONS`` and a short human-readable detail. Parse functions never raise: they return one or the
other. The pipeline adds the line's ``source_id`` and byte ``offset`` when it stores either.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "FIELDS",
    "MAX_LINE_BYTES",
    "REASONS",
    "Reject",
    "Row",
    "is_reject",
]

#: Field order of a parsed row. Absent fields are ``None``.
#:
#: ``ts`` is seconds since the Unix epoch, UTC (int, or float when the source has sub-seconds);
#: ``host`` is the client address (web logs) or the sending host (syslog); ``status``, ``size``
#: and ``pid`` are ints (``size`` is ``None`` for ``-``); the rest are text.
FIELDS: tuple[str, ...] = (
    "ts",
    "host",
    "user",
    "method",
    "path",
    "protocol",
    "status",
    "size",
    "referer",
    "agent",
    "program",
    "pid",
    "message",
)

#: Reject reasons, in the order a line is classified (the first that applies wins).
#:
#: ``too_long``: longer than the maximum line length; ``binary``: contains a NUL or another control
#: byte (tab excepted; a final ``\r`` is stripped first); ``invalid_utf8``: not valid UTF-8;
#: ``empty``: nothing but white space; ``malformed``: valid text that the format does not accept;
#: ``poison``: the line's batch repeatedly crashed a parser worker (set by the pipeline, not by a
#: parse function).
REASONS: tuple[str, ...] = ("too_long", "binary", "invalid_utf8", "empty", "malformed", "poison")

#: Default maximum line length in bytes (without the newline).
MAX_LINE_BYTES = 16 * 1024

Row = tuple
"""A parsed line: a tuple of ``len(FIELDS)`` values in ``FIELDS`` order."""


class Reject(NamedTuple):
    """A line that was not parsed: why (one of ``REASONS``) and a short detail for people."""

    reason: str
    detail: str = ""


def is_reject(result: object) -> bool:
    """True when a parse result is a ``Reject`` rather than a row."""
    return type(result) is Reject
