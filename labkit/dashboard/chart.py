"""The dashboard's live chart: a plotly ``FigureWidget`` fed with pipeline samples.

Three panels share the time axis: lines per second per stage, queue depths, active workers.
``add(sample)`` only appends to bounded buffers (cheap, called on the event loop for every
sample); ``flush()`` sends the buffered window to the figure in one ``batch_update`` (one
message to the browser), so the caller decides how often the chart is redrawn.
"""

from __future__ import annotations

from collections import deque

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from labkit.metrics import Sample

__all__ = ["PANELS", "SERIES", "LiveChart"]

#: Panel titles, top to bottom.
PANELS: tuple[str, ...] = ("lines/s per stage", "queue depth", "active workers")

#: ``Sample`` field -> (trace name, panel row). Trace ``i`` of the figure is entry ``i``.
SERIES: dict[str, tuple[str, int]] = {
    "read_lps": ("read lines/s", 1),
    "parsed_lps": ("parsed lines/s", 1),
    "stored_lps": ("stored lines/s", 1),
    "read_queue": ("read queue (chunks)", 2),
    "parse_in_flight": ("parse tasks in flight", 2),
    "write_queue": ("write queue (batches)", 2),
    "readers": ("readers", 3),
    "parsers": ("parsers", 3),
    "writers": ("writers", 3),
}

_COLORS = {
    "read": "#1f77b4",
    "parse": "#ff7f0e",
    "stor": "#2ca02c",
    "write": "#2ca02c",
}


def _color(field: str) -> str:
    for prefix, color in _COLORS.items():
        if field.startswith(prefix):
            return color
    return "#7f7f7f"


class LiveChart:
    """A ``FigureWidget`` showing the last ``window`` samples of a run.

    Not thread-safe: call ``add``, ``flush`` and ``clear`` from one thread (the event loop's).
    """

    def __init__(self, window: int = 240, height: int = 560) -> None:
        self.window = max(2, int(window))
        self.fields: tuple[str, ...] = tuple(SERIES)
        self._t: deque[float] = deque(maxlen=self.window)
        self._y: dict[str, deque[float]] = {f: deque(maxlen=self.window) for f in self.fields}
        self._dirty = False
        self.flushes = 0
        layout = make_subplots(
            rows=len(PANELS),
            cols=1,
            shared_xaxes=True,
            subplot_titles=PANELS,
            vertical_spacing=0.08,
        )
        self.figure = go.FigureWidget(layout)
        for field, (name, row) in SERIES.items():
            line = {"color": _color(field), "shape": "hv" if row == 3 else "linear"}
            if field in ("readers", "read_queue"):
                line["dash"] = "dot"
            self.figure.add_scatter(x=[], y=[], name=name, mode="lines", line=line, row=row, col=1)
        self.figure.update_layout(
            height=height,
            margin={"l": 60, "r": 20, "t": 40, "b": 40},
            legend={"orientation": "h", "y": -0.08},
            uirevision="labkit",  # keep the user's zoom across updates
        )
        self.figure.update_xaxes(title_text="seconds", row=len(PANELS), col=1)
        self.figure.update_yaxes(rangemode="tozero")

    def add(self, sample: Sample) -> None:
        """Buffer one sample (the oldest drops out past ``window``). Cheap; never redraws."""
        self._t.append(sample.t)
        for field in self.fields:
            self._y[field].append(getattr(sample, field))
        self._dirty = True

    @property
    def points(self) -> int:
        """Samples in the window now."""
        return len(self._t)

    def flush(self) -> bool:
        """Send the window to the figure in one batched update; False if nothing was new."""
        if not self._dirty:
            return False
        xs = tuple(self._t)
        with self.figure.batch_update():
            for trace, field in zip(self.figure.data, self.fields, strict=True):
                trace.x = xs
                trace.y = tuple(self._y[field])
        self._dirty = False
        self.flushes += 1
        return True

    def clear(self) -> None:
        """Empty the window and the figure (a new run starts)."""
        self._t.clear()
        for values in self._y.values():
            values.clear()
        self._dirty = True
        self.flush()
