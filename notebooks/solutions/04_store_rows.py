import sqlite3

from labkit.checks.nb04 import INSERT

__check__ = ("labkit.checks.nb04", "check_store_rows", "store_rows")


def store_rows(conn: sqlite3.Connection, rows: list[tuple], batch_size: int) -> None:
    """Insert ``rows``, one transaction per ``batch_size`` rows; a failing batch is rolled
    back whole and its error re-raised (batches committed before it stay)."""
    for i in range(0, len(rows), batch_size):
        conn.execute("BEGIN")
        try:
            conn.executemany(INSERT, rows[i : i + batch_size])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
