"""RFC 3164 (BSD) syslog lines as in ``/var/log/auth.log``.

``<PRI>Nov 25 10:00:00 myhost sshd[1234]: Accepted password for bob from 10.0.0.1 port 22 ssh2``

The ``<PRI>`` prefix is optional, the day may be space-padded (``Nov  5``), the tag may lack a
``[pid]`` (``kernel: ...``). The header has no year: it comes from the ``year`` argument;
``None`` means the current UTC year, which is cached and re-read from the clock only when a day
is not in the cache yet. Times are taken as UTC. A line needs a ``program:`` tag (a truncated
header is ``malformed``). The slow path also accepts an RFC 3339 timestamp in place of
``Mon dd hh:mm:ss``.
"""

from __future__ import annotations

import re

from labkit.formats.classify import decode_text, too_long
from labkit.formats.timeparse import (
    _CURRENT,
    _HM,
    _SEC,
    _SYSLOG_DAYS,
    iso_to_epoch,
    syslog_parts_to_epoch,
)
from labkit.records import MAX_LINE_BYTES, Reject, Row

__all__ = ["BYTES_PATTERN", "PATTERN", "parse"]

_SOURCE = (
    r"(?:<([0-9]{1,3})>)?([A-Z][a-z]{2} [ 0-9][0-9]) ([0-9]{2}:[0-9]{2}):([0-9]{2}) "
    r"([^\x00-\x20\x7f]+) ([^\x00-\x20\x7f\[\]:]+)(?:\[([0-9]{1,10})\])?: ?"
    r"([^\x00-\x08\x0a-\x1f\x7f]*)\r?\Z"
)

#: The fast-path pattern, on decoded text. Groups: priority, "Mon dd", "HH:MM", "SS", host,
#: program, pid, message.
PATTERN = re.compile(_SOURCE, re.ASCII)
#: The same pattern for ``bytes`` (used by the benchmark as the floor).
BYTES_PATTERN = re.compile(_SOURCE.encode())

_LENIENT = re.compile(
    r"(?:<([0-9]+)>)?(?:([A-Za-z]{3} {1,2}[0-9]{1,2}) ([0-9]{1,2}:[0-9]{2}:[0-9]{2})"
    r"|([0-9]{4}-[0-9]{2}-[0-9]{2}T\S+)) (\S+)(?: (.*))?",
    re.ASCII | re.DOTALL,
)
_TAG = re.compile(r"([^\s\[\]:]+)(?:\[([^\]\s]*)\])?: ?(.*)", re.ASCII | re.DOTALL)

_match = PATTERN.match


def parse(line: bytes, *, max_line: int = MAX_LINE_BYTES, year: int | None = None) -> Row | Reject:
    """Parse one syslog line (without its ``\\n``) into a row or a reject."""
    if len(line) > max_line:
        return too_long(line, max_line)
    try:
        m = _match(line.decode())
    except UnicodeDecodeError:
        return _slow(line, year)
    if m is None:
        return _slow(line, year)
    pri, mon_day, hm, sec, host, program, pid, message = m.groups()
    try:
        days = _CURRENT[1] if year is None else _SYSLOG_DAYS[year]
        ts = days[mon_day] + _HM[hm] + _SEC[sec]
    except KeyError:
        try:
            ts = syslog_parts_to_epoch(mon_day, hm, sec, year)
        except ValueError as exc:
            return Reject("malformed", str(exc))
    if pri is not None and int(pri) > 191:
        return Reject("malformed", f"bad priority <{pri}>")
    return (
        ts,
        host,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        program,
        None if pid is None else int(pid),
        message,
    )


def _slow(line: bytes, year: int | None) -> Row | Reject:
    text = decode_text(line)
    if type(text) is Reject:
        return text
    m = _LENIENT.fullmatch(text)
    if m is None:
        return Reject("malformed", "no match for syslog format")
    pri, mon_day, hms, iso, host, rest = m.groups()
    if pri is not None and (len(pri) > 3 or int(pri) > 191):
        return Reject("malformed", f"bad priority <{pri[:10]}>")
    try:
        if iso is not None:
            ts = iso_to_epoch(iso)
        else:
            hms = hms.zfill(8)
            ts = syslog_parts_to_epoch(mon_day, hms[:5], hms[6:], year)
    except ValueError as exc:
        return Reject("malformed", str(exc))
    tag = None if rest is None else _TAG.fullmatch(rest)
    if tag is None:
        return Reject("malformed", "no 'program:' tag after the host")
    program, pid_text, message = tag.groups()
    pid = None
    if pid_text is not None:
        if not (pid_text.isascii() and pid_text.isdigit() and len(pid_text) <= 10):
            return Reject("malformed", f"bad pid {pid_text[:20]!r}")
        pid = int(pid_text)
    return (ts, host, None, None, None, None, None, None, None, None, program, pid, message)
