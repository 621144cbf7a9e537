"""Shared fixtures. Tests run under the ``spawn`` start method, as on macOS, Windows and 3.14+."""

from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


def pytest_configure(config: pytest.Config) -> None:
    mp.set_start_method("spawn", force=True)


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory):
    """A small mixed data set with every kind of bad line, gzip, CRLF, no final newline."""
    from labkit.generate import generate_dataset

    out = tmp_path_factory.mktemp("dataset")
    return generate_dataset(
        out,
        files=4,
        lines=24_000,
        formats="mixed",
        seed=11,
        bad_rate=0.02,
        crlf_rate=0.01,
        missing_final_newline=True,
    )


@pytest.fixture(scope="session")
def gz_dataset(tmp_path_factory: pytest.TempPathFactory):
    from labkit.generate import generate_dataset

    out = tmp_path_factory.mktemp("gzdataset")
    return generate_dataset(
        out, files=2, lines=6_000, formats="combined", seed=5, gzip=True, bad_rate=0.01
    )


@pytest.fixture(scope="session")
def big_dataset(tmp_path_factory: pytest.TempPathFactory):
    """Enough lines that a run lasts a few seconds (for stop / live-change tests)."""
    from labkit.generate import generate_dataset

    out = tmp_path_factory.mktemp("bigdataset")
    return generate_dataset(out, files=4, lines=400_000, formats="combined", seed=3, bad_rate=0.001)
