"""The fast timestamp converters agree with ``datetime`` (hypothesis) and reject bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from labkit.formats import timeparse
from labkit.formats.timeparse import (
    clf_to_epoch,
    current_utc_year,
    iso_to_epoch,
    number_to_epoch,
    syslog_to_epoch,
    tz_offset,
)

CLF = "%d/%b/%Y:%H:%M:%S %z"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

local_times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59)  # minutes east of UTC


def clf(d: datetime, offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    hh, mm = divmod(abs(offset), 60)
    return f"{d.day:02d}/{MONTHS[d.month - 1]}/{d.year:04d}:{d:%H:%M:%S} {sign}{hh:02d}{mm:02d}"


@settings(max_examples=400, deadline=None)
@given(local_times, offsets)
@example(datetime(2024, 2, 29, 23, 59, 59), -60)  # leap day, crosses into March in UTC
@example(datetime(2024, 3, 1, 0, 30, 0), 60)  # back into the leap day in UTC
@example(datetime(2000, 2, 29, 12, 0, 0), 0)  # 2000 is a leap year
@example(datetime(1969, 12, 31, 23, 59, 59), 0)  # just before the epoch
@example(datetime(1970, 1, 1, 0, 0, 0), 23 * 60 + 59)
@example(datetime(2023, 12, 31, 23, 0, 0), -(9 * 60 + 30))  # crosses into the next year
def test_clf_matches_strptime(d: datetime, offset: int) -> None:
    text = clf(d, offset)
    expected = datetime.strptime(text, CLF).timestamp()
    got = clf_to_epoch(text)
    assert type(got) is int
    assert got == expected
    assert clf_to_epoch(text) == got  # cached path agrees with the first


@settings(max_examples=300, deadline=None)
@given(
    local_times,
    offsets,
    st.integers(min_value=0, max_value=999_999),
    st.sampled_from(["offset", "Z", "compact"]),
)
def test_iso_matches_fromisoformat(d: datetime, offset: int, micro: int, style: str) -> None:
    sign = "-" if offset < 0 else "+"
    hh, mm = divmod(abs(offset), 60)
    zone = {"offset": f"{sign}{hh:02d}:{mm:02d}", "Z": "Z", "compact": f"{sign}{hh:02d}{mm:02d}"}
    base = f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d:%H:%M:%S}"
    whole = base + zone[style]
    expected = datetime.fromisoformat(whole).timestamp()
    assert iso_to_epoch(whole) == expected
    assert type(iso_to_epoch(whole)) is int
    fractional = f"{base}.{micro:06d}{zone[style]}"
    got = iso_to_epoch(fractional)
    assert got == pytest.approx(datetime.fromisoformat(fractional).timestamp(), abs=1e-5)


@settings(max_examples=200, deadline=None)
@given(local_times, st.booleans())
def test_syslog_matches_strptime(d: datetime, pad_with_space: bool) -> None:
    day = f"{d.day:2d}" if pad_with_space else f"{d.day:02d}"
    mon_day = f"{MONTHS[d.month - 1]} {day}"
    hms = f"{d:%H:%M:%S}"
    expected = datetime(d.year, d.month, d.day, d.hour, d.minute, d.second, tzinfo=UTC)
    assert syslog_to_epoch(mon_day, hms, d.year) == expected.timestamp()


def test_known_values() -> None:
    assert clf_to_epoch("10/Oct/2000:13:55:36 -0700") == 971211336
    assert clf_to_epoch("01/Jan/1970:00:00:00 +0000") == 0
    assert clf_to_epoch("10/oct/2000:13:55:36 -07:00") == 971211336  # lenient slow path
    assert iso_to_epoch("1970-01-01T00:00:00Z") == 0
    assert iso_to_epoch("2000-10-10T13:55:36.5-07:00") == 971211336.5
    assert iso_to_epoch("2000-10-10") == 971136000  # other ISO shapes via fromisoformat
    assert syslog_to_epoch("Jan  1", "00:00:00", 1970) == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "10/Oct/2000",
        "10/Oct/2000:13:55:36",
        "10/Foo/2000:13:55:36 +0000",
        "32/Oct/2000:13:55:36 +0000",
        "00/Oct/2000:13:55:36 +0000",
        "29/Feb/2100:13:55:36 +0000",
        "10/Oct/0000:13:55:36 +0000",
        "10/Oct/2000:24:00:00 +0000",
        "10/Oct/2000:13:60:00 +0000",
        "10/Oct/2000:13:55:60 +0000",
        "10/Oct/2000:13:55:36 +2400",
        "10/Oct/2000:13:55:36 +0060",
        "10/Oct/2000X13:55:36 +0000",
        "10/Oct/2000:13:55:36X+0000",
    ],
)
def test_clf_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        clf_to_epoch(text)
    with pytest.raises(ValueError):  # and again, after the caches have seen similar keys
        clf_to_epoch(text)


@pytest.mark.parametrize(
    "text", ["", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-01-01T00:00:00+25:00", "x"]
)
def test_iso_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        iso_to_epoch(text)


def test_tz_offset() -> None:
    assert tz_offset("+0000") == 0
    assert tz_offset("Z") == 0
    assert tz_offset("-0700") == -7 * 3600
    assert tz_offset("+05:30") == 5 * 3600 + 30 * 60
    for bad in ("+2400", "0700", "+7", "+07:60", "UTC"):
        with pytest.raises(ValueError):
            tz_offset(bad)


def test_number_to_epoch() -> None:
    assert number_to_epoch(5) == 5
    assert number_to_epoch("5") == 5
    assert number_to_epoch("5.5") == 5.5
    assert number_to_epoch(-1.25) == -1.25
    for bad in (float("nan"), float("inf"), True, None, [1], "x", 10**12, "1e300"):
        with pytest.raises(ValueError):
            number_to_epoch(bad)


def test_day_cache_is_bounded_and_stays_correct() -> None:
    start = datetime(1990, 1, 1)
    for i in range(timeparse._CACHE_MAX + 10):
        d = start + timedelta(days=i)
        assert clf_to_epoch(clf(d, 0)) == datetime.strptime(clf(d, 0), CLF).timestamp()
    assert len(timeparse._CLF_DAYS) <= timeparse._CACHE_MAX


def test_current_utc_year() -> None:
    assert current_utc_year() == datetime.now(UTC).year
    assert current_utc_year() == datetime.now(UTC).year  # cached


timestamp_like = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.,]{0,15}[Zz+\-0-9:]{0,7}", fullmatch=True),
    st.from_regex(r"[0-9]{2}/[A-Za-z]{3}/[0-9]{4}:[0-9:]{8} ?[+\-Z0-9:]{0,6}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(timestamp_like)
def test_converters_only_raise_value_error(text: str) -> None:
    for convert in (clf_to_epoch, iso_to_epoch, number_to_epoch):
        try:
            value = convert(text)
        except ValueError:
            continue
        assert type(value) in (int, float)
