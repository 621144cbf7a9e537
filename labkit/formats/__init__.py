"""Log-format parsers: ``bytes`` line -> ``Row`` tuple or ``Reject`` (see ``labkit.records``).

Each format module has a pure, picklable ``parse(line, *, max_line=MAX_LINE_BYTES)`` that never
raises. ``get_parser`` picks one by name and ``detect_format`` guesses the name from a sample.
"""

from __future__ import annotations

from collections.abc import Callable

from labkit.formats import combined, jsonl, syslog
from labkit.formats.detect import detect_format
from labkit.records import Reject, Row

__all__ = ["FORMATS", "detect_format", "get_parser", "parse_lines"]

#: The formats that have a parser.
FORMATS: tuple[str, ...] = ("combined", "jsonl", "syslog")

_PARSERS: dict[str, Callable[..., Row | Reject]] = {
    "combined": combined.parse,
    "jsonl": jsonl.parse,
    "syslog": syslog.parse,
}


def get_parser(fmt: str) -> Callable[[bytes], Row | Reject]:
    """The module-level (picklable) ``parse`` function of format ``fmt``."""
    parser = _PARSERS.get(fmt) if isinstance(fmt, str) else None
    if parser is None:
        hint = " ('auto' is not a parser: resolve it with detect_format)" if fmt == "auto" else ""
        raise ValueError(f"unknown log format {fmt!r}; valid formats: {', '.join(FORMATS)}{hint}")
    return parser


def parse_lines(fmt: str, lines: list[bytes]) -> list[Row | Reject]:
    """Parse many lines (each without its ``\\n``) of format ``fmt``."""
    parse = get_parser(fmt)
    return [parse(line) for line in lines]
