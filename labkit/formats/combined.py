"""Apache/nginx combined (and common) log format.

``1.2.3.4 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326 "http://ref/" "UA"``

Fast path: decode the line once, match one strict ``str`` pattern (which also refuses control
characters), look the timestamp up in the day caches of ``timeparse``. Anything else (escaped
quotes, a garbage request, extra trailing fields, bad lines) goes to a lenient slow path.
"""

from __future__ import annotations

import re

from labkit.formats.classify import decode_text, too_long
from labkit.formats.timeparse import _CLF_DAYS, _HM, _SEC, clf_parts_to_epoch, clf_to_epoch
from labkit.records import MAX_LINE_BYTES, Reject, Row

__all__ = ["BYTES_PATTERN", "PATTERN", "parse"]

_TOKEN = r"[^\x00-\x20\x7f]+"
_QUOTED = r'[^"\\\x00-\x08\x0a-\x1f\x7f]*'
_SOURCE = (
    "(" + _TOKEN + ") " + _TOKEN + " (" + _TOKEN + ") "
    r"\[([0-9]{2}/[A-Za-z]{3}/[0-9]{4}):([0-9]{2}:[0-9]{2}):([0-9]{2}) ([+-][0-9]{4})\] "
    r'"([A-Z]+) ([^\x00-\x20\x7f"\\]+) (HTTP/[0-9.]+)" ([1-5][0-9]{2}) ([0-9]{1,18}|-)'
    '(?: "(' + _QUOTED + ')" "(' + _QUOTED + r')")?\r?\Z'
)

#: The fast-path pattern, on decoded text. Groups: host, user, day, "HH:MM", "SS", zone, method,
#: path, protocol, status, size, referer, agent.
PATTERN = re.compile(_SOURCE, re.ASCII)
#: The same pattern for ``bytes`` (used by the benchmark as the floor).
BYTES_PATTERN = re.compile(_SOURCE.encode())

_Q = r'([^"\\]*(?:\\.[^"\\]*)*)'
_LENIENT = re.compile(
    r"(\S+) (\S+) (\S+) \[([^\]]*)\] " + '"' + _Q + r'" (\S+) (\S+)'
    '(?: "' + _Q + '"(?: "' + _Q + r'")?)?(?:\s+(.*))?',
    re.ASCII | re.DOTALL,
)
_REQUEST = re.compile(
    r"([A-Z][A-Z_-]*) (\S(?:.*\S)?) (HTTP/[0-9.]+)"  # method, path (may hold spaces), protocol
    r"|([A-Z][A-Z_-]*) (\S+)",  # HTTP/0.9: method and path only
    re.ASCII,
)
_UNESCAPE = re.compile(r'\\(["\\])')

_match = PATTERN.match


def parse(line: bytes, *, max_line: int = MAX_LINE_BYTES) -> Row | Reject:
    """Parse one combined/common log line (without its ``\\n``) into a row or a reject."""
    if len(line) > max_line:
        return too_long(line, max_line)
    try:
        m = _match(line.decode())
    except UnicodeDecodeError:
        return _slow(line)
    if m is None:
        return _slow(line)
    host, user, day, hm, sec, tz, method, path, protocol, status, size, referer, agent = m.groups()
    try:
        ts = _CLF_DAYS[day + tz] + _HM[hm] + _SEC[sec]
    except KeyError:
        try:
            ts = clf_parts_to_epoch(day, hm, sec, tz)
        except ValueError as exc:
            return Reject("malformed", str(exc))
    return (
        ts,
        host,
        None if user == "-" else user,
        method,
        path,
        protocol,
        int(status),
        None if size == "-" else int(size),
        None if referer == "-" else referer,
        agent,
        None,
        None,
        None,
    )


def _unescape(text: str | None) -> str | None:
    if text is None or "\\" not in text:
        return text
    return _UNESCAPE.sub(r"\1", text)


def _split_request(request: str) -> tuple[str | None, str, str | None]:
    m = _REQUEST.fullmatch(request)
    if m is None:
        return None, request, None
    method, path, protocol, method09, path09 = m.groups()
    if method is None:
        return method09, path09, None
    return method, path, protocol


def _slow(line: bytes) -> Row | Reject:
    text = decode_text(line)
    if type(text) is Reject:
        return text
    m = _LENIENT.fullmatch(text)
    if m is None:
        return Reject("malformed", "no match for combined format")
    host, _ident, user, ts_text, request, status, size, referer, agent, _extra = m.groups()
    try:
        ts = clf_to_epoch(ts_text)
    except ValueError as exc:
        return Reject("malformed", str(exc))
    if not (len(status) == 3 and status.isascii() and status.isdigit() and "100" <= status < "600"):
        return Reject("malformed", f"bad status {status[:20]!r}")
    if size == "-":
        size_value = None
    elif size.isascii() and size.isdigit() and len(size) <= 18:
        size_value = int(size)
    else:
        return Reject("malformed", f"bad size {size[:20]!r}")
    method, path, protocol = _split_request(_unescape(request))
    referer = _unescape(referer)
    return (
        ts,
        host,
        None if user == "-" else user,
        method,
        path,
        protocol,
        int(status),
        size_value,
        None if referer == "-" else referer,
        _unescape(agent),
        None,
        None,
        None,
    )
