"""``labkit sweep`` on the command line."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pytest

from labkit import sweepcli


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="labkit")
    sweepcli.add_parser(parser.add_subparsers())
    return parser.parse_args(["sweep", *argv])


def test_a_small_sweep_prints_a_table_and_writes_csv_and_results(
    tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABKIT_DATA", str(tmp_path / "data"))
    csv, db = tmp_path / "out" / "runs.csv", tmp_path / "r.db"
    args = parse(
        [
            *("--small", "--workload", "io-read-stage", "--readers", "1,8", "--repeats", "1"),
            *("--no-progress", "--no-warmup", "--output", str(csv), "--db", str(db)),
        ]
    )
    assert sweepcli.run(args) == 0
    out = capsys.readouterr().out
    assert "io-read-stage (io-bound, readers varied, small inputs)" in out
    assert "knee (within 90% of the best)" in out
    assert "rule of thumb for io-bound work" in out
    runs = pd.read_csv(csv)
    assert runs["readers"].tolist() == [1, 8] and (runs["lines"] == 800).all()
    assert str(db) in out

    assert sweepcli.run(parse(["--history", "--db", str(db)])) == 0
    history = capsys.readouterr().out
    assert "io-read-stage" in history and "knee" in history


def test_defaults() -> None:
    args = parse([])
    assert args.workload == ["io-read", "cpu-parse"]
    assert args.small is None and args.repeats is None and args.fraction == 0.9
    assert sweepcli.grids(args) == {"io-read": {}, "cpu-parse": {}}


def test_worker_options_go_to_the_workloads_that_vary_them() -> None:
    args = parse(["--parsers", "1,2", "--readers", "2,4", "--batch", "500"])
    assert sweepcli.grids(args) == {
        "io-read": {"readers": [2, 4], "batch_lines": [500]},
        "cpu-parse": {"parsers": [1, 2], "batch_lines": [500]},
    }
    args = parse(["--workload", "io-write", "--writer-latency", "0,0.05"])
    assert sweepcli.grids(args) == {"io-write": {"writer_latency_s": [0.0, 0.05]}}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--workload", "io-read-stage", "--parsers", "1,2"], "--parsers sets the worker counts"),
        (["--workload", "cpu-parse", "--writer-latency", "0.1"], "--writer-latency is used by"),
        (["--workload", "io-read-stage", "--small", "--repeats", "0"], "--repeats"),
        (["--workload", "io-read-stage", "--small", "--fraction", "1.5"], "--fraction"),
    ],
)
def test_bad_options_exit_1_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture
) -> None:
    assert sweepcli.run(parse(argv)) == 1
    assert message in capsys.readouterr().err


def test_a_list_that_is_not_numbers_is_an_argparse_error() -> None:
    with pytest.raises(SystemExit):
        parse(["--readers", "one,two"])


def test_history_of_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert sweepcli.run(parse(["--history", "--db", str(tmp_path / "none.db")])) == 0
    assert "no stored results" in capsys.readouterr().out
