"""The combined / common log format parser: exact fields and every reject reason."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from functools import partial

import pytest

from formats.shared import as_reject, as_row
from labkit.formats import combined
from labkit.records import Reject

parse = combined.parse

BAD_E9 = "invalid UTF-8 byte 0xe9 at offset 14"
APACHE = (
    b'127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 '
    b'"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
)


row = partial(as_row, parse)
reject = partial(as_reject, parse)


def test_apache_example_exact_fields() -> None:
    assert parse(APACHE) == (
        971211336,  # 2000-10-10 20:55:36 UTC
        "127.0.0.1",
        "frank",
        "GET",
        "/apache_pb.gif",
        "HTTP/1.0",
        200,
        2326,
        "http://www.example.com/start.html",
        "Mozilla/4.08 [en] (Win98; I ;Nav)",
        None,
        None,
        None,
    )
    assert type(parse(APACHE)[0]) is int


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("10/Oct/2000:13:55:36 -0700", datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC)),
        ("10/Oct/2000:13:55:36 +0000", datetime(2000, 10, 10, 13, 55, 36, tzinfo=UTC)),
        ("01/Jan/2024:01:15:00 +0530", datetime(2023, 12, 31, 19, 45, 0, tzinfo=UTC)),
        ("31/Dec/2023:22:00:00 -0330", datetime(2024, 1, 1, 1, 30, 0, tzinfo=UTC)),
        ("29/Feb/2024:23:59:59 -0100", datetime(2024, 3, 1, 0, 59, 59, tzinfo=UTC)),
        ("01/Jan/1970:00:00:00 +0000", datetime(1970, 1, 1, tzinfo=UTC)),
        ("31/Dec/1969:23:00:00 +0000", datetime(1969, 12, 31, 23, tzinfo=UTC)),
    ],
)
def test_time_zones_are_converted_to_utc(stamp: str, expected: datetime) -> None:
    line = f'1.2.3.4 - - [{stamp}] "GET / HTTP/1.1" 200 1 "-" "ua"'.encode()
    assert row(line)["ts"] == int(expected.timestamp())


def test_dashes_become_none_but_agent_dash_stays() -> None:
    r = row(b'::1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 304 - "-" "-"')
    assert (r["host"], r["user"], r["size"], r["referer"], r["agent"]) == (
        "::1",
        None,
        None,
        None,
        "-",
    )
    assert r["status"] == 304


def test_common_log_format_has_no_referer_or_agent() -> None:
    r = row(b'10.0.0.1 - bob [10/Oct/2000:13:55:36 +0000] "POST /login HTTP/1.1" 302 0')
    assert (r["user"], r["method"], r["path"], r["status"], r["size"]) == (
        "bob",
        "POST",
        "/login",
        302,
        0,
    )
    assert r["referer"] is None and r["agent"] is None


def test_crlf_is_stripped() -> None:
    assert parse(APACHE + b"\r") == parse(APACHE)
    common = b'10.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5'
    assert parse(common + b"\r") == parse(common)
    assert row(common + b"\r")["size"] == 5


def test_escaped_quotes_in_request_referer_and_agent() -> None:
    line = (
        b'1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /q?s=\\"x\\" HTTP/1.1" 200 9 '
        b'"http://r/\\"a\\"" "Agent \\"quoted\\" \\\\ back"'
    )
    r = row(line)
    assert (r["method"], r["path"], r["protocol"]) == ("GET", '/q?s="x"', "HTTP/1.1")
    assert r["referer"] == 'http://r/"a"'
    assert r["agent"] == 'Agent "quoted" \\ back'
    assert (r["status"], r["size"]) == (200, 9)


@pytest.mark.parametrize(
    ("request_text", "method", "path", "protocol"),
    [
        ("-", None, "-", None),
        ("", None, "", None),
        ("\\x16\\x03\\x01\\x00\\xa5", None, "\\x16\\x03\\x01\\x00\\xa5", None),
        ("garbage here", None, "garbage here", None),
        ("GET /", "GET", "/", None),  # HTTP/0.9
        ("GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"),
        ("M-SEARCH * HTTP/1.1", "M-SEARCH", "*", "HTTP/1.1"),
    ],
)
def test_malformed_request_keeps_the_line(
    request_text: str, method: str | None, path: str, protocol: str | None
) -> None:
    line = f'5.6.7.8 - - [10/Oct/2000:13:55:36 +0000] "{request_text}" 400 150 "-" "-"'.encode()
    r = row(line)
    assert (r["method"], r["path"], r["protocol"]) == (method, path, protocol)
    assert (r["status"], r["size"], r["ts"]) == (400, 150, 971186136)


def test_extra_trailing_fields_are_ignored() -> None:
    r = row(APACHE + b' "10.1.1.1, 10.2.2.2" rt=0.003')
    assert r["agent"] == "Mozilla/4.08 [en] (Win98; I ;Nav)"
    assert r["size"] == 2326


def test_utf8_text_is_decoded() -> None:
    line = '1.2.3.4 - jösé [10/Oct/2000:13:55:36 +0000] "GET /café HTTP/1.1" 200 1 "-" "ü"'
    r = row(line.encode())
    assert (r["user"], r["path"], r["agent"]) == ("jösé", "/café", "ü")


def test_tab_is_not_binary() -> None:
    r = row(b'1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "a\tb"')
    assert r["agent"] == "a\tb"


@pytest.mark.parametrize(
    ("line", "reason", "detail"),
    [
        (b"", "empty", "empty line"),
        (b" \t  ", "empty", "blank line"),
        (b"\r", "empty", "empty line"),
        (APACHE.replace(b"frank", b"fr\x00nk"), "binary", "control byte 0x00 at offset 14"),
        (APACHE.replace(b"Mozilla", b"\x1b[31mMozilla"), "binary", None),
        (APACHE + b"\x7f", "binary", None),
        (APACHE.replace(b" 200 ", b"\r200 "), "binary", None),
        (APACHE + b"\r\r", "binary", None),
        (
            APACHE.replace(b"frank", b"fr\xe9nk"),
            "invalid_utf8",
            "invalid UTF-8 byte 0xe9 at offset 14",
        ),
        (APACHE.replace(b"/apache", b"/\xed\xa0\x80"), "invalid_utf8", None),  # a surrogate
        (b"hello world", "malformed", "no match for combined format"),
        (APACHE[:60], "malformed", "no match for combined format"),
        (APACHE.replace(b"Oct", b"Foo"), "malformed", "bad month 'Foo'"),
        (APACHE.replace(b"10/Oct", b"31/Sep"), "malformed", "bad date 2000-09-31"),
        (APACHE.replace(b"13:55:36", b"24:00:00"), "malformed", "bad time '24:00:00'"),
        (APACHE.replace(b"13:55:36", b"13:55:60"), "malformed", "bad time '13:55:60'"),
        (APACHE.replace(b"-0700", b"+2400"), "malformed", "bad time zone '+2400'"),
        (APACHE.replace(b"-0700]", b"]"), "malformed", None),
        (APACHE.replace(b" 200 ", b" 600 "), "malformed", "bad status '600'"),
        (APACHE.replace(b" 200 ", b" 099 "), "malformed", "bad status '099'"),
        (APACHE.replace(b" 200 ", b" ok "), "malformed", "bad status 'ok'"),
        (APACHE.replace(b" 2326 ", b" 12kb "), "malformed", "bad size '12kb'"),
        (APACHE.replace(b" 200 ", " ٢٠٠ ".encode()), "malformed", None),  # non-ASCII digits
    ],
)
def test_rejects(line: bytes, reason: str, detail: str | None) -> None:
    r = reject(line)
    assert r.reason == reason
    if detail is not None:
        assert r.detail == detail
    assert r.detail


def test_leap_days() -> None:
    assert row(APACHE.replace(b"10/Oct/2000", b"29/Feb/2024"))["ts"] == int(
        datetime(2024, 2, 29, 20, 55, 36, tzinfo=UTC).timestamp()
    )
    assert reject(APACHE.replace(b"10/Oct/2000", b"29/Feb/2023")).detail == "bad date 2023-02-29"
    assert reject(APACHE.replace(b"10/Oct/2000", b"29/Feb/1900")).reason == "malformed"
    assert type(parse(APACHE.replace(b"10/Oct/2000", b"29/Feb/2000"))) is tuple


def test_too_long_comes_first() -> None:
    assert reject(APACHE, max_line=len(APACHE) - 1) == Reject(
        "too_long", f"{len(APACHE)} bytes > limit {len(APACHE) - 1}"
    )
    assert type(parse(APACHE, max_line=len(APACHE))) is tuple
    assert reject(b"\x00\xff" * 10_000).reason == "too_long"  # default limit 16 KiB
    assert reject(b"\x00" * 10, max_line=5).reason == "too_long"


def test_reason_order_binary_before_invalid_utf8() -> None:
    assert reject(b"\xff\x00").reason == "binary"
    assert reject(b"\xff ").reason == "invalid_utf8"
    assert reject(b"\xc2\xa0").reason == "empty"  # a no-break space is white space


def test_parse_is_picklable_and_pure() -> None:
    again = pickle.loads(pickle.dumps(parse))
    assert again is parse
    assert parse(APACHE) == parse(APACHE)


def test_patterns_agree_on_bytes_and_str() -> None:
    m_bytes = combined.BYTES_PATTERN.match(APACHE)
    m_str = combined.PATTERN.match(APACHE.decode())
    assert m_bytes is not None and m_str is not None
    assert tuple(g.decode() if g else g for g in m_bytes.groups()) == m_str.groups()
