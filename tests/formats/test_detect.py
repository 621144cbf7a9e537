"""Format detection, ``get_parser`` and ``parse_lines``."""

from __future__ import annotations

import pickle

import pytest

from labkit.formats import FORMATS, combined, detect_format, get_parser, jsonl, parse_lines, syslog
from labkit.formats.detect import sniff_line
from labkit.records import Reject

COMBINED = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "ua"'
COMMON = b'1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5'
JSONL = b'{"time":"2000-10-10T13:55:36Z","remote_addr":"1.2.3.4","status":200}'
SYSLOG = b"Nov 25 10:00:00 myhost sshd[1234]: Accepted password for bob"
SYSLOG_PRI = b"<34>Nov  5 10:00:00 myhost kernel: boot"


def sample(*lines: bytes) -> bytes:
    return b"\n".join(lines) + b"\n"


@pytest.mark.parametrize(
    ("line", "fmt"),
    [
        (COMBINED, "combined"),
        (COMMON, "combined"),
        (JSONL, "jsonl"),
        (b'  {"msg": "no time but an object"}', "jsonl"),
        (SYSLOG, "syslog"),
        (SYSLOG_PRI, "syslog"),
        (b"2023-11-25T10:00:00+00:00 myhost sshd[1]: x", "syslog"),
        (b"[1, 2]", None),
        (b'{"truncated": ', None),
        (b"hello world", None),
        (b"", None),
    ],
)
def test_sniff_line(line: bytes, fmt: str | None) -> None:
    assert sniff_line(line) == fmt


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (sample(COMBINED, COMMON, COMBINED), "combined"),
        (sample(JSONL, JSONL), "jsonl"),
        (sample(SYSLOG, SYSLOG_PRI), "syslog"),
        (sample(COMBINED.replace(b"\n", b"")) + b"\r\n".join([COMBINED, COMBINED]), "combined"),
        (b"\xef\xbb\xbf" + sample(JSONL), "jsonl"),  # a UTF-8 BOM
        (b"\n\n  \n" + sample(SYSLOG), "syslog"),  # blank lines do not count
    ],
)
def test_detect_pure_samples(data: bytes, fmt: str) -> None:
    assert detect_format(data) == fmt


def test_detect_majority_wins_on_mixed_samples() -> None:
    assert detect_format(sample(SYSLOG, JSONL, JSONL, COMBINED, JSONL)) == "jsonl"
    assert detect_format(sample(COMBINED, b"garbage", b"\x00\x01", COMBINED, SYSLOG)) == "combined"


def test_detect_tie_goes_to_the_first_seen() -> None:
    assert detect_format(sample(SYSLOG, COMBINED)) == "syslog"
    assert detect_format(sample(COMBINED, SYSLOG)) == "combined"


def test_detect_ignores_a_truncated_last_line() -> None:
    data = sample(JSONL, JSONL) + JSONL[:25]  # the sample ends mid-line
    assert detect_format(data) == "jsonl"


def test_detect_reads_only_the_first_lines() -> None:
    data = sample(*[COMBINED] * 3, *[SYSLOG] * 30)
    assert detect_format(data, max_lines=5) == "combined"
    assert detect_format(data) == "syslog"


@pytest.mark.parametrize("data", [b"", b"\n \n\t\n"])
def test_detect_empty_sample(data: bytes) -> None:
    with pytest.raises(ValueError, match="no non-empty line"):
        detect_format(data)


def test_detect_unrecognisable_sample() -> None:
    with pytest.raises(ValueError, match="combined, jsonl or syslog") as info:
        detect_format(sample(b"hello", b"world", b"\x89PNG\r\n\x1a"))
    assert "first 4 non-empty lines" in str(info.value)  # the PNG header holds a newline


def test_formats_and_get_parser() -> None:
    assert FORMATS == ("combined", "jsonl", "syslog")
    assert get_parser("combined") is combined.parse
    assert get_parser("jsonl") is jsonl.parse
    assert get_parser("syslog") is syslog.parse
    for fmt in FORMATS:
        assert pickle.loads(pickle.dumps(get_parser(fmt))) is get_parser(fmt)


@pytest.mark.parametrize("name", ["auto", "apache", "", "COMBINED"])
def test_get_parser_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ValueError, match="valid formats: combined, jsonl, syslog"):
        get_parser(name)


def test_get_parser_auto_hint() -> None:
    with pytest.raises(ValueError, match="detect_format"):
        get_parser("auto")


def test_parse_lines() -> None:
    results = parse_lines("combined", [COMBINED, b"", COMMON + b"\r"])
    assert results[0][4] == "/" and results[2][7] == 5
    assert results[1] == Reject("empty", "empty line")
    assert parse_lines("jsonl", []) == []
    assert parse_lines("syslog", [SYSLOG])[0][10] == "sshd"
    with pytest.raises(ValueError):
        parse_lines("auto", [COMBINED])


def test_detected_format_parses_the_sample() -> None:
    for data in (sample(COMBINED, COMMON), sample(JSONL), sample(SYSLOG, SYSLOG_PRI)):
        lines = data.splitlines()
        results = parse_lines(detect_format(data), lines)
        assert all(type(r) is tuple for r in results)
