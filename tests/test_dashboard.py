"""The live dashboard, driven programmatically (no kernel: each test body runs in asyncio.run)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import helpers
import pytest

from labkit.dashboard import RESULT_COLUMNS, SERIES, Dashboard, LiveChart
from labkit.metrics import Sample


def make(dataset, tmp_path: Path, **kw) -> Dashboard:
    kw.setdefault("parsers", 2)
    kw.setdefault("batch_lines", 1000)
    kw.setdefault("metrics_interval", 0.05)
    kw.setdefault("refresh_s", 0.1)
    return Dashboard(dataset.paths(), tmp_path / "dbs", **kw)


async def until(condition, timeout: float = 60.0) -> None:
    stop_at = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < stop_at, "timed out waiting"
        await asyncio.sleep(0.01)


def test_a_run_draws_the_chart_counts_totals_and_adds_a_result_row(dataset, tmp_path) -> None:
    dash = make(dataset, tmp_path)
    assert [tr.name for tr in dash.figure.data] == [name for name, _row in SERIES.values()]
    assert all(len(tr.y) == 0 for tr in dash.figure.data)

    async def body():
        task = dash.run()
        assert dash.running and dash.controls.run_button.disabled
        lengths = []
        while not task.done():
            lengths.append(len(dash.figure.data[0].y))
            await asyncio.sleep(0.05)
        return await dash.wait(), lengths

    result, lengths = asyncio.run(body())
    assert result.stored == dataset.good
    assert result.rejected == sum(dataset.expected_rejects.values())
    # the chart grew while the run went on, every trace alike, and shows the final sample
    assert max(lengths) > 0 and lengths == sorted(lengths)
    n = len(dash.figure.data[0].y)
    assert n > max(lengths[0], 1) and all(len(tr.y) == n for tr in dash.figure.data)
    assert dash.figure.data[0].x[-1] == dash.samples[-1].t
    assert dash.totals == {
        "read": result.lines_read,
        "stored": result.stored,
        "rejected": result.rejected,
    }
    assert f"stored <b>{result.stored:,}</b>" in dash.controls.totals.value
    table = dash.results
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["run"], row["stored"], row["parsers"], row["stopped"]) == (
        1,
        dataset.good,
        2,
        False,
    )
    assert f"{dataset.good}" in dash.controls.results.value
    assert not dash.running and not dash.controls.run_button.disabled
    assert dash.ui_error is None and dash.error is None


def test_every_run_gets_a_fresh_database(dataset, tmp_path) -> None:
    dash = make(dataset, tmp_path, parsers=1)
    other = make(dataset, tmp_path, parsers=1)  # the same folder (a cell run twice)

    async def body():
        await dash.run_async()
        dash.controls.run_button.click()  # the Run button starts the second run
        assert dash.running
        other.run()  # at the same time, in the same folder
        await other.wait()
        return await dash.wait()

    second = asyncio.run(body())
    table = dash.results
    assert list(table["run"]) == [1, 2]
    assert list(table["stored"]) == [dataset.good, dataset.good]  # nothing was "already stored"
    assert table["db"].nunique() == 2 and second.stored == dataset.good
    assert other.results.iloc[0]["stored"] == dataset.good
    dbs = [*table["db"], other.results.iloc[0]["db"]]
    assert len(set(dbs)) == 3, "two dashboards in one folder must not share a database"
    for db in dbs:
        assert helpers.table(Path(db), "SELECT count(*) FROM records") == [(dataset.good,)]


def test_moving_sliders_during_a_run_changes_the_pipeline_within_a_second(
    big_dataset, tmp_path
) -> None:
    dash = make(big_dataset, tmp_path, parsers=2, writers=1)

    async def body():
        dash.run()
        await until(lambda: dash.totals["stored"] > 10_000)
        dash.sliders["parsers"].value = 1
        dash.sliders["writers"].value = 2
        dash.sliders["batch_lines"].value = 2000
        changed_at = dash.last_sample.t
        await until(lambda: dash.last_sample.t > changed_at + 1.5)
        status = dash.controls.status.value
        dash.stop()
        return await dash.wait(), changed_at, status

    result, changed_at, status = asyncio.run(body())
    assert result.stopped
    before = [s for s in dash.samples if s.t <= changed_at]
    after = [s for s in dash.samples if changed_at + 1.0 < s.t and s.stored < result.stored]
    assert max(s.parse_in_flight for s in before) == 2
    assert after, "samples more than a second after the change"
    assert all(s.parsers == 1 and s.parse_in_flight <= 1 for s in after)
    assert all(s.writers == 2 for s in after)
    assert dash.pipeline.config.batch_lines == 2000
    assert "parsers 1" in status and "writers 2" in status  # the visible active-workers line
    parsers_trace = dash.figure.data[list(SERIES).index("parsers")]
    assert 2 in parsers_trace.y and parsers_trace.y[-1] == 1  # the chart shows the change
    row = dash.results.iloc[0]
    assert row["parsers"] == 2 and "parsers→1" in row["live_changes"]
    assert "writers→2" in row["live_changes"] and "batch_lines→2000" in row["live_changes"]


def test_stop_stops_the_run_and_leaves_no_process(big_dataset, tmp_path) -> None:
    before = helpers.child_pids()
    dash = make(big_dataset, tmp_path)

    async def body():
        dash.run()
        await until(lambda: dash.totals["stored"] > 0)
        assert not dash.controls.stop_button.disabled
        t0 = time.monotonic()
        dash.controls.stop_button.click()
        result = await dash.wait()
        return result, time.monotonic() - t0

    result, took = asyncio.run(body())
    assert result.stopped and 0 < result.stored < big_dataset.good
    assert took < 30
    assert helpers.child_pids() - before == set()
    assert dash.results.iloc[0]["stopped"]
    assert "stopped" in dash.controls.status.value
    assert dash.controls.stop_button.disabled and not dash.controls.run_button.disabled


def test_cancelling_run_async_aborts_the_run(big_dataset, tmp_path) -> None:
    before = helpers.child_pids()
    dash = make(big_dataset, tmp_path)

    async def body():
        waiter = asyncio.ensure_future(dash.run_async())
        await until(lambda: dash.totals["stored"] > 0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    asyncio.run(body())
    assert not dash.running and dash.results.empty
    assert "cancelled" in dash.controls.status.value
    assert helpers.child_pids() - before == set()


def test_clear_errors(dataset, tmp_path) -> None:
    dash = make(dataset, tmp_path)
    with pytest.raises(RuntimeError, match="running event loop"):
        dash.run()

    async def twice():
        dash.run()
        with pytest.raises(RuntimeError, match="a run is going on"):
            dash.run()
        dash.stop()
        await dash.wait()

    asyncio.run(twice())
    with pytest.raises(ValueError, match="at least one input"):
        Dashboard([], tmp_path)


def test_run_button_shows_a_problem_instead_of_raising(dataset, tmp_path) -> None:
    src = dataset.paths()[0]
    copy = tmp_path / src.name
    copy.write_bytes(src.read_bytes())
    dash = Dashboard([copy], tmp_path / "dbs", parsers=1)
    copy.unlink()

    async def body():
        dash.controls.run_button.click()

    asyncio.run(body())
    assert not dash.running
    assert (
        "cannot run" in dash.controls.status.value and "no such file" in dash.controls.status.value
    )


def test_slider_values_start_the_next_run_and_are_clipped(dataset, tmp_path) -> None:
    dash = make(dataset, tmp_path, parsers=1, writers=1, readers=2, batch_lines=500)
    assert dash.settings() == {"readers": 2, "parsers": 1, "writers": 1, "batch_lines": 500}
    assert [s.description for s in dash.sliders.values()] == list(dash.settings())
    assert dash.base.pool_size() >= dash.sliders["parsers"].max
    dash.sliders["parsers"].value = 2
    dash.sliders["readers"].value = 1

    async def body():
        return await dash.run_async()

    result = asyncio.run(body())
    assert result.settings["parsers"] == 2 and result.settings["readers"] == 1
    assert result.stored == dataset.good


def _sample(t: float, v: int) -> Sample:
    return Sample(t, v, v, v, 0, 1.0 * v, 1.0 * v, 1.0 * v, v, v, v, 1, 2, 1)


def test_the_chart_keeps_a_bounded_window_and_redraws_only_when_asked() -> None:
    chart = LiveChart(window=5)
    for i in range(20):
        chart.add(_sample(i / 10, i))
    assert all(len(tr.y) == 0 for tr in chart.figure.data)  # add() buffers, never redraws
    assert chart.flush() and not chart.flush()  # nothing new the second time
    assert chart.points == 5
    assert list(chart.figure.data[0].x) == [1.5, 1.6, 1.7, 1.8, 1.9]
    assert list(chart.figure.data[0].y) == [15.0, 16.0, 17.0, 18.0, 19.0]
    chart.clear()
    assert chart.points == 0 and all(len(tr.y) == 0 for tr in chart.figure.data)


def test_the_overhead_benchmark_reports_its_figures(tmp_path) -> None:
    from labkit.bench.dashboard import format_figures, measure

    figures = measure(4_000, repeats=1, parsers=1, batch_lines=500, workdir=tmp_path)
    assert figures["lines"] == 4_000 and figures["repeats"] == 1
    assert figures["bare_lps"] > 0 and figures["dashboard_lps"] > 0
    assert figures["ratio"] == round(figures["dashboard_lps"] / figures["bare_lps"], 3)
    assert figures["redraws"] >= 1 and 0 <= figures["ui_share_of_run"] < 1
    assert "ratio" in format_figures(figures)
    assert not list((tmp_path / "bench-dashboard-dbs").glob("*.db"))  # it cleaned up
