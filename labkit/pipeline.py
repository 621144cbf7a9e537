"""The full pipeline: asyncio readers -> process-pool parsers -> SQLite writer threads.

Data flow (every arrow is a bounded buffer, so a slow stage slows the ones before it)::

    sources (asyncio tasks, <= `readers` files at once; TCP clients; remote streams)
       | Chunk: whole lines of one source, with byte range and sequence number
       v
    read channel  [queue_size chunks]
       v
    dispatcher -- parse_chunk --> ParserPool (processes; <= `parsers` tasks in flight)
       v                                   |
    in-flight channel [futures, in submission order] <-- ParsedBatch (rows or SQLite bytes)
       v
    collector (awaits each batch in order)
       v
    write channel [queue_size batches]
       v
    writer tasks -> `writers` threads, each owning one SQLite connection; each batch is one
                    transaction with its source's committed offset, committed in source order

Failures: a parse that fails (the worker died, or raised) is retried alone, with new chunks
held back, after a broken pool is rebuilt; after ``max_attempts`` failures its lines become
``poison`` rejects (raw lines kept) and the run goes on. A database error stops the run with a
``WriterError``; nothing of the failing batch is stored.

Stopping: ``stop()`` (or cancelling ``run()``, or Ctrl-C) aborts: reading stops, queued work is
dropped, each writer thread finishes the transaction it is in, the pool's processes are stopped
within ``stop_deadline`` seconds and no process or thread is left. What was not committed is
not counted as stored, and a later run resumes every file at its committed offset.
``stop(drain=True)`` stops reading but lets everything already read be stored.

``run_pipeline(config)`` is the async entry point (``await`` it in Jupyter);
``run_pipeline_sync(config)`` works in scripts and inside a running kernel alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import fields

from labkit.batches import ParsedBatch
from labkit.channels import Channel, ChannelClosed, Limiter
from labkit.chunks import Chunk
from labkit.metrics import Counters, MetricsRecorder, Sample
from labkit.parser import (
    BrokenProcessPool,
    ParsePool,
    describe_error,
    make_pool,
    poison_batch,
)
from labkit.runconfig import AccountingError, PipelineConfig, PipelineResult, WriterError
from labkit.sources import FileSource, ReadContext, Source
from labkit.storage import SourceState, connect, register_source, source_totals
from labkit.syncrun import run_sync
from labkit.writer import BatchWriter, make_writer

__all__ = [
    "AccountingError",
    "Pipeline",
    "PipelineConfig",
    "PipelineResult",
    "WriterError",
    "run_pipeline",
    "run_pipeline_sync",
]


class _Turns:
    """Lets a source's batches commit strictly in sequence, whichever writer holds them."""

    def __init__(self) -> None:
        self._next: dict[int, int] = {}
        self._changed = asyncio.Condition()

    async def wait(self, source_id: int, seq: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._next.get(source_id, 0) == seq)

    async def advance(self, source_id: int) -> None:
        async with self._changed:
            self._next[source_id] = self._next.get(source_id, 0) + 1
            self._changed.notify_all()


