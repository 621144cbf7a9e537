"""Notebook 07's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import pytest

from labkit.checks import nb07


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


_ALL = "SELECT source_id, offset FROM records UNION ALL SELECT source_id, offset FROM rejects"


# ----- count_duplicates -------------------------------------------------------------------------
def test_count_duplicates_rejects_the_stub(capsys: pytest.CaptureFixture) -> None:
    def count_duplicates(conn): ...

    assert "returned None" in failed(nb07.check_count_duplicates(count_duplicates))
    assert "❌ count_duplicates" in capsys.readouterr().out


def test_count_duplicates_rejects_counting_every_copy() -> None:
    def count_duplicates(conn):
        sql = f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) n FROM ({_ALL}) "
        sql += "GROUP BY source_id, offset HAVING n > 1)"
        return conn.execute(sql).fetchone()[0]

    assert "every copy" in failed(nb07.check_count_duplicates(count_duplicates))


def test_count_duplicates_rejects_counting_the_duplicated_lines() -> None:
    def count_duplicates(conn):
        sql = f"SELECT count(*) FROM (SELECT count(*) n FROM ({_ALL}) "
        sql += "GROUP BY source_id, offset HAVING n > 1)"
        return conn.execute(sql).fetchone()[0]

    assert "lines that have copies" in failed(nb07.check_count_duplicates(count_duplicates))


def test_count_duplicates_rejects_records_only() -> None:
    def count_duplicates(conn):
        sql = "SELECT count(*) - count(DISTINCT source_id || ':' || offset) FROM records"
        return conn.execute(sql).fetchone()[0]

    assert "UNION ALL" in failed(nb07.check_count_duplicates(count_duplicates))


def test_count_duplicates_rejects_union_without_all() -> None:
    def count_duplicates(conn):
        sql = "SELECT count(*) - count(DISTINCT source_id || ':' || offset) FROM ("
        sql += "SELECT source_id, offset FROM records UNION SELECT source_id, offset FROM rejects)"
        return conn.execute(sql).fetchone()[0]

    assert "UNION (without ALL)" in failed(nb07.check_count_duplicates(count_duplicates))


def test_count_duplicates_rejects_grouping_by_offset_alone() -> None:
    def count_duplicates(conn):
        sql = "SELECT count(*) - count(DISTINCT offset) FROM "
        sql += "(SELECT offset FROM records UNION ALL SELECT offset FROM rejects)"
        return conn.execute(sql).fetchone()[0]

    assert "(source_id, offset)" in failed(nb07.check_count_duplicates(count_duplicates))


# ----- unaccounted -----------------------------------------------------------------------------
def _sid(conn, name):
    return conn.execute("SELECT max(id) FROM sources WHERE name = ?", (name,)).fetchone()[0]


def _rows(conn, table, sid):
    return conn.execute(f"SELECT count(*) FROM {table} WHERE source_id = ?", (sid,)).fetchone()[0]


def test_unaccounted_rejects_the_stub() -> None:
    def unaccounted(conn, lines_in_files): ...

    assert "returned None" in failed(nb07.check_unaccounted(unaccounted))


def test_unaccounted_rejects_forgetting_the_rejects() -> None:
    def unaccounted(conn, lines_in_files):
        out = {}
        for name, n in lines_in_files.items():
            sid = _sid(conn, name)
            out[name] = n - (_rows(conn, "records", sid) if sid else 0)
        return out

    assert "rejected lines are accounted for too" in failed(nb07.check_unaccounted(unaccounted))


def test_unaccounted_rejects_trusting_the_counters() -> None:
    def unaccounted(conn, lines_in_files):
        out = {}
        for name, n in lines_in_files.items():
            row = conn.execute(
                "SELECT sum(stored + rejected) FROM sources WHERE name = ?", (name,)
            ).fetchone()
            out[name] = n - (row[0] or 0)
        return out

    assert "trusted the counters" in failed(nb07.check_unaccounted(unaccounted))


def test_unaccounted_rejects_the_wrong_sign() -> None:
    def unaccounted(conn, lines_in_files):
        out = {}
        for name, n in lines_in_files.items():
            sid = _sid(conn, name)
            got = _rows(conn, "records", sid) + _rows(conn, "rejects", sid) if sid else 0
            out[name] = got - n
        return out

    assert "sign is backwards" in failed(nb07.check_unaccounted(unaccounted))


def test_unaccounted_rejects_leaving_out_a_file_never_read() -> None:
    def unaccounted(conn, lines_in_files):
        out = {}
        for name, n in lines_in_files.items():
            sid = _sid(conn, name)
            if sid is not None:
                out[name] = n - _rows(conn, "records", sid) - _rows(conn, "rejects", sid)
        return out

    hints = failed(nb07.check_unaccounted(unaccounted))
    assert "one per file asked about" in hints
    assert "/logs/c.log" in hints


# ----- commit_batch ------------------------------------------------------------------------------
_INSERT = "INSERT INTO lines (source, offset, line) VALUES (?, ?, ?)"


def _rows_of(source, batch):
    return [(source, o, line) for o, line in batch]


def test_commit_batch_rejects_the_stub() -> None:
    def commit_batch(conn, source, start, end, batch): ...

    assert "return True" in failed(nb07.check_commit_batch(commit_batch))


def test_commit_batch_rejects_a_missing_guard() -> None:
    def commit_batch(conn, source, start, end, batch):
        conn.execute("BEGIN")
        conn.execute("UPDATE offsets SET committed = ? WHERE source = ?", (end, source))
        conn.executemany(_INSERT, _rows_of(source, batch))
        conn.execute("COMMIT")
        return True

    hints = failed(nb07.check_commit_batch(commit_batch))
    assert "stored again" in hints and "gap" in hints


def test_commit_batch_rejects_rows_then_offset_in_two_transactions() -> None:
    def commit_batch(conn, source, start, end, batch):
        (at,) = conn.execute("SELECT committed FROM offsets WHERE source = ?", (source,)).fetchone()
        if at != start:
            return False
        conn.executemany(_INSERT, _rows_of(source, batch))  # autocommit: committed at once
        conn.execute("UPDATE offsets SET committed = ? WHERE source = ?", (end, source))
        return True

    hints = failed(nb07.check_commit_batch(commit_batch))
    assert "stores them twice (at-least-once)" in hints and "one transaction" in hints


def test_commit_batch_rejects_offset_then_rows_in_two_transactions() -> None:
    def commit_batch(conn, source, start, end, batch):
        moved = conn.execute(
            "UPDATE offsets SET committed = ? WHERE source = ? AND committed = ?",
            (end, source, start),
        ).rowcount
        if moved != 1:
            return False
        conn.execute("BEGIN")
        conn.executemany(_INSERT, _rows_of(source, batch))
        conn.execute("COMMIT")
        return True

    assert "lost (at-most-once)" in failed(nb07.check_commit_batch(commit_batch))


def test_commit_batch_rejects_a_transaction_left_open() -> None:
    def commit_batch(conn, source, start, end, batch):
        conn.execute("BEGIN")
        moved = conn.execute(
            "UPDATE offsets SET committed = ? WHERE source = ? AND committed = ?",
            (end, source, start),
        ).rowcount
        if moved != 1:
            conn.execute("ROLLBACK")
            return False
        conn.executemany(_INSERT, _rows_of(source, batch))
        return True

    assert "still open" in failed(nb07.check_commit_batch(commit_batch))


def test_commit_batch_survives_a_learner_that_swallows_the_crash() -> None:
    """A learner catching BaseException and carrying on is still judged by the database."""

    def commit_batch(conn, source, start, end, batch):
        try:
            (at,) = conn.execute(
                "SELECT committed FROM offsets WHERE source = ?", (source,)
            ).fetchone()
            if at != start:
                return False
            conn.executemany(_INSERT, _rows_of(source, batch))
            conn.execute("UPDATE offsets SET committed = ? WHERE source = ?", (end, source))
        except BaseException:
            return False
        return True

    assert "at-least-once" in failed(nb07.check_commit_batch(commit_batch))


# ----- guarantee --------------------------------------------------------------------------------
def test_simulate_counts_what_each_order_does() -> None:
    assert nb07.simulate(["write_rows", "save_offset"], 0) == {"duplicates": 10, "lost": 0}
    assert nb07.simulate(["save_offset", "write_rows"], 0) == {"duplicates": 0, "lost": 10}
    assert nb07.simulate(["write_rows_and_offset"], 0) == {"duplicates": 0, "lost": 0}
    assert nb07.simulate(["upsert_rows", "save_offset"], 0) == {"duplicates": 0, "lost": 0}
    assert nb07.simulate(["write_rows", "save_offset"], None) == {"duplicates": 0, "lost": 0}
    with pytest.raises(ValueError, match="unknown steps"):
        nb07.simulate(["commit"], 0)


def test_guarantee_rejects_the_stub() -> None:
    def guarantee(steps): ...

    assert "returned None" in failed(nb07.check_guarantee(guarantee))


def test_guarantee_rejects_exactly_once_for_everything() -> None:
    hints = failed(nb07.check_guarantee(lambda steps: "exactly-once"))
    assert "stored 10 lines twice" in hints and "that is at-least-once" in hints
    assert "lost 10 lines" in hints and "that is at-most-once" in hints


def test_guarantee_rejects_swapped_names() -> None:
    def guarantee(steps):
        if "write_rows_and_offset" in steps or steps == ["upsert_rows"]:
            return "exactly-once"
        first = steps[0]
        return "at-most-once" if first in ("write_rows", "upsert_rows") else "at-least-once"

    hints = failed(nb07.check_guarantee(guarantee))
    assert "you said at-most-once" in hints and "that is at-least-once" in hints


def test_guarantee_rejects_upserts_called_at_least_once() -> None:
    def guarantee(steps):
        if "write_rows_and_offset" in steps:
            return "exactly-once"
        if "save_offset" in steps and steps.index("save_offset") == 0:
            return "at-most-once"
        return "at-least-once"

    hints = failed(nb07.check_guarantee(guarantee))
    assert "upsert" not in hints or "every line once" in hints
    assert "that is exactly-once" in hints


def test_guarantee_rejects_an_answer_outside_the_three() -> None:
    assert "return one of" in failed(nb07.check_guarantee(lambda steps: "maybe"))


def test_guarantee_accepts_spelling_variants() -> None:
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "solutions" / "07_guarantee.py"
    spec = spec_from_file_location("sol07g", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)

    def shouting(steps):
        return module.guarantee(steps).upper().replace("-", "_")

    assert nb07.check_guarantee(shouting).ok
