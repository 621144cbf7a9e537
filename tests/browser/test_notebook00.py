"""A learner's first contact: notebook 00 opened and run in JupyterLab in a real browser."""

from __future__ import annotations

import pytest

from .conftest import error_outputs, open_notebook, run_all_cells, save, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def test_welcome_runs_top_to_bottom_without_errors(lab, page) -> None:
    open_notebook(page, lab, "00_welcome.ipynb")
    screenshot(page, "00-opened")
    run_all_cells(page)
    screenshot(page, "00-ran")
    save(page)
    nb = lab.saved_notebook("00_welcome.ipynb")
    assert error_outputs(nb) == []
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "every code cell ran"
    text = "".join("".join(o.get("text", "")) for c in code for o in c.get("outputs", []))
    assert "ready: every notebook can run" in text
    assert "good lines:" in text
