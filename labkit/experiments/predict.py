"""Predict before you measure: a widget that records the learner's guess of each knee.

``GuessWidget(["io-read", "cpu-parse"])`` shows one slider per workload ("how many workers
until more stop paying?"), a box for the reason, and a *Record my guess* button that freezes the
answer (so it cannot drift after the measurement is seen). ``guesses`` holds the values; without
a click (e.g. when the notebook runs unattended) it holds the sliders' current values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import ipywidgets as widgets

from labkit.experiments.workloads import WORKLOADS
from labkit.system import usable_cpu_count

__all__ = ["GuessWidget"]


class GuessWidget:
    """Sliders for the guessed knee of each workload, and a button that records them.

    ``max_workers`` bounds the sliders (default: 4x the usable CPUs, at least 16); ``initial``
    sets starting values (default 1). Display it by leaving it last in a cell.
    """

    def __init__(
        self,
        workloads: Sequence[str] = ("io-read", "cpu-parse"),
        *,
        max_workers: int | None = None,
        initial: Mapping[str, int] | None = None,
    ) -> None:
        if not workloads:
            raise ValueError("name at least one workload")
        top = max_workers or max(16, 4 * usable_cpu_count())
        self.recorded_at: datetime | None = None
        self.sliders: dict[str, widgets.IntSlider] = {}
        for name in workloads:
            if name not in WORKLOADS:
                raise ValueError(f"unknown workload {name!r}: choose from {', '.join(WORKLOADS)}")
            knob = WORKLOADS[name].knob
            self.sliders[name] = widgets.IntSlider(
                value=max(1, min(top, (initial or {}).get(name, 1))),
                min=1,
                max=top,
                description=f"{name}: {knob}",
                style={"description_width": "150px"},
                layout=widgets.Layout(width="520px"),
            )
        self.reason = widgets.Textarea(
            placeholder="Why? One sentence (I/O-bound or CPU-bound? how many cores?)",
            layout=widgets.Layout(width="520px", height="60px"),
        )
        self.button = widgets.Button(description="Record my guess", button_style="primary")
        self.status = widgets.HTML("<i>Move the sliders, then record your guess.</i>")
        self.button.on_click(lambda _b: self.record())
        self.box = widgets.VBox(
            [
                widgets.HTML("<b>How many workers until adding more stops paying off?</b>"),
                *self.sliders.values(),
                self.reason,
                widgets.HBox([self.button, self.status]),
            ]
        )

    @property
    def guesses(self) -> dict[str, int]:
        """``{workload: guessed knee}``: the recorded values, or the sliders' current ones."""
        return {name: s.value for name, s in self.sliders.items()}

    @property
    def recorded(self) -> bool:
        return self.recorded_at is not None

    def record(self) -> dict[str, int]:
        """Freeze the sliders and note the time; returns the guesses. Idempotent."""
        if self.recorded_at is None:
            self.recorded_at = datetime.now()
            for s in self.sliders.values():
                s.disabled = True
            self.reason.disabled = True
            self.button.disabled = True
            text = ", ".join(f"{n} → {v}" for n, v in self.guesses.items())
            self.status.value = f"Recorded at {self.recorded_at:%H:%M}: {text}"
        return self.guesses

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        state = "recorded" if self.recorded else "not recorded yet"
        return f"GuessWidget({self.guesses}, {state})"
