"""Bad lines: which positions get which damage, and how each kind of damage is made.

Every kind maps to the reject reason the parsers must give (``BAD_REASON``). Counts are exact
(``round(rate * n)`` per kind) and positions are drawn from their own random stream, so changing
the bad rates never changes the good lines. Bad lines are carried as ``str`` with their raw bytes
as ``surrogateescape`` code points; encode with ``errors="surrogateescape"``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from labkit.generate.formats import Renderer

__all__ = ["BAD_KINDS", "BAD_REASON", "BadPlan", "make_bad", "plan_bad", "split_rate"]

#: Kinds of bad line, in a fixed order.
BAD_KINDS: tuple[str, ...] = ("truncated", "invalid_utf8", "binary", "too_long")

#: The reject reason a parser gives each kind.
BAD_REASON: dict[str, str] = {
    "truncated": "malformed",
    "invalid_utf8": "invalid_utf8",
    "binary": "binary",
    "too_long": "too_long",
}

_INVALID_UTF8 = (
    b"\xff\xfe", b"\x80", b"\xbf", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf",
    b"caf\xe9", b"M\xfcller", b"\xf5\x80\x80\x80", b"\xfe",
)  # fmt: skip
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ESC = "\x1b"


def _s(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def split_rate(bad_rate: float) -> dict[str, float]:
    """A total bad-line rate shared evenly over ``BAD_KINDS``."""
    return {kind: bad_rate / len(BAD_KINDS) for kind in BAD_KINDS}


@dataclass(slots=True)
class BadPlan:
    """Where the bad and CRLF lines of one file go."""

    counts: dict[str, int]
    kind_at: dict[int, str] = field(default_factory=dict)
    crlf_at: set[int] = field(default_factory=set)


def plan_bad(
    n: int,
    bad_rates: Mapping[str, float] | None,
    crlf_rate: float,
    final_newline: bool,
    rng: random.Random,
) -> BadPlan:
    """Exact counts and positions; the last line stays plain good when it lacks its newline."""
    rates = dict(bad_rates or {})
    unknown = set(rates) - set(BAD_KINDS)
    if unknown:
        raise ValueError(f"unknown bad kinds {sorted(unknown)}; expected {BAD_KINDS}")
    for name, rate in (*rates.items(), ("crlf", crlf_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate for {name} must be within [0, 1], got {rate}")
    counts = {kind: round(rates.get(kind, 0.0) * n) for kind in BAD_KINDS}
    n_crlf = round(crlf_rate * n)
    slots = n if final_newline else max(n - 1, 0)
    wanted = sum(counts.values()) + n_crlf
    if wanted > slots:
        raise ValueError(f"{wanted} bad/CRLF lines asked for but only {slots} can be placed")
    picked = rng.sample(range(slots), wanted)
    plan = BadPlan(counts)
    pos = iter(picked)
    for kind in BAD_KINDS:
        for _ in range(counts[kind]):
            plan.kind_at[next(pos)] = kind
    plan.crlf_at.update(pos)
    return plan


def make_bad(kind: str, line: str, r: Renderer, rng: random.Random, max_line: int) -> str:
    """Damage a good ``line`` into a bad line of ``kind`` (never containing ``\\n``)."""
    if kind == "truncated":
        lo, hi = r.cut_range(line)
        return line[: rng.randint(lo, hi)]
    if kind == "invalid_utf8":
        lo, hi = r.splice_range(line)
        at = rng.randint(lo, hi)
        return line[:at] + _s(rng.choice(_INVALID_UTF8)) + line[at:]
    if kind == "too_long":
        target = max_line + rng.randint(1, 512)
        extra = max(target - len(line), 1)  # the result is longer than target > max_line
        token = "".join(rng.choices(_ALNUM, k=256))  # a long random-looking token, repeated
        return r.lengthen(line, (token * (extra // 256 + 1))[:extra])
    if kind == "binary":
        style = rng.randrange(3)
        if style == 0:  # a run of NULs left by a crash, then the rest of a line
            return "\0" * rng.randint(1, 64) + line[rng.randrange(len(line)) :]
        if style == 1:  # a terminal colour code pasted into the line
            at = rng.randrange(1, len(line))
            return f"{line[:at]}{_ESC}[31m{line[at:]}{_ESC}[0m"
        junk = bytearray(rng.choices(range(256), k=rng.randint(16, 200)))
        junk = junk.replace(b"\n", b"\0")
        junk[rng.randrange(1, len(junk) - 1)] = 0
        junk[-1:] = b"x" if junk[-1] == 13 else junk[-1:]  # no "\r" end (it reads as CRLF)
        return _s(bytes(junk))
    raise ValueError(f"unknown bad kind {kind!r}")
