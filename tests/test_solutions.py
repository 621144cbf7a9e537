"""Every exercise solution in notebooks/solutions passes its check, so solutions and checks
cannot rot. A solution file declares which check it answers::

    __check__ = ("labkit.checks.nb02", "check_read_all", "read_all")

meaning: call ``labkit.checks.nb02.check_read_all(read_all)`` with the file's ``read_all``.
A check may also take several names: ``("mod", "check_x", "f", "g")``.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

SOLUTIONS = sorted(
    (Path(__file__).resolve().parent.parent / "notebooks" / "solutions").glob("*.py")
)


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_passes_its_check(path: Path, capsys: pytest.CaptureFixture) -> None:
    module = _load(path)
    check_module, check_name, *names = module.__check__
    check = getattr(importlib.import_module(check_module), check_name)
    report = check(*(getattr(module, n) for n in names))
    assert report.ok, report.text()
