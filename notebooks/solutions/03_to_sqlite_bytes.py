import sqlite3

from labkit.batches import BATCH_SCHEMA
from labkit.records import FIELDS

__check__ = ("labkit.checks.nb03", "check_to_sqlite_bytes", "to_sqlite_bytes")

INSERT = f"INSERT INTO records VALUES ({', '.join('?' * (1 + len(FIELDS)))})"


def to_sqlite_bytes(rows: list[tuple]) -> bytes:
    """Put ``rows`` (offset, *FIELDS) into an in-memory database; return it serialized."""
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(BATCH_SCHEMA)
        con.executemany(INSERT, rows)
        con.commit()
        return con.serialize()
    finally:
        con.close()
