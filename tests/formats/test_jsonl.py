"""The JSON-lines parser: key aliases, timestamp forms, type coercion and rejects."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from functools import partial

import pytest

from formats.shared import as_reject, as_row
from labkit.formats import jsonl
from labkit.records import Reject

parse = jsonl.parse

NGINX = (
    b'{"time":"2000-10-10T13:55:36-07:00","remote_addr":"127.0.0.1","remote_user":"frank",'
    b'"request":"GET /apache_pb.gif HTTP/1.0","status":200,"body_bytes_sent":2326,'
    b'"http_referer":"http://www.example.com/start.html","http_user_agent":"Mozilla/4.08"}'
)


def line_of(**fields: object) -> bytes:
    return json.dumps(fields).encode()


row = partial(as_row, parse)
reject = partial(as_reject, parse)


def test_nginx_json_exact_fields() -> None:
    assert parse(NGINX) == (
        971211336,
        "127.0.0.1",
        "frank",
        "GET",
        "/apache_pb.gif",
        "HTTP/1.0",
        200,
        2326,
        "http://www.example.com/start.html",
        "Mozilla/4.08",
        None,
        None,
        None,
    )


def test_nginx_escape_json_style_strings_and_dashes() -> None:
    r = row(
        line_of(
            time="2024-02-29T23:30:00+01:00",
            remote_addr="::1",
            remote_user="-",
            request="GET /x HTTP/2.0",
            status="404",
            body_bytes_sent="-",
            http_referer="-",
            http_user_agent="curl/8",
        )
    )
    assert r["ts"] == int(datetime(2024, 2, 29, 22, 30, tzinfo=UTC).timestamp())
    assert (r["user"], r["status"], r["size"], r["referer"]) == (None, 404, None, None)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("time", "2000-10-10T20:55:36Z", 971211336),
        ("time", "2000-10-10T20:55:36+00:00", 971211336),
        ("time", "2000-10-10T22:55:36+0200", 971211336),
        ("time", "2000-10-10 20:55:36", 971211336),  # no zone: UTC
        ("time", "2000-10-10T20:55:36.250Z", 971211336.25),
        ("time", "10/Oct/2000:13:55:36 -0700", 971211336),  # nginx $time_local
        ("time", 971211336, 971211336),
        ("time", 971211336.5, 971211336.5),
        ("time", "971211336", 971211336),
        ("timestamp", "2000-10-10T20:55:36Z", 971211336),
        ("ts", 971211336, 971211336),
        ("@timestamp", "2000-10-10T20:55:36.000Z", 971211336.0),
        ("time_iso8601", "2000-10-10T20:55:36Z", 971211336),
        ("msec", "971211336.123", 971211336.123),
    ],
)
def test_timestamp_keys_and_forms(key: str, value: object, expected: float) -> None:
    r = row(line_of(**{key: value}))
    assert r["ts"] == pytest.approx(expected, abs=1e-6)
    assert type(r["ts"]) is type(expected)


def test_time_key_wins_over_aliases() -> None:
    assert row(line_of(ts=1, time=2))["ts"] == 2


def test_separate_request_fields_and_aliases() -> None:
    r = row(
        line_of(ts=0, client="c", user="u", method="PUT", uri="/u", protocol="HTTP/1.1", bytes=7)
    )
    expected = ("c", "u", "PUT", "/u", "HTTP/1.1", 7)
    assert (r["host"], r["user"], r["method"], r["path"], r["protocol"], r["size"]) == expected
    assert row(line_of(ts=0, path="/p", size=0))["path"] == "/p"
    assert row(line_of(ts=0, path="/p", size=0))["size"] == 0


def test_malformed_request_string_becomes_path() -> None:
    r = row(line_of(ts=0, request="-", status=400))
    assert (r["method"], r["path"], r["protocol"], r["status"]) == (None, "-", None, 400)


def test_app_style_record() -> None:
    r = row(line_of(ts=1700000000.5, logger="app.db", pid="4242", msg="slow query", level="warn"))
    assert (r["ts"], r["program"], r["pid"], r["message"]) == (
        1700000000.5,
        "app.db",
        4242,
        "slow query",
    )
    assert row(line_of(ts=0, program="p", pid=1, message=""))["message"] == ""
    assert row(line_of(ts=0, message="m"))["message"] == "m"


def test_non_string_text_values_are_rendered() -> None:
    r = row(line_of(ts=0, host=1234, msg={"a": [1, True]}, agent=False, referer=1.5))
    assert (r["host"], r["message"], r["agent"], r["referer"]) == (
        "1234",
        '{"a":[1,true]}',
        "false",
        "1.5",
    )


def test_crlf_and_surrounding_white_space() -> None:
    assert parse(NGINX + b"\r") == parse(NGINX)
    assert parse(b"  " + NGINX + b" \t") == parse(NGINX)


def test_unicode_escapes_are_decoded() -> None:
    r = row(b'{"ts":0,"msg":"caf\\u00e9 \\"q\\" \\ud83d\\ude00","agent":"\xc3\xbc"}')
    assert r["message"] == 'café "q" 😀'
    assert r["agent"] == "ü"


@pytest.mark.parametrize(
    ("line", "reason", "detail"),
    [
        (b"", "empty", "empty line"),
        (b"   ", "empty", "blank line"),
        (NGINX[:40], "malformed", None),
        (b"{bad json}", "malformed", None),
        (b"[1, 2]", "malformed", "JSON array is not an object"),
        (b'"text"', "malformed", "JSON string is not an object"),
        (b"42", "malformed", "JSON number is not an object"),
        (b"null", "malformed", "JSON null is not an object"),
        (b'{"msg": "no time"}', "malformed", "no timestamp"),
        (b'{"time": null}', "malformed", "no timestamp"),
        (b'{"time": "yesterday"}', "malformed", "bad timestamp 'yesterday'"),
        (b'{"time": "2023-02-29T00:00:00Z"}', "malformed", "bad date 2023-02-29"),
        (b'{"time": "2023-01-01T25:00:00Z"}', "malformed", None),
        (b'{"time": NaN}', "malformed", "bad timestamp nan"),
        (b'{"time": Infinity}', "malformed", None),
        (b'{"time": true}', "malformed", "bad timestamp type bool"),
        (b'{"time": [1]}', "malformed", None),
        (b'{"time": 1e300}', "malformed", "timestamp out of range"),
        (b'{"time": 1, "status": "ok"}', "malformed", "bad status 'ok'"),
        (b'{"time": 1, "status": 700}', "malformed", "bad status 700"),
        (b'{"time": 1, "status": true}', "malformed", None),
        (b'{"time": 1, "body_bytes_sent": -5}', "malformed", "bad size -5"),
        (b'{"time": 1, "pid": "x"}', "malformed", "bad pid 'x'"),
        (b'{"time": 1} {"time": 2}', "malformed", None),
        (b'{"time": 1}\x00', "binary", "control byte 0x00 at offset 11"),
        (b'{"time":\r1}', "binary", None),  # JSON white space, but a control byte in a line
        (b'{"time": 1, "msg": "a\x7fb"}', "binary", None),  # DEL is legal inside JSON strings
        (b'{"time": 1, "msg": "\xff"}', "invalid_utf8", None),
        (b'{"time": 1, "msg": "\xed\xa0\x80"}', "invalid_utf8", None),  # encoded surrogate
        (b"\xef\xbb\xbf{}", "malformed", None),  # a BOM is not JSON
    ],
)
def test_rejects(line: bytes, reason: str, detail: str | None) -> None:
    r = reject(line)
    assert r.reason == reason
    if detail is not None:
        assert r.detail == detail
    assert r.detail


def test_pathological_json_is_rejected_not_raised() -> None:
    assert reject(b"[" * 10_000).detail == "JSON nested too deeply"
    assert reject(b'{"a":' * 2500 + b"1" + b"}" * 2500).reason == "malformed"
    assert reject(b'{"time": 1' + b"0" * 5000 + b"}").reason == "malformed"  # int digit limit


@pytest.mark.parametrize("depth", [900, 990, 995, 999, 1100])
def test_deeply_nested_text_field_never_raises(depth: int) -> None:
    # json.loads may accept a depth that json.dumps (re-encoding "msg" as text) cannot
    result = parse(b'{"ts":0,"msg":' + b"[" * depth + b"]" * depth + b"}")
    if type(result) is Reject:
        assert result == Reject("malformed", "JSON nested too deeply")
    else:
        assert result[-1] == "[" * depth + "]" * depth


def test_too_long_comes_first() -> None:
    assert reject(NGINX, max_line=10).reason == "too_long"
    assert type(parse(NGINX, max_line=len(NGINX))) is tuple


def test_parse_is_picklable() -> None:
    assert pickle.loads(pickle.dumps(parse)) is parse
