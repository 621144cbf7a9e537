"""Bounded asyncio channels with statistics, and a limiter whose limit can change at run time.

Modelled on trio's memory channels: every buffer has a maximum size, ``send`` waits while it is
full (that wait is backpressure), ``close`` lets receivers drain what is left and then stop, and
``statistics()`` reports the depth now, the high-water mark and how long senders were blocked.
Both classes belong to one event loop and are not thread-safe.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Channel", "ChannelClosed", "ChannelStatistics", "Limiter"]

T = TypeVar("T")

_background: set[asyncio.Task] = set()


def _spawn(coro) -> None:
    """Run a short wake-up coroutine, keeping a reference until it is done."""
    task = asyncio.ensure_future(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


class ChannelClosed(Exception):
    """Raised by ``receive`` once a closed channel is empty, and by ``send`` after ``close``."""


@dataclass(frozen=True, slots=True)
class ChannelStatistics:
    """A snapshot of one channel."""

    name: str
    max_size: int
    depth: int
    high_water: int
    sent: int
    received: int
    send_blocked_s: float
    closed: bool


class Channel(Generic[T]):
    """A FIFO of at most ``max_size`` items between asyncio tasks.

    ``send`` blocks (awaits) while full; ``receive`` blocks while empty. Cancelling a blocked
    ``send`` or ``receive`` leaves the channel unchanged. ``close`` wakes everyone: pending and
    later ``send`` calls raise ``ChannelClosed``, ``receive`` keeps returning queued items and
    then raises ``ChannelClosed``.
    """

    def __init__(self, max_size: int, name: str = "") -> None:
        if max_size < 1:
            raise ValueError("a channel needs max_size >= 1 (every queue is bounded)")
        self.name = name
        self.max_size = max_size
        self._items: deque[T] = deque()
        self._changed = asyncio.Condition()
        self._closed = False
        self._high = 0
        self._sent = 0
        self._received = 0
        self._blocked = 0.0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def closed(self) -> bool:
        return self._closed

    async def send(self, item: T) -> None:
        """Append ``item``, waiting while the channel is full."""
        async with self._changed:
            if len(self._items) >= self.max_size and not self._closed:
                t0 = time.perf_counter()
                try:
                    await self._changed.wait_for(
                        lambda: self._closed or len(self._items) < self.max_size
                    )
                finally:
                    self._blocked += time.perf_counter() - t0
            if self._closed:
                raise ChannelClosed(self.name)
            self._items.append(item)
            self._sent += 1
            self._high = max(self._high, len(self._items))
            self._changed.notify_all()

    async def receive(self) -> T:
        """Pop the oldest item, waiting while empty; ``ChannelClosed`` when closed and empty."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._items or self._closed)
            if not self._items:
                raise ChannelClosed(self.name)
            item = self._items.popleft()
            self._received += 1
            self._changed.notify_all()
            return item

    def close(self) -> None:
        """No more sends; receivers drain the rest. Never blocks; safe to call twice."""
        self._closed = True
        _spawn(self._wake())

    async def _wake(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def __aiter__(self) -> Channel[T]:
        return self

    async def __anext__(self) -> T:
        try:
            return await self.receive()
        except ChannelClosed:
            raise StopAsyncIteration from None

    def statistics(self) -> ChannelStatistics:
        """Depth, high-water mark, counts and total time senders spent blocked."""
        return ChannelStatistics(
            self.name,
            self.max_size,
            len(self._items),
            self._high,
            self._sent,
            self._received,
            self._blocked,
            self._closed,
        )


class Limiter:
    """At most ``limit`` holders at once; ``set_limit`` changes that while tasks wait.

    Lowering the limit never interrupts a holder: new acquisitions wait until enough holders
    have released. ``acquire`` is cancellation-safe.
    """

    def __init__(self, limit: int) -> None:
        self._limit = max(1, int(limit))
        self._held = 0
        self._changed = asyncio.Condition()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def held(self) -> int:
        return self._held

    async def acquire(self) -> None:
        """Wait for a free slot and take it."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._held < self._limit)
            self._held += 1

    def release(self) -> None:
        """Give a slot back (callable from a done-callback; never blocks)."""
        if self._held <= 0:
            raise RuntimeError("Limiter.release() without acquire()")
        self._held -= 1
        _spawn(self._notify())

    def set_limit(self, limit: int) -> None:
        """Change the limit (at least 1); waiting acquirers are woken if it rose."""
        self._limit = max(1, int(limit))
        _spawn(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
