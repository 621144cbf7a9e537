"""Notebook 03's checks fail on wrong answers, with the hint that fits (solutions pass in
tests/test_solutions.py)."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from concurrent.futures import ProcessPoolExecutor

import pytest

from labkit.batches import BATCH_SCHEMA
from labkit.checks import nb03
from labkit.formats import get_parser
from labkit.parser import parse_chunk
from labkit.records import is_reject


def failed(report) -> str:
    assert not report.ok, "the check accepted a wrong answer"
    return " ".join(hint for _, hint in report.failed)


# ----- parse_batch ------------------------------------------------------------------------------
def test_parse_batch_rejects_counting_every_line_as_a_row(capsys: pytest.CaptureFixture) -> None:
    hints = failed(nb03.check_parse_batch(lambda lines, fmt: (len(lines), 0)))
    assert "is_reject" in hints
    assert "❌ parse_batch" in capsys.readouterr().out


def test_parse_batch_rejects_ignoring_the_format() -> None:
    def parse_batch(lines, fmt):
        parse = get_parser("combined")
        bad = sum(1 for line in lines if is_reject(parse(line)))
        return len(lines) - bad, bad

    assert "get_parser(fmt)" in failed(nb03.check_parse_batch(parse_batch))


def test_parse_batch_rejects_a_stub() -> None:
    def parse_batch(lines, fmt):
        raise NotImplementedError

    assert "not implemented" in failed(nb03.check_parse_batch(parse_batch))


# ----- make_chunks ------------------------------------------------------------------------------
def test_make_chunks_rejects_dropping_the_last_short_chunk() -> None:
    def make_chunks(lines, size):
        return [
            b"\n".join(lines[i : i + size]) + b"\n" for i in range(0, len(lines) - size + 1, size)
        ]

    assert "last, shorter chunk is missing" in failed(nb03.check_make_chunks(make_chunks))


def test_make_chunks_rejects_chunks_without_a_final_newline() -> None:
    def make_chunks(lines, size):
        return [b"\n".join(lines[i : i + size]) for i in range(0, len(lines), size)]

    assert "must end with" in failed(nb03.check_make_chunks(make_chunks))


# ----- parse_all --------------------------------------------------------------------------------
def test_parse_all_rejects_counting_only_the_first_chunk() -> None:
    def parse_all(chunks, fmt, workers):
        if not chunks:
            return 0, 0
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            batch = pool.submit(parse_chunk, 0, 0, fmt, 0, len(chunks[0]), chunks[0]).result()
        return batch.stored, batch.rejected

    assert "add up batch.stored" in failed(nb03.check_parse_all(parse_all))


def test_parse_all_rejects_rows_and_rejects_swapped() -> None:
    def parse_all(chunks, fmt, workers):
        rows = rejects = 0
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
            futures = [
                pool.submit(parse_chunk, 0, i, fmt, 0, len(c), c) for i, c in enumerate(chunks)
            ]
            for f in futures:
                rows += f.result().rejected
                rejects += f.result().stored
        return rows, rejects

    assert "add up batch.stored" in failed(nb03.check_parse_all(parse_all))


# ----- to_sqlite_bytes --------------------------------------------------------------------------
def test_to_sqlite_bytes_rejects_a_database_without_the_rejects_table() -> None:
    def to_sqlite_bytes(rows):
        con = sqlite3.connect(":memory:")
        con.execute(BATCH_SCHEMA.split(";")[0])  # records only
        con.executemany(f"INSERT INTO records VALUES ({', '.join('?' * 14)})", rows)
        con.commit()
        data = con.serialize()
        con.close()
        return data

    assert "BATCH_SCHEMA" in failed(nb03.check_to_sqlite_bytes(to_sqlite_bytes))


def test_to_sqlite_bytes_rejects_pickled_rows() -> None:
    import pickle

    assert "not a SQLite database" in failed(nb03.check_to_sqlite_bytes(pickle.dumps))


def test_to_sqlite_bytes_rejects_missing_rows() -> None:
    def to_sqlite_bytes(rows):
        con = sqlite3.connect(":memory:")
        con.executescript(BATCH_SCHEMA)
        con.executemany(f"INSERT INTO records VALUES ({', '.join('?' * 14)})", rows[:10])
        con.commit()
        data = con.serialize()
        con.close()
        return data

    assert "expected 300" in failed(nb03.check_to_sqlite_bytes(to_sqlite_bytes))
