"""Checks for notebook 00 (welcome: the machine, the data, the manifest).

Each check runs the learner's function on real cases and prints a pass message or a specific
hint (``CheckReport.show``); it never raises on a wrong answer.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from labkit.checks.base import CheckReport, expect
from labkit.envcheck import collect
from labkit.generate import generate_dataset, write_log

__all__ = ["check_count_lines", "check_expected_rows", "check_parser_workers"]


def check_parser_workers(parser_workers: Callable) -> CheckReport:
    """``parser_workers(report)``: how many parser processes to start for CPU-bound parsing."""
    report = CheckReport("parser_workers")
    real = collect()
    with report.case("uses the CPUs this process may really use"):
        got = parser_workers(real)
        expect(isinstance(got, int), f"return an int, got {got!r}")
        expect(
            got == real.cpu_count_usable,
            f"got {got}; CPU-bound work wants one process per usable CPU "
            f"(report.cpu_count_usable = {real.cpu_count_usable})",
        )
    with report.case("a container limited to fewer CPUs than the machine has"):
        limited = collect()
        limited.cpu_count_os, limited.cpu_count_usable = 64, 3
        got = parser_workers(limited)
        expect(
            got == 3,
            f"with os.cpu_count() = 64 but a quota of 3 usable CPUs you returned {got}: "
            "read cpu_count_usable, not cpu_count_os",
        )
    return report.show()


def check_expected_rows(expected_rows: Callable) -> CheckReport:
    """``expected_rows(manifest)``: ``(rows stored, rows rejected)`` a correct pipeline makes."""
    report = CheckReport("expected_rows")
    with tempfile.TemporaryDirectory() as tmp:
        for bad_rate in (0.0, 0.05):
            manifest = generate_dataset(
                Path(tmp) / str(bad_rate), files=2, lines=2_000, seed=3, bad_rate=bad_rate
            )
            with report.case(f"a data set with {manifest.n_bad} bad lines"):
                got = expected_rows(manifest)
                want = (manifest.good, sum(manifest.expected_rejects.values()))
                expect(
                    tuple(got) == want,
                    f"expected {want} (manifest.good, and the sum of "
                    f"manifest.expected_rejects), got {got}",
                )
    return report.show()


def check_count_lines(count_lines: Callable) -> CheckReport:
    """``count_lines(path)``: the lines of a file, read in chunks, a last line without newline
    included."""
    report = CheckReport("count_lines")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("a plain file", {}, 5_000),
            ("a file whose last line has no newline", {"final_newline": False}, 4_321),
            ("an empty file", {}, 0),
        ]
        for name, kwargs, n in cases:
            path = Path(tmp) / f"{len(name)}.log"
            if n:
                write_log(path, "combined", n, seed=1, **kwargs)
            else:
                path.write_bytes(b"")
            with report.case(name):
                got = count_lines(path)
                hint = f"expected {n}, got {got}"
                if got == n - 1:
                    hint += ": the last line has no newline but is still a line"
                expect(got == n, hint)
    return report.show()
