"""Each notebook-00 check passes a right answer and fails wrong ones with a helpful hint."""

from __future__ import annotations

import pytest

from labkit.checks import nb00


def test_parser_workers_rejects_os_cpu_count(capsys: pytest.CaptureFixture) -> None:
    assert not nb00.check_parser_workers(lambda r: r.cpu_count_os).ok
    assert "read cpu_count_usable" in capsys.readouterr().out
    assert nb00.check_parser_workers(lambda r: r.cpu_count_usable).ok


def test_expected_rows_rejects_counting_bad_lines_as_stored(capsys) -> None:
    assert not nb00.check_expected_rows(lambda m: (m.lines, 0)).ok
    assert "manifest.good" in capsys.readouterr().out


def test_count_lines_notices_a_missing_final_newline(capsys) -> None:
    def newlines_only(path):
        return path.read_bytes().count(b"\n")

    report = nb00.check_count_lines(newlines_only)
    assert not report.ok
    assert "still a line" in capsys.readouterr().out
    assert len(report.passed) == 2  # the plain and the empty file are right


def test_stub_fails_with_not_implemented(capsys) -> None:
    def stub(_):
        raise NotImplementedError

    assert not nb00.check_count_lines(stub).ok
    assert "not implemented yet" in capsys.readouterr().out
