"""Workloads for notebook 07: break the pipeline on purpose and count what survived.

- Bad input: ``inject_bad_lines`` copies a log and inserts lines that must be quarantined (one
  kind per reject reason); ``plant_marker`` hides a line that crashes ``faults.crash_on_marker``.
- Counting: ``db_counts``, ``per_source``, ``rejects_by_reason`` and ``duplicates`` read the
  database; ``ledger`` compares it with the files line by line (by byte offset).
- A killed run: ``labkit_run_cmd`` builds ``python -m labkit run ...``; ``run_and_kill`` starts it
  and kills it with SIGKILL once enough lines are committed; ``kill_cycles`` does that a few
  times; ``run_to_end`` runs the command once more to completion.
- Rotation: ``append_lines``, ``rotate_by_rename`` and ``copytruncate`` do to a log what
  logrotate does.
- Other designs: ``toy_ingest`` is a tiny ingester that keeps its read position in a file after
  the rows (``at-least-once``), in a file before the rows (``at-most-once``), or in the same
  transaction as the rows (``exactly-once``); ``crash_and_restart`` crashes one in a child process
  at the worst moment and restarts it; ``compare_designs`` and ``commit_cost`` put the three side
  by side.

Every function blocks until it is done and leaves no process behind: a killed run's children are
waited for (and killed if they linger). Functions a child process runs are module-level, so they
work under ``spawn``; pandas is imported only where a table is built, so such a child starts
quickly.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from labkit.identity import open_log
from labkit.records import MAX_LINE_BYTES

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BAD_LINE_MAKERS",
    "CRASH_EXIT",
    "DESIGNS",
    "TOY_SCHEMA",
    "Injected",
    "KillOutcome",
    "append_lines",
    "commit_cost",
    "commit_exactly_once",
    "compare_designs",
    "copytruncate",
    "count_lines",
    "crash_and_restart",
    "db_counts",
    "duplicates",
    "fresh_db",
    "hard_kill",
    "inject_bad_lines",
    "kill_cycles",
    "labkit_run_cmd",
    "ledger",
    "line_offsets",
    "per_source",
    "plant_marker",
    "rejects_by_reason",
    "rotate_by_rename",
    "run_and_kill",
    "run_to_end",
    "toy_counts",
    "toy_ingest",
]


# ----- bad input --------------------------------------------------------------------------------
def _binary(good: bytes, rng: random.Random) -> bytes:
    return b"\x00" * rng.randint(1, 8) + good  # NULs left behind by a crash


def _invalid_utf8(good: bytes, rng: random.Random) -> bytes:
    at = rng.randint(1, max(1, len(good) - 1))
    return good[:at] + b"\xff\xfe" + good[at:]


def _empty(good: bytes, rng: random.Random) -> bytes:
    return b" " * rng.randint(0, 3)


def _malformed(good: bytes, rng: random.Random) -> bytes:
    head = bytes(c for c in good[: rng.randint(10, 40)] if 32 <= c < 127)
    return b"!! half a line: " + head  # text, but no format's shape


def _too_long(good: bytes, rng: random.Random) -> bytes:
    return good + b" " + b"x" * (MAX_LINE_BYTES + rng.randint(1, 200) - len(good))


#: How ``inject_bad_lines`` damages a good line into a line rejected for each reason.
BAD_LINE_MAKERS = {
    "too_long": _too_long,
    "binary": _binary,
    "invalid_utf8": _invalid_utf8,
    "empty": _empty,
    "malformed": _malformed,
}


@dataclass(frozen=True)
class Injected:
    """A copy of a log with bad lines inserted: where they are and how many of each reason."""

    path: Path
    lines: int
    good: int
    bad: dict[str, int]
    at: dict[int, str]  # line number (0-based) -> reason

    @property
    def n_bad(self) -> int:
        return sum(self.bad.values())


def _read_lines(path: str | os.PathLike) -> list[bytes]:
    data = Path(path).read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    return data.split(b"\n")[:-1]


def inject_bad_lines(
    src: str | os.PathLike,
    dst: str | os.PathLike,
    counts: Mapping[str, int],
    *,
    seed: int = 0,
) -> Injected:
    """Copy ``src`` to ``dst`` with bad lines inserted at random places (never first, so format
    detection still sees a good line). ``counts`` maps reject reasons (``BAD_LINE_MAKERS``) to how
    many lines of that kind to insert. ``src`` should hold only good lines. Blocks on file I/O."""
    unknown = set(counts) - set(BAD_LINE_MAKERS)
    if unknown:
        raise ValueError(f"no maker for {sorted(unknown)}; choose from {list(BAD_LINE_MAKERS)}")
    rng = random.Random(seed)
    lines = _read_lines(src)
    if len(lines) < 2:
        raise ValueError(f"{src}: need at least two lines to inject into")
    kinds = [k for k, n in counts.items() for _ in range(int(n))]
    rng.shuffle(kinds)
    out: list[tuple[str | None, bytes]] = [(None, line) for line in lines]
    for kind in kinds:
        good = lines[rng.randrange(len(lines))]
        out.insert(rng.randint(1, len(out)), (kind, BAD_LINE_MAKERS[kind](good, rng)))
    Path(dst).write_bytes(b"".join(line + b"\n" for _, line in out))
    return Injected(
        path=Path(dst),
        lines=len(out),
        good=len(lines),
        bad={k: int(n) for k, n in counts.items() if n},
        at={i: kind for i, (kind, _) in enumerate(out) if kind is not None},
    )


def plant_marker(src: str | os.PathLike, dst: str | os.PathLike, marker: bytes, at: int) -> int:
    """Copy ``src`` to ``dst`` with ``marker`` added to line ``at`` (inside the quoted user agent
    of a combined log line). Returns the number of lines. Blocks on file I/O."""
    lines = _read_lines(src)
    line = lines[at]
    lines[at] = line[:-1] + b" " + marker + b'"' if line.endswith(b'"') else line + b" " + marker
    Path(dst).write_bytes(b"\n".join(lines) + b"\n")
    return len(lines)


# ----- counting ---------------------------------------------------------------------------------
def fresh_db(path: str | os.PathLike) -> Path:
    """Delete the database at ``path`` with its WAL files; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _query(db: str | os.PathLike, sql: str, params: Sequence = ()) -> list[tuple]:
    con = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


