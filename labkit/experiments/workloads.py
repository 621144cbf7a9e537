"""Workloads that make the I/O-bound / CPU-bound contrast visible on any laptop.

Each workload varies one worker count (its ``knob``) and runs real lab code. A ``-stage``
workload runs one stage alone; the others run the whole pipeline, whose fixed costs (starting
processes, opening the database) and single SQLite writer do not shrink with more workers:

- ``io-read-stage`` (I/O-bound): the read stage alone: N simulated remote sources as asyncio
  tasks, at most ``readers`` at once.
- ``io-read`` (I/O-bound): N simulated remote sources (``RemoteSource``: a round trip per
  block) through the whole pipeline, ``readers`` varied. The work is waiting, so more readers
  overlap more waits, up to the number of sources, whatever the core count.
- ``io-write`` (I/O-bound): log files through the pipeline into a simulated slow database
  (``writer_latency_s`` per batch, waited outside SQLite's lock), ``writers`` varied.
- ``cpu-parse`` (CPU-bound): log files through the whole pipeline, ``parsers`` varied.
- ``cpu-parse-stage`` (CPU-bound): the parse stage alone: chunks parsed by a ``ParserPool`` of
  ``parsers`` processes, no database, so no single writer to wait for.

``prepare`` writes the input data once (not timed, reused when already there); ``run`` does
one measured run and returns the lines it processed. Every run starts its own pool and
database and shuts them down before it returns.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any, ClassVar

from labkit.chunks import Chunk
from labkit.generate import Manifest, generate_dataset, iter_lines, load_manifest
from labkit.sources import ReadContext, Source
from labkit.system import usable_cpu_count

__all__ = [
    "KINDS",
    "SETTINGS",
    "WORKLOADS",
    "CpuParseStageWorkload",
    "CpuParseWorkload",
    "IoReadStageWorkload",
    "IoReadWorkload",
    "IoWriteWorkload",
    "Workload",
    "cpu_grid",
    "get_workload",
    "io_grid",
    "read_sources",
]

#: Settings a sweep can vary; a workload that does not use one records it as missing.
SETTINGS: tuple[str, ...] = ("readers", "parsers", "writers", "batch_lines", "writer_latency_s")
#: Workload kinds, as in the rule of thumb.
KINDS: tuple[str, ...] = ("io", "cpu")


def cpu_grid(cpus: int, small: bool = False) -> list[int]:
    """Worker counts worth trying for CPU-bound work: 1, the core count, +1/+2, 2x cores."""
    if small:
        return sorted({1, cpus, cpus + 2})
    return sorted({1, 2, max(1, cpus // 2), cpus, cpus + 1, cpus + 2, 2 * cpus})


def io_grid(limit: int) -> list[int]:
    """Powers of two from 1 up to ``limit`` (and ``limit`` itself)."""
    out = [2**i for i in range(int(math.log2(max(1, limit))) + 1)]
    return sorted(set(out) | {max(1, limit)})


def _fresh_db(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _dataset(out: Path, files: int, lines: int, seed: int) -> Manifest:
    """The data set in ``out``, generated unless it is already there with these settings."""
    try:
        m = load_manifest(out)
        intact = all(
            (out / f.path).is_file() and (out / f.path).stat().st_size == f.bytes for f in m.files
        )
        same = m.seed == seed and m.settings.get("files") == files
        if intact and same and m.settings.get("lines") == lines:
            return m
    except (OSError, ValueError, KeyError):
        pass
    return generate_dataset(out, files=files, lines=lines, formats="combined", seed=seed)


class Workload(ABC):
    """One kind of work, run at one setting at a time by ``labkit.experiments.sweep``."""

    name: ClassVar[str]
    kind: ClassVar[str]  # "io" or "cpu"
    knob: ClassVar[str]  # the worker count it varies
    description: ClassVar[str]
    #: the settings it uses (others are recorded as missing)
    uses: ClassVar[tuple[str, ...]]

    def __init__(self, *, small: bool = False, seed: int = 0, custom: bool = False) -> None:
        self.small = small
        self.seed = seed
        self.custom = custom
        self.expected_lines = 0

    @property
    def size(self) -> str:
        """``small`` or ``full`` (the presets), or ``custom`` when sizes were given."""
        return "custom" if self.custom else "small" if self.small else "full"

    @abstractmethod
    def defaults(self) -> dict[str, Any]:
        """The fixed settings; a sweep's grid overrides some of them."""

    @abstractmethod
    def default_grid(self) -> list[int]:
        """Values of ``knob`` tried when the caller gives none."""

    def prepare(self, workdir: Path) -> None:
        """Create the input data under ``workdir`` (not timed; reused) and set
        ``expected_lines``, which every run must process. Blocks."""
        self.expected_lines = 0

    def setup(self, settings: Mapping[str, Any]) -> None:
        """Get ready for a run at ``settings``, outside the timed part (default: nothing)."""
        return None

    @abstractmethod
    def run(self, settings: Mapping[str, Any], scratch: Path) -> int:
        """One run at ``settings``; returns lines processed. Blocks until done.

        ``scratch`` is a folder for throw-away files (the run's database). Ctrl-C stops the run
        cleanly (pool and threads shut down) and re-raises ``KeyboardInterrupt``.
        """

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.size}), varies {self.knob}>"


