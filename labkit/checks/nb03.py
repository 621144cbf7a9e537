"""Checks for notebook 03 (the multiprocess parser).

Each check runs the learner's function in this process on real generated lines and compares it
with the lab's own parser. ``check_parse_all`` lets the learner's driver start a process pool, but
the only function that crosses into the workers is ``labkit.parser.parse_chunk`` (or whatever
module-level function the learner submits): nothing defined in the notebook is pickled.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from labkit.batches import ParsedBatch
from labkit.checks.base import CheckReport, Hint, expect
from labkit.demos.parsing import join_lines, sample_lines, worker_processes
from labkit.formats import get_parser
from labkit.parser import BrokenProcessPool, parse_lines_to_batch
from labkit.records import FIELDS, is_reject
from labkit.storage import connect, register_source, store_batch

__all__ = ["check_make_chunks", "check_parse_all", "check_parse_batch", "check_to_sqlite_bytes"]

_BAD_LINES = [b"", b"   ", b"\x00\x01binary", b"\xff\xfe not utf-8", b"not a log line at all"]


def _expected(lines: list[bytes], fmt: str) -> tuple[int, int]:
    parse = get_parser(fmt)
    rejected = sum(1 for line in lines if is_reject(parse(line)))
    return len(lines) - rejected, rejected


def _pair(result: object) -> tuple[int, int]:
    expect(
        isinstance(result, tuple) and len(result) == 2,
        f"return a tuple (rows, rejects), not {type(result).__name__} {result!r:.60}",
    )
    rows, rejects = result
    expect(
        isinstance(rows, int) and isinstance(rejects, int),
        f"both counts should be ints, got ({type(rows).__name__}, {type(rejects).__name__})",
    )
    return rows, rejects


def check_parse_batch(parse_batch: Callable[[list[bytes], str], tuple[int, int]]) -> CheckReport:
    """``parse_batch(lines, fmt) -> (rows, rejects)`` counts, on real lines of each format."""
    report = CheckReport("parse_batch")
    for fmt, seed in (("combined", 1), ("jsonl", 2), ("syslog", 3)):
        lines = sample_lines(400, fmt, seed, bad_rate=0.05)
        with report.case(f"400 {fmt} lines with bad ones among them"):
            want = _expected(lines, fmt)
            got = _pair(parse_batch(list(lines), fmt))
            expect(
                sum(got) == len(lines),
                f"got {got[0]} + {got[1]} = {sum(got)} for {len(lines)} lines: count every line "
                "once, as a row or as a reject",
            )
            expect(
                got[1] != 0 or want[1] == 0,
                f"no rejects counted, expected {want[1]}: a parse function does not raise on a "
                "bad line, it returns a Reject; test each result with labkit.records.is_reject",
            )
            expect(
                got == want,
                f"got {got}, expected {want}: parse with get_parser(fmt), the format you are "
                f"given ({fmt!r}), not a fixed one",
            )
    with report.case("no lines at all"):
        expect(_pair(parse_batch([], "combined")) == (0, 0), "an empty list gives (0, 0)")
    with report.case("only bad lines"):
        got = _pair(parse_batch(list(_BAD_LINES), "combined"))
        expect(got == (0, len(_BAD_LINES)), f"got {got}, expected (0, {len(_BAD_LINES)})")
    return report.show()


def check_make_chunks(make_chunks: Callable[[list[bytes], int], list[bytes]]) -> CheckReport:
    """``make_chunks(lines, size)``: chunks of at most ``size`` whole lines, newline-ended."""
    report = CheckReport("make_chunks")
    lines = sample_lines(2500, "combined", 4, bad_rate=0.02)
    whole = b"\n".join(lines) + b"\n"
    for size in (1000, 7, 5000):
        with report.case(f"2500 lines in chunks of {size}"):
            chunks = make_chunks(list(lines), size)
            expect(isinstance(chunks, list), f"return a list, not {type(chunks).__name__}")
            expect(
                all(isinstance(c, bytes) for c in chunks),
                "each chunk is one bytes object: the lines joined with b'\\n'",
            )
            n_want = -(-len(lines) // size)
            counts = [c.count(b"\n") for c in chunks]
            expect(
                all(c.endswith(b"\n") for c in chunks),
                "every chunk must end with b'\\n' (parse_chunk splits on newlines, and the "
                "chunks must add up to the original bytes)",
            )
            expect(
                sum(counts) == len(lines),
                f"the chunks hold {sum(counts)} lines, expected {len(lines)}"
                + (": the last, shorter chunk is missing" if sum(counts) < len(lines) else ""),
            )
            expect(
                max(counts) <= size,
                f"a chunk has {max(counts)} lines, more than size={size}",
            )
            expect(
                len(chunks) == n_want,
                f"{len(chunks)} chunks, expected {n_want}: fill each chunk up to size lines",
            )
            expect(b"".join(chunks) == whole, "the chunks joined are not the original lines")
    with report.case("no lines at all"):
        expect(make_chunks([], 100) == [], "no lines give no chunks: []")
    return report.show()


def check_parse_all(
    parse_all: Callable[[list[bytes], str, int], tuple[int, int]],
) -> CheckReport:
    """``parse_all(chunks, fmt, workers) -> (rows, rejects)`` with a process pool, which must
    be shut down when it returns."""
    report = CheckReport("parse_all")
    cases = [("combined", 2, 6000, 1000), ("syslog", 1, 1500, 500)]
    for fmt, workers, n, size in cases:
        lines = sample_lines(n, fmt, 5, bad_rate=0.03)
        chunks = join_lines(lines, size)
        with report.case(f"{len(chunks)} {fmt} chunks on {workers} worker(s)"):
            before = {p.pid for p in worker_processes()}
            try:
                got = parse_all(list(chunks), fmt, workers)
            except BrokenProcessPool as exc:
                raise Hint(
                    "a worker process died (BrokenProcessPool): under spawn the function you "
                    "submit must live in a module; submit labkit.parser.parse_chunk, not a "
                    "function defined in the notebook"
                ) from exc
            left = [p.pid for p in worker_processes() if p.pid not in before]
            got = _pair(got)
            want = _expected(lines, fmt)
            expect(
                got == want,
                f"got {got}, expected {want}: add up batch.stored and batch.rejected of every "
                "chunk's result (future.result())",
            )
            expect(
                not left,
                f"{len(left)} worker process(es) still running after parse_all returned: use "
                "`with ProcessPoolExecutor(...) as pool:` (or pool.shutdown()) so they stop",
            )
    with report.case("no chunks at all"):
        expect(_pair(parse_all([], "combined", 1)) == (0, 0), "no chunks give (0, 0)")
    return report.show()


def _db_rows(payload: bytes) -> tuple[list[tuple], list[str]]:
    con = sqlite3.connect(":memory:")
    try:
        con.deserialize(payload)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = []
        if "records" in tables:
            rows = con.execute("SELECT * FROM records ORDER BY offset").fetchall()
        return rows, tables
    finally:
        con.close()


def check_to_sqlite_bytes(to_sqlite_bytes: Callable[[list[tuple]], bytes]) -> CheckReport:
    """``to_sqlite_bytes(rows) -> bytes``: an in-memory database with the batch schema,
    serialized, that the lab's writer can store."""
    report = CheckReport("to_sqlite_bytes")
    lines = sample_lines(300, "combined", 6, bad_rate=0.0)
    data = b"\n".join(lines) + b"\n"
    rows = parse_lines_to_batch(1, 0, "combined", 0, len(data), data, "rows").rows
    for label, case_rows in (("300 parsed rows", rows), ("no rows", [])):
        with report.case(label):
            payload = to_sqlite_bytes(list(case_rows))
            expect(
                isinstance(payload, bytes | bytearray),
                f"return bytes from con.serialize(), not {type(payload).__name__}",
            )
            try:
                got, tables = _db_rows(bytes(payload))
            except sqlite3.DatabaseError as exc:
                raise Hint(
                    f"these bytes are not a SQLite database ({exc}): return con.serialize()"
                ) from exc
            expect(
                "records" in tables and "rejects" in tables,
                f"the database has tables {tables}; create both with "
                "con.executescript(labkit.batches.BATCH_SCHEMA)",
            )
            expect(
                len(got) == len(case_rows),
                f"the records table has {len(got)} rows, expected {len(case_rows)}"
                + (": commit before serializing" if not got and case_rows else ""),
            )
            expect(
                got == sorted(case_rows, key=lambda r: r[0]),
                f"the stored rows differ from the ones given (columns: offset, "
                f"{', '.join(FIELDS[:3])}, ...)",
            )
            with tempfile.TemporaryDirectory(prefix="labkit-check-") as tmp:
                conn = connect(Path(tmp) / "check.db")
                try:
                    sid = register_source(conn, "check", "file", "combined").id
                    batch = ParsedBatch(
                        source_id=sid,
                        seq=0,
                        start=0,
                        end=len(data),
                        lines=len(case_rows),
                        stored=len(case_rows),
                        rejected=0,
                        output="sqlite",
                        payload=bytes(payload),
                    )
                    store_batch(conn, batch)
                    stored = conn.execute("SELECT count(*) FROM main.records").fetchone()[0]
                finally:
                    conn.close()
            expect(stored == len(case_rows), f"the writer stored {stored} rows from it")
    return report.show()
