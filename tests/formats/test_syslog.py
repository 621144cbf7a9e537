"""The RFC 3164 syslog parser: header variants, the year, and rejects."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from functools import partial

import pytest

from formats.shared import as_reject, as_row
from labkit.formats import syslog

parse = syslog.parse

AUTH = b"Nov 25 10:00:00 myhost sshd[1234]: Accepted password for bob from 10.0.0.1 port 22 ssh2"


def epoch(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())


row = partial(as_row, parse)
reject = partial(as_reject, parse)


def test_auth_log_exact_fields() -> None:
    assert parse(AUTH, year=2023) == (
        epoch(2023, 11, 25, 10, 0, 0),
        "myhost",
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "sshd",
        1234,
        "Accepted password for bob from 10.0.0.1 port 22 ssh2",
    )


def test_year_defaults_to_the_current_utc_year() -> None:
    year = datetime.now(UTC).year
    assert row(AUTH)["ts"] == epoch(year, 11, 25, 10, 0, 0)
    assert row(AUTH, year=2001)["ts"] == epoch(2001, 11, 25, 10, 0, 0)
    assert row(AUTH)["ts"] == epoch(year, 11, 25, 10, 0, 0)  # the explicit year did not stick
    assert row(AUTH, year=None)["ts"] == epoch(year, 11, 25, 10, 0, 0)


def test_space_padded_and_zero_padded_day() -> None:
    padded = row(b"Nov  5 07:08:09 h CRON[77]: (root) CMD (run-parts /etc/cron.hourly)", year=2023)
    assert padded["ts"] == epoch(2023, 11, 5, 7, 8, 9)
    assert padded["message"] == "(root) CMD (run-parts /etc/cron.hourly)"
    assert row(b"Nov 05 07:08:09 h p: m", year=2023)["ts"] == padded["ts"]


def test_priority_prefix() -> None:
    r = row(b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick", year=2003)
    assert (r["ts"], r["host"], r["program"], r["pid"]) == (
        epoch(2003, 10, 11, 22, 14, 15),
        "mymachine",
        "su",
        None,
    )
    assert r["message"] == "'su root' failed for lonvick"
    assert reject(b"<192>Oct 11 22:14:15 h su: x").detail == "bad priority <192>"


def test_program_without_pid_and_odd_program_names() -> None:
    kernel = row(b"Nov 25 10:00:00 myhost kernel: [ 12.345] usb 1-1: new device", year=2023)
    assert (kernel["program"], kernel["pid"]) == ("kernel", None)
    assert kernel["message"] == "[ 12.345] usb 1-1: new device"
    for tag, program, pid in [
        (b"postfix/smtpd[999]", "postfix/smtpd", 999),
        (b"systemd-logind[786]", "systemd-logind", 786),
        (b"python3.11[5]", "python3.11", 5),
    ]:
        r = row(b"Nov 25 10:00:00 h " + tag + b": hello", year=2023)
        assert (r["program"], r["pid"], r["message"]) == (program, pid, "hello")


def test_message_edge_cases() -> None:
    assert row(b"Nov 25 10:00:00 h sshd[1]:", year=2023)["message"] == ""
    assert row(b"Nov 25 10:00:00 h sshd[1]:  two spaces", year=2023)["message"] == " two spaces"
    assert row(b"Nov 25 10:00:00 h sudo: a\tb: c", year=2023)["message"] == "a\tb: c"
    r = row("Nov 25 10:00:00 h app: héllo wörld".encode(), year=2023)
    assert r["message"] == "héllo wörld"


def test_crlf_is_stripped() -> None:
    assert parse(AUTH + b"\r", year=2023) == parse(AUTH, year=2023)


def test_leap_day_depends_on_the_year() -> None:
    line = b"Feb 29 12:00:00 h p[1]: m"
    assert row(line, year=2024)["ts"] == epoch(2024, 2, 29, 12, 0, 0)
    assert reject(line, year=2023).detail == "bad date 2023-02-29"


def test_rfc3339_timestamp_variant() -> None:
    r = row(b"2023-11-25T10:00:00.5+01:00 myhost sshd[9]: hi")
    assert (r["ts"], r["host"], r["program"], r["pid"], r["message"]) == (
        epoch(2023, 11, 25, 9, 0, 0) + 0.5,
        "myhost",
        "sshd",
        9,
        "hi",
    )


@pytest.mark.parametrize(
    ("line", "reason", "detail"),
    [
        (b"", "empty", "empty line"),
        (b"\t \r", "empty", "blank line"),
        (AUTH.replace(b"bob", b"b\x00b"), "binary", None),
        (AUTH.replace(b"bob", b"b\x1bb"), "binary", None),
        (AUTH.replace(b"bob", b"b\xc3b"), "invalid_utf8", None),
        (b"Foo 25 10:00:00 h p: m", "malformed", "bad month 'Foo'"),
        (b"Nov 31 10:00:00 h p: m", "malformed", None),
        (b"Nov 00 10:00:00 h p: m", "malformed", None),
        (b"Nov 25 24:00:00 h p: m", "malformed", "bad time '24:00:00'"),
        (b"Nov 25 10:60:00 h p: m", "malformed", "bad time '10:60:00'"),
        (b"Nov 25 10:00:00 myhost", "malformed", "no 'program:' tag after the host"),
        (b"Nov 25 10:00:00 myhost sshd[1234]", "malformed", "no 'program:' tag after the host"),
        (b"Nov 25 10:00:00 myhost -- MARK --", "malformed", "no 'program:' tag after the host"),
        (b"Nov 25 10:00:00 h p[12x]: m", "malformed", "bad pid '12x'"),
        (b"Nov 25 10:0", "malformed", "no match for syslog format"),
        (b"hello world", "malformed", "no match for syslog format"),
        (b'{"time": 1}', "malformed", "no match for syslog format"),
    ],
)
def test_rejects(line: bytes, reason: str, detail: str | None) -> None:
    r = reject(line, year=2023)
    assert r.reason == reason
    if detail is not None:
        assert r.detail == detail
    assert r.detail


def test_too_long_comes_first() -> None:
    assert reject(AUTH, max_line=20).reason == "too_long"
    assert reject(b"x" * 20_000).reason == "too_long"


def test_parse_is_picklable() -> None:
    assert pickle.loads(pickle.dumps(parse)) is parse


def test_patterns_agree_on_bytes_and_str() -> None:
    m_bytes = syslog.BYTES_PATTERN.match(AUTH)
    m_str = syslog.PATTERN.match(AUTH.decode())
    assert m_bytes is not None and m_str is not None
    assert tuple(g.decode() if g else g for g in m_bytes.groups()) == m_str.groups()
