"""Exactly-once ingest, proved: kill -9 at random moments and resume; and a model-based test of
append / half line / rotate / copytruncate / restart against an oracle."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import helpers
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit.generate import generate_dataset
from labkit.pipeline import PipelineConfig, run_pipeline_sync
from labkit.sequential import run_sequential

KILL_CYCLES = 8


def _line_offsets(path: Path) -> list[int]:
    data = path.read_bytes()
    offsets, pos = [], 0
    for line in data.split(b"\n")[:-1]:
        offsets.append(pos)
        pos += len(line) + 1
    return offsets


@pytest.mark.timeout(300)
def test_kill_9_at_random_moments_then_resume_stores_every_line_once(tmp_path: Path) -> None:
    manifest = generate_dataset(
        tmp_path / "data", files=3, lines=400_000, formats="mixed", seed=21, bad_rate=0.002
    )
    db = tmp_path / "k.db"
    cmd = [
        sys.executable,
        "-m",
        "labkit",
        "run",
        "--no-progress",
        "--parsers",
        "2",
        "--batch",
        "2000",
        "--db",
        str(db),
        *map(str, manifest.paths()),
    ]
    rng = random.Random(1234)
    kills = 0
    for _cycle in range(KILL_CYCLES):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.6, 1.6))
        if proc.poll() is not None:
            break
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        kills += 1
        _gone, alive = psutil.wait_procs(children, timeout=5)
        assert not alive, f"orphans after kill -9: {[p.pid for p in alive]}"
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    assert final.returncode == 0, final.stderr
    assert kills >= 3, "the run finished too early to test kills"
    # every line of every file, stored or rejected, exactly once
    expected = {(str(p.resolve()), off) for p in manifest.paths() for off in _line_offsets(p)}
    got = helpers.table(
        db,
        "SELECT s.name, r.offset FROM records r JOIN sources s ON s.id = r.source_id"
        " UNION ALL SELECT s.name, j.offset FROM rejects j JOIN sources s ON s.id = j.source_id",
    )
    assert len(got) == len(set(got)), "a line was stored twice"
    assert set(got) == expected
    assert helpers.table(db, "SELECT count(*) FROM records") == [(manifest.good,)]


# ----- model-based: file operations against an oracle ------------------------------------------


def _line(i: int) -> bytes:
    return (
        f"10.0.0.{i % 250} - - [05/Nov/2026:10:{i // 60 % 60:02d}:{i % 60:02d} +0000] "
        f'"GET /item/{i} HTTP/1.1" 200 {i} "-" "model-test"'
    ).encode()


class Model:
    """The log directory and an oracle of every line id completed so far."""

    def __init__(self, root: Path, ingest) -> None:
        self.root = root
        self.ingest = ingest
        self.next_id = 0
        self.complete: list[int] = []
        self.half: tuple[int, bytes] | None = None  # id and the rest still to write
        self.rotations = 0
        (root / "app.log").write_bytes(b"")

    @property
    def log(self) -> Path:
        return self.root / "app.log"

    def _new(self) -> bytes:
        self.next_id += 1
        return _line(self.next_id)

    def append(self, n: int) -> None:
        self._finish_half()
        with self.log.open("ab") as fh:
            for _ in range(n):
                fh.write(self._new() + b"\n")
                self.complete.append(self.next_id)

    def append_half(self) -> None:
        self._finish_half()
        line = self._new()
        cut = len(line) // 2
        with self.log.open("ab") as fh:
            fh.write(line[:cut])
        self.half = (self.next_id, line[cut:])

    def _finish_half(self) -> None:
        if self.half:
            ident, rest = self.half
            with self.log.open("ab") as fh:
                fh.write(rest + b"\n")
            self.complete.append(ident)
            self.half = None

    def _shift(self) -> Path:
        self.rotations += 1
        return self.root / f"app.log.{self.rotations}"

    def rotate(self) -> None:
        self._finish_half()
        self.log.rename(self._shift())
        self.log.write_bytes(b"")

    def copytruncate(self) -> None:
        self._finish_half()
        shutil.copyfile(self.log, self._shift())
        with self.log.open("r+b") as fh:
            fh.truncate(0)

    def restart(self) -> None:
        files = sorted(self.root.glob("app.log*"))
        self.ingest(files)
        ids = [
            int(p.split("/")[2])
            for (p,) in helpers.table(self.root / "db.sqlite", "SELECT path FROM records")
        ]
        assert len(ids) == len(set(ids)), "a line was stored twice"
        assert sorted(ids) == sorted(self.complete), "lines lost or stored early"


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 40)),
        st.tuples(st.sampled_from(["append_half", "rotate", "copytruncate", "restart"])),
    ),
    min_size=1,
    max_size=25,
)


def _play(tmp: Path, ops, ingest) -> None:
    model = Model(tmp, ingest)
    for op, *args in ops:
        getattr(model, op)(*args)
    model.restart()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_model_based_ingest_with_sequential_restarts(tmp_path_factory, ops) -> None:
    tmp = tmp_path_factory.mktemp("model")
    db = tmp / "db.sqlite"
    _play(tmp, ops, lambda files: run_sequential(files, db, batch_lines=7, flush_partial=False))


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_model_based_ingest_with_pipeline_restarts(tmp_path_factory, ops) -> None:
    tmp = tmp_path_factory.mktemp("pmodel")
    db = tmp / "db.sqlite"

    def ingest(files) -> None:
        run_pipeline_sync(
            PipelineConfig(paths=files, db=db, parsers=1, batch_lines=9, flush_partial=False)
        )

    _play(tmp, ops, ingest)
