"""``labkit run`` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.cli import main


def test_run_prints_a_json_summary(dataset, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    paths = [str(p) for p in dataset.paths()]
    assert main(["run", "--json", "--parsers", "2", "--db", str(tmp_path / "r.db"), *paths]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["lines_read"] == dataset.lines
    assert summary["stored"] == dataset.good
    assert summary["rejected"] == dataset.lines - dataset.good
    assert summary["lines_per_s"] > 0 and summary["seconds"] > 0


def test_run_as_a_process_with_progress_and_text_summary(dataset, tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "labkit",
            "run",
            "--db",
            str(tmp_path / "p.db"),
            str(dataset.paths()[0]),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert f"read {dataset.files[0].lines:,} lines" in out.stdout
    assert "stored" in out.stderr  # the tqdm bar


def test_missing_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["run", "--db", str(tmp_path / "x.db"), str(tmp_path / "nope.log")]) == 1
    assert "no such file" in capsys.readouterr().err
