"""What a pipeline run is told (``PipelineConfig``) and what it reports (``PipelineResult``),
and the errors that end a run. Plain data: importing this module starts nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.batches import OUTPUTS, ParsedBatch
from labkit.channels import ChannelStatistics
from labkit.parser import ENGINES, parse_chunk
from labkit.records import MAX_LINE_BYTES
from labkit.sources import Source
from labkit.system import usable_cpu_count
from labkit.writer import WRITERS

__all__ = ["AccountingError", "PipelineConfig", "PipelineResult", "WriterError"]


class AccountingError(RuntimeError):
    """Lines read differ from stored + rejected for some source: lines went missing."""


class WriterError(RuntimeError):
    """The database refused a batch (read-only, disk full, ...): the run stopped; nothing of that
    batch was stored, and a later run resumes from the last committed batch."""


@dataclass
class PipelineConfig:
    """Settings of one run. ``readers``, ``parsers``, ``writers`` and ``batch_lines`` can also be
    changed while it runs (``Pipeline.set_*``)."""

    paths: Sequence[str | os.PathLike] = ()
    db: str | os.PathLike = "labkit.db"
    format: str = "auto"
    sources: Sequence[Source] = ()
    readers: int = 4
    parsers: int = field(default_factory=usable_cpu_count)
    max_parsers: int | None = None
    writers: int = 1
    writer: str = "thread"
    batch_lines: int = 5000
    output: str = "auto"
    queue_size: int = 8
    max_line: int = MAX_LINE_BYTES
    flush_partial: bool = True
    start_method: str = "spawn"
    engine: str = "local"
    scheduler: str | None = None
    metrics_interval: float = 0.25
    writer_latency_s: float = 0.0
    stop_deadline: float = 2.0
    parse_fn: Callable[..., ParsedBatch] = parse_chunk
    max_attempts: int = 3

    def resolved_output(self) -> str:
        """``output`` with ``"auto"`` resolved: SQLite bytes for threads, rows for aiosqlite."""
        if self.output == "auto":
            return "rows" if self.writer == "aiosqlite" else "sqlite"
        return self.output

    def validate(self) -> None:
        """Raise ``ValueError`` with a clear message for settings that cannot work."""
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {ENGINES}, not {self.engine!r}")
        if self.scheduler and self.engine != "dask":
            raise ValueError("a scheduler address needs engine='dask'")
        if self.writer not in WRITERS:
            raise ValueError(f"writer must be one of {WRITERS}, not {self.writer!r}")
        if self.resolved_output() not in OUTPUTS:
            raise ValueError(f"output must be 'auto' or one of {OUTPUTS}, not {self.output!r}")
        if self.writer == "aiosqlite" and self.resolved_output() != "rows":
            raise ValueError("the aiosqlite writer stores output='rows' batches only")
        for name in ("readers", "parsers", "writers", "batch_lines", "queue_size", "max_attempts"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not self.paths and not self.sources:
            raise ValueError("nothing to read: give paths or sources")
        for p in self.paths:
            if not Path(p).is_file():
                raise ValueError(f"no such file: {p}")

    def pool_size(self) -> int:
        """Processes the pool may start: room to raise ``parsers`` during a run."""
        return max(int(self.max_parsers or 0), int(self.parsers), 2 * usable_cpu_count())


@dataclass
class PipelineResult:
    """What a run did. ``metrics`` is a DataFrame of samples over time (see ``Sample``)."""

    lines_read: int
    stored: int
    rejected: int
    reasons: dict[str, int]
    seconds: float
    stopped: bool
    abandoned: int
    per_source: dict[str, dict[str, int]]
    stages: dict[str, dict[str, float]]
    queues: dict[str, ChannelStatistics]
    settings: dict[str, Any]
    metrics: Any = None

    @property
    def lines_per_s(self) -> float:
        return self.lines_read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """The headline numbers as a JSON-ready dict."""
        return {
            "lines_read": self.lines_read,
            "stored": self.stored,
            "rejected": self.rejected,
            "rejected_by_reason": dict(sorted(self.reasons.items())),
            "seconds": round(self.seconds, 3),
            "lines_per_s": round(self.lines_per_s, 1),
            "stopped": self.stopped,
            "abandoned": self.abandoned,
        }
