"""``labkit bench`` / ``make bench``: the pipeline against its baselines, in one run.

On the same generated data (default 1,000,000 combined lines) it measures the sequential
baseline, the pipeline at each candidate setting (the best is reported), the SQLite storage
ceiling (pre-parsed rows, ``executemany`` in large transactions), parse-only throughput on one
core, and peak memory of a pipeline run at 1x and 4x the data (in fresh processes). Prints a
table; ``--json`` prints one JSON object, ``--json-out FILE`` also writes it. Figures are ratios
measured in one run: absolute numbers on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from labkit.bench.common import cached_dataset, fresh_db

__all__ = ["add_parser", "run", "run_bench", "sqlite_ceiling"]


def sqlite_ceiling(paths: list[Path], db: Path, max_rows: int = 500_000) -> float:
    """Rows/s of storing pre-parsed rows with ``executemany``, 50k rows per transaction."""
    from labkit.parser import parse_lines_to_batch
    from labkit.storage import connect, insert_rows_sql, register_source

    rows: list[tuple] = []
    for path in paths:
        data = path.read_bytes()[: 64 << 20]
        data = data[: data.rfind(b"\n") + 1]
        rows += parse_lines_to_batch(1, 0, "combined", 0, len(data), data, "rows").rows
        if len(rows) >= max_rows:
            break
    rows = rows[:max_rows]
    conn = connect(fresh_db(db))
    try:
        sid = register_source(conn, "ceiling", "file", "combined").id
        sql = insert_rows_sql(sid)
        t0 = time.perf_counter()
        for i in range(0, len(rows), 50_000):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(sql, rows[i : i + 50_000])
            conn.execute("COMMIT")
        return len(rows) / (time.perf_counter() - t0)
    finally:
        conn.close()


def _rss_run(db: Path, paths: list[Path], parsers: int, output: str) -> dict:
    cmd = [sys.executable, "-m", "labkit.bench.rss", str(fresh_db(db)), *map(str, paths)]
    cmd += ["--parsers", str(parsers), "--output", output]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_bench(
    lines: int = 1_000_000,
    *,
    seed: int = 7,
    workdir: Path | None = None,
    rss_scale: int = 4,
    parsers: int | None = None,
) -> dict:
    """Run every measurement; returns the JSON-ready figures. Blocks for minutes."""
    from labkit.bench.parse import bench_parse
    from labkit.generate import iter_lines
    from labkit.paths import generated_dir
    from labkit.pipeline import PipelineConfig, run_pipeline_sync
    from labkit.sequential import run_sequential
    from labkit.system import usable_cpu_count

    root = Path(workdir) if workdir else generated_dir()
    root.mkdir(parents=True, exist_ok=True)
    cpus = usable_cpu_count()
    parsers = parsers or cpus
    manifest = cached_dataset(root / f"bench-{lines}", lines, seed)
    paths = manifest.paths()
    db = root / "bench.db"
    figures: dict = {"lines": lines, "cpus": cpus, "python": sys.version.split()[0]}

    parse = bench_parse(list(iter_lines("combined", min(lines, 200_000), seed)), "combined")
    figures["parse_lps_per_core"] = round(parse["parse_lps"])
    figures["parse_floor_lps"] = round(parse["floor_lps"])

    seq = run_sequential(paths, fresh_db(db))
    figures["sequential_lps"] = seq["lines_per_s"]
    figures["sequential_detail"] = {k: seq[k] for k in ("seconds", "read_s", "parse_s", "store_s")}

    candidates = [
        {"parsers": parsers, "output": "sqlite", "writers": 1},
        {"parsers": parsers, "output": "rows", "writers": 1},
        {"parsers": parsers + 1, "output": "sqlite", "writers": 1},
    ]
    runs = []
    for setting in candidates:
        result = run_pipeline_sync(PipelineConfig(paths=paths, db=fresh_db(db), **setting))
        if result.stored != manifest.good:
            raise RuntimeError(f"pipeline stored {result.stored}, manifest says {manifest.good}")
        runs.append({**setting, "lines_per_s": round(result.lines_per_s, 1)})
    best = max(runs, key=lambda r: r["lines_per_s"])
    figures["pipeline_runs"] = runs
    figures["pipeline_lps"] = best["lines_per_s"]
    figures["settings"] = {k: best[k] for k in ("parsers", "output", "writers")}
    figures["sqlite_ceiling_rps"] = round(sqlite_ceiling(paths, db))
    figures["speedup_vs_sequential"] = round(figures["pipeline_lps"] / seq["lines_per_s"], 2)
    figures["fraction_of_ceiling"] = round(
        figures["pipeline_lps"] / figures["sqlite_ceiling_rps"], 2
    )

    rss1 = _rss_run(db, paths, best["parsers"], best["output"])
    figures["peak_rss_mb"] = rss1["peak_rss_mb"]
    if rss_scale > 1:
        big = cached_dataset(root / f"bench-{lines * rss_scale}", lines * rss_scale, seed)
        rss4 = _rss_run(db, big.paths(), best["parsers"], best["output"])
        figures[f"peak_rss_mb_{rss_scale}x"] = rss4["peak_rss_mb"]
        figures["rss_growth"] = round(rss4["peak_rss_mb"] / rss1["peak_rss_mb"], 3)
    fresh_db(db)
    return figures


def format_table(f: dict) -> str:
    """The figures as a small aligned table."""
    rows = [
        ("lines", f"{f['lines']:,}"),
        ("usable CPUs", f["cpus"]),
        ("parse only, 1 core", f"{f['parse_lps_per_core']:,} lines/s"),
        ("sequential baseline", f"{f['sequential_lps']:,.0f} lines/s"),
    ]
    for r in f["pipeline_runs"]:
        rows.append(
            (
                f"pipeline p={r['parsers']} w={r['writers']} {r['output']}",
                f"{r['lines_per_s']:,.0f} lines/s",
            )
        )
    rows += [
        ("SQLite ceiling", f"{f['sqlite_ceiling_rps']:,} rows/s"),
        ("pipeline / sequential", f"{f['speedup_vs_sequential']:.2f}x  (target >= 1.5)"),
        ("pipeline / ceiling", f"{f['fraction_of_ceiling']:.2f}  (target >= 0.5)"),
        ("peak RSS", f"{f['peak_rss_mb']} MB"),
    ]
    if "rss_growth" in f:
        scaled = next(k for k in f if k.startswith("peak_rss_mb_") and k.endswith("x"))
        rows.append((f"peak RSS, {scaled[12:]} data", f"{f[scaled]} MB ({f['rss_growth']}x)"))
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``labkit bench``."""
    p = subparsers.add_parser("bench", help="measure the pipeline against its baselines")
    p.add_argument("--lines", type=int, default=1_000_000, help="lines of data (default 1M)")
    p.add_argument("--rss-scale", type=int, default=4, help="data multiple for the RSS check")
    p.add_argument("--parsers", type=int, default=None, help="parsers (default: usable CPUs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--json-out", type=Path, help="also write the JSON to this file")
    p.set_defaults(_run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and print the figures."""
    lines = args.lines
    if os.environ.get("LABKIT_SMALL") and lines == 1_000_000:
        lines = 100_000
    figures = run_bench(lines, rss_scale=args.rss_scale, parsers=args.parsers)
    text = json.dumps(figures, indent=None if args.json else 2)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(text + "\n")
    print(text if args.json else format_table(figures))
    return 0
