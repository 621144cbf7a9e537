"""Guess a file's log format from its first bytes.

Each of the first few non-empty lines votes for the format whose header it looks like: a JSON
object -> ``jsonl``, an RFC 3164 header -> ``syslog``, ``host ident user [date] "`` ->
``combined``. Lines that look like nothing do not vote (a sample usually ends mid-line). The
format with most votes wins; a tie goes to the format seen first.
"""

from __future__ import annotations

import json
import re

__all__ = ["detect_format", "sniff_line"]

_SYSLOG_HEAD = re.compile(
    rb"(?:<[0-9]{1,3}>)?(?:[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}"
    rb"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(?:Z|[+-][0-9:]+)?) \S"
)
_COMBINED_HEAD = re.compile(rb'\S+ \S+ \S+ \[[^\]]+\] "')
_BOM = b"\xef\xbb\xbf"


def sniff_line(line: bytes) -> str | None:
    """The format one line looks like (``"jsonl"``, ``"syslog"``, ``"combined"``), or ``None``."""
    line = line.strip()
    if line[:1] == b"{":
        try:
            return "jsonl" if type(json.loads(line)) is dict else None
        except (ValueError, RecursionError):
            return None
    if _SYSLOG_HEAD.match(line):
        return "syslog"
    if _COMBINED_HEAD.match(line):
        return "combined"
    return None


def detect_format(sample: bytes, *, max_lines: int = 20) -> str:
    """The format of a file from its first bytes, by majority vote of its first ``max_lines``
    non-empty lines. ``ValueError`` when no line is recognisable."""
    if sample.startswith(_BOM):
        sample = sample[len(_BOM) :]
    votes: dict[str, int] = {}
    seen = 0
    for line in sample.split(b"\n"):
        if not line.strip():
            continue
        seen += 1
        fmt = sniff_line(line)
        if fmt is not None:
            votes[fmt] = votes.get(fmt, 0) + 1
        if seen >= max_lines:
            break
    if seen == 0:
        raise ValueError("cannot detect the log format: the sample has no non-empty line")
    if not votes:
        raise ValueError(
            f"cannot detect the log format: none of the first {seen} non-empty lines looks like "
            "combined, jsonl or syslog; pass the format explicitly"
        )
    # dicts keep insertion order and max() returns the first maximum: ties go to the first seen.
    return max(votes, key=votes.__getitem__)
