"""The synthetic log generator: determinism, manifests that match the files, bad lines that the
real parsers reject for the planned reason, realistic shape, and committed samples that match."""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labkit.formats import get_parser
from labkit.generate import (
    BAD_KINDS,
    BAD_REASON,
    FORMATS,
    FileManifest,
    Manifest,
    add_parser,
    generate_dataset,
    iter_lines,
    load_manifest,
    make_samples,
    run,
    write_log,
)
from labkit.generate.badlines import split_rate
from labkit.generate.writer import _FileGen
from labkit.records import MAX_LINE_BYTES, is_reject

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
START = datetime(2026, 11, 25, tzinfo=UTC)
ALL_BAD = {"truncated": 0.01, "invalid_utf8": 0.01, "binary": 0.01, "too_long": 0.002}
_CONTROL = set(range(0x20)) - {0x09} | {0x7F}


def _parse(fmt: str, line: bytes, year: int = 2026):
    if fmt == "syslog":
        from labkit.formats import syslog

        return syslog.parse(line, year=year)
    return get_parser(fmt)(line)


def _content(raw: bytes) -> bytes:
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def _pipeline_lines(data: bytes) -> list[bytes]:
    """Lines as the pipeline counts them: newline-terminated ones plus a final unterminated one."""
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def _check_against_manifest(path: Path, entry: FileManifest) -> list[bytes]:
    """Assert that a file's content agrees with its manifest entry; returns its lines."""
    raw = path.read_bytes()
    assert entry.bytes == len(raw)
    assert entry.sha256 == hashlib.sha256(raw).hexdigest()
    data = _content(raw)
    assert entry.content_sha256 == hashlib.sha256(data).hexdigest()
    assert entry.gzip == (raw[:2] == b"\x1f\x8b") == (data is not raw)
    assert entry.final_newline == data.endswith(b"\n")
    lines = _pipeline_lines(data)
    assert len(lines) == entry.lines
    assert entry.crlf == sum(line.endswith(b"\r") for line in lines)
    reasons: Counter[str] = Counter()
    good = 0
    for line in lines:
        assert line.strip(), "no blank lines"
        result = _parse(entry.format, line, entry.year)
        if is_reject(result):
            reasons[result.reason] += 1
        else:
            good += 1
    assert good == entry.good == entry.lines - entry.n_bad
    assert dict(reasons) == entry.expected_rejects
    return lines


# ---------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_seed_same_bytes_different_seed_different(tmp_path: Path, fmt: str) -> None:
    kw = {"bad_rates": ALL_BAD, "crlf_rate": 0.01, "start": START}
    a = write_log(tmp_path / "a.log", fmt, 3000, seed=5, **kw)
    b = write_log(tmp_path / "b.log", fmt, 3000, seed=5, **kw)
    c = write_log(tmp_path / "c.log", fmt, 3000, seed=6, **kw)
    assert (tmp_path / "a.log").read_bytes() == (tmp_path / "b.log").read_bytes()
    assert a.sha256 == b.sha256 != c.sha256


def test_dataset_is_deterministic_and_gzip_bytes_too(tmp_path: Path) -> None:
    kw = {"files": 3, "lines": 3000, "formats": "mixed", "seed": 9, "bad_rate": 0.02}
    m1 = generate_dataset(tmp_path / "one", gzip=True, **kw)
    m2 = generate_dataset(tmp_path / "two", gzip=True, **kw)
    assert m1.to_dict() == m2.to_dict()
    for f in m1.files:
        assert (tmp_path / "one" / f.path).read_bytes() == (tmp_path / "two" / f.path).read_bytes()


def test_iter_lines_matches_write_log(tmp_path: Path) -> None:
    for fmt in FORMATS:
        lines = list(iter_lines(fmt, 2000, 3, bad_rate=0.04, start=START))
        rates = split_rate(0.04)
        write_log(tmp_path / "x", fmt, 2000, seed=3, bad_rates=rates, start=START)
        assert b"\n".join(lines) + b"\n" == (tmp_path / "x").read_bytes()
        assert all(b"\n" not in line for line in lines)


def test_bad_rates_do_not_change_the_good_lines() -> None:
    clean = list(iter_lines("combined", 3000, 1))
    dirty = list(iter_lines("combined", 3000, 1, bad_rate=0.1))
    same = sum(a == b for a, b in zip(clean, dirty, strict=True))
    assert same == 3000 - round(0.1 / 4 * 3000) * 4


# ---------------------------------------------------------------- manifests vs. file content


