"""The ``labkit`` command: one entry point, one module per subcommand.

Each subcommand module offers ``add_parser(subparsers)`` and ``run(args) -> int``; modules are
imported only when their subcommand runs, so ``labkit check`` works even when a heavy optional
dependency is missing.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

#: subcommand name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "check": ("labkit.envcheck", "check that this machine can run the lab"),
    "generate": ("labkit.generate", "write synthetic log files and their manifest"),
    "run": ("labkit.runcli", "ingest log files into SQLite with the concurrent pipeline"),
    "bench": ("labkit.bench.suite", "measure the pipeline against its baselines"),
    "sweep": ("labkit.sweepcli", "run worker-count experiments"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; with ``only``, just that subcommand's module is imported."""
    from labkit import __version__

    parser = argparse.ArgumentParser(prog="labkit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"labkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=help_text)
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:  # a subcommand whose module is missing is listed as broken
            broken = sub.add_parser(name, help=f"(unavailable: {exc})")
            broken.set_defaults(_run=lambda _args, exc=exc: _unavailable(exc))
            continue
        module.add_parser(sub)
    return parser


def _unavailable(exc: ImportError) -> int:
    print(f"labkit: this command cannot run: {exc}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("labkit: interrupted", file=sys.stderr)
        return 130
