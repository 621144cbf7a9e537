import sqlite3

__check__ = ("labkit.checks.nb07", "check_unaccounted", "unaccounted")


def unaccounted(conn: sqlite3.Connection, lines_in_files: dict[str, int]) -> dict[str, int]:
    """For each file: its lines minus the rows stored or rejected for its source.

    0: every line accounted for; positive: lines missing; negative: extra rows (duplicates).
    """
    out = {}
    for name, lines in lines_in_files.items():
        (sid,) = conn.execute("SELECT max(id) FROM sources WHERE name = ?", (name,)).fetchone()
        if sid is None:  # never registered: nothing of it is stored
            out[name] = lines
            continue
        (stored,) = conn.execute(
            "SELECT count(*) FROM records WHERE source_id = ?", (sid,)
        ).fetchone()
        (rejected,) = conn.execute(
            "SELECT count(*) FROM rejects WHERE source_id = ?", (sid,)
        ).fetchone()
        out[name] = lines - stored - rejected
    return out
