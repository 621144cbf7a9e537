"""Shared fixtures. Tests run under the ``spawn`` start method, as on macOS, Windows and 3.14+."""

from __future__ import annotations

import multiprocessing as mp

import pytest


def pytest_configure(config: pytest.Config) -> None:
    mp.set_start_method("spawn", force=True)