@pytest.mark.parametrize(
    ("name", "fmt", "opts"),
    [
        ("plain.log", "combined", {}),
        ("zipped.log.gz", "combined", {}),
        ("forced.jsonl", "jsonl", {"gzip": True, "crlf_rate": 0.02}),
        ("crlf.log", "syslog", {"crlf_rate": 0.05, "final_newline": False}),
        ("nofinal.jsonl", "jsonl", {"final_newline": False}),
    ],
)
def test_manifest_counts_match_the_file(tmp_path: Path, name: str, fmt: str, opts: dict) -> None:
    entry = write_log(tmp_path / name, fmt, 4000, seed=2, bad_rates=ALL_BAD, start=START, **opts)
    assert entry.path == name
    assert entry.bad == {k: round(ALL_BAD[k] * 4000) for k in BAD_KINDS}
    assert entry.crlf == round(opts.get("crlf_rate", 0.0) * 4000)
    lines = _check_against_manifest(tmp_path / name, entry)
    if not opts.get("final_newline", True):  # the unterminated last line is a plain good line
        assert not is_reject(_parse(fmt, lines[-1]))
        assert not lines[-1].endswith(b"\r")


def test_tiny_and_empty_files(tmp_path: Path) -> None:
    empty = write_log(tmp_path / "e.log", "combined", 0)
    assert (tmp_path / "e.log").read_bytes() == b""
    assert (empty.lines, empty.good, empty.final_newline) == (0, 0, True)
    one = write_log(tmp_path / "one.log", "syslog", 1, final_newline=False)
    assert one.lines == one.good == 1
    _check_against_manifest(tmp_path / "one.log", one)


# -------------------------------------------------------------- every line, with its reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_line_parses_or_is_rejected_for_its_kind(fmt: str) -> None:
    n = 12_000
    gen = _FileGen(fmt, n, 11, split_rate(0.2), 0.02, True, START, MAX_LINE_BYTES)
    data = b"".join(chunk for _, chunk in gen.chunks())
    lines = _pipeline_lines(data)
    assert len(lines) == n
    kinds = Counter(gen.plan.kind_at.values())
    assert all(kinds[k] == round(0.05 * n) for k in BAD_KINDS)
    for i, line in enumerate(lines):
        result = _parse(fmt, line)
        kind = gen.plan.kind_at.get(i)
        if kind is None:
            assert not is_reject(result), (i, line, result)
            assert line.endswith(b"\r") == (i in gen.plan.crlf_at)
            continue
        assert is_reject(result) and result.reason == BAD_REASON[kind], (kind, line, result)
        assert b"\n" not in line and line.strip()
        if kind == "too_long":
            assert len(line) > MAX_LINE_BYTES and line.isascii() and line.decode().isprintable()
        elif kind == "binary":
            assert _CONTROL & set(line.rstrip(b"\r")) and len(line) <= MAX_LINE_BYTES
        elif kind == "invalid_utf8":
            assert not _CONTROL & set(line)
            with pytest.raises(UnicodeDecodeError):
                line.decode()
        else:  # truncated: still text, just cut short
            assert line.decode().isprintable()


def test_too_long_respects_a_custom_max_line(tmp_path: Path) -> None:
    entry = write_log(
        tmp_path / "x.log", "combined", 500, bad_rates={"too_long": 0.02}, max_line=2048
    )
    lines = _pipeline_lines((tmp_path / "x.log").read_bytes())
    assert sum(len(line) > 2048 for line in lines) == entry.bad["too_long"] == 10
    assert max(len(line) for line in lines if len(line) <= 2048) < 1024


# ------------------------------------------------------------------------------- realism


def _rows(fmt: str, n: int, seed: int = 0) -> list[tuple]:
    rows = [_parse(fmt, line) for line in iter_lines(fmt, n, seed, start=START)]
    assert not any(is_reject(r) for r in rows)
    return rows


