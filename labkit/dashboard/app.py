"""``Dashboard``: run the pipeline in the background and steer it live from sliders.

Where the run happens: as an asyncio task on the *running* event loop, which in Jupyter is the
kernel's. The kernel handles widget messages (slider moves, button clicks) on that same loop
between the pipeline's own steps, so a slider moved during a run reaches ``Pipeline.set_*`` at
once, and sample callbacks may touch widgets without any thread hand-off. Measured in
ipykernel 7 (this lab's kernel): a slider moved during a run started by the Run button, and
during a cell awaiting ``dash.run_async()``, showed in the samples one sampling interval later.
A cell that *blocks* the loop (a long synchronous computation) pauses the run; older kernels
(ipykernel 6) also queue widget messages while a cell awaits, so there press Run instead.

The chart is redrawn at most every ``refresh_s`` seconds (one batched message), so the
dashboard costs the pipeline little (``python -m labkit.bench.dashboard`` measures it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import ipywidgets as widgets

# pandas is imported up front, not lazily: a run imports it in a worker thread
# (``MetricsRecorder.dataframe``) while plotly's validators look it up on the loop's thread.
import pandas as pd

from labkit.dashboard.chart import LiveChart
from labkit.dashboard.controls import SETTINGS, Controls, make_controls
from labkit.metrics import Sample
from labkit.paths import generated_dir
from labkit.pipeline import Pipeline, PipelineConfig, PipelineResult
from labkit.system import usable_cpu_count

__all__ = ["RESULT_COLUMNS", "Dashboard"]

#: Columns of ``Dashboard.results``: settings at the start, live changes, then the outcome.
RESULT_COLUMNS: tuple[str, ...] = (
    "run",
    *SETTINGS,
    "live_changes",
    "lines_read",
    "stored",
    "rejected",
    "seconds",
    "lines_per_s",
    "stopped",
    "db",
)


#: Database numbers handed out per folder in this process, so that two dashboards sharing a
#: folder (a cell run twice while a run goes on) never replace each other's database.
_NUMBERS: dict[Path, itertools.count] = {}


def _fresh_db(folder: Path) -> Path:
    """The next ``run-NNN.db`` of ``folder`` in this process, deleted if a file of that name
    is left from an earlier session."""
    counter = _NUMBERS.setdefault(folder.resolve(), itertools.count(1))
    db = folder / f"run-{next(counter):03d}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


class Dashboard:
    """Sliders, Run/Stop, a live chart, running totals and a table of finished runs.

    ``paths``: the input files, read afresh by every run. ``db_dir``: where each run gets its
    own fresh database, ``run-NNN.db``, numbered per folder in this process (a file of that name
    left from an earlier session is replaced); default ``generated_dir() / "dashboard"``.
    ``config``: a ``PipelineConfig`` whose settings are the defaults (its ``paths`` and ``db``
    are ignored); keyword ``overrides`` replace fields of it, e.g.
    ``Dashboard(paths, parsers=2, batch_lines=1000)``. The sliders start at the config's values;
    their maxima default to 2x usable CPUs parsers, 4 writers, one reader per file.

    Display it as the last expression of a cell (or ``display(dash)``). Programmatic use:
    ``dash.run()`` starts a run in the background (as the Run button does) and returns its task;
    ``await dash.wait()`` waits for it; ``await dash.run_async()`` does both; ``dash.stop()``
    stops it (as the Stop button does). Changing ``dash.sliders[name].value`` during a run
    changes the running pipeline. ``dash.base`` is the ``PipelineConfig`` each run starts from
    (the sliders' values and a fresh ``db`` replace its fields); change its other fields for the
    next runs, e.g. ``dash.base.writer_latency_s = 0.05`` for slow runs to play with.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        db_dir: str | os.PathLike | None = None,
        *,
        config: PipelineConfig | None = None,
        refresh_s: float = 0.5,
        window_s: float = 60.0,
        max_readers: int | None = None,
        max_parsers: int | None = None,
        max_writers: int = 4,
        max_batch_lines: int = 20_000,
        **overrides: Any,
    ) -> None:
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise ValueError("the dashboard needs at least one input path")
        self.db_dir = Path(db_dir) if db_dir is not None else generated_dir() / "dashboard"
        base = replace(config or PipelineConfig(), paths=self.paths, db=self.db_dir / "run.db")
        base = replace(base, **overrides)
        maxima = {
            "readers": max_readers or max(len(self.paths), base.readers, 2),
            "parsers": max_parsers or max(2 * usable_cpu_count(), base.parsers),
            "writers": max(max_writers, base.writers),
            "batch_lines": max(max_batch_lines, base.batch_lines),
        }
        # the pool must have room for the parsers slider's maximum
        self.base = replace(base, max_parsers=max(base.max_parsers or 0, maxima["parsers"]))
        self.refresh_s = float(refresh_s)
        self.chart = LiveChart(window=max(8, round(window_s / self.base.metrics_interval)))
        self.figure = self.chart.figure
        self.controls: Controls = make_controls(
            {name: getattr(self.base, name) for name in SETTINGS}, maxima
        )
        self.sliders = self.controls.sliders
        for name, slider in self.sliders.items():
            slider.observe(lambda change, name=name: self._on_slider(name, change), names="value")
        self.controls.run_button.on_click(lambda _b: self._on_run_click())
        self.controls.stop_button.on_click(lambda _b: self.stop())
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [
                        widgets.VBox(list(self.sliders.values())),
                        widgets.VBox([self.controls.run_button, self.controls.stop_button]),
                    ]
                ),
                self.controls.status,
                self.controls.totals,
                self.figure,
                widgets.HTML("<b>Finished runs</b>"),
                self.controls.results,
            ]
        )
        self.pipeline: Pipeline | None = None
        self.task: asyncio.Task | None = None
        self.result: PipelineResult | None = None
        self.error: BaseException | None = None
        self.ui_error: BaseException | None = None
        self.last_sample: Sample | None = None
        self.runs = 0
        self._rows: list[dict[str, Any]] = []
        self._started_with: dict[str, int] = {}
        self._live_changes: dict[str, int] = {}
        self._last_refresh = 0.0
        self._state = "ready"

    # ----- display --------------------------------------------------------------------------
    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)

    # ----- state ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from ``run()`` until the run's task is done."""
        return self.task is not None and not self.task.done()

    @property
    def results(self) -> pd.DataFrame:
        """One row per finished run (columns ``RESULT_COLUMNS``), oldest first."""
        return pd.DataFrame(self._rows, columns=list(RESULT_COLUMNS))

    @property
    def totals(self) -> dict[str, int]:
        """Running totals of the current (or last) run: read, stored, rejected."""
        s = self.last_sample
        if s is None:
            return {"read": 0, "stored": 0, "rejected": 0}
        return {"read": s.lines_read, "stored": s.stored, "rejected": s.rejected}

    @property
    def samples(self) -> list[Sample]:
        """Every sample of the current (or last) run."""
        p = self.pipeline
        return list(p.recorder.samples) if p is not None and p.recorder is not None else []

    def settings(self) -> dict[str, int]:
        """The sliders' values: the settings the next run starts with."""
        return self.controls.values()

    # ----- control --------------------------------------------------------------------------
    def run(self) -> asyncio.Task:
        """Start a run with the sliders' settings, in the background; returns its task.

        Never blocks. Needs a running event loop (a Jupyter kernel, or an ``async`` function);
        raises ``RuntimeError`` without one, or while a run is still going on, and ``ValueError``
        for settings that cannot work (a missing input file). Cancelling the
        task aborts the run as ``stop()`` does.
        """
        if self.running:
            raise RuntimeError("a run is going on: stop it (or wait for it) first")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "Dashboard.run() needs a running event loop: call it in a Jupyter cell or "
                "inside an async function (use `await dash.run_async()` there)"
            ) from None
        number = self.runs + 1
        values = self.settings()
        config = replace(self.base, db=self.db_dir / "run.db", **values)
        config.validate()
        self.db_dir.mkdir(parents=True, exist_ok=True)
        pipeline = Pipeline(replace(config, db=_fresh_db(self.db_dir)))
        self.runs = number
        pipeline.subscribe(self._on_sample)
        self.pipeline = pipeline
        self.result = None
        self.error = None
        self.last_sample = None
        self._started_with = values
        self._live_changes = {}
        self.chart.clear()
        self._state = f"run {number} running"
        self.controls.set_running(True)
        self.controls.show_sample(f"run {number} starting", None, values["batch_lines"])
        self.task = loop.create_task(self._run(pipeline, number), name=f"labkit-dashboard-{number}")
        self.task.add_done_callback(_retrieve)
        return self.task

    async def run_async(self) -> PipelineResult:
        """Start a run and wait for it; returns its result. Cancelling this aborts the run."""
        return await self.run()

    async def wait(self) -> PipelineResult | None:
        """Wait for the current run to finish and return its result (None if never run).

        Re-raises the run's error. Cancelling the wait does not stop the run.
        """
        if self.task is None:
            return self.result
        return await asyncio.shield(self.task)

    def stop(self, drain: bool = False) -> None:
        """Ask the current run to stop (see ``Pipeline.stop``). Never blocks; no-op when idle."""
        if self.running and self.pipeline is not None:
            self.pipeline.stop(drain=drain)
            self._state = f"run {self.runs} stopping"
            self.controls.show_message(self._state, "finishing the transactions in progress")

    # ----- callbacks (on the event loop) ----------------------------------------------------
    def _on_run_click(self) -> None:
        try:
            self.run()
        except (RuntimeError, ValueError) as exc:
            self.controls.show_message("cannot run", str(exc))

    def _on_slider(self, name: str, change: dict[str, Any]) -> None:
        pipeline = self.pipeline
        value = int(change["new"])
        if pipeline is None or not self.running:
            return  # the next run starts with the slider's value
        if pipeline.recorder is None:  # not started yet: it starts with this value
            self._started_with[name] = value
        elif pipeline.running:
            self._live_changes[name] = value
        else:
            return  # finishing: the next run starts with the slider's value
        setter = {
            "readers": pipeline.set_readers,
            "parsers": pipeline.set_parsers,
            "writers": pipeline.set_writers,
            "batch_lines": pipeline.set_batch_lines,
        }[name]
        setter(value)

    def _on_sample(self, sample: Sample) -> None:
        self.last_sample = sample
        self.chart.add(sample)
        now = time.monotonic()
        if now - self._last_refresh >= self.refresh_s:
            self._last_refresh = now
            self._refresh(self._state)

    def _refresh(self, state: str) -> None:
        try:
            self.chart.flush()
            batch = self.pipeline.config.batch_lines if self.pipeline else 0
            self.controls.show_sample(state, self.last_sample, batch)
        except Exception as exc:  # a display problem must not break the run
            self.ui_error = exc

    async def _run(self, pipeline: Pipeline, number: int) -> PipelineResult:
        try:
            result = await pipeline.run()
        except asyncio.CancelledError:
            self._finish(f"run {number} cancelled")
            raise
        except Exception as exc:
            self.error = exc
            self._finish(f"run {number} failed")
            self.controls.show_message(f"run {number} failed", f"{type(exc).__name__}: {exc}")
            raise
        self.result = result
        self._rows.append(self._row(number, pipeline, result))
        self.controls.results.value = self.results.to_html(
            index=False, float_format="{:,.1f}".format
        )
        self._finish(f"run {number} {'stopped' if result.stopped else 'finished'}")
        return result

    def _finish(self, state: str) -> None:
        self._state = state
        self.controls.set_running(False)
        self._refresh(state)

    def _row(self, number: int, pipeline: Pipeline, result: PipelineResult) -> dict[str, Any]:
        changes = [
            f"{name}→{value}"
            for name, value in self._live_changes.items()
            if value != self._started_with.get(name)
        ]
        return {
            "run": number,
            **self._started_with,
            "live_changes": ", ".join(changes),
            "lines_read": result.lines_read,
            "stored": result.stored,
            "rejected": result.rejected,
            "seconds": round(result.seconds, 2),
            "lines_per_s": round(result.lines_per_s, 1),
            "stopped": result.stopped,
            "db": str(pipeline.config.db),
        }


def _retrieve(task: asyncio.Task) -> None:
    """Mark a background run's error as seen (it is shown on the dashboard and kept in
    ``Dashboard.error``), so asyncio does not log "exception was never retrieved"."""
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.exception()
