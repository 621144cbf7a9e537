"""What a parser worker returns: one ``ParsedBatch`` per chunk, compact to send between processes.

Two payload shapes, chosen by ``output``:

- ``"rows"``: a list of row tuples ``(offset, *FIELDS)`` and a list of rejects
  ``(offset, reason, detail, raw_line)``. Simple; the writer inserts them with ``executemany``, and
  every row is pickled in the worker and unpickled in the parent.
- ``"sqlite"``: the worker inserts the same rows into an in-memory SQLite database and returns
  ``Connection.serialize()`` bytes: one flat buffer to send, and the writer copies it into the
  real database with ``INSERT ... SELECT`` in C, with no per-row Python work in the parent.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from labkit.records import FIELDS

__all__ = [
    "BATCH_SCHEMA",
    "OUTPUTS",
    "ParsedBatch",
    "batch_from_rows",
]

OUTPUTS = ("sqlite", "rows")

#: Tables of the in-memory database a worker serializes (``output="sqlite"``).
BATCH_SCHEMA = (
    "CREATE TABLE records (offset INTEGER, " + ", ".join(FIELDS) + ");"
    "CREATE TABLE rejects (offset INTEGER, reason TEXT, detail TEXT, line BLOB);"
)
_INSERT_ROWS = f"INSERT INTO records VALUES ({', '.join('?' * (len(FIELDS) + 1))})"
_INSERT_REJECTS = "INSERT INTO rejects VALUES (?, ?, ?, ?)"


@dataclass(slots=True)
class ParsedBatch:
    """The parsed form of one chunk, ready for the writer.

    ``lines == stored + rejected`` always holds; ``reasons`` counts rejects per reason.
    ``start``/``end`` are the chunk's byte range, ``seq`` its position in its source.
    """

    source_id: int
    seq: int
    start: int
    end: int
    lines: int
    stored: int
    rejected: int
    reasons: dict[str, int] = field(default_factory=dict)
    output: str = "rows"
    rows: list[tuple] | None = None
    rejects: list[tuple] | None = None
    payload: bytes | None = None
    parse_seconds: float = 0.0


def batch_from_rows(
    source_id: int,
    seq: int,
    start: int,
    end: int,
    rows: list[tuple],
    rejects: list[tuple],
    output: str = "rows",
) -> ParsedBatch:
    """Package parsed rows and rejects as a batch with the chosen payload shape."""
    reasons: dict[str, int] = {}
    for rej in rejects:
        reasons[rej[1]] = reasons.get(rej[1], 0) + 1
    batch = ParsedBatch(
        source_id,
        seq,
        start,
        end,
        lines=len(rows) + len(rejects),
        stored=len(rows),
        rejected=len(rejects),
        reasons=reasons,
        output=output,
    )
    if output == "sqlite":
        con = sqlite3.connect(":memory:")
        try:
            con.executescript(BATCH_SCHEMA)
            con.executemany(_INSERT_ROWS, rows)
            con.executemany(_INSERT_REJECTS, rejects)
            con.commit()
            batch.payload = con.serialize()
        finally:
            con.close()
    elif output == "rows":
        batch.rows = rows
        batch.rejects = rejects
    else:
        raise ValueError(f"output must be one of {OUTPUTS}, not {output!r}")
    return batch
