"""``labkit generate`` on the command line, including ``--if-missing``."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.cli import main
from labkit.generate import load_manifest


def test_generate_then_if_missing_skips(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["generate", "--out", str(tmp_path), "--files", "2", "--lines", "500", "--no-progress"]
    assert main([*args, "--bad-rate", "0.02"]) == 0
    first = load_manifest(tmp_path)
    assert first.lines == 500 and first.n_bad > 0
    capsys.readouterr()
    assert main([*args, "--bad-rate", "0.02", "--if-missing"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    # different settings regenerate
    assert main([*args, "--if-missing"]) == 0
    assert load_manifest(tmp_path).n_bad == 0
    # a damaged file regenerates too
    (tmp_path / first.files[0].path).write_bytes(b"x")
    capsys.readouterr()
    assert main([*args, "--if-missing"]) == 0
    assert "Wrote 2" in capsys.readouterr().out
