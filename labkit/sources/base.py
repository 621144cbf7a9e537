"""The contract between a source and the pipeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from labkit.chunks import Chunk
from labkit.records import MAX_LINE_BYTES
from labkit.storage import SourceState

__all__ = ["ReadContext", "Source"]


@dataclass
class ReadContext:
    """What a running source may use.

    ``emit`` awaits room downstream (backpressure); ``register`` gives a source its id and its
    resume offset; ``target_bytes()`` is the current chunk size (it can change during a run);
    ``flush_partial`` says whether an unterminated last line is emitted at end of input.
    ``lines_read`` is updated by ``emit``: per source id, lines handed on.
    """

    emit: Callable[[Chunk], Awaitable[None]]
    register: Callable[..., Awaitable[SourceState]]
    target_bytes: Callable[[int], int]
    max_line: int = MAX_LINE_BYTES
    flush_partial: bool = True
    read_size: int = 1 << 20
    read_seconds: list[float] = field(default_factory=lambda: [0.0])


class Source(Protocol):
    """A producer of chunks. ``run`` returns when its input ends; cancelling it stops reading
    at once (nothing half-emitted: a chunk is either handed on whole or not at all)."""

    name: str
    kind: str

    async def run(self, ctx: ReadContext) -> None: ...
