"""Timestamps: a daily traffic shape with bursts, rendered from per-minute string caches.

A file covers ``DAY`` seconds from its (minute-aligned, UTC) start. Each minute gets a weight:
a smooth day/night curve (busiest mid-afternoon UTC, about four times quieter before dawn), a
little jitter, and a few bursts several times the normal rate. The ``n`` lines are shared out over
the minutes in proportion to the weights, then spread over each minute's seconds at random.
Strings within one minute differ only in their seconds field, so sorting the strings sorts the
times: timestamps never decrease within a file.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from labkit.generate.formats import TABLE, slots

__all__ = ["DAY", "MONTHS", "Timeline", "utc_minute"]

DAY = 86_400
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SECONDS = tuple(f"{s:02d}" for s in range(60))
_SLOT_SECOND = tuple((slot * 60) >> 16 for slot in range(TABLE))  # uniform slot -> second


def utc_minute(start: datetime) -> datetime:
    """``start`` in UTC (naive means UTC), truncated to the minute."""
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return start.replace(second=0, microsecond=0)


def _minute_strings(fmt: str, t: datetime) -> tuple[str, ...]:
    """The 60 decorated timestamps of minute ``t``: with the separators around them in a line."""
    if fmt == "combined":
        head = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:"
        return tuple(f'{head}{s} +0000] "' for s in _SECONDS)
    if fmt == "jsonl":
        head = f"{t.year}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:"
        return tuple(f'{{"time":"{head}{s}+00:00' for s in _SECONDS)
    head = f"{MONTHS[t.month - 1]} {t.day:>2} {t.hour:02d}:{t.minute:02d}:"
    return tuple(f"{head}{s} " for s in _SECONDS)


class Timeline:
    """The timestamps of one file's ``n`` lines, in order, as decorated format-specific strings.

    Decorated means with the constant text around the timestamp in a line: ``05/Nov/2026:10:00:00
    +0000] "`` (combined), ``{"time":"2026-11-05T10:00:00+00:00`` (jsonl), ``Nov  5 10:00:00 ``
    (syslog, with its trailing space).
    """

    def __init__(self, fmt: str, n: int, start: datetime, rng: random.Random) -> None:
        self.fmt = fmt
        self.n = n
        self.start = utc_minute(start)
        self.rng = rng
        minutes = DAY // 60
        offset = self.start.hour * 60 + self.start.minute
        weights = []
        for m in range(minutes):
            hour = ((offset + m) % 1440) / 60.0
            day_curve = 0.25 + 0.75 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 4.0) / 24.0))
            weights.append(day_curve * rng.uniform(0.8, 1.2))
        for _ in range(rng.randint(2, 5)):  # bursts: a few minutes at several times the rate
            first = rng.randrange(minutes)
            factor = rng.uniform(4.0, 12.0)
            for m in range(first, min(minutes, first + rng.randint(2, 12))):
                weights[m] *= factor
        cum = list(accumulate(weights))
        scale = n / cum[-1]
        bounds = [int(c * scale + 0.5) for c in cum]
        bounds[-1] = n
        self.counts = [b - a for a, b in zip([0, *bounds], bounds, strict=False)]

    def chunks(self, size: int) -> Iterator[list[str]]:
        """The timestamp strings in lists of ``size`` (the last may be shorter)."""
        rng = self.rng
        buf: list[str] = []
        for m, count in enumerate(self.counts):
            if not count:
                continue
            strings = _minute_strings(self.fmt, self.start + timedelta(minutes=m))
            buf += map(
                strings.__getitem__, map(_SLOT_SECOND.__getitem__, sorted(slots(rng, count)))
            )
            while len(buf) >= size:
                yield buf[:size]
                del buf[:size]
        if buf:
            yield buf

    @property
    def end(self) -> datetime:
        """The end of the covered window (exclusive)."""
        return self.start + timedelta(seconds=DAY)