_ALL_LINES = "SELECT source_id, offset FROM records UNION ALL SELECT source_id, offset FROM rejects"


def duplicates(db: str | os.PathLike) -> int:
    """Lines stored more than once: rows of ``records`` and ``rejects`` beyond the first for
    each ``(source_id, offset)``."""
    (n,) = _query(
        db,
        f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM ({_ALL_LINES}) "
        "GROUP BY source_id, offset HAVING n > 1)",
    )[0]
    return int(n)


def db_counts(db: str | os.PathLike) -> dict[str, int]:
    """Totals in the database: sources, committed lines (the sources' counters), rows in
    ``records`` and ``rejects``, and duplicates. All zero when the file does not exist yet."""
    if not Path(db).exists():
        return dict.fromkeys(("sources", "committed", "records", "rejects", "duplicates"), 0)
    (sources, committed), (records,), (rejects,) = (
        _query(db, "SELECT count(*), coalesce(sum(lines), 0) FROM sources")[0],
        _query(db, "SELECT count(*) FROM records")[0],
        _query(db, "SELECT count(*) FROM rejects")[0],
    )
    return {
        "sources": sources,
        "committed": committed,
        "records": records,
        "rejects": rejects,
        "duplicates": duplicates(db),
    }


def per_source(db: str | os.PathLike) -> pd.DataFrame:
    """One row per source: its committed counters next to the rows really in the tables."""
    import pandas as pd

    con = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True, timeout=30)
    try:
        df = pd.read_sql_query(
            "SELECT s.id AS source_id, s.name, s.committed_offset, s.lines, s.stored, "
            "s.rejected, (SELECT count(*) FROM records r WHERE r.source_id = s.id) AS records, "
            "(SELECT count(*) FROM rejects j WHERE j.source_id = s.id) AS rejects "
            "FROM sources s ORDER BY s.id",
            con,
        )
    finally:
        con.close()
    df["name"] = df["name"].map(lambda n: Path(n).name if "/" in n or "\\" in n else n)
    return df


