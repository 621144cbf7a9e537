from __future__ import annotations

import importlib.metadata as md
import json
import subprocess
import sys

import pytest

from labkit import envcheck
from labkit.cli import main


def test_check_reports_ready_in_the_project_environment(capsys: pytest.CaptureFixture) -> None:
    assert main(["check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["python"] == sys.executable
    assert report["cpu_count_usable"] >= 1
    assert report["start_method"] in ("fork", "spawn", "forkserver")
    assert set(envcheck.REQUIRED) <= set(report["packages"])


def test_missing_package_is_a_clear_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    real = md.version

    def fake(dist: str) -> str:
        if dist == "aiosqlite":
            raise md.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(envcheck.md, "version", fake)
    report = envcheck.collect()
    assert not report.ok
    assert any("aiosqlite is not installed" in p and "make lab" in p for p in report.problems)
    text = envcheck.format_report(report)
    assert "NOT READY" in text and "aiosqlite MISSING" in text


def test_old_package_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    real = md.version
    monkeypatch.setattr(envcheck.md, "version", lambda d: "2.0.0" if d == "pandas" else real(d))
    report = envcheck.collect()
    assert any("pandas 2.0.0 is older than 2.2.2" in p for p in report.problems)


def test_check_exits_nonzero_when_not_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envcheck, "MIN_FREE_BYTES", 1 << 62)
    assert main(["check"]) == 1


def test_python_m_labkit_runs_the_cli() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "labkit", "check"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "ready: every notebook can run" in out.stdout


def test_unknown_or_missing_command_prints_help(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "check" in capsys.readouterr().out
