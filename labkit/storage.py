"""The SQLite database: schema, connections, source registration and the batch commit.

One transaction per batch stores its rows, its rejects and the source's new committed offset
together, and only if the source's committed offset is still the batch's start: a batch can never
be stored twice or out of order (see ``docs/schema.md``). Connections use WAL, a ``busy_timeout``
and ``BEGIN IMMEDIATE``, so concurrent writers queue for SQLite's single write lock instead of
failing. Every function here blocks on disk I/O and on that lock: call it from a writer thread.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Collection
from dataclasses import dataclass

from labkit.batches import ParsedBatch
from labkit.identity import FileIdentity
from labkit.records import FIELDS

__all__ = [
    "ADVANCE_SQL",
    "SCHEMA",
    "CommitConflict",
    "SourceState",
    "advance_params",
    "conflict",
    "connect",
    "insert_rejects_sql",
    "insert_rows_sql",
    "register_source",
    "source_totals",
    "store_batch",
    "table_counts",
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    format           TEXT NOT NULL,
    dev              INTEGER,
    inode            INTEGER,
    fingerprint      BLOB,
    fp_len           INTEGER,
    committed_offset INTEGER NOT NULL DEFAULT 0,
    lines            INTEGER NOT NULL DEFAULT 0,
    stored           INTEGER NOT NULL DEFAULT 0,
    rejected         INTEGER NOT NULL DEFAULT 0,
    created_at       REAL NOT NULL,
    updated_at       REAL
);
CREATE TABLE IF NOT EXISTS records (
    source_id INTEGER NOT NULL,
    offset    INTEGER NOT NULL,
    ts REAL, host TEXT, user TEXT, method TEXT, path TEXT, protocol TEXT, status INTEGER,
    size INTEGER, referer TEXT, agent TEXT, program TEXT, pid INTEGER, message TEXT
);
CREATE TABLE IF NOT EXISTS rejects (
    source_id INTEGER NOT NULL,
    offset    INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    detail    TEXT,
    line      BLOB NOT NULL
);
"""


class CommitConflict(RuntimeError):
    """A batch did not start at its source's committed offset (stored already, or a gap)."""


_COLUMNS = "source_id, offset, " + ", ".join(FIELDS)
#: Advances a source's committed offset, only from the batch's start (parameters: end, lines,
#: stored, rejected, now, source id, start). A row count other than 1 means: do not store.
ADVANCE_SQL = (
    "UPDATE sources SET committed_offset = ?, lines = lines + ?, stored = stored + ?, "
    "rejected = rejected + ?, updated_at = ? WHERE id = ? AND committed_offset = ?"
)


def advance_params(batch: ParsedBatch) -> tuple:
    """Parameters of ``ADVANCE_SQL`` for ``batch``."""
    return (
        batch.end,
        batch.lines,
        batch.stored,
        batch.rejected,
        time.time(),
        int(batch.source_id),
        batch.start,
    )


def insert_rows_sql(source_id: int) -> str:
    """``executemany`` statement for ``(offset, *FIELDS)`` rows of one source."""
    marks = ", ".join("?" * (len(FIELDS) + 1))
    return f"INSERT INTO main.records ({_COLUMNS}) VALUES ({int(source_id)}, {marks})"


def insert_rejects_sql(source_id: int) -> str:
    """``executemany`` statement for ``(offset, reason, detail, line)`` rejects of one source."""
    return (
        "INSERT INTO main.rejects (source_id, offset, reason, detail, line) "
        f"VALUES ({int(source_id)}, ?, ?, ?, ?)"
    )


def conflict(batch: ParsedBatch) -> CommitConflict:
    """The error for a batch that does not start at its source's committed offset."""
    return CommitConflict(
        f"source {batch.source_id}: batch {batch.seq} starts at byte {batch.start}, which is "
        "not the committed offset; not stored again"
    )


@dataclass(frozen=True, slots=True)
class SourceState:
    """A registered source: its id and where reading resumes."""

    id: int
    name: str
    committed_offset: int
    fresh: bool


def connect(path: str | os.PathLike, *, busy_timeout_ms: int = 30_000) -> sqlite3.Connection:
    """Open (and create if needed) the database in WAL mode, autocommit, schema in place.

    ``check_same_thread`` stays on: one connection belongs to one thread (the aiosqlite model).
    """
    uri = str(path).startswith("file:")  # e.g. "file:logs.db?mode=ro"
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_ms / 1000, uri=uri)
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("ATTACH ':memory:' AS batch")
    conn.executescript(SCHEMA)  # idempotent: every statement is IF NOT EXISTS
    return conn


