"""``labkit generate``: write a synthetic dataset and its manifest from the command line."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from labkit.generate.manifest import load_manifest
from labkit.generate.writer import generate_dataset, resolve_formats
from labkit.paths import generated_dir, small_mode

__all__ = ["SMALL", "add_parser", "run"]

#: The ``--small`` preset (also used when ``LABKIT_SMALL`` is set), unless options say otherwise.
SMALL = {"files": 2, "lines": 20_000}
_DEFAULTS = {"files": 4, "lines": 100_000}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``generate`` subcommand to a ``labkit`` parser's subparsers."""
    p = subparsers.add_parser(
        "generate",
        help="write synthetic log files and their manifest",
        description="Write deterministic synthetic logs (combined, jsonl, syslog) with planted bad "
        "lines, plus a manifest.json that says what a correct pipeline must store and reject.",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="output folder (default: data/generated/default)"
    )
    p.add_argument("--files", type=int, default=None, help="number of files (default 4)")
    p.add_argument("--lines", type=int, default=None, help="lines in all files (default 100000)")
    p.add_argument(
        "--format",
        choices=("combined", "jsonl", "syslog", "mixed"),
        default="combined",
        help="log format; mixed cycles all three over the files (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--gzip", action="store_true", help="gzip the files")
    p.add_argument(
        "--bad-rate", type=float, default=0.0, help="share of bad lines, split over the kinds"
    )
    p.add_argument("--crlf-rate", type=float, default=0.0, help="share of lines ending in CRLF")
    p.add_argument(
        "--missing-final-newline", action="store_true", help="the last file lacks a final newline"
    )
    p.add_argument(
        "--small",
        action="store_true",
        help=f"small preset: {SMALL['files']} files, {SMALL['lines']} lines (also when "
        "LABKIT_SMALL is set)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when the folder already holds this data set (same settings, files intact)",
    )
    p.set_defaults(_run=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Generate the dataset ``args`` describe, print a summary; returns the exit code."""
    preset = SMALL if (args.small or small_mode()) else _DEFAULTS
    files = args.files if args.files is not None else preset["files"]
    lines = args.lines if args.lines is not None else preset["lines"]
    out = args.out if args.out is not None else generated_dir() / "default"
    if args.if_missing and _up_to_date(out, files, lines, args):
        print(f"{out} already holds this data set (see {out / 'manifest.json'}); nothing to do.")
        return 0
    began = time.perf_counter()
    manifest = generate_dataset(
        out,
        files=files,
        lines=lines,
        formats=args.format,
        seed=args.seed,
        gzip=args.gzip,
        bad_rate=args.bad_rate,
        crlf_rate=args.crlf_rate,
        missing_final_newline=args.missing_final_newline,
        progress=not args.no_progress,
    )
    seconds = time.perf_counter() - began
    bad = ", ".join(f"{n:,} {kind}" for kind, n in manifest.bad.items() if n) or "none"
    print(
        f"Wrote {len(manifest.files)} {args.format} file(s) to {out}: {manifest.lines:,} lines, "
        f"{manifest.good:,} good and {manifest.n_bad:,} bad ({bad}), {manifest.crlf:,} CRLF, "
        f"{manifest.bytes / 1e6:,.1f} MB in {seconds:.2f} s "
        f"({manifest.lines / max(seconds, 1e-9):,.0f} lines/s); manifest: {out / 'manifest.json'}."
    )
    return 0


def _up_to_date(out: Path, files: int, lines: int, args: argparse.Namespace) -> bool:
    """True when ``out`` has a manifest for these settings and every file has its size."""
    try:
        manifest = load_manifest(out)
    except (OSError, ValueError, KeyError):
        return False
    s = manifest.settings
    same = (
        manifest.seed == args.seed
        and s.get("files") == files
        and s.get("lines") == lines
        and s.get("formats") == list(resolve_formats(args.format))
        and s.get("gzip") == args.gzip
        and s.get("bad_rate") == args.bad_rate
        and s.get("crlf_rate") == args.crlf_rate
        and s.get("missing_final_newline") == args.missing_final_newline
    )
    return same and all(
        (out / f.path).is_file() and (out / f.path).stat().st_size == f.bytes
        for f in manifest.files
    )
