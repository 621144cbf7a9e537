"""Notebook 01's workloads: every mode returns the same, checked results; the decision table is
computed from the numbers (never timed assertions)."""

from __future__ import annotations

import asyncio
import os
import threading

import pandas as pd
import pytest

from labkit.demos import workloads as w


def test_tasks() -> None:
    assert w.simulated_request(0.0) == 0.0
    assert asyncio.run(w.simulated_request_async(0.0)) == 0.0
    data = w.make_log_batch(250, distinct=100)
    assert data.count(b"\n") == 250 and data.endswith(b"\n")
    assert w.parse_batch(data) == 250  # generated lines all parse
    assert w.parse_batch(data + b"not a log line\n") == 250
    assert asyncio.run(w.parse_batch_async(data)) == 250
    assert w.pid_of("x", 0.0) == ("x", os.getpid())


def test_runners_keep_order() -> None:
    args = [3, 1, 2]
    assert w.run_sequential(abs, args) == args
    assert w.run_threads(abs, args, 2) == args
    assert asyncio.run(w.run_asyncio(w.simulated_request_async, [0.02, 0.0, 0.01])) == [
        0.02,
        0.0,
        0.01,
    ]


def test_run_processes_uses_other_processes() -> None:
    got = w.run_processes(w.pid_of, [0, 1, 2, 3], 2)
    assert [x for x, _ in got] == [0, 1, 2, 3]
    pids = {pid for _, pid in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_in_flight_counts_threads_and_coroutines() -> None:
    probe = w.InFlight()
    barrier = threading.Barrier(3)

    def task(_: int) -> None:
        with probe:
            barrier.wait(5)

    w.run_threads(task, range(3), 3)
    assert probe.max == 3 and probe.now == 0 and probe.entered == 3 and len(probe.threads) == 3
    assert not probe.wait_for(1, 0.01)

    aprobe = w.InFlight()

    async def nap(_: int) -> None:
        async with aprobe:
            await asyncio.sleep(0.01)

    asyncio.run(w.run_asyncio(nap, range(5)))
    assert aprobe.max == 5 and aprobe.now == 0 and len(aprobe.threads) == 1


def test_workloads_describe_their_tasks() -> None:
    io = w.io_workload(tasks=3, delay_s=0.01)
    assert io.kind == "I/O-bound" and io.args == io.expected == (0.01,) * 3
    cpu = w.cpu_workload(tasks=2, lines=300)
    assert cpu.kind == "CPU-bound" and cpu.expected == (300, 300)
    assert "2 tasks" in repr(cpu)


def test_measure_every_mode_checks_results() -> None:
    workloads = [w.io_workload(tasks=4, delay_s=0.01), w.cpu_workload(tasks=2, lines=500)]
    df = asyncio.run(w.measure(workloads, process_workers=2))
    assert list(df.columns) == [
        "workload",
        "kind",
        "mode",
        "workers",
        "seconds",
        "start_s",
        "speedup",
    ]
    assert len(df) == 8 and set(df["mode"]) == set(w.MODES)
    assert (df["seconds"] > 0).all()
    seq = df[df["mode"] == "sequential"]
    assert (seq["speedup"] == 1.0).all()
    procs = df[df["mode"] == "processes"]
    assert (procs["start_s"] > 0).all() and (procs["workers"] == 2).all()
    assert (df[df["mode"] != "processes"]["start_s"] == 0).all()
    threads = df[(df["mode"] == "threads") & (df["kind"] == "I/O-bound")]
    assert threads["workers"].tolist() == [4]  # one thread per task by default

    fig = w.plot_times(df)
    assert len(fig.data) == 2 * 2  # (work, pool start) × 2 panels


def test_measure_rejects_wrong_results() -> None:
    bad = w.Workload("bad", "I/O-bound", abs, w.simulated_request_async, (-1,), (-1,))
    with pytest.raises(AssertionError, match="sequential returned wrong results"):
        asyncio.run(w.measure([bad], modes=("sequential",)))


def test_run_mode_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        asyncio.run(w.run_mode(w.io_workload(1, 0.0), "fibers"))


def test_decision_table_is_computed_from_the_numbers() -> None:
    rows = []
    for workload, kind, times in [
        ("io", "I/O-bound", {"sequential": 2.0, "threads": 0.21, "processes": 1.0, "asyncio": 0.2}),
        ("cpu", "CPU-bound", {"sequential": 1.0, "threads": 1.1, "processes": 0.5, "asyncio": 1.0}),
    ]:
        for mode, seconds in times.items():
            rows.append({"workload": workload, "kind": kind, "mode": mode, "seconds": seconds})
    table = w.decision_table(pd.DataFrame(rows)).set_index("workload")
    assert list(table.columns[:6]) == [
        "kind",
        "sequential",
        "threads",
        "processes",
        "asyncio",
        "best",
    ]
    assert table.loc["io", "best"] == "asyncio" and table.loc["cpu", "best"] == "processes"
    assert table.loc["io", "speedup"] == pytest.approx(10.0)
    assert table.loc["cpu", "speedup"] == pytest.approx(2.0)
    assert table.loc["io", "good enough"] == "asyncio, threads"
    assert table.loc["cpu", "good enough"] == "processes"
