"""How fast is the log generator? Lines and megabytes per second writing one file.

The pools are built before timing (they are built once per process), then ``write_log`` writes
``n`` lines to a temporary file; the best of ``repeat`` runs is reported. Target: >= 300k lines/s
for ``combined`` on one core.

Run ``python -m labkit.bench.generate [--lines 500000] [--format combined] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labkit.generate import FORMATS, write_log
from labkit.generate.badlines import split_rate

__all__ = ["bench_generate", "main"]


def bench_generate(
    n: int = 500_000, fmt: str = "combined", *, repeat: int = 3, bad_rate: float = 0.0
) -> dict[str, Any]:
    """Time writing ``n`` lines of ``fmt``: lines/s, MB/s (best of ``repeat`` runs)."""
    rates = split_rate(bad_rate)
    with tempfile.TemporaryDirectory(prefix="labkit-bench-") as tmp:
        path = Path(tmp) / f"bench.{fmt}.log"
        write_log(path, fmt, 1000)  # build the pools outside the timing
        best = float("inf")
        size = 0
        for _ in range(max(repeat, 1)):
            began = time.perf_counter()
            entry = write_log(path, fmt, n, bad_rates=rates)
            best = min(best, time.perf_counter() - began)
            size = entry.bytes
    return {
        "format": fmt,
        "lines": n,
        "bytes": size,
        "seconds": best,
        "lines_per_s": n / best,
        "mb_per_s": size / best / 1e6,
        "target_lines_per_s": 300_000 if fmt == "combined" else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the figures (``--json`` for one JSON object per format)."""
    parser = argparse.ArgumentParser(prog="python -m labkit.bench.generate", description=__doc__)
    parser.add_argument("--lines", "-n", type=int, default=500_000, help="lines per run")
    parser.add_argument("--format", choices=(*FORMATS, "all"), default="combined")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    parser.add_argument("--bad-rate", type=float, default=0.0, help="share of bad lines")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    fmts = FORMATS if args.format == "all" else (args.format,)
    for fmt in fmts:
        result = bench_generate(args.lines, fmt, repeat=args.repeat, bad_rate=args.bad_rate)
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"{fmt:>8}: {result['lines_per_s']:>10,.0f} lines/s  "
                f"{result['mb_per_s']:>6.1f} MB/s  ({result['lines']:,} lines, "
                f"{result['bytes'] / 1e6:.1f} MB, {result['seconds']:.3f} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
