"""Notebooks are committed clean and follow the lab's shape (they are executed by nbval)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted(
    (Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb")
)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "notebooks/NN_topic.ipynb expected"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs: strip them"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} execution_count"
    widgets = nb.get("metadata", {}).get("widgets")
    assert not widgets, f"{path.name} stores widget state: strip it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_objectives_and_time_and_ends_with_summary(path: Path) -> None:
    nb = json.loads(path.read_text())
    first = "".join(nb["cells"][0]["source"])
    assert "Objectives" in first and "Estimated time" in first
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert markdown[-1].lstrip().startswith("## Summary")
