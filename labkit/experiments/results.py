"""The results table: every sweep run, with the machine it ran on, in one SQLite file.

Table ``sweep_results`` (default file ``generated_dir()/experiments.db``): one row per run with
``sweep_id``, ``recorded_at`` (UTC, ISO 8601), the machine (``hostname``, ``platform``,
``python``, ``cpu_count_os``, ``usable_cpus``), the workload and its settings, ``repeat``,
``lines``, ``seconds``, ``lines_per_s``, ``cpu_util``, ``peak_rss_mb`` and the machine's
``load_avg_1m`` before the run. Rows are only ever
appended, so sweeps from different days and machines sit side by side; copy the file between
machines (or point ``results_db`` at a shared one) to compare them.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from labkit.system import usable_cpu_count

__all__ = [
    "COLUMN_TYPES",
    "RESULT_COLUMNS",
    "SCHEMA",
    "default_results_db",
    "load_results",
    "machine_info",
    "save_results",
]

#: Column -> SQLite type of the ``sweep_results`` table (besides ``id``), in order.
COLUMN_TYPES: dict[str, str] = {
    "sweep_id": "TEXT NOT NULL",
    "recorded_at": "TEXT NOT NULL",
    "hostname": "TEXT NOT NULL",
    "platform": "TEXT",
    "python": "TEXT",
    "cpu_count_os": "INTEGER",
    "usable_cpus": "INTEGER",
    "workload": "TEXT NOT NULL",
    "kind": "TEXT NOT NULL",
    "knob": "TEXT NOT NULL",
    "workers": "INTEGER NOT NULL",
    "readers": "INTEGER",
    "parsers": "INTEGER",
    "writers": "INTEGER",
    "batch_lines": "INTEGER",
    "writer_latency_s": "REAL",
    "repeat": "INTEGER NOT NULL",
    "lines": "INTEGER NOT NULL",
    "seconds": "REAL NOT NULL",
    "lines_per_s": "REAL NOT NULL",
    "cpu_util": "REAL",
    "peak_rss_mb": "REAL",
    "load_avg_1m": "REAL",
    "size": "TEXT",
}

#: Columns stored per run, besides ``id``.
RESULT_COLUMNS: tuple[str, ...] = tuple(COLUMN_TYPES)

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sweep_results (\n    id INTEGER PRIMARY KEY,\n"
    + ",\n".join(f"    {c} {t}" for c, t in COLUMN_TYPES.items())
    + "\n);\n"
    "CREATE INDEX IF NOT EXISTS sweep_results_workload ON sweep_results (workload, hostname);\n"
)

_MACHINE = ("hostname", "platform", "python", "cpu_count_os", "usable_cpus")


def default_results_db() -> Path:
    """``generated_dir()/experiments.db`` (git-ignored)."""
    from labkit.paths import generated_dir

    return generated_dir() / "experiments.db"


def machine_info() -> dict[str, Any]:
    """Facts that explain a result: host name, OS, Python version, CPU counts."""
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(terse=True),
        "python": sys.version.split()[0],
        "cpu_count_os": os.cpu_count(),
        "usable_cpus": usable_cpu_count(),
    }


@contextlib.contextmanager
def _connect(db: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db, timeout=30)
    try:
        conn.executescript(SCHEMA)
        _add_missing_columns(conn)
        yield conn
    finally:
        conn.close()


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """A table made by an older labkit gains the newer columns (empty in old rows)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(sweep_results)")}
    for column, sql_type in COLUMN_TYPES.items():
        if column not in have:
            plain_type = sql_type.replace(" NOT NULL", "")
            conn.execute(f"ALTER TABLE sweep_results ADD COLUMN {column} {plain_type}")


def _plain(value: Any) -> Any:
    """A value SQLite accepts: pandas/numpy scalars to Python, missing to None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def save_results(
    df: pd.DataFrame,
    db: str | os.PathLike | None = None,
    machine: dict[str, Any] | None = None,
) -> int:
    """Append the runs in ``df`` (rows as ``sweep`` returns them) to ``db``; returns rows added.

    Machine columns missing from ``df`` come from ``machine`` (default ``machine_info()``), and
    ``recorded_at`` from the clock. Blocks on SQLite (one short transaction); creates the file
    and table if needed.
    """
    if df.empty:
        return 0
    facts = machine_info() | dict(machine or {})
    now = datetime.now(UTC).isoformat(timespec="seconds")
    records = []
    for row in df.to_dict("records"):
        full = {"recorded_at": now, **{k: facts[k] for k in _MACHINE}, **row}
        missing = [c for c in ("sweep_id", "workload", "kind", "knob", "workers") if c not in full]
        if missing:
            raise ValueError(f"results need column(s) {missing}")
        records.append(tuple(_plain(full.get(c)) for c in RESULT_COLUMNS))
    placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
    with _connect(db if db is not None else default_results_db()) as conn, conn:
        conn.executemany(
            f"INSERT INTO sweep_results ({', '.join(RESULT_COLUMNS)}) VALUES ({placeholders})",
            records,
        )
    return len(records)


def load_results(
    db: str | os.PathLike | None = None,
    *,
    workload: str | None = None,
    hostname: str | None = None,
    sweep_id: str | None = None,
) -> pd.DataFrame:
    """Stored runs (oldest first), optionally only one workload, host or sweep.

    ``recorded_at`` becomes a timezone-aware timestamp. An absent file gives an empty table.
    """
    path = Path(db) if db is not None else default_results_db()
    if not path.exists():
        return pd.DataFrame(columns=["id", *RESULT_COLUMNS])
    where, params = [], []
    for column, value in (("workload", workload), ("hostname", hostname), ("sweep_id", sweep_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    sql = "SELECT * FROM sweep_results"
    if where:
        sql += " WHERE " + " AND ".join(where)
    with _connect(path) as conn:
        df = pd.read_sql_query(sql + " ORDER BY id", conn, params=params)
    df["recorded_at"] = pd.to_datetime(df["recorded_at"], utc=True)
    return df
