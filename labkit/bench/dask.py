"""The dask parse engine against the local process pool, on the same data and the same machine.

Three runs of the same pipeline (same files, parsers, batch size, writer), alternating over
``repeat`` rounds so that load from other processes hits all of them alike; the best round of
each counts. Every run's time includes starting and stopping its workers:

- ``local``: the process pool (``engine="local"``);
- ``dask``: ``engine="dask"`` with its own ``LocalCluster`` (started and closed by the run);
- ``dask_warm``: ``engine="dask"`` on a cluster that is already running (``scheduler=``).

Also measured: how long a ``LocalCluster`` takes to start, the round trip of one tiny task on
each engine, and the bytes each line costs on the wire (chunk out, parsed batch back).

Run ``python -m labkit.bench.dask [--lines 400000] [--workers N] [--repeat 2] [--json]``.
Needs the ``dask`` extra. Figures on a shared machine are noisy: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import time
from pathlib import Path
from typing import Any

from labkit.bench.common import cached_dataset, fresh_db
from labkit.generate.manifest import Manifest
from labkit.parser import ParsePool, ParserPool, parse_chunk
from labkit.paths import generated_dir, small_mode
from labkit.pipeline import PipelineConfig, run_pipeline_sync
from labkit.system import usable_cpu_count

__all__ = [
    "ENGINE_RUNS",
    "bytes_per_line",
    "compare_engines",
    "dataset",
    "format_table",
    "main",
    "task_roundtrip_ms",
]

#: The runs ``compare_engines`` makes, in the order of each round.
ENGINE_RUNS = ("local", "dask", "dask_warm")


def dataset(lines: int, seed: int = 7, root: Path | None = None, files: int = 4) -> Manifest:
    """A combined-format data set of ``lines`` lines (reused when already generated)."""
    return cached_dataset(
        (root or generated_dir()) / f"bench-dask-{lines}-{seed}", lines, seed, files
    )


def task_roundtrip_ms(pool: ParsePool, n: int = 100) -> float:
    """Median milliseconds to submit one tiny task and get its result back, one at a time."""
    pool.submit(abs, -1).result(60)  # warm up: the first task may wait for a worker to start
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        pool.submit(abs, -i).result(60)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 3)


def bytes_per_line(
    path: str | Path, batch_lines: int = 5000, output: str = "sqlite", fmt: str = "combined"
) -> dict:
    """What one line costs on the wire: the chunk's bytes sent out and the pickled parsed batch
    sent back, per line, measured on the first ``batch_lines`` lines of ``path``."""
    with open(path, "rb") as fh:
        data = b"".join(line for _, line in zip(range(batch_lines), fh, strict=False))
    batch = parse_chunk(1, 0, fmt, 0, len(data), data, output)
    back = len(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
    n = max(1, batch.lines)
    return {
        "lines": batch.lines,
        "out_bytes_per_line": round(len(data) / n, 1),
        "back_bytes_per_line": round(back / n, 1),
        "output": output,
    }


def compare_engines(
    paths: list[str | Path],
    good: int,
    *,
    workers: int | None = None,
    repeat: int = 2,
    batch_lines: int = 5000,
    output: str = "sqlite",
    scheduler: str | None = None,
    workdir: Path | None = None,
    roundtrips: int = 100,
) -> dict[str, Any]:
    """Run the pipeline with each engine ``repeat`` times on ``paths``; returns the figures.

    ``good`` is the number of lines every run must store (else ``RuntimeError``). ``scheduler``:
    an already running cluster for the ``dask_warm`` runs; without it one ``LocalCluster`` of
    ``workers`` processes is started for them (its start time is reported). Blocks for as long
    as the runs take; a dask run's own cluster starts with the usable CPUs as workers.
    ``roundtrips``: tiny tasks timed one at a time on each engine.
    """
    from labkit.engines.dask import DaskParserPool, local_cluster

    workers = workers or usable_cpu_count()
    root = Path(workdir) if workdir else generated_dir()
    root.mkdir(parents=True, exist_ok=True)
    db = root / "bench-dask.db"
    figures: dict[str, Any] = {
        "lines": None,
        "workers": workers,
        "cpus": usable_cpu_count(),
        "repeat": repeat,
        "batch_lines": batch_lines,
        "output": output,
    }
    cluster = None
    t0 = time.perf_counter()
    if scheduler is None:
        cluster = local_cluster(workers)
        scheduler = cluster.scheduler_address
        figures["cluster_start_s"] = round(time.perf_counter() - t0, 3)
    runs: list[dict[str, Any]] = []
    try:
        for rnd in range(max(1, repeat)):
            for name in ENGINE_RUNS:
                config = PipelineConfig(
                    paths=list(paths),
                    db=fresh_db(db),
                    parsers=workers,
                    batch_lines=batch_lines,
                    output=output,
                    engine="local" if name == "local" else "dask",
                    scheduler=scheduler if name == "dask_warm" else None,
                )
                result = run_pipeline_sync(config)
                if result.stored != good:
                    raise RuntimeError(f"{name} stored {result.stored} lines, expected {good}")
                figures["lines"] = result.lines_read
                runs.append(
                    {
                        "engine": name,
                        "round": rnd,
                        "seconds": round(result.seconds, 3),
                        "lines_per_s": round(result.lines_per_s, 1),
                    }
                )
        local = ParserPool(workers, "spawn")
        try:
            rt_local = task_roundtrip_ms(local, roundtrips)
        finally:
            local.shutdown()
        remote = DaskParserPool(workers, scheduler=scheduler)
        try:
            rt_dask = task_roundtrip_ms(remote, roundtrips)
        finally:
            remote.shutdown()
    finally:
        if cluster is not None:
            cluster.close()
        fresh_db(db)
    best = {
        name: max(r["lines_per_s"] for r in runs if r["engine"] == name) for name in ENGINE_RUNS
    }
    figures["runs"] = runs
    figures["best_lps"] = best
    figures["dask_vs_local"] = round(best["dask"] / best["local"], 3)
    figures["dask_warm_vs_local"] = round(best["dask_warm"] / best["local"], 3)
    figures["task_roundtrip_ms"] = {"local": rt_local, "dask": rt_dask}
    figures["wire"] = bytes_per_line(paths[0], batch_lines, output)
    return figures


def format_table(f: dict[str, Any]) -> str:
    """The figures as a small aligned table."""
    best = f["best_lps"]
    rows = [
        ("lines", f"{f['lines']:,}"),
        ("workers (usable CPUs)", f"{f['workers']} ({f['cpus']})"),
        ("local pool", f"{best['local']:,.0f} lines/s"),
        ("dask, own LocalCluster", f"{best['dask']:,.0f} lines/s  ({f['dask_vs_local']:.2f}x)"),
        (
            "dask, running cluster",
            f"{best['dask_warm']:,.0f} lines/s  ({f['dask_warm_vs_local']:.2f}x)",
        ),
    ]
    if "cluster_start_s" in f:
        rows.append(("LocalCluster start", f"{f['cluster_start_s']:.2f} s"))
    rt = f["task_roundtrip_ms"]
    rows.append(("tiny task round trip", f"local {rt['local']:.2f} ms, dask {rt['dask']:.2f} ms"))
    w = f["wire"]
    rows.append(
        (
            "bytes per line on the wire",
            f"{w['out_bytes_per_line']:.0f} out, "
            f"{w['back_bytes_per_line']:.0f} back ({w['output']})",
        )
    )
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: print a table (or one JSON object with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m labkit.bench.dask", description=__doc__)
    parser.add_argument("--lines", type=int, default=None, help="lines (400000; small mode 40000)")
    parser.add_argument("--workers", type=int, default=None, help="workers (usable CPUs)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best counts (2)")
    parser.add_argument("--batch", type=int, default=5000, help="lines per batch (5000)")
    parser.add_argument("--output", choices=("sqlite", "rows"), default="sqlite")
    parser.add_argument("--scheduler", help="use this running cluster for the warm runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    lines = args.lines or (40_000 if small_mode() else 400_000)
    manifest = dataset(lines)
    figures = compare_engines(
        manifest.paths(),
        manifest.good,
        workers=args.workers,
        repeat=args.repeat,
        batch_lines=args.batch,
        output=args.output,
        scheduler=args.scheduler,
    )
    print(json.dumps(figures) if args.json else format_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
