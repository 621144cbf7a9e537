"""The benchmark suite runs end to end on tiny data and reports every figure (no timing asserts)."""

from __future__ import annotations

from pathlib import Path

from labkit.bench.suite import format_table, run_bench


def test_bench_reports_every_figure(tmp_path: Path) -> None:
    figures = run_bench(4_000, workdir=tmp_path, rss_scale=2, parsers=2)
    for key in (
        "sequential_lps",
        "pipeline_lps",
        "sqlite_ceiling_rps",
        "parse_lps_per_core",
        "peak_rss_mb",
        "rss_growth",
        "settings",
    ):
        assert key in figures, key
    assert figures["pipeline_lps"] == max(r["lines_per_s"] for r in figures["pipeline_runs"])
    assert figures["peak_rss_mb"] > 10
    assert "pipeline / sequential" in format_table(figures)
