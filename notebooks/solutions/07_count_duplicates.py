import sqlite3

__check__ = ("labkit.checks.nb07", "check_count_duplicates", "count_duplicates")

DUPLICATES_SQL = """
SELECT coalesce(sum(copies - 1), 0)
FROM (
    SELECT count(*) AS copies
    FROM (SELECT source_id, offset FROM records
          UNION ALL
          SELECT source_id, offset FROM rejects)
    GROUP BY source_id, offset
    HAVING copies > 1
)
"""


def count_duplicates(conn: sqlite3.Connection) -> int:
    """Extra copies of lines, by (source_id, offset), across records and rejects."""
    return conn.execute(DUPLICATES_SQL).fetchone()[0]
