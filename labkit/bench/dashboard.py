"""What does the live dashboard cost the pipeline? The same run with and without it.

Each repeat runs the pipeline twice on the same data with the same settings, each run into a
fresh database: once bare (``Pipeline.run``; its metrics sampler still runs, as always) and
once through ``Dashboard.run_async`` (chart, status lines and totals updated live). The order
alternates between repeats so that drift in machine load hits both sides alike. Reported:
the median lines/s of each side and ``ratio`` = dashboard / bare of the medians (target
>= 0.95); each pair's ratio and their median; ``best_ratio``, the ratio of each side's fastest
run (as with ``timeit``, the fastest run is the one least disturbed by other load); how long a
chart redraw took (``flush_ms_mean``); and ``ui_share_of_run``, the share of the run's time the
event loop spent in the dashboard's callbacks: the cost itself, which machine noise hardly moves.

Outside Jupyter, widget messages go nowhere; ``--kernel`` runs the same measurement inside a
fresh ipykernel, where every redraw is serialized and sent as a real kernel message.

Run ``python -m labkit.bench.dashboard [--lines 400000] [--repeats 5] [--kernel] [--json]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from labkit.bench.common import cached_dataset, fresh_db

__all__ = ["format_figures", "main", "measure", "measure_async"]


async def measure_async(
    lines: int = 400_000,
    *,
    repeats: int = 5,
    files: int = 4,
    parsers: int | None = None,
    batch_lines: int = 5000,
    refresh_s: float = 0.5,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """Run the comparison on the running loop; returns the JSON-ready figures. Blocks (awaits)
    for ``2 * repeats`` pipeline runs."""
    from labkit.dashboard import Dashboard
    from labkit.paths import generated_dir
    from labkit.pipeline import Pipeline, PipelineConfig
    from labkit.system import usable_cpu_count

    root = Path(workdir) if workdir else generated_dir()
    root.mkdir(parents=True, exist_ok=True)
    manifest = cached_dataset(root / f"bench-dashboard-{lines}", lines, 21, files)
    paths = manifest.paths()
    parsers = parsers or usable_cpu_count()
    settings = {"parsers": parsers, "writers": 1, "readers": 4, "batch_lines": batch_lines}
    dash = Dashboard(paths, root / "bench-dashboard-dbs", refresh_s=refresh_s, **settings)
    flush_s: list[float] = []  # each chart redraw
    ui_s: list[float] = []  # each sample callback (buffering, status lines, redraws)
    flush, on_sample = dash.chart.flush, dash._on_sample

    def timed_flush() -> bool:
        t0 = time.perf_counter()
        try:
            return flush()
        finally:
            flush_s.append(time.perf_counter() - t0)

    def timed_on_sample(sample) -> None:
        t0 = time.perf_counter()
        try:
            on_sample(sample)
        finally:
            ui_s.append(time.perf_counter() - t0)

    dash.chart.flush = timed_flush  # type: ignore[method-assign]
    dash._on_sample = timed_on_sample  # type: ignore[method-assign]
    bare_db = root / "bench-dashboard-bare.db"

    async def bare() -> float:
        config = PipelineConfig(paths=paths, db=fresh_db(bare_db), **settings)
        result = await Pipeline(config).run()
        if result.stored != manifest.good:
            raise RuntimeError(f"bare run stored {result.stored}, expected {manifest.good}")
        return result.lines_per_s

    async def with_dashboard() -> float:
        result = await dash.run_async()
        dash_seconds.append(result.seconds)
        if result.stored != manifest.good:
            raise RuntimeError(f"dashboard run stored {result.stored}, expected {manifest.good}")
        return result.lines_per_s

    pairs: list[tuple[float, float]] = []
    dash_seconds: list[float] = []
    for i in range(max(1, repeats)):
        if i % 2 == 0:
            b = await bare()
            d = await with_dashboard()
        else:
            d = await with_dashboard()
            b = await bare()
        pairs.append((b, d))
    fresh_db(bare_db)
    for db in dash.results["db"]:
        fresh_db(Path(db))
    bare_lps = statistics.median(b for b, _ in pairs)
    dash_lps = statistics.median(d for _, d in pairs)
    best_bare, best_dash = max(b for b, _ in pairs), max(d for _, d in pairs)
    pair_ratios = [d / b for b, d in pairs]
    return {
        "lines": manifest.lines,
        "repeats": len(pairs),
        "settings": settings,
        "refresh_s": refresh_s,
        "bare_lps": round(bare_lps, 1),
        "dashboard_lps": round(dash_lps, 1),
        "ratio": round(dash_lps / bare_lps, 3),
        "best_bare_lps": round(best_bare, 1),
        "best_dashboard_lps": round(best_dash, 1),
        "best_ratio": round(best_dash / best_bare, 3),
        "pair_ratio_median": round(statistics.median(pair_ratios), 3),
        "pair_ratios": [round(r, 3) for r in pair_ratios],
        "redraws": len(flush_s),
        "flush_ms_mean": round(1000 * statistics.fmean(flush_s), 2) if flush_s else 0.0,
        "ui_ms_per_run": round(1000 * sum(ui_s) / len(pairs), 1),
        "ui_share_of_run": round(sum(ui_s) / sum(dash_seconds), 4),
    }


def measure(lines: int = 400_000, **kwargs: Any) -> dict[str, Any]:
    """``measure_async`` from synchronous code (a fresh event loop). Blocks."""
    return asyncio.run(measure_async(lines, **kwargs))


def _in_kernel(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Run ``measure_async`` in a fresh ipykernel and return its figures."""
    from jupyter_client.manager import start_new_kernel

    texts: list[str] = []

    def collect(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        code = (
            "import json\nfrom labkit.bench.dashboard import measure_async\n"
            f"print('FIGURES', json.dumps(await measure_async(**{kwargs!r})))"
        )
        reply = kc.execute_interactive(code, timeout=3600, output_hook=collect)
        if reply["content"]["status"] != "ok":
            raise RuntimeError("\n".join(reply["content"].get("traceback", ["kernel error"])))
        for line in "".join(texts).splitlines():
            if line.startswith("FIGURES "):
                return json.loads(line[len("FIGURES ") :]) | {"in_kernel": True}
        raise RuntimeError("the kernel printed no figures")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def format_figures(f: dict[str, Any]) -> str:
    """The figures for people."""
    where = "in an ipykernel" if f.get("in_kernel") else "in a script"
    return "\n".join(
        [
            f"dashboard overhead, {where}: {f['lines']:,} lines, {f['repeats']} pairs, "
            f"settings {f['settings']}, redraw every {f['refresh_s']} s",
            f"  bare pipeline     {f['bare_lps']:>12,.0f} lines/s (median)",
            f"  with dashboard    {f['dashboard_lps']:>12,.0f} lines/s (median)",
            f"  ratio of medians  {f['ratio']:>12.3f}   (target >= 0.95)",
            f"  ratio of bests    {f['best_ratio']:>12.3f}   ({f['best_dashboard_lps']:,.0f} / "
            f"{f['best_bare_lps']:,.0f} lines/s: the least disturbed run of each side)",
            f"  pair ratios       {f['pair_ratios']} (median {f['pair_ratio_median']})",
            f"  chart redraws     {f['redraws']} x {f['flush_ms_mean']} ms",
            f"  dashboard work    {f['ui_ms_per_run']} ms per run on the event loop = "
            f"{100 * f['ui_share_of_run']:.2f}% of the run's time",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from labkit.paths import small_mode

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", type=int, default=None, help="lines (default 400k; small 60k)")
    ap.add_argument("--repeats", type=int, default=5, help="pairs of runs (default 5)")
    ap.add_argument("--parsers", type=int, default=None, help="parsers (default: usable CPUs)")
    ap.add_argument("--batch", type=int, default=5000, help="batch_lines (default 5000)")
    ap.add_argument("--refresh", type=float, default=0.5, help="seconds between redraws")
    ap.add_argument("--kernel", action="store_true", help="measure inside a fresh ipykernel")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    lines = args.lines or (60_000 if small_mode() else 400_000)
    kwargs = {
        "lines": lines,
        "repeats": args.repeats,
        "parsers": args.parsers,
        "batch_lines": args.batch,
        "refresh_s": args.refresh,
    }
    figures = _in_kernel(kwargs) if args.kernel else measure(**kwargs)
    print(json.dumps(figures) if args.json else format_figures(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