class _PipelineWorkload(Workload):
    """A workload that runs the whole pipeline, into a fresh database each run."""

    def _config(self, settings: Mapping[str, Any], db: Path):
        from labkit.pipeline import PipelineConfig

        return PipelineConfig(
            paths=self._paths(),
            sources=self._sources(),
            db=db,
            readers=int(settings["readers"]),
            parsers=int(settings["parsers"]),
            writers=int(settings["writers"]),
            batch_lines=int(settings["batch_lines"]),
            writer_latency_s=float(settings.get("writer_latency_s") or 0.0),
            start_method="spawn",
        )

    def _paths(self) -> list[Path]:
        return []

    def _sources(self) -> list:
        return []

    def run(self, settings: Mapping[str, Any], scratch: Path) -> int:
        from labkit.pipeline import run_pipeline_sync

        db = _fresh_db(scratch / f"{self.name}.db")
        try:
            result = run_pipeline_sync(self._config(settings, db))
        finally:
            _fresh_db(db)
        return result.lines_read


class IoReadWorkload(_PipelineWorkload):
    """``sources`` remote sources of ``lines`` lines each, served in ``blocks`` blocks with a
    ``latency_s`` round trip per block, through the pipeline; ``readers`` varied."""

    name = "io-read"
    kind = "io"
    knob = "readers"
    description = "simulated remote sources through the pipeline (waiting on round trips)"
    uses = ("readers", "parsers", "writers", "batch_lines")

    def __init__(
        self,
        *,
        small: bool = False,
        seed: int = 0,
        sources: int | None = None,
        lines: int | None = None,
        blocks: int | None = None,
        latency_s: float | None = None,
    ) -> None:
        custom = any(v is not None for v in (sources, lines, blocks, latency_s))
        super().__init__(small=small, seed=seed, custom=custom)
        self.n_sources = sources or (8 if small else 16)
        self.lines = lines or (100 if small else 200)
        self.blocks = blocks or (3 if small else 4)
        self.latency_s = latency_s if latency_s is not None else (0.03 if small else 0.05)
        self._content = b""

    def defaults(self) -> dict[str, Any]:
        return {"readers": 4, "parsers": 1, "writers": 1, "batch_lines": 5000}

    def default_grid(self) -> list[int]:
        if self.small:
            return io_grid(self.n_sources)
        return io_grid(min(64, max(self.n_sources, 4 * usable_cpu_count())))

    def prepare(self, workdir: Path) -> None:
        self._content = b"\n".join(iter_lines("combined", self.lines, self.seed)) + b"\n"
        self.expected_lines = self.lines * self.n_sources

    def waiting_s(self) -> float:
        """Seconds of simulated round trips in all sources: the time with one reader."""
        return self.n_sources * self.blocks * self.latency_s

    def _sources(self) -> list:
        from labkit.sources import RemoteSource

        block = max(1, -(-len(self._content) // self.blocks))
        return [
            RemoteSource(
                self._content,
                name=f"remote://sweep/{i}",
                fmt="combined",
                latency_s=self.latency_s,
                bandwidth_bps=None,
                block_bytes=block,
            )
            for i in range(self.n_sources)
        ]


class IoReadStageWorkload(IoReadWorkload):
    """The read stage alone: the same remote sources run as asyncio tasks, at most ``readers``
    at once, their chunks counted instead of parsed and stored (no processes, no database)."""

    name = "io-read-stage"
    description = "the read stage alone: simulated remote sources as asyncio tasks"
    uses = ("readers", "batch_lines")

    def defaults(self) -> dict[str, Any]:
        return {"readers": 4, "batch_lines": 5000}

    def run(self, settings: Mapping[str, Any], scratch: Path) -> int:
        from labkit.syncrun import run_sync

        sources = self._sources()
        return run_sync(
            lambda: read_sources(sources, int(settings["readers"]), int(settings["batch_lines"]))
        )


async def read_sources(sources: Sequence[Source], readers: int, batch_lines: int = 5000) -> int:
    """Run ``sources`` as asyncio tasks, at most ``readers`` at once; returns the lines they
    emitted. Awaits until every source ends; cancelling it cancels them all."""
    from labkit.storage import SourceState

    limit = asyncio.Semaphore(readers)
    ids = itertools.count(1)
    lines = 0

    async def register(name: str, kind: str, fmt: str, identity: Any = None) -> SourceState:
        return SourceState(next(ids), name, 0, True)

    async def emit(chunk: Chunk) -> None:
        nonlocal lines
        lines += chunk.lines

    ctx = ReadContext(emit=emit, register=register, target_bytes=lambda _sid: batch_lines * 200)

    async def one(src: Source) -> None:
        async with limit:
            await src.run(ctx)

    async with asyncio.TaskGroup() as tg:
        for src in sources:
            tg.create_task(one(src))
    return lines


class _FilesWorkload(_PipelineWorkload):
    """Generated combined-format log files through the pipeline."""

    files: int
    total_lines: int

    def prepare(self, workdir: Path) -> None:
        out = Path(workdir) / f"logs-{self.files}x{self.total_lines}-s{self.seed}"
        self._manifest = _dataset(out, self.files, self.total_lines, self.seed)
        self.expected_lines = self._manifest.lines

    def _paths(self) -> list[Path]:
        return self._manifest.paths()


class IoWriteWorkload(_FilesWorkload):
    """Files through the pipeline into a slow database: each batch waits ``writer_latency_s``
    (a network round trip, outside SQLite's lock) before it commits; ``writers`` varied.

    A source's batches commit in order, so extra writers can only overlap the waits of
    different sources: each file here is one batch, so up to ``files`` writers can help.
    """

    name = "io-write"
    kind = "io"
    knob = "writers"
    description = "small files into a simulated slow database (a round trip per batch)"
    uses = ("readers", "parsers", "writers", "batch_lines", "writer_latency_s")

    def __init__(
        self,
        *,
        small: bool = False,
        seed: int = 0,
        files: int | None = None,
        lines: int | None = None,
        latency_s: float | None = None,
    ) -> None:
        custom = any(v is not None for v in (files, lines, latency_s))
        super().__init__(small=small, seed=seed, custom=custom)
        self.files = files or (8 if small else 16)
        self.total_lines = lines or 500 * self.files
        self.latency_s = 0.1 if latency_s is None else latency_s

    def defaults(self) -> dict[str, Any]:
        return {
            "readers": self.files,
            "parsers": 1,
            "writers": 1,
            "batch_lines": max(5000, -(-self.total_lines // self.files)),
            "writer_latency_s": self.latency_s,
        }

    def default_grid(self) -> list[int]:
        return io_grid(self.files)

    def waiting_s(self) -> float:
        """Seconds of simulated round trips (one per file): the time with one writer."""
        return self.files * self.latency_s


class CpuParseWorkload(_FilesWorkload):
    """Files through the whole pipeline, ``parsers`` varied: parsing is the CPU-bound part."""

    name = "cpu-parse"
    kind = "cpu"
    knob = "parsers"
    description = "log files through the pipeline (parsing on all cores, one SQLite writer)"
    uses = ("readers", "parsers", "writers", "batch_lines")

    def __init__(
        self,
        *,
        small: bool = False,
        seed: int = 0,
        files: int | None = None,
        lines: int | None = None,
    ) -> None:
        super().__init__(small=small, seed=seed, custom=files is not None or lines is not None)
        self.files = files or 4
        self.total_lines = lines or (40_000 if small else 300_000)

    def defaults(self) -> dict[str, Any]:
        return {"readers": 4, "parsers": 1, "writers": 1, "batch_lines": 5000}

    def default_grid(self) -> list[int]:
        return cpu_grid(usable_cpu_count(), self.small)


class CpuParseStageWorkload(CpuParseWorkload):
    """The parse stage alone: every chunk of the files parsed by ``ParserPool(parsers)``, at
    most ``2 * parsers`` chunks in flight, results returned to this process and counted."""

    name = "cpu-parse-stage"
    description = "the parse stage alone: chunks parsed in a process pool, no database"
    uses = ("parsers", "batch_lines")

    def defaults(self) -> dict[str, Any]:
        return {"parsers": 1, "batch_lines": 5000}

    def prepare(self, workdir: Path) -> None:
        super().prepare(workdir)
        self._data = [p.read_bytes() for p in self._paths()]
        self._chunks: list[tuple[int, int, bytes]] = []
        self._chunk_lines = 0

    def setup(self, settings: Mapping[str, Any]) -> None:
        """Cut the data into chunks of ``batch_lines`` lines (not timed)."""
        batch_lines = int(settings["batch_lines"])
        if batch_lines == self._chunk_lines:
            return
        self._chunks = []
        for data in self._data:
            ends, pos = [], data.find(b"\n")
            while pos >= 0:
                ends.append(pos + 1)
                pos = data.find(b"\n", pos + 1)
            if not ends or ends[-1] != len(data):
                ends.append(len(data))
            start = 0
            for k in range(batch_lines - 1, len(ends) + batch_lines - 1, batch_lines):
                end = ends[min(k, len(ends) - 1)]
                self._chunks.append((start, end, data[start:end]))
                start = end
        self._chunk_lines = batch_lines

    def run(self, settings: Mapping[str, Any], scratch: Path) -> int:
        from labkit.parser import ParserPool, parse_chunk

        n = int(settings["parsers"])
        pool = ParserPool(n, "spawn")
        lines = 0
        pending: set[Future] = set()
        try:
            for seq, (start, end, data) in enumerate(self._chunks):
                if len(pending) >= 2 * n:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    lines += sum(f.result().lines for f in done)
                pending.add(pool.submit(parse_chunk, 1, seq, "combined", start, end, data))
            for f in pending:
                lines += f.result().lines
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown()
        return lines


WORKLOADS: dict[str, type[Workload]] = {
    w.name: w
    for w in (
        IoReadStageWorkload,
        IoReadWorkload,
        IoWriteWorkload,
        CpuParseStageWorkload,
        CpuParseWorkload,
    )
}


def get_workload(name: str | Workload, *, small: bool | None = None, **options: Any) -> Workload:
    """The workload called ``name`` (see ``WORKLOADS``), in small or full size.

    ``small=None`` follows ``labkit.paths.small_mode()``; ``options`` go to its constructor
    (e.g. ``sources=4, latency_s=0.01`` for ``io-read``). A ``Workload`` is returned as is.
    """
    if isinstance(name, Workload):
        return name
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}: choose from {', '.join(WORKLOADS)}")
    if small is None:
        from labkit.paths import small_mode

        small = small_mode()
    return WORKLOADS[name](small=small, **options)
