"""Live counters of a pipeline run, sampled over time and streamed to subscribers.

The pipeline updates ``Counters`` from its event loop; a ``MetricsRecorder`` samples them every
``interval`` seconds into a list (a pandas DataFrame at the end) and hands each sample to the
subscribers: plain callbacks (called on the event loop; they must not block) or async iterators
(each with a small bounded buffer that drops the oldest sample when a reader falls behind).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# Imported here, on the importing thread: a first import of pandas inside the worker thread that
# builds the result raced with plotly looking pandas up on the event loop's thread.
import pandas as pd

__all__ = ["Counters", "MetricsRecorder", "Sample"]


@dataclass
class Counters:
    """Cumulative totals of one run; per-source dicts are keyed by source id."""

    lines_read: int = 0
    lines_parsed: int = 0
    stored: int = 0
    rejected: int = 0
    bytes_read: int = 0
    batches_parsed: int = 0
    batches_stored: int = 0
    parse_busy_s: float = 0.0
    write_busy_s: float = 0.0
    parse_failures: int = 0
    pool_rebuilds: int = 0
    poisoned_batches: int = 0
    read_by_source: dict[int, int] = field(default_factory=dict)
    stored_by_source: dict[int, int] = field(default_factory=dict)
    rejected_by_source: dict[int, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sample:
    """One point of the time series. Rates are per second over the previous interval."""

    t: float
    lines_read: int
    lines_parsed: int
    stored: int
    rejected: int
    read_lps: float
    parsed_lps: float
    stored_lps: float
    read_queue: int
    parse_in_flight: int
    write_queue: int
    readers: int
    parsers: int
    writers: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MetricsRecorder:
    """Samples a ``probe()`` (returns the fields of a ``Sample`` minus time and rates).

    Runs as one asyncio task (``run``); cancel it to stop; ``final()`` takes a last sample.
    """

    def __init__(self, probe: Callable[[], dict[str, int]], interval: float = 0.25) -> None:
        self.probe = probe
        self.interval = interval
        self.samples: list[Sample] = []
        self._callbacks: list[Callable[[Sample], None]] = []
        self._streams: list[tuple[deque[Sample], asyncio.Event]] = []
        self._t0 = time.perf_counter()
        self._last = (0.0, 0, 0, 0)
        self.finished = False

    def subscribe(self, callback: Callable[[Sample], None]) -> Callable[[], None]:
        """Call ``callback(sample)`` for every new sample; returns an unsubscribe function."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    async def stream(self, buffer: int = 64) -> AsyncIterator[Sample]:
        """Yield samples as they come until the run ends (oldest dropped past ``buffer``)."""
        items: deque[Sample] = deque(maxlen=buffer)
        event = asyncio.Event()
        entry = (items, event)
        self._streams.append(entry)
        try:
            while True:
                while items:
                    yield items.popleft()
                if self.finished:
                    return
                event.clear()
                await event.wait()
        finally:
            self._streams.remove(entry)

    def sample(self) -> Sample:
        """Take one sample now and publish it."""
        now = time.perf_counter() - self._t0
        p = self.probe()
        t_prev, r_prev, pa_prev, s_prev = self._last
        dt = max(now - t_prev, 1e-9)
        stored_total = p["stored"] + p["rejected"]
        s = Sample(
            t=round(now, 4),
            read_lps=(p["lines_read"] - r_prev) / dt,
            parsed_lps=(p["lines_parsed"] - pa_prev) / dt,
            stored_lps=(stored_total - s_prev) / dt,
            **p,
        )
        self._last = (now, p["lines_read"], p["lines_parsed"], stored_total)
        self.samples.append(s)
        for cb in list(self._callbacks):
            cb(s)
        for items, event in self._streams:
            items.append(s)
            event.set()
        return s

    async def run(self) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            self.sample()

    def final(self) -> None:
        """Last sample, then end every stream."""
        self.sample()
        self.finished = True
        for _items, event in self._streams:
            event.set()

    def dataframe(self) -> pd.DataFrame:
        """All samples as a DataFrame, one row per sample, indexed by ``t`` seconds."""
        return pd.DataFrame([s.as_dict() for s in self.samples]).set_index("t")
