"""Fast timestamp conversion to UTC epoch seconds, with small per-process caches.

``datetime.strptime`` costs ~20 µs a call. Log timestamps repeat their date part line after line,
so the epoch of each day's midnight (per time zone) is computed once and cached; the time of day
comes from two tiny dicts (``"HH:MM"`` -> seconds and ``"SS"`` -> seconds). Only validated keys
are ever stored, so a cache hit is also a validation. Errors raise ``ValueError`` with a short
message that the parsers turn into a ``malformed`` reject.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "MONTHS",
    "clf_parts_to_epoch",
    "clf_to_epoch",
    "current_utc_year",
    "day_epoch",
    "iso_to_epoch",
    "number_to_epoch",
    "syslog_day",
    "syslog_parts_to_epoch",
    "syslog_to_epoch",
    "time_of_day",
    "tz_offset",
]

#: Three-letter English month abbreviations -> month number (lower-case keys).
MONTHS: dict[str, int] = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MIN_EPOCH = -62135596800  # 0001-01-01T00:00:00Z
_MAX_EPOCH = 253402300800  # 10000-01-01T00:00:00Z (exclusive)
_CACHE_MAX = 4096  # day caches are cleared when they grow past this many entries

#: "HH:MM" -> seconds since midnight (at most 1440 entries).
_HM: dict[str, int] = {f"{h:02d}:{m:02d}": h * 3600 + m * 60 for h in range(24) for m in range(60)}
#: "SS" -> seconds (leap second 60 is rejected, like ``strptime``).
_SEC: dict[str, int] = {f"{s:02d}": s for s in range(60)}
#: "dd/Mon/yyyy" + "+zzzz" -> epoch of that local midnight.
_CLF_DAYS: dict[str, int] = {}
#: "yyyy-mm-dd" + zone suffix ("", "Z", "+hh:mm", "+hhmm") -> epoch of that local midnight.
_ISO_DAYS: dict[str, int] = {}
#: year -> {"Mon dd": epoch of that UTC midnight}.
_SYSLOG_DAYS: dict[int, dict[str, int]] = {}
#: [current UTC year, its ``_SYSLOG_DAYS`` dict]: refreshed only when a lookup in it misses (a new
#: day), so the hot path never reads the clock.
_CURRENT: list = [0, {}]

_TZ_RE = re.compile(r"([+-])([0-9]{2}):?([0-9]{2})", re.ASCII)
_CLF_RE = re.compile(
    r"([0-9]{2})/([A-Za-z]{3})/([0-9]{4}):([0-9]{2}:[0-9]{2}):([0-9]{2})"
    r" ?([+-][0-9]{2}:?[0-9]{2}|Z)",
    re.ASCII,
)
_ISO_RE = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}:[0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?"
    r"(|[Zz]|[+-][0-9]{2}:?[0-9]{2})",
    re.ASCII,
)
_SYSLOG_DAY_RE = re.compile(r"([A-Za-z]{3}) {1,2}([0-9]{1,2})", re.ASCII)

_year = 0
_year_end = 0.0


def current_utc_year() -> int:
    """The current UTC year, cached until the year ends (one ``time.time()`` call on a hit)."""
    global _year, _year_end
    if time.time() < _year_end:
        return _year
    year = datetime.now(UTC).year
    _year_end = datetime(year + 1, 1, 1, tzinfo=UTC).timestamp() if year < 9999 else 1e300
    _year = year
    return year


def tz_offset(tz: str) -> int:
    """Seconds east of UTC for ``+hhmm``, ``+hh:mm`` or ``Z`` (``""`` is UTC too)."""
    if tz in ("", "Z", "z"):
        return 0
    m = _TZ_RE.fullmatch(tz)
    if m is None:
        raise ValueError(f"bad time zone {tz!r}")
    sign, hh, mm = m.groups()
    hours, minutes = int(hh), int(mm)
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad time zone {tz!r}")
    offset = hours * 3600 + minutes * 60
    return -offset if sign == "-" else offset


def day_epoch(year: int, month: int, day: int, offset: int = 0) -> int:
    """Epoch seconds of local midnight of a calendar day in a zone ``offset`` seconds east."""
    try:
        ordinal = date(year, month, day).toordinal()
    except (ValueError, OverflowError):
        raise ValueError(f"bad date {year:04d}-{month:02d}-{day:02d}") from None
    return (ordinal - _EPOCH_ORDINAL) * 86400 - offset


def time_of_day(hm: str, sec: str) -> int:
    """Seconds since midnight for ``"HH:MM"`` and ``"SS"``; ``ValueError`` when out of range."""
    try:
        return _HM[hm] + _SEC[sec]
    except KeyError:
        raise ValueError(f"bad time '{hm}:{sec}'") from None


def _month(name: str) -> int:
    month = MONTHS.get(name.lower())
    if month is None:
        raise ValueError(f"bad month {name!r}")
    return month


def _clf_day(day: str, tz: str) -> int:
    """Cached midnight epoch for ``"dd/Mon/yyyy"`` and ``"+zzzz"``."""
    key = day + tz
    value = _CLF_DAYS.get(key)
    if value is None:
        if len(day) != 11 or day[2] != "/" or day[6] != "/":
            raise ValueError(f"bad date {day!r}")
        value = day_epoch(int(day[7:]), _month(day[3:6]), int(day[:2]), tz_offset(tz))
        if len(_CLF_DAYS) >= _CACHE_MAX:
            _CLF_DAYS.clear()
        _CLF_DAYS[key] = value
    return value


def clf_parts_to_epoch(day: str, hm: str, sec: str, tz: str) -> int:
    """Epoch for the pieces of a CLF timestamp (``"10/Oct/2000"``, ``"13:55"``, ``"36"``,
    ``"-0700"``), as the combined parser's pattern captures them."""
    return _clf_day(day, tz) + time_of_day(hm, sec)


