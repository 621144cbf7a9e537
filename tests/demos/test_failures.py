"""Notebook 07's workloads: bad lines get the reason they were made for, the counting helpers
see planted duplicates and gaps, a killed run resumes exactly, rotation helpers do what
logrotate does, and the toy designs duplicate / lose / keep exactly the crashed batch."""

from __future__ import annotations

import gzip
import os
import sqlite3
import sys
from pathlib import Path

import helpers
import pytest

from labkit.demos import failures
from labkit.faults import KILL_MARKER
from labkit.formats import get_parser
from labkit.generate import generate_dataset, write_log
from labkit.records import Reject
from labkit.sequential import run_sequential


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("failures") / "clean.log"
    write_log(path, "combined", 1000, seed=1)
    return path


# ----- bad input --------------------------------------------------------------------------------
def test_injected_lines_get_the_reason_they_were_made_for(clean: Path, tmp_path: Path) -> None:
    counts = {"too_long": 2, "binary": 3, "invalid_utf8": 2, "empty": 2, "malformed": 4}
    dirty = failures.inject_bad_lines(clean, tmp_path / "dirty.log", counts, seed=5)
    lines = dirty.path.read_bytes().split(b"\n")[:-1]
    assert dirty.lines == len(lines) == 1000 + 13 and dirty.good == 1000 and dirty.n_bad == 13
    assert 0 not in dirty.at and len(dirty.at) == 13
    parse = get_parser("combined")
    for i, line in enumerate(lines):
        got = parse(line)
        if i in dirty.at:
            assert isinstance(got, Reject) and got.reason == dirty.at[i], (i, line[:60], got)
        else:
            assert not isinstance(got, Reject), (i, got)
    again = failures.inject_bad_lines(clean, tmp_path / "again.log", counts, seed=5)
    assert again.path.read_bytes() == dirty.path.read_bytes()  # deterministic
    result = run_sequential([dirty.path], tmp_path / "q.db")
    assert result["rejected_by_reason"] == counts and result["stored"] == 1000


