from __future__ import annotations

from pathlib import Path

import pytest

from labkit.batches import batch_from_rows
from labkit.identity import file_identity
from labkit.records import FIELDS
from labkit.storage import (
    CommitConflict,
    connect,
    register_source,
    source_totals,
    store_batch,
    table_counts,
)

ROW = (
    1_700_000_000,
    "1.2.3.4",
    None,
    "GET",
    "/",
    "HTTP/1.1",
    200,
    5,
    None,
    "curl",
    None,
    None,
    None,
)
assert len(ROW) == len(FIELDS)


def _batch(sid: int, seq: int, start: int, n: int, output: str):
    rows = [(start + i * 10, *ROW) for i in range(n)]
    rejects = [(start + n * 10, "malformed", "no match", b"junk")]
    return batch_from_rows(sid, seq, start, start + (n + 1) * 10, rows, rejects, output)


@pytest.mark.parametrize("output", ["rows", "sqlite"])
def test_batch_is_stored_once_with_its_offset(tmp_path: Path, output: str) -> None:
    conn = connect(tmp_path / "s.db")
    sid = register_source(conn, "a.log", "file", "combined").id
    store_batch(conn, _batch(sid, 0, 0, 3, output))
    assert table_counts(conn) == {"records": 3, "rejects": 1, "sources": 1}
    assert source_totals(conn)[sid] == (40, 4, 3, 1)
    with pytest.raises(CommitConflict):
        store_batch(conn, _batch(sid, 0, 0, 3, output))  # the same batch again
    with pytest.raises(CommitConflict):
        store_batch(conn, _batch(sid, 2, 80, 3, output))  # a gap
    assert table_counts(conn)["records"] == 3
    assert not conn.in_transaction
    store_batch(conn, _batch(sid, 1, 40, 2, output))
    assert source_totals(conn)[sid] == (70, 7, 5, 2)


def test_known_file_resumes_changed_file_starts_over(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"x" * 2000)
    conn = connect(tmp_path / "s.db")
    first = register_source(conn, str(log), "file", "combined", file_identity(log))
    store_batch(conn, _batch(first.id, 0, 0, 1, "rows"))
    again = register_source(conn, str(log), "file", "combined", file_identity(log))
    assert (again.id, again.committed_offset, again.fresh) == (first.id, 20, False)
    log.write_bytes(b"y" * 2000)  # rewritten: a different first KiB
    other = register_source(conn, str(log), "file", "combined", file_identity(log))
    assert other.fresh and other.id != first.id and other.committed_offset == 0


def test_connect_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    conn = connect(tmp_path / "s.db", busy_timeout_ms=1234)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 1234