def clf_to_epoch(ts: str) -> int:
    """``"10/Oct/2000:13:55:36 -0700"`` -> ``971211336``; ``ValueError`` when invalid."""
    if len(ts) == 26 and ts[11] == ":" and ts[17] == ":" and ts[20] == " ":
        try:
            return _CLF_DAYS[ts[:11] + ts[21:]] + _HM[ts[12:17]] + _SEC[ts[18:20]]
        except KeyError:
            pass
    m = _CLF_RE.fullmatch(ts)
    if m is None:
        raise ValueError(f"bad timestamp {ts[:40]!r}")
    dd, mon, yyyy, hm, sec, tz = m.groups()
    return _clf_day(f"{dd}/{mon}/{yyyy}", tz) + time_of_day(hm, sec)


def _iso_day(day: str, tz: str) -> int:
    key = day + tz
    value = _ISO_DAYS.get(key)
    if value is None:
        if len(day) != 10 or day[4] != "-" or day[7] != "-":
            raise ValueError(f"bad date {day!r}")
        try:
            y, mo, d = int(day[:4]), int(day[5:7]), int(day[8:])
        except ValueError:
            raise ValueError(f"bad date {day!r}") from None
        value = day_epoch(y, mo, d, tz_offset(tz))
        if len(_ISO_DAYS) >= _CACHE_MAX:
            _ISO_DAYS.clear()
        _ISO_DAYS[key] = value
    return value


def iso_to_epoch(ts: str) -> int | float:
    """ISO 8601 / RFC 3339 -> epoch: int, or float with a fractional second.

    ``"2000-10-10T13:55:36-07:00"``, ``"...Z"``, ``"...+0700"``, ``"... 13:55:36.25Z"``. A time
    without a zone is taken as UTC. Other shapes that ``datetime.fromisoformat`` accepts work too
    (slower).
    """
    if len(ts) >= 19 and ts[16] == ":" and ts[10] in "Tt ":
        rest = ts[19:]
        if not rest or rest[0] != ".":
            try:
                return _ISO_DAYS[ts[:10] + rest] + _HM[ts[11:16]] + _SEC[ts[17:19]]
            except KeyError:
                pass
    m = _ISO_RE.fullmatch(ts)
    if m is not None:
        day, hm, sec, frac, tz = m.groups()
        base = _iso_day(day, tz) + time_of_day(hm, sec)
        if frac is None:
            return base
        return base + int(frac[:9]) / 10 ** len(frac[:9])
    return _iso_fallback(ts)


def _iso_fallback(ts: str) -> int | float:
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        raise ValueError(f"bad timestamp {ts[:40]!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    except OverflowError:
        raise ValueError(f"bad timestamp {ts[:40]!r}") from None
    seconds = delta // timedelta(seconds=1)
    return seconds if dt.microsecond == 0 else delta.total_seconds()


def number_to_epoch(value: object) -> int | float:
    """An epoch number (int, float, or a decimal string) checked to lie in years 1..9999."""
    if type(value) is str:
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"bad timestamp {value[:40]!r}") from None
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(f"bad timestamp {value!r}")
    elif type(value) is not int:
        raise ValueError(f"bad timestamp type {type(value).__name__}")
    if not _MIN_EPOCH <= value < _MAX_EPOCH:
        raise ValueError("timestamp out of range")
    return value


def syslog_day(mon_day: str, year: int) -> int:
    """Cached UTC midnight epoch for ``"Nov 25"`` / ``"Nov  5"`` in ``year``."""
    days = _SYSLOG_DAYS.get(year)
    if days is None:
        if len(_SYSLOG_DAYS) >= 16:
            _SYSLOG_DAYS.clear()
        days = _SYSLOG_DAYS[year] = {}
    value = days.get(mon_day)
    if value is None:
        m = _SYSLOG_DAY_RE.fullmatch(mon_day)
        if m is None:
            raise ValueError(f"bad date {mon_day!r}")
        mon, day = m.groups()
        value = day_epoch(year, _month(mon), int(day))
        if len(days) >= _CACHE_MAX:
            days.clear()
        days[mon_day] = value
    return value


def syslog_parts_to_epoch(mon_day: str, hm: str, sec: str, year: int | None = None) -> int:
    """Epoch for the pieces the syslog pattern captures (``"Nov  5"``, ``"10:00"``, ``"00"``).

    ``year=None`` is the current UTC year, re-read from the clock here (the cache-miss path) and
    remembered in ``_CURRENT`` for the parser's fast path.
    """
    if year is not None:
        return syslog_day(mon_day, year) + time_of_day(hm, sec)
    year = datetime.now(UTC).year
    value = syslog_day(mon_day, year) + time_of_day(hm, sec)
    _CURRENT[0] = year
    _CURRENT[1] = _SYSLOG_DAYS[year]
    return value


def syslog_to_epoch(mon_day: str, hms: str, year: int) -> int:
    """``("Nov  5", "10:00:00", 2023)`` -> epoch, the time taken as UTC."""
    if len(hms) != 8 or hms[5] != ":":
        raise ValueError(f"bad time {hms!r}")
    return syslog_day(mon_day, year) + time_of_day(hms[:5], hms[6:])