def test_inject_refuses_unknown_kinds(clean: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no maker"):
        failures.inject_bad_lines(clean, tmp_path / "x.log", {"cosmic_ray": 1})


def test_a_planted_marker_is_in_one_line_that_still_parses(clean: Path, tmp_path: Path) -> None:
    n = failures.plant_marker(clean, tmp_path / "m.log", KILL_MARKER, at=500)
    lines = (tmp_path / "m.log").read_bytes().split(b"\n")[:-1]
    assert n == len(lines) == 1000
    assert [i for i, ln in enumerate(lines) if KILL_MARKER in ln] == [500]
    assert not isinstance(get_parser("combined")(lines[500]), Reject)


# ----- counting ---------------------------------------------------------------------------------
def test_line_offsets_counts_a_partial_last_line_only_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "p.log"
    log.write_bytes(b"a\nbb\nccc")
    assert failures.line_offsets(log) == [0, 2, 5]
    assert failures.line_offsets(log, partial=False) == [0, 2]
    gz = tmp_path / "p.log.gz"
    gz.write_bytes(gzip.compress(b"a\nbb\n"))
    assert failures.line_offsets(gz) == [0, 2]
    assert failures.count_lines([log, gz]) == 5


def test_counting_helpers_see_duplicates_and_gaps(clean: Path, tmp_path: Path) -> None:
    dirty = failures.inject_bad_lines(clean, tmp_path / "d.log", {"binary": 2, "empty": 1})
    db = tmp_path / "c.db"
    assert failures.db_counts(db) == dict.fromkeys(failures.db_counts(db), 0)  # not there yet
    run_sequential([dirty.path], db, batch_lines=100)
    counts = failures.db_counts(db)
    assert counts == {
        "sources": 1,
        "committed": 1003,
        "records": 1000,
        "rejects": 3,
        "duplicates": 0,
    }
    book = failures.ledger(db, [dirty.path])
    assert book.loc["d.log"].to_dict() == {
        "lines": 1003,
        "stored": 1000,
        "rejected": 3,
        "duplicates": 0,
        "missing": 0,
        "unexpected": 0,
        "ok": True,
    }
    quarantine = failures.rejects_by_reason(db)
    assert quarantine["lines"].to_dict() == {"binary": 2, "empty": 1}
    src = failures.per_source(db)
    assert src.loc[0, "name"] == "d.log" and src.loc[0, "records"] == 1000

    con = sqlite3.connect(db)
    with con:
        con.execute(
            "INSERT INTO records (source_id, offset) SELECT source_id, offset FROM "
            "records ORDER BY offset LIMIT 2"
        )  # two lines stored twice
        con.execute(
            "INSERT INTO rejects (source_id, offset, reason, line) SELECT source_id, "
            "offset, 'malformed', X'00' FROM records ORDER BY offset DESC LIMIT 1"
        )
        con.execute(  # one line gone: the second-to-last record
            "DELETE FROM records WHERE rowid = "
            "(SELECT rowid FROM records ORDER BY offset DESC LIMIT 1 OFFSET 1)"
        )
        con.execute("INSERT INTO records (source_id, offset) VALUES (1, 3)")  # mid-line
    con.close()
    assert failures.duplicates(db) == 3
    row = failures.ledger(db, [dirty.path]).loc["d.log"]
    assert (row["duplicates"], row["missing"], row["unexpected"], row["ok"]) == (3, 1, 1, False)


def test_a_file_never_ingested_is_all_missing(clean: Path, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    run_sequential([clean], db)
    other = tmp_path / "other.log"
    write_log(other, "combined", 10, seed=9)
    book = failures.ledger(db, [clean, other])
    assert bool(book.loc["clean.log", "ok"]) and not bool(book.loc["other.log", "ok"])
    assert book.loc["other.log", "missing"] == 10


# ----- killing a whole run ----------------------------------------------------------------------
@pytest.mark.timeout(180)
def test_kill_cycles_then_a_last_run_store_every_line_once(tmp_path: Path) -> None:
    manifest = generate_dataset(
        tmp_path / "data", files=2, lines=20_000, formats="mixed", seed=8, bad_rate=0.01
    )
    db = tmp_path / "k.db"
    before = helpers.child_pids()
    cycles = failures.kill_cycles(manifest.paths(), db, at=(0.3, 0.6), batch=250)
    assert list(cycles.index) == [1, 2]
    assert cycles["consistent"].all() and (cycles["duplicates"] == 0).all()
    assert (cycles["orphans"] == 0).all()
    assert cycles["killed"].any()
    assert cycles["committed"].iloc[0] >= 0.3 * manifest.lines
    summary = failures.run_to_end(failures.labkit_run_cmd(manifest.paths(), db, batch=250))
    assert summary["lines_read"] == manifest.lines - cycles["committed"].iloc[-1]
    assert failures.ledger(db, manifest.paths())["ok"].all()
    assert failures.db_counts(db)["records"] == manifest.good
    assert helpers.child_pids() - before == set()


def test_run_and_kill_reports_a_run_that_finished_first(tmp_path: Path) -> None:
    out = failures.run_and_kill([sys.executable, "-c", "pass"], tmp_path / "x.db", after_s=60)
    assert (out.killed, out.returncode, out.orphans) == (False, 0, 0)
    with pytest.raises(ValueError, match="after_lines or after_s"):
        failures.run_and_kill([sys.executable, "-c", "pass"], tmp_path / "x.db")


def test_run_and_kill_kills_after_a_delay(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    out = failures.run_and_kill(sleeper, tmp_path / "x.db", after_s=0.2)
    assert out.killed and out.returncode != 0 and out.seconds < 30


def test_run_to_end_raises_with_the_error(tmp_path: Path) -> None:
    cmd = failures.labkit_run_cmd([tmp_path / "missing.log"], tmp_path / "e.db")
    with pytest.raises(RuntimeError, match="no such file"):
        failures.run_to_end(cmd)


# ----- rotation ---------------------------------------------------------------------------------
def test_rotation_helpers_do_what_logrotate_does(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    assert failures.append_lines(log, 5, seed=1) == 5
    first = log.read_bytes()
    inode = log.stat().st_ino
    rotated = failures.rotate_by_rename(log)
    assert rotated.name == "app.log.1" and rotated.read_bytes() == first
    assert rotated.stat().st_ino == inode and log.read_bytes() == b""
    failures.append_lines(log, 3, seed=2)
    content, inode = log.read_bytes(), log.stat().st_ino
    copy = failures.copytruncate(log)
    assert copy.name == "app.log.2" and copy.read_bytes() == content
    assert log.read_bytes() == b"" and log.stat().st_ino == inode  # truncated in place


# ----- the toy designs --------------------------------------------------------------------------
@pytest.mark.parametrize("design", failures.DESIGNS)
def test_a_toy_without_crash_stores_every_line_once(
    clean: Path, tmp_path: Path, design: str
) -> None:
    did = failures.toy_ingest(design, clean, tmp_path, batch_lines=64)
    assert did == {"start": 0, "lines": 1000, "batches": 16}
    assert failures.toy_counts(clean, tmp_path) == {
        "lines": 1000,
        "rows": 1000,
        "distinct": 1000,
        "duplicates": 0,
        "lost": 0,
    }
    again = failures.toy_ingest(design, clean, tmp_path, batch_lines=64)  # nothing new
    assert again["lines"] == 0 and again["start"] == os.path.getsize(clean)


@pytest.mark.parametrize(
    ("design", "duplicates", "lost"),
    [("at-least-once", 50, 0), ("at-most-once", 0, 50), ("exactly-once", 0, 0)],
)
def test_a_crash_at_the_worst_moment_costs_one_batch(
    clean: Path, tmp_path: Path, design: str, duplicates: int, lost: int
) -> None:
    with pytest.raises(BaseException) as crash:
        failures.toy_ingest(
            design, clean, tmp_path, batch_lines=50, crash_in_batch=2, crash="raise"
        )
    assert type(crash.value).__name__ == "_Crash"
    failures.toy_ingest(design, clean, tmp_path, batch_lines=50)
    got = failures.toy_counts(clean, tmp_path)
    assert (got["duplicates"], got["lost"]) == (duplicates, lost)


def test_compare_designs_crashes_real_child_processes(clean: Path, tmp_path: Path) -> None:
    before = helpers.child_pids()
    df = failures.compare_designs(clean, tmp_path, batch_lines=100, crash_in_batch=3)
    assert list(df.index) == list(failures.DESIGNS)
    assert (df["exit code"] == failures.CRASH_EXIT).all()
    assert df["duplicates"].to_dict() == {
        "at-most-once": 0,
        "at-least-once": 100,
        "exactly-once": 0,
    }
    assert df["lost"].to_dict() == {"at-most-once": 100, "at-least-once": 0, "exactly-once": 0}
    assert df["restart reads from line"].to_dict() == {
        "at-most-once": 400,
        "at-least-once": 300,
        "exactly-once": 400,
    }
    assert helpers.child_pids() - before == set()


def test_the_exactly_once_commit_refuses_a_replay_and_a_gap(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.executescript(failures.TOY_SCHEMA)
    conn.execute("INSERT INTO offsets VALUES ('s', 0)")
    batch = [(0, b"a"), (2, b"b")]
    assert failures.commit_exactly_once(conn, "s", 0, 4, batch)
    assert not failures.commit_exactly_once(conn, "s", 0, 4, batch)  # replay
    assert not failures.commit_exactly_once(conn, "s", 8, 10, [(8, b"x")])  # gap
    assert conn.execute("SELECT count(*) FROM lines").fetchone() == (2,)
    assert not conn.in_transaction
    conn.close()


def test_commit_cost_times_every_combination_on_the_same_file(clean: Path, tmp_path: Path) -> None:
    df = failures.commit_cost(clean, tmp_path, batch_lines=(250,), durable=(False, True), repeats=1)
    assert len(df) == 3 * 2
    assert set(df["design"]) == set(failures.DESIGNS)
    assert (df["commits"] == 4).all() and (df["lines_per_s"] > 0).all()
