"""The live dashboard in a real browser: notebook 05 run in JupyterLab, then steered by hand."""

from __future__ import annotations

import pytest

from .conftest import error_outputs, open_notebook, run_all_cells, save, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(420)]

NB = "05_pipeline_dashboard.ipynb"

#: Length of the dashboard chart's first trace (the FigureWidget has 9 traces; other charts fewer).
CHART_POINTS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')]
    .filter(p => p.data && p.data.length === 9);
  return plots.length ? plots[plots.length - 1].data[0].x.length : -1;
}"""


def _run_cell(page, code: str) -> None:
    """Append a cell at the end of the notebook, type ``code`` and run it."""
    page.locator(".jp-Notebook .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    editor = page.locator(".jp-Notebook .jp-Cell").last.locator(".cm-content")
    editor.click()
    page.keyboard.type(code)
    page.keyboard.press("Shift+Enter")
    page.wait_for_timeout(1000)


def test_dashboard_renders_grows_and_obeys_its_sliders(lab, page) -> None:
    open_notebook(page, lab, NB)
    run_all_cells(page, timeout_s=300)
    screenshot(page, "05-ran")
    save(page)
    assert error_outputs(lab.saved_notebook(NB)) == []

    # the sliders and the chart render
    sliders = page.locator(".widget-slider")
    for name in ("readers", "parsers", "writers", "batch_lines"):
        label = page.locator(".widget-slider .widget-label", has_text=name)
        assert label.count() >= 1, f"no slider labelled {name}"
    assert sliders.count() >= 4
    page.wait_for_function(f"() => ({CHART_POINTS})() > 0", timeout=30_000)

    # a slow run (a simulated slow database), started with the Run button
    _run_cell(page, "dash.base.writer_latency_s = 0.25\ndash.sliders['parsers'].value = 1")
    status = page.locator(".labkit-status").last
    status.scroll_into_view_if_needed()
    page.locator("button.jupyter-button", has_text="Run").last.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.labkit-status')].some("
        "e => e.textContent.includes('running'))",
        timeout=30_000,
    )
    before = page.evaluate(CHART_POINTS)
    page.wait_for_timeout(2500)
    during = page.evaluate(CHART_POINTS)
    screenshot(page, "05-running")
    assert during > before, f"chart did not grow during the run ({before} -> {during})"
    assert "parsers 1" in status.text_content()

    # moving the parsers slider in the page changes the active workers
    slider = page.locator(".widget-slider", has=page.locator(".widget-label", has_text="parsers"))
    handle = slider.last.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => { const s = [...document.querySelectorAll('.labkit-status')].pop();"
        " return s && s.textContent.includes('parsers 2'); }",
        timeout=5_000,
    )
    screenshot(page, "05-slider-moved")

    page.locator("button.jupyter-button", has_text="Stop").last.click()
    page.wait_for_function(
        "() => { const s = [...document.querySelectorAll('.labkit-status')].pop();"
        " return s && !s.textContent.includes('running'); }",
        timeout=15_000,
    )
    screenshot(page, "05-stopped")