def _match_file(
    conn: sqlite3.Connection, name: str, ident: FileIdentity, exclude: Collection[int]
) -> tuple[int, int] | None:
    """The known source this file continues, as ``(id, committed_offset)``, or None."""
    best = None
    for sid, sname, dev, inode, fp, fp_len, committed in conn.execute(
        "SELECT id, name, dev, inode, fingerprint, fp_len, committed_offset FROM sources "
        "WHERE kind = 'file' ORDER BY id DESC"
    ):
        if sid in exclude or fp is None or fp_len is None or fp_len > len(ident.head):
            continue
        same_inode = (dev, inode) == (ident.dev, ident.inode)
        if fp_len == 0 and not (same_inode and sname == name):
            continue  # an empty file at first sight: only its own name and inode say it is it
        if ident.fingerprint(fp_len) != fp:
            continue  # different content: rotated away, rewritten, or another file
        if ident.size is not None and ident.size < committed:
            continue  # shorter than what was stored: truncated, a new stream
        rank = (same_inode, sname == name)
        if best is None or rank > best[0]:
            best = (rank, sid, committed)
    return None if best is None else (best[1], best[2])


def register_source(
    conn: sqlite3.Connection,
    name: str,
    kind: str,
    fmt: str,
    identity: FileIdentity | None = None,
    exclude: Collection[int] = (),
) -> SourceState:
    """Find or create the source row; a known file resumes at its committed offset.

    A file is known by its content (see ``labkit.identity``): the same first bytes as a stored
    source, and at least as long as that source's committed offset. The same inode and then the
    same name break ties. Ids in ``exclude`` (already claimed in this run) are never matched. A
    match takes the file's current name, inode and (if longer now) fingerprint. Anything else
    gets a new row starting at offset 0. Blocks on SQLite's write lock.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        match = _match_file(conn, name, identity, exclude) if identity and kind == "file" else None
        dev, inode = (identity.dev, identity.inode) if identity else (None, None)
        fp = identity.fingerprint() if identity else None
        fp_len = len(identity.head) if identity else None
        if match:
            sid, committed = match
            conn.execute(
                "UPDATE sources SET name = ?, dev = ?, inode = ?, fingerprint = ?, fp_len = ?, "
                "updated_at = ? WHERE id = ?",
                (name, dev, inode, fp, fp_len, time.time(), sid),
            )
            state = SourceState(sid, name, committed, fresh=False)
        else:
            cur = conn.execute(
                "INSERT INTO sources (name, kind, format, dev, inode, fingerprint, fp_len, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, kind, fmt, dev, inode, fp, fp_len, time.time()),
            )
            state = SourceState(cur.lastrowid, name, 0, fresh=True)
        conn.execute("COMMIT")
        return state
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def store_batch(conn: sqlite3.Connection, batch: ParsedBatch) -> None:
    """Store one batch in one transaction, with its source's committed offset.

    Blocks on SQLite's write lock (up to ``busy_timeout``) and on disk. Raises
    ``CommitConflict`` and stores nothing if the source's committed offset is not ``batch.start``.
    Any error rolls the whole batch back.
    """
    sid = int(batch.source_id)
    if batch.output == "sqlite":
        conn.deserialize(batch.payload, name="batch")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute(ADVANCE_SQL, advance_params(batch)).rowcount != 1:
            raise conflict(batch)
        if batch.output == "sqlite":
            conn.execute(
                f"INSERT INTO main.records ({_COLUMNS}) SELECT {sid}, * FROM batch.records"
            )
            conn.execute(
                "INSERT INTO main.rejects (source_id, offset, reason, detail, line) "
                f"SELECT {sid}, * FROM batch.rejects"
            )
        else:
            conn.executemany(insert_rows_sql(sid), batch.rows or ())
            conn.executemany(insert_rejects_sql(sid), batch.rejects or ())
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows in ``records`` and ``rejects``, and the number of sources."""
    return {
        t: conn.execute(f"SELECT count(*) FROM main.{t}").fetchone()[0]
        for t in ("records", "rejects", "sources")
    }


def source_totals(conn: sqlite3.Connection) -> dict[int, tuple[int, int, int, int]]:
    """Per source id: ``(committed_offset, lines, stored, rejected)`` as committed."""
    return {
        r[0]: tuple(r[1:])
        for r in conn.execute("SELECT id, committed_offset, lines, stored, rejected FROM sources")
    }
