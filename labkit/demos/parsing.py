"""Workloads for notebook 03: what a process pool costs and what it buys for parsing.

Everything here is module-level, so it pickles under ``spawn``. Each measurement runs the same
lines on both sides of a comparison; pool start-up (spawning workers, importing ``labkit``) is
timed apart from the work, because a long-lived pipeline pays it once.

- ``shout``: the module-level twin of the notebook's failing worker function.
- ``batch_size_sweep``: one task per line vs ``parse_chunk`` on chunks of growing size.
- ``pool_size_sweep``: 1 .. ``usable_cpu_count() + 1`` workers on the same chunks.
- ``shape_costs``: where the time goes for ``output="rows"`` vs ``"sqlite"`` batches, per side;
  ``shape_model`` turns that into a bound on throughput.
- ``compare_outputs``: the full pipeline end to end with each output shape.
- ``*_chart``: plotly charts of those tables.

All of them block while they run (``compare_outputs`` is a coroutine: await it) and shut down
every pool they start, also when interrupted.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from labkit.formats import get_parser
from labkit.generate import iter_lines
from labkit.parser import ParserPool, parse_chunk, parse_lines_to_batch
from labkit.records import is_reject
from labkit.storage import connect, register_source, store_batch
from labkit.system import usable_cpu_count

if TYPE_CHECKING:  # heavy imports stay out of the module: spawned workers import it (``shout``)
    import pandas as pd
    import psutil

__all__ = [
    "batch_size_chart",
    "batch_size_sweep",
    "compare_outputs",
    "in_process_rate",
    "join_lines",
    "outputs_chart",
    "pool_size_chart",
    "pool_size_sweep",
    "sample_lines",
    "shape_costs",
    "shape_model",
    "shout",
    "started_pool",
    "worker_processes",
]


def shout(line: bytes) -> bytes:
    """Upper-case a line: a worker function that lives in a module, so ``spawn`` can find it."""
    return line.upper()


def sample_lines(
    n: int, fmt: str = "combined", seed: int = 0, bad_rate: float = 0.01
) -> list[bytes]:
    """``n`` generated log lines (without newlines), with a share of bad ones."""
    return list(iter_lines(fmt, n, seed, bad_rate=bad_rate))


def join_lines(lines: Sequence[bytes], size: int) -> list[bytes]:
    """Cut ``lines`` into chunks of at most ``size`` lines, each joined and newline-terminated."""
    size = max(1, int(size))
    return [b"\n".join(lines[i : i + size]) + b"\n" for i in range(0, len(lines), size)]


def started_pool(workers: int) -> tuple[ParserPool, float]:
    """A ``spawn`` pool with every worker started and warm, and the seconds that took.

    Blocks while the workers start. The caller owns the pool: ``pool.shutdown()`` it.
    """
    t0 = time.perf_counter()
    pool = ParserPool(workers, "spawn")
    try:
        # each worker imports labkit.parser as it starts (its initializer lives there); a short
        # sleep per worker makes sure every one of them has started before the clock runs
        for f in [pool.submit(time.sleep, 0.05) for _ in range(workers)]:
            f.result()
    except BaseException:
        pool.shutdown()
        raise
    return pool, time.perf_counter() - t0


def in_process_rate(lines: Sequence[bytes], fmt: str = "combined", size: int = 5000) -> float:
    """Lines/s of ``parse_lines_to_batch`` in this process, no pool: the baseline."""
    chunks = join_lines(lines, size)
    t0 = time.perf_counter()
    for data in chunks:
        parse_lines_to_batch(0, 0, fmt, 0, len(data), data, "rows")
    return len(lines) / (time.perf_counter() - t0)


def _run_chunks(pool: ParserPool, chunks: list[bytes], fmt: str, output: str) -> tuple[int, int]:
    futures = [
        pool.submit(parse_chunk, 0, i, fmt, 0, len(data), data, output)
        for i, data in enumerate(chunks)
    ]
    stored = rejected = 0
    for f in futures:
        batch = f.result()
        stored += batch.stored
        rejected += batch.rejected
    return stored, rejected


def _run_per_line(pool: ParserPool, lines: Sequence[bytes], fmt: str) -> tuple[int, int]:
    parse = get_parser(fmt)  # module-level, so it pickles by reference
    futures = [pool.submit(parse, line) for line in lines]
    results = [f.result() for f in futures]
    rejected = sum(1 for r in results if is_reject(r))
    return len(results) - rejected, rejected


def batch_size_sweep(
    lines: Sequence[bytes],
    sizes: Sequence[int] = (1, 10, 100, 1000, 5000),
    workers: int | None = None,
    fmt: str = "combined",
) -> pd.DataFrame:
    """Parse the same ``lines`` with tasks of each size on one warm pool; one row per size.

    Size 1 submits the format's parse function once per line; larger sizes submit
    ``parse_chunk`` on chunks of that many lines (``output="rows"``). Columns: ``lines_per_task``,
    ``tasks``, ``seconds``, ``lines_per_s``, ``stored``, ``rejected``.
    """
    import pandas as pd

    workers = workers or usable_cpu_count()
    pool, _ = started_pool(workers)
    rows = []
    try:
        for size in sizes:
            t0 = time.perf_counter()
            if size == 1:
                stored, rejected = _run_per_line(pool, lines, fmt)
                tasks = len(lines)
            else:
                chunks = join_lines(lines, size)
                stored, rejected = _run_chunks(pool, chunks, fmt, "rows")
                tasks = len(chunks)
            seconds = time.perf_counter() - t0
            rows.append(
                {
                    "lines_per_task": size,
                    "tasks": tasks,
                    "seconds": seconds,
                    "lines_per_s": len(lines) / seconds,
                    "stored": stored,
                    "rejected": rejected,
                }
            )
    finally:
        pool.shutdown()
    return pd.DataFrame(rows)


def pool_size_sweep(
    lines: Sequence[bytes],
    workers: Sequence[int] | None = None,
    chunk_lines: int = 2000,
    fmt: str = "combined",
) -> pd.DataFrame:
    """Parse the same chunks with pools of each size (default 1 .. usable CPUs + 1).

    Columns: ``workers``, ``startup_s`` (spawning and warming the pool, not in ``seconds``),
    ``seconds``, ``lines_per_s``, ``speedup`` (vs the first size), ``stored``, ``rejected``.
    """
    import pandas as pd

    if workers is None:
        workers = range(1, usable_cpu_count() + 2)
    chunks = join_lines(lines, chunk_lines)
    rows = []
    for n in workers:
        pool, startup = started_pool(n)
        try:
            t0 = time.perf_counter()
            stored, rejected = _run_chunks(pool, chunks, fmt, "rows")
            seconds = time.perf_counter() - t0
        finally:
            pool.shutdown()
        rows.append(
            {
                "workers": n,
                "startup_s": startup,
                "seconds": seconds,
                "lines_per_s": len(lines) / seconds,
                "stored": stored,
                "rejected": rejected,
            }
        )
    df = pd.DataFrame(rows)
    df["speedup"] = df["lines_per_s"] / df["lines_per_s"].iloc[0]
    return df


def shape_costs(lines: Sequence[bytes], fmt: str = "combined", repeat: int = 5) -> pd.DataFrame:
    """Time each step of one batch's trip for both output shapes, in this process (best of
    ``repeat``), so the two sides of the process boundary can be compared.

    Worker side: ``parse_s`` (parse + build the payload) and ``pickle_s``. Parent side:
    ``unpickle_s`` and ``store_s`` (``store_batch`` into a fresh database). Also ``bytes`` sent,
    and microseconds per line for each side. One row per output shape. Blocks on disk.
    """
    import pandas as pd

    data = b"\n".join(lines) + b"\n"
    n = len(lines)
    out = []
    with tempfile.TemporaryDirectory(prefix="labkit-shapes-") as tmp:
        for output in ("rows", "sqlite"):
            best = {"parse_s": 1e9, "pickle_s": 1e9, "unpickle_s": 1e9, "store_s": 1e9}
            size = 0
            for attempt in range(repeat):
                t0 = time.perf_counter()
                batch = parse_lines_to_batch(1, 0, fmt, 0, len(data), data, output)
                t1 = time.perf_counter()
                blob = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
                t2 = time.perf_counter()
                received = pickle.loads(blob)
                t3 = time.perf_counter()
                conn = connect(Path(tmp) / f"{output}-{attempt}.db")
                try:
                    received.source_id = register_source(conn, "shape", "file", fmt).id
                    t4 = time.perf_counter()
                    store_batch(conn, received)
                    t5 = time.perf_counter()
                finally:
                    conn.close()
                size = len(blob)
                for key, value in (
                    ("parse_s", t1 - t0),
                    ("pickle_s", t2 - t1),
                    ("unpickle_s", t3 - t2),
                    ("store_s", t5 - t4),
                ):
                    best[key] = min(best[key], value)
            out.append({"output": output, "lines": n, "bytes": size, **best})
    df = pd.DataFrame(out)
    df["worker_us_per_line"] = (df["parse_s"] + df["pickle_s"]) / df["lines"] * 1e6
    df["parent_us_per_line"] = (df["unpickle_s"] + df["store_s"]) / df["lines"] * 1e6
    return df


def shape_model(shapes: pd.DataFrame, cpus: int | None = None) -> pd.DataFrame:
    """A back-of-the-envelope bound from ``shape_costs``: the parent's per-line work runs on one
    core at most, and all the work (parent + workers) shares ``cpus`` cores, so a line costs at
    least ``max(parent, (parent + worker) / cpus)`` microseconds. Reading and the event loop are
    left out, so real runs are slower; the model says which side limits each shape.

    Columns: ``output``, ``parent_us_per_line``, ``worker_us_per_line``, ``bound_us_per_line``,
    ``limited_by`` (``"the parent"`` or ``"all cores"``), ``model_lines_per_s``.
    """
    cpus = cpus or usable_cpu_count()
    df = shapes[["output", "parent_us_per_line", "worker_us_per_line"]].copy()
    shared = (df["parent_us_per_line"] + df["worker_us_per_line"]) / cpus
    df["bound_us_per_line"] = shared.where(
        shared > df["parent_us_per_line"], df["parent_us_per_line"]
    )
    df["limited_by"] = (shared > df["parent_us_per_line"]).map(
        {True: "all cores", False: "the parent"}
    )
    df["model_lines_per_s"] = 1e6 / df["bound_us_per_line"]
    return df


async def compare_outputs(
    paths: Sequence[str | os.PathLike],
    db_dir: str | os.PathLike,
    parsers: int | None = None,
    rounds: int = 2,
    batch_lines: int = 5000,
) -> pd.DataFrame:
    """Run the whole pipeline on ``paths`` with ``output="rows"`` and ``"sqlite"``, alternating,
    ``rounds`` times each, into fresh databases under ``db_dir``; keep each shape's best run.

    Awaits the runs (each blocks its own worker threads and processes, and cleans them up).
    Columns: ``output``, ``lines``, ``seconds``, ``lines_per_s``, ``parse_busy_s``,
    ``write_busy_s``, ``stored``, ``rejected``.
    """
    import pandas as pd

    from labkit.pipeline import PipelineConfig, run_pipeline

    db_dir = Path(db_dir)
    db_dir.mkdir(parents=True, exist_ok=True)
    best: dict[str, dict] = {}
    for r in range(rounds):
        for output in ("rows", "sqlite"):
            db = db_dir / f"shape-{output}-{r}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            config = PipelineConfig(
                paths=list(paths),
                db=db,
                parsers=parsers or usable_cpu_count(),
                output=output,
                batch_lines=batch_lines,
            )
            result = await run_pipeline(config)
            row = {
                "output": output,
                "lines": result.lines_read,
                "seconds": result.seconds,
                "lines_per_s": result.lines_per_s,
                "parse_busy_s": result.stages["parse"]["busy_s"],
                "write_busy_s": result.stages["write"]["busy_s"],
                "stored": result.stored,
                "rejected": result.rejected,
            }
            if output not in best or row["seconds"] < best[output]["seconds"]:
                best[output] = row
    return pd.DataFrame([best["rows"], best["sqlite"]])


# ----- charts -----------------------------------------------------------------------------------
def batch_size_chart(df: pd.DataFrame):
    """A plotly bar chart of ``batch_size_sweep``: lines/s per task size."""
    import plotly.express as px

    lines = int(df["stored"].iloc[0] + df["rejected"].iloc[0])
    return px.bar(
        df.astype({"lines_per_task": str}),
        x="lines_per_task",
        y="lines_per_s",
        text_auto=".3s",
        title=f"The same {lines:,} lines: lines per task vs throughput",
        labels={"lines_per_task": "lines per task", "lines_per_s": "lines/s"},
    )


def pool_size_chart(df: pd.DataFrame, baseline: float | None = None):
    """A plotly line chart of ``pool_size_sweep``; ``baseline`` (in-process lines/s) dashed."""
    import plotly.express as px

    fig = px.line(
        df,
        x="workers",
        y="lines_per_s",
        markers=True,
        title=f"Worker processes vs throughput ({usable_cpu_count()} usable CPUs)",
        labels={"lines_per_s": "lines/s"},
    )
    if baseline is not None:
        fig.add_hline(y=baseline, line_dash="dash", annotation_text="one process, no pool")
    fig.update_xaxes(dtick=1)
    fig.update_yaxes(rangemode="tozero")
    return fig


def outputs_chart(df: pd.DataFrame):
    """A plotly bar chart of ``compare_outputs``: lines/s per output shape."""
    import plotly.express as px

    return px.bar(
        df,
        x="output",
        y="lines_per_s",
        text_auto=".3s",
        title="The whole pipeline with each result shape",
        labels={"lines_per_s": "lines/s", "output": "output="},
    )


def worker_processes() -> list[psutil.Process]:
    """Live child processes of this one, leaving out multiprocessing's resource tracker."""
    import psutil

    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            alive = p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            if alive and not any("resource_tracker" in part for part in p.cmdline()):
                found.append(p)
        except psutil.Error:
            continue
    return found
