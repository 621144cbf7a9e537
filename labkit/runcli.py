"""``labkit run``: ingest log files into SQLite with the pipeline, with a progress bar.

Ctrl-C stops the run cleanly (every worker stopped, the database consistent); running the same
command again resumes where it stopped.
"""

from __future__ import annotations

import argparse
import json
import sys

from labkit.batches import OUTPUTS
from labkit.parser import ENGINES
from labkit.pipeline import PipelineConfig, PipelineResult, run_pipeline_sync
from labkit.system import usable_cpu_count
from labkit.writer import WRITERS

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``labkit run``."""
    p = subparsers.add_parser(
        "run", help="ingest log files into SQLite with the concurrent pipeline"
    )
    p.add_argument("files", nargs="+", help="log files (plain or .gz)")
    p.add_argument("--db", required=True, help="SQLite database to write (created if missing)")
    p.add_argument("--format", default="auto", choices=["auto", "combined", "jsonl", "syslog"])
    p.add_argument("--readers", type=int, default=4, help="files read at once (default 4)")
    p.add_argument(
        "--parsers",
        type=int,
        default=usable_cpu_count(),
        help=f"parser processes (default: usable CPUs, {usable_cpu_count()})",
    )
    p.add_argument("--writers", type=int, default=1, help="writer threads (default 1)")
    p.add_argument("--batch", type=int, default=5000, help="lines per batch (default 5000)")
    p.add_argument("--writer", default="thread", choices=WRITERS)
    p.add_argument("--output", default="auto", choices=["auto", *OUTPUTS])
    p.add_argument(
        "--engine", default="local", choices=ENGINES, help="where parsing runs (default local)"
    )
    p.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument(
        "--hold-partial",
        action="store_true",
        help="leave an unterminated last line for the next run (files still being written)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(_run=run)
    return p


def _config(args: argparse.Namespace) -> PipelineConfig:
    return PipelineConfig(
        paths=args.files,
        db=args.db,
        format=args.format,
        readers=args.readers,
        parsers=args.parsers,
        writers=args.writers,
        batch_lines=args.batch,
        writer=args.writer,
        output=args.output,
        engine=args.engine,
        flush_partial=not args.hold_partial,
        scheduler=args.scheduler,
    )


def run(args: argparse.Namespace) -> int:
    """Run the pipeline; 0 on success, 1 on a bad setting or error, 130 on Ctrl-C."""
    try:
        config = _config(args)
        config.validate()
    except ValueError as exc:
        print(f"labkit run: {exc}", file=sys.stderr)
        return 1
    bar = None
    on_sample = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(unit=" lines", unit_scale=True, desc="stored", file=sys.stderr)

        def on_sample(sample) -> None:
            bar.update(sample.stored + sample.rejected - bar.n)

    try:
        result = run_pipeline_sync(config, on_sample)
    except KeyboardInterrupt:
        print("\nlabkit run: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    except Exception as exc:  # a stage error: say what and where, no traceback wall
        print(f"labkit run: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if bar is not None:
            bar.close()
    _print(result, args.json)
    return 0


def _print(result: PipelineResult, as_json: bool) -> None:
    summary = result.summary()
    if as_json:
        print(json.dumps(summary))
        return
    print(
        f"read {summary['lines_read']:,} lines in {summary['seconds']:.2f} s "
        f"({summary['lines_per_s']:,.0f} lines/s): stored {summary['stored']:,}, "
        f"rejected {summary['rejected']:,}"
        + (
            " (" + ", ".join(f"{k} {v:,}" for k, v in summary["rejected_by_reason"].items()) + ")"
            if summary["rejected_by_reason"]
            else ""
        )
    )