class Pipeline:
    """One run of the pipeline. Create, optionally ``subscribe``, then ``await run()``.

    The ``set_*`` and ``stop`` methods may be called from any thread while it runs.
    """

    def __init__(self, config: PipelineConfig) -> None:
        config.validate()
        self.config = config
        self.counters = Counters()
        self.recorder: MetricsRecorder | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribers: list[Callable[[Sample], None]] = []
        self._stop_requested = threading.Event()
        self._drain = False
        self._stop_event: asyncio.Event | None = None
        self._want_writers = config.writers
        self._writer_tasks: list[asyncio.Task] = []
        self._writers: list[BatchWriter] = []
        self._starting: set[asyncio.Task] = set()
        self._names: dict[int, str] = {}
        self._bytes_per_line = 200.0
        self.pool: ParsePool | None = None
        self._read_ctx: ReadContext | None = None
        self.running = False

    # ----- control, from any thread -------------------------------------------------------
    def _call(self, fn: Callable[[], None]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            fn()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            fn()
        else:
            loop.call_soon_threadsafe(fn)

    def stop(self, drain: bool = False) -> None:
        """Ask the run to stop (abort, or with ``drain`` finish what was read). Never blocks."""
        self._drain = drain
        self._stop_requested.set()
        if self._stop_event is not None:
            self._call(self._stop_event.set)

    def set_parsers(self, n: int) -> None:
        """Parse tasks allowed in flight (active parser workers), up to the pool size."""
        self.config.parsers = max(1, min(int(n), self.config.pool_size()))
        if self.running:
            self._call(lambda: self._parse_limit.set_limit(self.config.parsers))

    def set_readers(self, n: int) -> None:
        """Files read at once."""
        self.config.readers = max(1, int(n))
        if self.running:
            self._call(lambda: self._read_limit.set_limit(self.config.readers))

    def set_writers(self, n: int) -> None:
        """Writer threads; extra ones retire after their current batch."""
        self.config.writers = max(1, int(n))
        if self.running:
            self._call(self._adjust_writers)

    def set_batch_lines(self, n: int) -> None:
        """Lines per batch for chunks cut from now on."""
        self.config.batch_lines = max(1, int(n))

    def subscribe(self, callback: Callable[[Sample], None]) -> None:
        """Call ``callback(sample)`` on the event loop every ``metrics_interval`` seconds."""
        self._subscribers.append(callback)
        if self.recorder is not None:
            self.recorder.subscribe(callback)

    def metrics(self):
        """Async iterator over samples while the run goes on (``async for s in p.metrics()``)."""
        if self.recorder is None:
            raise RuntimeError("metrics() is available once run() has started")
        return self.recorder.stream()

    # ----- the run --------------------------------------------------------------------------
    async def run(self) -> PipelineResult:
        """Run to the end of every source (or until stopped). Blocks (awaits) until done.

        Cancelling it aborts as ``stop()`` does, cleans up, and re-raises ``CancelledError``.
        Raises ``AccountingError`` if lines went missing, or the first stage error.
        """
        cfg = self.config
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        if self._stop_requested.is_set():
            self._stop_event.set()
        self._read_limit = Limiter(cfg.readers)
        self._parse_limit = Limiter(cfg.parsers)
        self._turns = _Turns()
        self._output = cfg.resolved_output()
        self._dispatch_ok = asyncio.Event()
        self._dispatch_ok.set()
        self.read_ch: Channel[Chunk] = Channel(cfg.queue_size, "read")
        self.inflight_ch: Channel[tuple[Chunk, asyncio.Future, int]] = Channel(
            cfg.pool_size() + 1, "in_flight"
        )
        self.write_ch: Channel[ParsedBatch] = Channel(cfg.queue_size, "write")
        self.recorder = MetricsRecorder(self._probe, cfg.metrics_interval)
        for cb in self._subscribers:
            self.recorder.subscribe(cb)
        self._setup_conn_lock = asyncio.Lock()
        self._sources_at_start: dict[int, tuple[int, int, int, int]] = {}
        t0 = time.perf_counter()
        self.running = True
        sampler = asyncio.create_task(self.recorder.run(), name="labkit-metrics")
        stages: list[asyncio.Task] = []
        watcher: asyncio.Task | None = None
        error: BaseException | None = None
        cancelled = False
        try:
            await asyncio.to_thread(lambda: connect(cfg.db).close())
            self.pool = await asyncio.to_thread(
                make_pool, cfg.engine, cfg.pool_size(), cfg.start_method, cfg.scheduler
            )
            for _ in range(cfg.writers):
                await self._start_writer()
            stages = [
                asyncio.create_task(self._read_all(), name="labkit-readers"),
                asyncio.create_task(self._dispatch(), name="labkit-dispatcher"),
                asyncio.create_task(self._collect(), name="labkit-collector"),
            ]
            watcher = asyncio.create_task(self._stop_event.wait(), name="labkit-stop")
            while True:
                pending = [t for t in stages + self._writer_tasks if not t.done()]
                if not pending:
                    break
                done, _ = await asyncio.wait(
                    [*pending, watcher], return_when=asyncio.FIRST_COMPLETED
                )
                for t in done:
                    if t is not watcher and not t.cancelled() and t.exception() is not None:
                        raise t.exception()
                if watcher in done:
                    if not self._drain:
                        break
                    stages[0].cancel()  # stop reading; what was read drains through
                    self.read_ch.close()
                    watcher = asyncio.create_task(asyncio.Event().wait())  # wait for no more
        except asyncio.CancelledError:
            cancelled = True
        except BaseException as exc:
            error = exc
        finally:
            if watcher is not None:
                watcher.cancel()
            stopped = self._stop_requested.is_set() or cancelled or error is not None
            await asyncio.shield(self._shutdown(stages, sampler))
            self.running = False
        if cancelled:
            raise asyncio.CancelledError
        seconds = time.perf_counter() - t0
        if error is not None:
            raise error
        return await asyncio.to_thread(self._result, seconds, stopped)

    async def _shutdown(self, stages: list[asyncio.Task], sampler: asyncio.Task) -> None:
        """Cancel every stage, let writer threads finish their transaction, stop the pool."""
        for t in [*stages, *self._writer_tasks]:
            t.cancel()
        await asyncio.gather(*stages, *self._writer_tasks, return_exceptions=True)
        while len(self.inflight_ch):  # parse results nobody will collect
            _chunk, fut, _generation = await self.inflight_ch.receive()
            fut.cancel()
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved: no "never retrieved" warning
        for w in self._writers:
            with contextlib.suppress(Exception):
                await w.close()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.shutdown, self.config.stop_deadline)
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        self.recorder.final()

    # ----- stages ---------------------------------------------------------------------------
    def _target_bytes(self, _source_id: int) -> int:
        return max(1, int(self.config.batch_lines * self._bytes_per_line))

    async def _register(
        self, name: str, kind: str, fmt: str, identity: tuple | None = None
    ) -> SourceState:
        def work() -> tuple[SourceState, tuple]:
            conn = connect(self.config.db)
            try:
                state = register_source(conn, name, kind, fmt, identity, exclude=self._names)
                return state, source_totals(conn)[state.id]
            finally:
                conn.close()

        async with self._setup_conn_lock:
            try:
                state, totals = await asyncio.to_thread(work)
            except sqlite3.Error as exc:
                raise WriterError(
                    f"could not register {name} in {self.config.db}: {exc}. Nothing was "
                    "stored for it; fix the cause and run again to resume."
                ) from exc
        self._sources_at_start[state.id] = totals
        self._names[state.id] = name
        return state

    async def _emit(self, chunk: Chunk) -> None:
        await self.read_ch.send(chunk)
        c = self.counters
        c.lines_read += chunk.lines
        c.bytes_read += len(chunk.data)
        c.read_by_source[chunk.source_id] = c.read_by_source.get(chunk.source_id, 0) + chunk.lines
        if c.lines_read:
            self._bytes_per_line = max(16.0, c.bytes_read / c.lines_read)

    async def _read_all(self) -> None:
        cfg = self.config
        ctx = ReadContext(
            emit=self._emit,
            register=self._register,
            target_bytes=self._target_bytes,
            max_line=cfg.max_line,
            flush_partial=cfg.flush_partial,
        )
        self._read_ctx = ctx
        sources: list[Source] = [FileSource(p, cfg.format) for p in cfg.paths]
        sources += list(cfg.sources)

        async def one(src: Source) -> None:
            limited = src.kind != "tcp"
            if limited:
                await self._read_limit.acquire()
            try:
                await src.run(ctx)
            finally:
                if limited:
                    self._read_limit.release()

        try:
            async with asyncio.TaskGroup() as tg:
                for src in sources:
                    tg.create_task(one(src), name=f"labkit-read-{src.name}")
        except* Exception as group:  # report the first source error itself, not a group
            raise group.exceptions[0] from None
        finally:
            self.read_ch.close()

    def _submit(self, chunk: Chunk) -> asyncio.Future:
        """Send a chunk to the pool; a broken pool gives an already-failed future."""
        cfg = self.config
        loop = asyncio.get_running_loop()
        try:
            cfut = self.pool.submit(
                cfg.parse_fn,
                chunk.source_id,
                chunk.seq,
                chunk.fmt,
                chunk.start,
                chunk.end,
                chunk.data,
                self._output,
                cfg.max_line,
            )
        except BrokenProcessPool as exc:
            fut = loop.create_future()
            fut.set_exception(exc)
            return fut
        return asyncio.wrap_future(cfut, loop=loop)

    async def _dispatch(self) -> None:
        try:
            async for chunk in self.read_ch:
                while True:  # wait while a failed chunk is retried alone, then for a slot
                    await self._dispatch_ok.wait()
                    await self._parse_limit.acquire()
                    if self._dispatch_ok.is_set():
                        break
                    self._parse_limit.release()
                generation = getattr(self.pool, "generation", 0)
                fut = self._submit(chunk)
                fut.add_done_callback(lambda _f: self._parse_limit.release())
                await self.inflight_ch.send((chunk, fut, generation))
        finally:
            self.inflight_ch.close()

    async def _collect(self) -> None:
        c = self.counters
        try:
            async for chunk, fut, generation in self.inflight_ch:
                batch = await self._parsed(chunk, fut, generation)
                c.lines_parsed += batch.lines
                c.batches_parsed += 1
                c.parse_busy_s += batch.parse_seconds
                await self.write_ch.send(batch)
        finally:
            self.write_ch.close()

    async def _parsed(self, chunk: Chunk, fut: asyncio.Future, generation: int) -> ParsedBatch:
        """The chunk's batch. A failed parse (worker crashed or raised) is retried alone, with
        new chunks held back, after rebuilding a broken pool; after ``max_attempts`` failures
        the chunk's lines become ``poison`` rejects and the run goes on."""
        c = self.counters
        attempt = 1
        try:
            while True:
                try:
                    return await fut
                except (asyncio.CancelledError, KeyboardInterrupt):
                    raise
                except Exception as exc:
                    self._dispatch_ok.clear()  # isolate the retry before anything else runs
                    c.parse_failures += 1
                    pool_generation = getattr(self.pool, "generation", 0)
                    if isinstance(exc, BrokenProcessPool) and generation == pool_generation:
                        await asyncio.to_thread(self.pool.rebuild)
                        c.pool_rebuilds += 1
                    if attempt >= self.config.max_attempts:
                        detail = f"failed {attempt} times: {describe_error(exc)}"
                        c.poisoned_batches += 1
                        return poison_batch(
                            chunk.source_id,
                            chunk.seq,
                            chunk.start,
                            chunk.end,
                            chunk.data,
                            detail,
                            self._output,
                            self.config.max_line,
                        )
                    attempt += 1
                    generation = getattr(self.pool, "generation", 0)
                    fut = self._submit(chunk)
        finally:
            if attempt > 1:
                self._dispatch_ok.set()

    async def _start_writer(self) -> None:
        cfg = self.config
        index = len(self._writers)
        writer = make_writer(cfg.writer, cfg.db, f"writer-{index}", cfg.writer_latency_s)
        await writer.open()
        self._writers.append(writer)
        self._writer_tasks.append(
            asyncio.create_task(self._write_loop(index, writer), name=f"labkit-writer-{index}")
        )

    def _adjust_writers(self) -> None:
        live = sum(1 for t in self._writer_tasks if not t.done())
        for _ in range(self.config.writers - live):
            task = asyncio.ensure_future(self._start_writer())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)

    def _active_writers(self) -> int:
        return sum(1 for t in self._writer_tasks if not t.done())

    async def _write_loop(self, index: int, writer: BatchWriter) -> None:
        while True:
            if self._active_writers() > self.config.writers and self._is_last_live(index):
                break  # retire: fewer writers wanted
            try:
                batch = await self.write_ch.receive()
            except ChannelClosed:
                break
            await self._turns.wait(batch.source_id, batch.seq)
            store = asyncio.ensure_future(writer.store(batch))
            try:
                busy = await asyncio.shield(store)
            except Exception as exc:
                name = self._names.get(batch.source_id, batch.source_id)
                raise WriterError(
                    f"{writer.name} could not store batch {batch.seq} of {name} "
                    f"({batch.lines} lines): {type(exc).__name__}: {exc}. Nothing of this batch "
                    "was stored; fix the cause and run again to resume."
                ) from exc
            except asyncio.CancelledError:
                # Aborting: the transaction in progress still completes (or rolls back); count
                # it if it committed, so the totals match the database.
                with contextlib.suppress(Exception):
                    self._account(batch, await store)
                raise
            self._account(batch, busy)
            await self._turns.advance(batch.source_id)
        await writer.close()

    def _account(self, batch: ParsedBatch, busy: float) -> None:
        c = self.counters
        sid = batch.source_id
        c.write_busy_s += busy
        c.stored += batch.stored
        c.rejected += batch.rejected
        c.batches_stored += 1
        c.stored_by_source[sid] = c.stored_by_source.get(sid, 0) + batch.stored
        c.rejected_by_source[sid] = c.rejected_by_source.get(sid, 0) + batch.rejected
        for reason, n in batch.reasons.items():
            c.reasons[reason] = c.reasons.get(reason, 0) + n

    def _is_last_live(self, index: int) -> bool:
        live = [i for i, t in enumerate(self._writer_tasks) if not t.done()]
        return bool(live) and index == live[-1]

    def _probe(self) -> dict[str, int]:
        c = self.counters
        return {
            "lines_read": c.lines_read,
            "lines_parsed": c.lines_parsed,
            "stored": c.stored,
            "rejected": c.rejected,
            "read_queue": len(self.read_ch),
            "parse_in_flight": self._parse_limit.held,
            "write_queue": len(self.write_ch),
            "readers": self._read_limit.limit,
            "parsers": self._parse_limit.limit,
            "writers": self._active_writers(),
        }

    # ----- the result -----------------------------------------------------------------------
    def _result(self, seconds: float, stopped: bool) -> PipelineResult:
        """Build the result and check the accounting against the database (blocks on a read)."""
        c = self.counters
        conn = connect(self.config.db)
        try:
            totals = source_totals(conn)
        finally:
            conn.close()
        per_source: dict[str, dict[str, int]] = {}
        problems = []
        abandoned = 0
        for sid, name in self._names.items():
            read = c.read_by_source.get(sid, 0)
            stored = c.stored_by_source.get(sid, 0)
            rejected = c.rejected_by_source.get(sid, 0)
            before = self._sources_at_start.get(sid, (0, 0, 0, 0))
            after = totals.get(sid, before)
            db_stored, db_rejected = after[2] - before[2], after[3] - before[3]
            per_source[name] = {
                "source_id": sid,
                "lines_read": read,
                "stored": stored,
                "rejected": rejected,
                "committed_offset": after[0],
            }
            if (db_stored, db_rejected) != (stored, rejected):
                problems.append(
                    f"{name}: database has {db_stored} stored + {db_rejected} rejected, "
                    f"the run counted {stored} + {rejected}"
                )
            missing = read - stored - rejected
            if stopped:
                abandoned += missing
            elif missing:
                problems.append(f"{name}: read {read} lines, stored {stored} + rejected {rejected}")
        result = PipelineResult(
            lines_read=c.lines_read,
            stored=c.stored,
            rejected=c.rejected,
            reasons=dict(c.reasons),
            seconds=seconds,
            stopped=stopped,
            abandoned=abandoned,
            per_source=per_source,
            stages={
                "read": {"busy_s": self._read_ctx.read_seconds[0] if self._read_ctx else 0.0},
                "parse": {
                    "busy_s": c.parse_busy_s,
                    "batches": c.batches_parsed,
                    "failures": c.parse_failures,
                    "pool_rebuilds": c.pool_rebuilds,
                    "poisoned_batches": c.poisoned_batches,
                },
                "write": {"busy_s": c.write_busy_s, "batches": c.batches_stored},
            },
            queues={
                ch.name: ch.statistics() for ch in (self.read_ch, self.inflight_ch, self.write_ch)
            },
            settings={
                f.name: getattr(self.config, f.name)
                for f in fields(self.config)
                if f.name not in ("paths", "sources")
            }
            | {"output": self.config.resolved_output(), "db": str(self.config.db)},
            metrics=self.recorder.dataframe() if self.recorder else None,
        )
        if problems:
            raise AccountingError("lines went missing:\n  " + "\n  ".join(problems))
        return result


async def run_pipeline(
    config: PipelineConfig, on_sample: Callable[[Sample], None] | None = None
) -> PipelineResult:
    """Run the pipeline once (async). ``on_sample`` receives live metrics samples."""
    pipeline = Pipeline(config)
    if on_sample is not None:
        pipeline.subscribe(on_sample)
    return await pipeline.run()


def run_pipeline_sync(
    config: PipelineConfig, on_sample: Callable[[Sample], None] | None = None
) -> PipelineResult:
    """Run the pipeline from synchronous code: a script, or a Jupyter cell without ``await``.

    Blocks until done. Ctrl-C (or the kernel's interrupt) stops the run cleanly and re-raises
    ``KeyboardInterrupt``.
    """
    pipeline = Pipeline(config)
    if on_sample is not None:
        pipeline.subscribe(on_sample)
    return run_sync(pipeline.run, on_interrupt=pipeline.stop)
