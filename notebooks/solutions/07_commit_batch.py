import sqlite3

__check__ = ("labkit.checks.nb07", "check_commit_batch", "commit_batch")


def commit_batch(
    conn: sqlite3.Connection, source: str, start: int, end: int, batch: list[tuple[int, bytes]]
) -> bool:
    """Store ``batch`` and move ``source``'s offset from ``start`` to ``end``, in one
    transaction, only if the offset is still ``start``. Returns whether it stored."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        moved = conn.execute(
            "UPDATE offsets SET committed = ? WHERE source = ? AND committed = ?",
            (end, source, start),
        ).rowcount
        if moved != 1:  # stored already, or an earlier batch is missing
            conn.execute("ROLLBACK")
            return False
        conn.executemany(
            "INSERT INTO lines (source, offset, line) VALUES (?, ?, ?)",
            [(source, offset, line) for offset, line in batch],
        )
        conn.execute("COMMIT")
        return True
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