def rejects_by_reason(db: str | os.PathLike) -> pd.DataFrame:
    """The quarantine by reason: lines, and one example detail and line (shortened)."""
    import pandas as pd

    con = sqlite3.connect(f"file:{Path(db).resolve()}?mode=ro", uri=True, timeout=30)
    try:
        df = pd.read_sql_query(
            "SELECT reason, detail, substr(line, 1, 60) AS line FROM rejects", con
        )
    finally:
        con.close()
    if df.empty:
        return pd.DataFrame(columns=["lines", "example_detail", "example_line"])
    return (
        df.groupby("reason")
        .agg(
            lines=("detail", "size"),
            example_detail=("detail", "first"),
            example_line=("line", "first"),
        )
        .sort_values("lines", ascending=False)
    )


def line_offsets(path: str | os.PathLike, *, partial: bool = True) -> list[int]:
    """Byte offsets (uncompressed) where each line of ``path`` starts; with ``partial`` an
    unterminated last line counts too (the pipeline stores it by default)."""
    with open_log(path) as fh:
        data = fh.read()
    offsets, pos = [], 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            if partial:
                offsets.append(pos)
            break
        offsets.append(pos)
        pos = nl + 1
    return offsets


def count_lines(paths: Sequence[str | os.PathLike], *, partial: bool = True) -> int:
    """Lines in all ``paths`` (see ``line_offsets``)."""
    return sum(len(line_offsets(p, partial=partial)) for p in paths)


