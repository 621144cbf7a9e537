"""The dashboard's controls: one slider per live setting, Run and Stop, and status lines.

Widget descriptions are stable ("readers", "parsers", "writers", "batch_lines", "Run", "Stop")
and the status lines carry CSS classes (``labkit-status``, ``labkit-totals``,
``labkit-results``), so browser tests can find them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets

from labkit.metrics import Sample

__all__ = ["SETTINGS", "Controls", "make_controls", "status_html"]

#: The settings a slider controls, in display order (the names of ``PipelineConfig`` fields).
SETTINGS: tuple[str, ...] = ("readers", "parsers", "writers", "batch_lines")

_TOOLTIPS = {
    "readers": "files read at once (asyncio tasks)",
    "parsers": "parse tasks in flight (worker processes busy)",
    "writers": "SQLite writer threads",
    "batch_lines": "lines per chunk / batch, for chunks cut from now on",
}


@dataclass
class Controls:
    """The widgets; ``Dashboard`` wires them to a pipeline."""

    sliders: dict[str, widgets.IntSlider]
    run_button: widgets.Button
    stop_button: widgets.Button
    status: widgets.HTML
    totals: widgets.HTML
    results: widgets.HTML

    def values(self) -> dict[str, int]:
        """The sliders' current values by setting name."""
        return {name: int(s.value) for name, s in self.sliders.items()}

    def set_running(self, running: bool) -> None:
        """Enable Stop while a run goes on, Run otherwise."""
        self.run_button.disabled = running
        self.stop_button.disabled = not running

    def show_sample(self, state: str, sample: Sample | None, batch_lines: int) -> None:
        """Update the status line (active workers) and the running totals."""
        self.status.value = status_html(state, sample, batch_lines)
        read, stored, rejected = (
            (sample.lines_read, sample.stored, sample.rejected) if sample else (0, 0, 0)
        )
        self.totals.value = (
            f"read <b>{read:,}</b> · stored <b>{stored:,}</b> · rejected <b>{rejected:,}</b>"
        )

    def show_message(self, state: str, message: str) -> None:
        """Put a short message (an error, a hint) on the status line."""
        self.status.value = f"<b>{html.escape(state)}</b> · {html.escape(message)}"


def status_html(state: str, sample: Sample | None, batch_lines: int) -> str:
    """``running · active: readers 4 · parsers 2 · writers 1 · batch_lines 5,000``."""
    if sample is None:
        return f"<b>{html.escape(state)}</b>"
    return (
        f"<b>{html.escape(state)}</b> · active: readers {sample.readers} · "
        f"parsers {sample.parsers} · writers {sample.writers} · batch_lines {batch_lines:,}"
    )


def make_controls(values: dict[str, int], maxima: dict[str, int]) -> Controls:
    """Sliders starting at ``values`` (clipped to 1..``maxima``), buttons and status lines."""
    sliders = {}
    for name in SETTINGS:
        step = 250 if name == "batch_lines" else 1
        low = step
        high = max(maxima[name], low)
        sliders[name] = widgets.IntSlider(
            value=min(max(int(values[name]), low), high),
            min=low,
            max=high,
            step=step,
            description=name,
            tooltip=_TOOLTIPS[name],
            continuous_update=False,
            style={"description_width": "90px"},
            layout=widgets.Layout(width="420px"),
        )
    run_button = widgets.Button(description="Run", button_style="success", icon="play")
    stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop")
    stop_button.disabled = True
    status = widgets.HTML("<b>ready</b>")
    totals = widgets.HTML("read <b>0</b> · stored <b>0</b> · rejected <b>0</b>")
    results = widgets.HTML("<i>finished runs appear here</i>")
    status.add_class("labkit-status")
    totals.add_class("labkit-totals")
    results.add_class("labkit-results")
    return Controls(sliders, run_button, stop_button, status, totals, results)
