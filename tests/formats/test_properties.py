"""Property tests: no parse function ever raises, and rejects follow the documented order."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.formats import FORMATS, get_parser
from labkit.formats.classify import classify
from labkit.records import FIELDS, REASONS, Reject

VALID: dict[str, list[bytes]] = {
    "combined": [
        b'127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 '
        b'"http://ref/" "Mozilla/4.08"',
        b'::1 - - [29/Feb/2024:00:00:00 +0530] "-" 400 - "-" "a \\"q\\" b"',
        b'10.0.0.1 - - [01/Jan/1999:23:59:59 +0000] "POST /l HTTP/1.1" 302 0',
    ],
    "jsonl": [
        b'{"time":"2000-10-10T13:55:36-07:00","remote_addr":"1.2.3.4","remote_user":"-",'
        b'"request":"GET /x HTTP/1.1","status":"200","body_bytes_sent":12,"http_referer":"-",'
        b'"http_user_agent":"ua"}',
        b'{"ts":1700000000.25,"program":"app","pid":7,"msg":"caf\\u00e9","extra":[1,{"a":null}]}',
    ],
    "syslog": [
        b"Nov 25 10:00:00 myhost sshd[1234]: Accepted password for bob from 10.0.0.1 port 22",
        b"<34>Nov  5 01:02:03 host kernel: [ 1.0] usb 1-1: new device",
        b"2023-11-25T10:00:00.5Z h app[1]: x",
    ],
}
CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
TEXT_FIELDS = [i for i, f in enumerate(FIELDS) if f not in ("ts", "status", "size", "pid")]


def check_result(result: object, line: bytes, max_line: int) -> None:
    """The shape of any result, and the reason order of ``records.REASONS``."""
    if type(result) is Reject:
        assert result.reason in REASONS[:5]
        assert type(result.detail) is str and result.detail
        expected = expected_reason(line, max_line)
        if expected is not None:
            assert result.reason == expected
        else:
            assert result.reason == "malformed"
        return
    assert type(result) is tuple and len(result) == len(FIELDS)
    assert expected_reason(line, max_line) is None
    row = dict(zip(FIELDS, result, strict=True))
    assert type(row["ts"]) in (int, float)
    for name in ("status", "size", "pid"):
        assert row[name] is None or type(row[name]) is int
    for i in TEXT_FIELDS:
        assert result[i] is None or type(result[i]) is str


def expected_reason(line: bytes, max_line: int) -> str | None:
    """The reason that must win for this line, or None when only ``malformed`` could apply."""
    if len(line) > max_line:
        return "too_long"
    body = line[:-1] if line.endswith(b"\r") else line
    if CONTROL.search(body):
        return "binary"
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return "invalid_utf8"
    if not text.strip():
        return "empty"
    return None


@st.composite
def mutated(draw: st.DrawFn, fmt: str) -> bytes:
    """A valid line with a few random edits (replace, insert, delete, truncate, duplicate)."""
    line = bytearray(draw(st.sampled_from(VALID[fmt])))
    interesting = st.sampled_from(
        [0, 9, 13, 10, 32, 34, 45, 47, 58, 91, 92, 93, 123, 125, 0x7F, 0x80, 0xC3, 0xFF]
    )
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        op = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "duplicate"]))
        at = draw(st.integers(min_value=0, max_value=max(len(line) - 1, 0)))
        byte = draw(st.one_of(interesting, st.integers(min_value=0, max_value=255)))
        if op == "replace" and line:
            line[at] = byte
        elif op == "insert":
            line.insert(at, byte)
        elif op == "delete" and line:
            del line[at]
        elif op == "truncate":
            del line[at:]
        elif op == "duplicate":
            line[at:at] = line[at : at + draw(st.integers(min_value=1, max_value=20))]
    return bytes(line)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=250, deadline=None)
@given(line=st.binary(max_size=200), max_line=st.sampled_from([16 * 1024, 64, 8]))
def test_arbitrary_bytes_never_raise(fmt: str, line: bytes, max_line: int) -> None:
    check_result(get_parser(fmt)(line, max_line=max_line), line, max_line)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_valid_lines_never_raise(fmt: str, data: st.DataObject) -> None:
    line = data.draw(mutated(fmt))
    parse = get_parser(fmt)
    check_result(parse(line), line, 16 * 1024)
    if not line.endswith(b"\r"):  # a CRLF line parses like its LF twin
        assert parse(line + b"\r") == parse(line)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=120))
def test_arbitrary_text_never_raises(fmt: str, text: str) -> None:
    line = text.encode("utf-8", "surrogatepass")  # lone surrogates make invalid UTF-8 too
    check_result(get_parser(fmt)(line), line, 16 * 1024)


@pytest.mark.parametrize("fmt", FORMATS)
def test_valid_samples_parse(fmt: str) -> None:
    for line in VALID[fmt]:
        result = get_parser(fmt)(line)
        assert type(result) is tuple, (line, result)
        check_result(result, line, 16 * 1024)


@settings(max_examples=300, deadline=None)
@given(line=st.binary(max_size=100), max_line=st.sampled_from([None, 50]))
def test_classify_follows_the_reason_order(line: bytes, max_line: int | None) -> None:
    result = classify(line, "custom detail", max_line=max_line)
    expected = expected_reason(line, 1 << 30 if max_line is None else max_line)
    assert result.reason == (expected or "malformed")
    if expected is None:
        assert result.detail == "custom detail"