def ledger(
    db: str | os.PathLike, paths: Sequence[str | os.PathLike], *, partial: bool = True
) -> pd.DataFrame:
    """Every line of every file against the database, by byte offset.

    A file is matched to the newest source of its (absolute) name. Per file: ``lines`` in it,
    ``stored`` + ``rejected`` rows, ``duplicates`` (extra copies of a line), ``missing`` (lines
    in neither table), ``unexpected`` (rows at an offset where no line starts) and ``ok``.
    """
    import pandas as pd

    rows = []
    newest: dict[str, int] = {}
    for sid, name in _query(db, "SELECT id, name FROM sources ORDER BY id"):
        newest[name] = sid
    for p in paths:
        name = str(Path(p).resolve())
        expected = set(line_offsets(p, partial=partial))
        sid = newest.get(name)
        stored = rejected = []
        if sid is not None:
            stored = [
                o for (o,) in _query(db, "SELECT offset FROM records WHERE source_id=?", (sid,))
            ]
            rejected = [
                o for (o,) in _query(db, "SELECT offset FROM rejects WHERE source_id=?", (sid,))
            ]
        got = stored + rejected
        seen = set(got)
        row = {
            "file": Path(p).name,
            "lines": len(expected),
            "stored": len(stored),
            "rejected": len(rejected),
            "duplicates": len(got) - len(seen),
            "missing": len(expected - seen),
            "unexpected": len(seen - expected),
        }
        row["ok"] = (
            row["stored"] + row["rejected"] == row["lines"]
            and not row["duplicates"]
            and not row["missing"]
            and not row["unexpected"]
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("file")


# ----- killing a whole run ----------------------------------------------------------------------
def labkit_run_cmd(
    paths: Sequence[str | os.PathLike],
    db: str | os.PathLike,
    *,
    parsers: int = 2,
    batch: int = 500,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line of ``python -m labkit run --json --no-progress ...`` for ``paths``."""
    return [
        sys.executable,
        "-m",
        "labkit",
        "run",
        "--json",
        "--no-progress",
        "--parsers",
        str(parsers),
        "--batch",
        str(batch),
        "--db",
        str(db),
        *extra,
        *map(str, paths),
    ]


def hard_kill(pid: int) -> None:
    """Kill a process at once, with no chance to clean up: SIGKILL (TerminateProcess on
    Windows). A process that is already gone is ignored."""
    try:
        if hasattr(signal, "SIGKILL"):
            os.kill(pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            psutil.Process(pid).kill()
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def _committed(db: str | os.PathLike) -> int:
    """Lines committed so far (0 while the database is missing or busy being created)."""
    if not Path(db).exists():
        return 0
    try:
        return int(_query(db, "SELECT coalesce(sum(lines), 0) FROM sources")[0][0])
    except sqlite3.Error:
        return 0


@dataclass(frozen=True)
class KillOutcome:
    """One run started and (if it had not finished first) killed with SIGKILL."""

    killed: bool
    seconds: float
    committed_seen: int  # committed lines the poll saw just before the kill
    returncode: int | None
    orphans: int  # child processes still alive 5 s after the kill (then killed)


def run_and_kill(
    cmd: Sequence[str],
    db: str | os.PathLike,
    *,
    after_lines: int | None = None,
    after_s: float | None = None,
    timeout_s: float = 120.0,
    poll_s: float = 0.01,
) -> KillOutcome:
    """Start ``cmd``; kill it with SIGKILL as soon as ``after_lines`` lines are committed in
    ``db`` or ``after_s`` seconds have passed (whichever is given and comes first).

    Blocks until the process has ended (or ``timeout_s``: then it is killed anyway). Its child
    processes (parser workers) are waited for, and killed if still alive after 5 s; how many were
    left is reported as ``orphans``.
    """
    if after_lines is None and after_s is None:
        raise ValueError("give after_lines or after_s")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = 0
    try:
        while proc.poll() is None:
            elapsed = time.monotonic() - t0
            seen = _committed(db) if after_lines is not None else 0
            due = (after_lines is not None and seen >= after_lines) or (
                after_s is not None and elapsed >= after_s
            )
            if due or elapsed >= timeout_s:
                try:
                    children = psutil.Process(proc.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    children = []
                hard_kill(proc.pid)
                proc.wait(30)
                killed = proc.returncode != 0  # 0: it finished just before the kill
                _gone, alive = psutil.wait_procs(children, timeout=5)
                for p in alive:
                    p.kill()
                return KillOutcome(killed, time.monotonic() - t0, seen, proc.returncode, len(alive))
            time.sleep(poll_s)
    finally:
        if proc.poll() is None:  # an error above: never leave it running
            proc.kill()
            proc.wait(30)
    return KillOutcome(False, time.monotonic() - t0, seen, proc.returncode, 0)


def kill_cycles(
    paths: Sequence[str | os.PathLike],
    db: str | os.PathLike,
    *,
    at: Sequence[float] = (0.25, 0.5, 0.75),
    parsers: int = 2,
    batch: int = 500,
    timeout_s: float = 120.0,
) -> pd.DataFrame:
    """Run ``labkit run`` on ``paths`` and kill it with SIGKILL once the fraction ``at[i]`` of
    all lines is committed, then again, resuming each time. One row per cycle with what the
    database holds right after the kill. Blocks for the whole series."""
    import pandas as pd

    total = count_lines(paths)
    cmd = labkit_run_cmd(paths, db, parsers=parsers, batch=batch)
    rows = []
    for i, fraction in enumerate(at, 1):
        out = run_and_kill(cmd, db, after_lines=max(1, int(total * fraction)), timeout_s=timeout_s)
        counts = db_counts(db)
        rows.append(
            {
                "cycle": i,
                "kill at": f"{fraction:.0%}",
                "killed": out.killed,
                "seconds": round(out.seconds, 2),
                "committed": counts["committed"],
                "records": counts["records"],
                "rejects": counts["rejects"],
                "duplicates": counts["duplicates"],
                "consistent": counts["records"] + counts["rejects"] == counts["committed"],
                "orphans": out.orphans,
            }
        )
    return pd.DataFrame(rows).set_index("cycle")


def run_to_end(cmd: Sequence[str], *, timeout_s: float = 600.0) -> dict:
    """Run ``cmd`` (a ``labkit_run_cmd``) to completion; returns its JSON summary. Raises
    ``RuntimeError`` with its error output if it fails."""
    done = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"labkit run failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----- rotation ---------------------------------------------------------------------------------
def append_lines(path: str | os.PathLike, n: int, *, seed: int = 0, fmt: str = "combined") -> int:
    """Append ``n`` generated lines to ``path`` (created if missing); returns ``n``."""
    from labkit.generate import iter_lines

    with Path(path).open("ab") as fh:
        fh.write(b"".join(line + b"\n" for line in iter_lines(fmt, n, seed)))
    return n


def _next_rotated(path: Path) -> Path:
    n = 1
    while path.with_name(f"{path.name}.{n}").exists():
        n += 1
    return path.with_name(f"{path.name}.{n}")


def rotate_by_rename(path: str | os.PathLike) -> Path:
    """What logrotate does by default: rename ``app.log`` to ``app.log.N`` (the next free N) and
    start an empty ``app.log``. Returns the rotated file's path."""
    path = Path(path)
    rotated = _next_rotated(path)
    path.rename(rotated)
    path.write_bytes(b"")
    return rotated


def copytruncate(path: str | os.PathLike) -> Path:
    """logrotate's ``copytruncate``: copy ``app.log`` to ``app.log.N``, then truncate ``app.log``
    to zero bytes in place (same inode: the writing program keeps its file open). Returns the
    copy's path."""
    path = Path(path)
    rotated = _next_rotated(path)
    shutil.copyfile(path, rotated)
    with path.open("r+b") as fh:
        fh.truncate(0)
    return rotated


# ----- three designs, a crash at the worst moment -------------------------------------------------
#: The toy ingesters' delivery designs: where the read position is saved.
DESIGNS = ("at-most-once", "at-least-once", "exactly-once")
#: Exit code of a toy ingester that crashed on purpose.
CRASH_EXIT = 70
#: The toy ingesters' database: raw lines by offset, and (exactly-once only) the read position.
TOY_SCHEMA = """
CREATE TABLE IF NOT EXISTS lines (
    source TEXT NOT NULL, offset INTEGER NOT NULL, line BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS offsets (source TEXT PRIMARY KEY, committed INTEGER NOT NULL);
"""
_TOY_SOURCE = "toy"


class _Crash(BaseException):
    """A simulated crash inside this process (``crash="raise"``)."""


def _toy_connect(db: Path, durable: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    conn.executescript(TOY_SCHEMA)
    return conn


def _toy_batches(
    path: str | os.PathLike, start: int, batch_lines: int
) -> Iterator[tuple[int, int, list[tuple[int, bytes]]]]:
    """``(start, end, [(offset, line), ...])`` for the complete lines from byte ``start``."""
    with open_log(path) as fh:
        fh.seek(start)
        data = fh.read()
    pos, batch, first = 0, [], start
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            break
        batch.append((start + pos, data[pos:nl]))
        pos = nl + 1
        if len(batch) == batch_lines:
            yield first, start + pos, batch
            batch, first = [], start + pos
    if batch:
        yield first, start + pos, batch


def _insert_rows(conn: sqlite3.Connection, source: str, batch: list[tuple[int, bytes]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO lines (source, offset, line) VALUES (?, ?, ?)",
            [(source, off, line) for off, line in batch],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def commit_exactly_once(
    conn: sqlite3.Connection, source: str, start: int, end: int, batch: list[tuple[int, bytes]]
) -> bool:
    """Store ``batch`` (lines ``[start, end)`` of ``source``) and advance the source's offset
    to ``end`` in one transaction, only if the offset is still ``start``; False (nothing
    stored) otherwise. Blocks on SQLite's write lock. The connection must be in autocommit mode."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        moved = conn.execute(
            "UPDATE offsets SET committed = ? WHERE source = ? AND committed = ?",
            (end, source, start),
        ).rowcount
        if moved != 1:
            conn.execute("ROLLBACK")
            return False
        conn.executemany(
            "INSERT INTO lines (source, offset, line) VALUES (?, ?, ?)",
            [(source, off, line) for off, line in batch],
        )
        conn.execute("COMMIT")
        return True
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _offset_file(workdir: Path) -> Path:
    return workdir / "offset.json"


def _load_offset(design: str, conn: sqlite3.Connection, workdir: Path) -> int:
    if design == "exactly-once":
        conn.execute("INSERT OR IGNORE INTO offsets VALUES (?, 0)", (_TOY_SOURCE,))
        return conn.execute(
            "SELECT committed FROM offsets WHERE source = ?", (_TOY_SOURCE,)
        ).fetchone()[0]
    f = _offset_file(workdir)
    return json.loads(f.read_text())["offset"] if f.exists() else 0


def _save_offset(workdir: Path, offset: int, durable: bool) -> None:
    """Write the offset file atomically (temporary file, then rename), like a shipper's
    registry; with ``durable``, fsync the file and its folder too."""
    f = _offset_file(workdir)
    tmp = f.with_suffix(".tmp")
    with tmp.open("w") as fh:
        fh.write(json.dumps({"offset": offset}))
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, f)
    if durable and hasattr(os, "O_DIRECTORY"):
        fd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _crash(how: str) -> None:
    if how == "exit":
        os._exit(CRASH_EXIT)  # no cleanup, no finally, no flush: like kill -9 at this instant
    raise _Crash


def toy_ingest(
    design: str,
    log: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    batch_lines: int = 100,
    crash_in_batch: int | None = None,
    crash: str = "exit",
    durable: bool = False,
) -> dict[str, int]:
    """Ingest the complete lines of ``log`` into ``workdir/toy.db`` from the saved position.

    ``design`` says where the position is saved (``DESIGNS``): ``at-least-once`` commits the
    rows, then writes ``offset.json``; ``at-most-once`` writes ``offset.json``, then commits the
    rows; ``exactly-once`` commits rows and position in one transaction. With
    ``crash_in_batch=k`` the process crashes during batch k (0-based) right after its first
    durable step: ``crash="exit"`` ends the process on the spot (run it in a child process),
    ``"raise"`` raises a ``BaseException`` here. ``durable`` makes every commit and offset write
    reach the disk (``synchronous=FULL``, fsync). Blocks; returns what this run did."""
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {DESIGNS}, not {design!r}")
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    conn = _toy_connect(workdir / "toy.db", durable)
    lines = batches = 0
    try:
        start = _load_offset(design, conn, workdir)
        for i, (first, end, batch) in enumerate(_toy_batches(log, start, batch_lines)):
            crash_now = crash_in_batch is not None and i == crash_in_batch
            if design == "at-least-once":
                _insert_rows(conn, _TOY_SOURCE, batch)
                if crash_now:
                    _crash(crash)
                _save_offset(workdir, end, durable)
            elif design == "at-most-once":
                _save_offset(workdir, end, durable)
                if crash_now:
                    _crash(crash)
                _insert_rows(conn, _TOY_SOURCE, batch)
            else:
                if not commit_exactly_once(conn, _TOY_SOURCE, first, end, batch):
                    raise RuntimeError("the saved offset moved under us: two ingesters at once?")
                if crash_now:
                    _crash(crash)
            lines += len(batch)
            batches += 1
    finally:
        conn.close()
    return {"start": start, "lines": lines, "batches": batches}


def toy_counts(log: str | os.PathLike, workdir: str | os.PathLike) -> dict[str, int]:
    """The toy database against the file: lines in the file, rows stored, distinct lines
    stored, ``duplicates`` (extra copies) and ``lost`` (lines never stored)."""
    expected = set(line_offsets(log, partial=False))
    db = Path(workdir) / "toy.db"
    offsets = [o for (o,) in _query(db, "SELECT offset FROM lines")] if db.exists() else []
    distinct = set(offsets)
    return {
        "lines": len(expected),
        "rows": len(offsets),
        "distinct": len(distinct & expected),
        "duplicates": len(offsets) - len(distinct),
        "lost": len(expected - distinct),
    }


def _reset_toy(workdir: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    fresh_db(workdir / "toy.db")
    _offset_file(workdir).unlink(missing_ok=True)


def _start_crashing_child(
    design: str, log: str | os.PathLike, workdir: Path, batch_lines: int, crash_in_batch: int
) -> mp.process.BaseProcess:
    _reset_toy(workdir)
    child = mp.get_context("spawn").Process(
        target=toy_ingest,
        args=(design, str(log), str(workdir)),
        kwargs={"batch_lines": batch_lines, "crash_in_batch": crash_in_batch, "crash": "exit"},
        name=f"toy-{design}",
    )
    child.start()
    return child


def _join(child: mp.process.BaseProcess) -> int | None:
    child.join(120)
    if child.is_alive():  # pragma: no cover - never expected
        child.kill()
        child.join(5)
    return child.exitcode


def _restart(
    design: str, log: str | os.PathLike, workdir: Path, batch_lines: int, exitcode: int | None
) -> dict:
    after_crash = toy_counts(log, workdir)
    resumed = toy_ingest(design, log, workdir, batch_lines=batch_lines)
    return {
        "design": design,
        "exit code": exitcode,
        "stored before the restart": after_crash["rows"],
        "restart reads from line": _line_index(log, resumed["start"]),
        **toy_counts(log, workdir),
    }


def crash_and_restart(
    design: str,
    log: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    batch_lines: int = 100,
    crash_in_batch: int = 3,
) -> dict:
    """Start from nothing, run ``toy_ingest`` in a child process (spawn) that crashes during
    batch ``crash_in_batch`` at the design's worst moment, then restart it here to the end.
    Returns the counts after the crash and after the restart. Blocks; the child is joined."""
    workdir = Path(workdir)
    child = _start_crashing_child(design, log, workdir, batch_lines, crash_in_batch)
    return _restart(design, log, workdir, batch_lines, _join(child))


def _line_index(log: str | os.PathLike, offset: int) -> int:
    """Number of the line that starts at byte ``offset`` (0-based)."""
    return sum(1 for o in line_offsets(log, partial=False) if o < offset)


def compare_designs(
    log: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    batch_lines: int = 100,
    crash_in_batch: int = 3,
) -> pd.DataFrame:
    """``crash_and_restart`` for every design in ``DESIGNS`` on the same file (the three
    crashing children run at the same time): one row each. Blocks; every child is joined."""
    import pandas as pd

    dirs = {d: Path(workdir) / d for d in DESIGNS}
    children = {
        d: _start_crashing_child(d, log, dirs[d], batch_lines, crash_in_batch) for d in DESIGNS
    }
    codes = {d: _join(c) for d, c in children.items()}
    rows = [_restart(d, log, dirs[d], batch_lines, codes[d]) for d in DESIGNS]
    return pd.DataFrame(rows).set_index("design")


def commit_cost(
    log: str | os.PathLike,
    workdir: str | os.PathLike,
    *,
    batch_lines: Sequence[int] = (100, 1000),
    durable: Sequence[bool] = (False, True),
    designs: Sequence[str] = DESIGNS,
    repeats: int = 3,
) -> pd.DataFrame:
    """Time ``toy_ingest`` with no crash, for each design, batch size and durability, on the
    same file from a fresh database each time; the fastest of ``repeats`` runs counts. Blocks."""
    import pandas as pd

    rows = []
    for d in designs:
        for size in batch_lines:
            for dur in durable:
                best = float("inf")
                for _ in range(max(1, repeats)):
                    wd = Path(workdir) / f"{d}-{size}-{int(dur)}"
                    _reset_toy(wd)
                    t0 = time.perf_counter()
                    did = toy_ingest(d, log, wd, batch_lines=size, durable=dur)
                    best = min(best, time.perf_counter() - t0)
                rows.append(
                    {
                        "design": d,
                        "batch_lines": size,
                        "durable": dur,
                        "commits": did["batches"],
                        "seconds": best,
                        "lines_per_s": did["lines"] / best if best > 0 else float("nan"),
                    }
                )
    return pd.DataFrame(rows)
