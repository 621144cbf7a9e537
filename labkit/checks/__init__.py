"""Automatic checks for the notebooks' exercises, one module per notebook.

Usage in a notebook: ``from labkit.checks import nb02; nb02.check_read_all(read_all)``. Each check
runs the learner's function against real cases, prints a pass message or a specific hint, and
returns a ``CheckReport`` (``.ok``). ``notebooks/solutions/`` holds a solution for every exercise;
``tests/test_solutions.py`` runs each through its check, and tests also feed each check a wrong
answer to prove it fails.
"""

from __future__ import annotations

from labkit.checks.base import CheckReport, Hint, expect

__all__ = ["CheckReport", "Hint", "expect"]