@pytest.mark.parametrize("fmt", FORMATS)
def test_timestamps_non_decreasing_within_one_day_denser_by_day(fmt: str) -> None:
    rows = _rows(fmt, 20_000)
    ts = [r[0] for r in rows]
    assert all(a <= b for a, b in itertools.pairwise(ts))
    first = START.timestamp()
    assert first <= ts[0] and ts[-1] < first + 86_400
    hours = Counter(int((t - first) // 3600) for t in ts)
    day = sum(hours[h] for h in range(12, 20))
    night = sum(hours[h] for h in range(0, 8))
    assert day > 2 * night


def test_web_traffic_is_skewed_and_varied() -> None:
    rows = _rows("combined", 20_000)
    paths = Counter(r[4] for r in rows)
    counts = sorted(paths.values(), reverse=True)
    assert counts[0] > 20 * statistics.median(counts)
    hosts = Counter(r[1] for r in rows)
    assert hosts.most_common(1)[0][1] > 20 * statistics.median(hosts.values())
    status = Counter(r[6] for r in rows)
    assert status[200] > 0.6 * len(rows)
    assert all(status[s] > 0 for s in (304, 301, 404, 500))
    assert any(r[7] is None for r in rows) and len({r[7] for r in rows}) > 100
    agents = {r[9] for r in rows}
    assert len(agents) > 30 and any("bot" in a.lower() for a in agents)
    assert {r[3] for r in rows} >= {"GET", "POST", "HEAD"}


def test_jsonl_lines_are_nginx_json_objects() -> None:
    keys = ["time", "remote_addr", "remote_user", "request", "status", "body_bytes_sent"]
    keys += ["http_referer", "http_user_agent"]
    for line in iter_lines("jsonl", 500, 4):
        obj = json.loads(line)
        assert list(obj) == keys
        assert isinstance(obj["status"], int) and isinstance(obj["body_bytes_sent"], int)


def test_syslog_has_padded_days_and_programs_with_and_without_pid() -> None:
    start = datetime(2026, 11, 5, tzinfo=UTC)
    lines = list(iter_lines("syslog", 5000, 1, start=start))
    assert all(line.startswith(b"Nov  5 ") for line in lines)
    rows = [_parse("syslog", line) for line in lines]
    programs = Counter(r[10] for r in rows)
    assert {"sshd", "CRON", "sudo", "systemd-logind", "kernel"} <= set(programs)
    assert all(r[11] is None for r in rows if r[10] in ("kernel", "sudo"))
    assert all(isinstance(r[11], int) for r in rows if r[10] == "sshd")


# ------------------------------------------------------------------------------ datasets


def test_generate_dataset_and_manifest_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    m = generate_dataset(
        out,
        files=4,
        lines=10_001,
        formats="mixed",
        seed=3,
        bad_rate=0.02,
        crlf_rate=0.01,
        missing_final_newline=True,
    )
    assert [f.format for f in m.files] == ["combined", "jsonl", "syslog", "combined"]
    assert [f.lines for f in m.files] == [2501, 2500, 2500, 2500]
    assert [f.final_newline for f in m.files] == [True, True, True, False]
    assert m.lines == 10_001 and m.good == m.lines - m.n_bad
    assert m.expected_rejects == {r: m.bad[k] for k, r in BAD_REASON.items() if m.bad[k]}
    assert len({f.start for f in m.files}) == 4 and m.year == 2026
    for path, entry in zip(m.paths(), m.files, strict=True):
        _check_against_manifest(path, entry)
    loaded = load_manifest(out)
    assert loaded == m and loaded.root == out
    assert load_manifest(out / "manifest.json").to_dict() == m.to_dict()
    assert Manifest.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["totals"]["good"] == m.good
    assert saved["totals"]["expected_rejects"] == m.expected_rejects
    # a smaller run into the same folder removes the files the old manifest listed
    generate_dataset(out, files=2, lines=100)
    assert sorted(p.name for p in out.iterdir()) == [
        "access-000.log",
        "access-001.log",
        "manifest.json",
    ]


def test_bad_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        write_log(tmp_path / "x", "csv", 10)
    with pytest.raises(ValueError, match="unknown formats"):
        generate_dataset(tmp_path, formats=("combined", "xml"))
    with pytest.raises(ValueError, match="unknown bad kinds"):
        write_log(tmp_path / "x", "combined", 10, bad_rates={"gibberish": 0.1})
    with pytest.raises(ValueError, match="can be placed"):
        write_log(tmp_path / "x", "combined", 10, bad_rates={"binary": 0.8}, crlf_rate=0.5)
    with pytest.raises(ValueError, match="max_line"):
        write_log(tmp_path / "x", "combined", 10, max_line=100)


def test_cli_generates_and_summarises(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="labkit")
    add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "cli"
    argv = "generate --files 3 --lines 3000 --format mixed --bad-rate 0.04 --crlf-rate 0.01"
    argv += " --gzip --missing-final-newline --seed 4 --no-progress --out"
    args = parser.parse_args([*argv.split(), str(out)])
    assert args._run is run
    assert run(args) == 0
    m = load_manifest(out)
    assert m.lines == 3000 and m.n_bad == 120 and all(f.gzip for f in m.files)
    assert not m.files[-1].final_newline
    summary = capsys.readouterr().out
    assert "3,000 lines" in summary and "120 bad" in summary and "lines/s" in summary


def test_cli_small_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="labkit")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["generate", "--out", str(tmp_path), "--small", "--no-progress"])
    assert run(args) == 0
    m = load_manifest(tmp_path)
    assert (len(m.files), m.lines) == (2, 20_000)


# ------------------------------------------------------------------------------- samples


def test_committed_samples_match_a_fresh_regeneration(tmp_path: Path) -> None:
    fresh = make_samples(tmp_path)
    committed = load_manifest(SAMPLES)
    assert [f.path for f in committed.files] == [f.path for f in fresh.files]
    for old, new in zip(committed.files, fresh.files, strict=True):
        assert old.content_sha256 == new.content_sha256, old.path
        if not old.gzip:  # compressed bytes may differ between zlib builds
            assert old.to_dict() == new.to_dict()
        _check_against_manifest(SAMPLES / old.path, old)
    assert sum(p.stat().st_size for p in SAMPLES.iterdir()) < 2_000_000


def test_samples_cover_every_kind_crlf_and_missing_final_newline() -> None:
    m = load_manifest(SAMPLES)
    access = next(f for f in m.files if f.path == "access_small.log")
    assert access.format == "combined" and 4000 <= access.lines <= 6000
    assert all(access.bad[k] > 0 for k in BAD_KINDS) and access.crlf >= 1
    assert not access.final_newline
    assert {f.format for f in m.files} == set(FORMATS) and any(f.gzip for f in m.files)
