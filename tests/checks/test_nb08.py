"""Notebook 08's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import concurrent.futures
import os

import pytest

from labkit.checks import nb08
from labkit.parser import parse_lines_to_batch


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- byte_ranges ------------------------------------------------------------------------------
def test_byte_ranges_rejects_cuts_in_the_middle_of_lines(capsys: pytest.CaptureFixture) -> None:
    def byte_ranges(path, target_bytes):
        size = os.path.getsize(path)
        return [(s, min(s + target_bytes, size)) for s in range(0, size, target_bytes)]

    assert "cuts a line in two" in failed(nb08.check_byte_ranges(byte_ranges))
    assert "❌ byte_ranges" in capsys.readouterr().out


def test_byte_ranges_rejects_dropping_an_unterminated_last_line() -> None:
    def byte_ranges(path, target_bytes):
        ranges = nb08.reference_ranges(path, target_bytes)
        with open(path, "rb") as fh:
            data = fh.read()
        if ranges and not data.endswith(b"\n"):
            ranges.pop()
        return ranges

    assert "no newline, keep it" in failed(nb08.check_byte_ranges(byte_ranges))


def test_byte_ranges_rejects_one_range_per_line_whatever_the_target() -> None:
    hints = failed(nb08.check_byte_ranges(lambda p, t: nb08.reference_ranges(p, 1)))
    assert "fill each range" in hints and "expected [(0," in hints


def test_byte_ranges_rejects_ranges_far_too_long() -> None:
    hints = failed(nb08.check_byte_ranges(lambda p, t: nb08.reference_ranges(p, 4 * t)))
    assert "then stop at the end of that line" in hints


def test_byte_ranges_rejects_a_stub() -> None:
    def byte_ranges(path, target_bytes):
        raise NotImplementedError

    assert "not implemented" in failed(nb08.check_byte_ranges(byte_ranges))


# ----- parse_range ------------------------------------------------------------------------------
def test_parse_range_rejects_offsets_counted_from_zero() -> None:
    def parse_range(path, fmt, start, end):
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        return parse_lines_to_batch(1, 0, fmt, 0, end - start, data, "rows")

    hints = failed(nb08.check_parse_range(parse_range))
    assert "pass start and end" in hints or "count from start" in hints


def test_parse_range_rejects_reading_from_the_start_of_the_file() -> None:
    def parse_range(path, fmt, start, end):
        with open(path, "rb") as fh:
            data = fh.read(end - start)
        return parse_lines_to_batch(1, 0, fmt, start, end, data, "rows")

    assert "not the lines of the range: seek to start" in failed(
        nb08.check_parse_range(parse_range)
    )


def test_parse_range_rejects_a_fixed_format() -> None:
    def parse_range(path, fmt, start, end):
        with open(path, "rb") as fh:
            fh.seek(start)
            data = fh.read(end - start)
        return parse_lines_to_batch(1, 0, "combined", start, end, data, "rows")

    assert "format given ('jsonl')" in failed(nb08.check_parse_range(parse_range))


# ----- to_concurrent ----------------------------------------------------------------------------
def test_to_concurrent_rejects_returning_the_dask_future() -> None:
    hints = failed(nb08.check_to_concurrent(lambda f: f))
    assert "concurrent.futures.Future" in hints


def test_to_concurrent_rejects_blocking_and_swallowing_errors() -> None:
    def to_concurrent(dask_future):
        out = concurrent.futures.Future()
        try:
            out.set_result(dask_future.result())  # waits here, on the event loop
        except Exception as exc:
            out.set_result(exc)  # an error is not a result
        return out

    hints = failed(nb08.check_to_concurrent(to_concurrent))
    assert "set_exception(exc)" in hints
    assert "must return at once" in hints


def test_to_concurrent_rejects_a_future_that_never_finishes() -> None:
    def to_concurrent(dask_future):
        return concurrent.futures.Future()

    # the check waits (here 1 s) for a result that never comes: it must say so
    assert "never finished" in failed(nb08.check_to_concurrent(to_concurrent, timeout=1.0))


# ----- pipeline_ceiling -------------------------------------------------------------------------
def test_pipeline_ceiling_rejects_ignoring_the_writer() -> None:
    hints = failed(nb08.check_pipeline_ceiling(lambda w, p, r: w * p))
    assert "one SQLite writer" in hints


def test_pipeline_ceiling_rejects_max() -> None:
    assert "min, not max" in failed(nb08.check_pipeline_ceiling(lambda w, p, r: max(w * p, r)))


def test_pipeline_ceiling_rejects_one_worker_only() -> None:
    hints = failed(nb08.check_pipeline_ceiling(lambda w, p, r: min(p, r)))
    assert "multiply by the number of workers" in hints
