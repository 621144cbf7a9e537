"""JSON lines: one object per line, nginx JSON-log keys or app-style keys.

Recognised keys (first present wins): time ``time``/``timestamp``/``ts``/``@timestamp`` (also
``time_iso8601``, ``time_local``, ``msec``; ISO 8601, CLF or an epoch number); host
``remote_addr``/``host``/``client``; user ``remote_user``/``user``; ``request`` ("GET /x HTTP/1.1")
or ``method``, ``path``/``uri``, ``protocol``; ``status``; size ``body_bytes_sent``/``bytes``/
``size``; referer ``http_referer``/``referer``; agent ``http_user_agent``/``user_agent``/``agent``;
program ``program``/``logger``; ``pid``; message ``msg``/``message``. Numbers may be given as
decimal strings. A line that is JSON but not an object, or has no usable timestamp, is
``malformed``.

Measured: ``str.decode`` then ``JSONDecoder.raw_decode`` on the text is faster than
``json.loads`` on bytes (which sniffs the encoding in Python) or on the decoded text.
"""

from __future__ import annotations

import json

from labkit.formats.classify import decode_text, too_long
from labkit.formats.timeparse import clf_to_epoch, iso_to_epoch, number_to_epoch
from labkit.records import MAX_LINE_BYTES, Reject, Row

__all__ = ["parse"]

_DECODER = json.JSONDecoder()
_raw_decode = _DECODER.raw_decode
_TIME_KEYS = ("timestamp", "ts", "@timestamp", "time_iso8601", "time_local", "msec")
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_INT_LIMITS = {"status": (100, 599), "size": (0, None), "pid": (0, None)}


def parse(line: bytes, *, max_line: int = MAX_LINE_BYTES) -> Row | Reject:
    """Parse one JSON line (without its ``\\n``) into a row or a reject."""
    if len(line) > max_line:
        return too_long(line, max_line)
    try:
        text = line.decode()
        obj, end = _raw_decode(text)
    except (ValueError, RecursionError):
        return _slow(line)
    # JSON allows CR/LF as white space and DEL inside strings: both make the line ``binary``.
    if end != len(text) or type(obj) is not dict or "\r" in text or "\n" in text or "\x7f" in text:
        return _slow(line)
    try:
        return _row(obj)
    except RecursionError:  # re-encoding a deeply nested value as a text field
        return Reject("malformed", "JSON nested too deeply")


def _slow(line: bytes) -> Row | Reject:
    text = decode_text(line)
    if type(text) is Reject:
        return text
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        return Reject("malformed", f"invalid JSON: {exc.msg} at column {exc.colno}")
    except RecursionError:
        return Reject("malformed", "JSON nested too deeply")
    except ValueError as exc:  # e.g. an integer literal with too many digits
        return Reject("malformed", f"invalid JSON: {str(exc)[:60]}")
    if type(obj) is not dict:
        return Reject("malformed", f"JSON {_JSON_TYPES.get(type(obj), 'null')} is not an object")
    try:
        return _row(obj)
    except RecursionError:
        return Reject("malformed", "JSON nested too deeply")


def _epoch(value: object) -> int | float:
    if type(value) is str:
        if value[4:5] == "-":
            return iso_to_epoch(value)
        if "/" in value:
            return clf_to_epoch(value)
    return number_to_epoch(value)


def _text(value: object) -> str | None:
    """A text field from any JSON value (``None`` stays ``None``)."""
    if value is None or type(value) is str:
        return value
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) in (int, float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _int(value: object, name: str) -> int | None:
    """An int field from an int or a decimal string; ``ValueError`` when unusable."""
    if value is None or value == "-":
        return None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) <= 18:
        value = int(value)
    if type(value) is not int:
        raise ValueError(f"bad {name} {str(value)[:20]!r}")
    low, high = _INT_LIMITS[name]
    if value < low or (high is not None and value > high):
        raise ValueError(f"bad {name} {value}")
    return value


def _row(obj: dict) -> Row | Reject:
    get = obj.get
    t = get("time")
    if t is None:
        for key in _TIME_KEYS:
            t = get(key)
            if t is not None:
                break
        else:
            return Reject("malformed", "no timestamp")
    try:
        ts = iso_to_epoch(t) if type(t) is str and t[4:5] == "-" else _epoch(t)
    except ValueError as exc:
        return Reject("malformed", str(exc))

    request = get("request")
    if type(request) is str:
        parts = request.split(" ")
        if len(parts) == 3 and parts[2][:5] == "HTTP/" and parts[0].isupper():
            method, path, protocol = parts
        else:
            method, path, protocol = None, request, None
    else:
        method = get("method") or get("request_method")
        path = get("path") or get("uri") or get("request_uri") or _text(request)
        protocol = get("protocol") or get("server_protocol")
    status = get("status")
    size = get("body_bytes_sent")
    if size is None:
        size = get("bytes")
        if size is None:
            size = get("size")
    pid = get("pid")
    try:
        if type(status) is not int or not 100 <= status <= 599:
            status = _int(status, "status")
        if type(size) is not int or size < 0:
            size = _int(size, "size")
        if pid is not None and (type(pid) is not int or pid < 0):
            pid = _int(pid, "pid")
    except ValueError as exc:
        return Reject("malformed", str(exc))

    host = get("remote_addr") or get("host") or get("client")
    user = get("remote_user") or get("user")
    referer = get("http_referer") or get("referer")
    agent = get("http_user_agent") or get("user_agent") or get("agent")
    program = get("program") or get("logger")
    message = get("msg")
    if message is None:
        message = get("message")
    return (
        ts,
        host if type(host) is str or host is None else _text(host),
        None if user == "-" else (user if type(user) is str or user is None else _text(user)),
        method if type(method) is str or method is None else _text(method),
        path if type(path) is str or path is None else _text(path),
        protocol if type(protocol) is str or protocol is None else _text(protocol),
        status,
        size,
        None if referer == "-" else (referer if type(referer) is str else _text(referer)),
        agent if type(agent) is str or agent is None else _text(agent),
        program if type(program) is str or program is None else _text(program),
        pid,
        message if type(message) is str or message is None else _text(message),
    )
