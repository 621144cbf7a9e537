"""How fast are the parsers? Full ``parse`` against a floor and the timestamp converter against
``datetime.strptime``.

The floor of ``combined`` and ``syslog`` is ``BYTES_PATTERN.match(line).groups()`` (the regex
alone, on bytes); the parsers match the same pattern as ``str`` on the decoded line, so that floor
is reported too (``floor_str_lps``). ``jsonl`` has no pattern: its floor is ``json.loads(line)``
on bytes (``floor_str_lps``: ``json.loads(line.decode())``). ``ratio`` = parse / floor, target
>= 0.5.

Run ``python -m labkit.bench.parse --lines 200000 [--format syslog] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from labkit.formats import FORMATS, combined, get_parser, syslog
from labkit.formats.timeparse import clf_to_epoch, iso_to_epoch, syslog_to_epoch

__all__ = ["bench_parse", "main", "make_lines"]

_CLF_FMT = "%d/%b/%Y:%H:%M:%S %z"
_PATTERNS = {"combined": combined, "syslog": syslog}
_CLF_TS = re.compile(rb"\[([^\]]+)\]")
_ISO_TS = re.compile(rb'"(?:time|timestamp|ts|@timestamp)"\s*:\s*"([^"]+)"')
_SYSLOG_TS = re.compile(rb"(?:<[0-9]+>)?([A-Z][a-z]{2} [ 0-9][0-9]) ([0-9:]{8}) ")


_Loop = Callable[[], None]


def _race(funcs: dict[str, Callable[[], object]], n: int, repeat: int) -> dict[str, float]:
    """Items per second of each function: the best of ``repeat`` rounds.

    Each round runs every function once, in turn, so that load from other processes on a busy
    machine hits all of them alike; the garbage collector is off while timing (as in ``timeit``).
    """
    best = dict.fromkeys(funcs, float("inf"))
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(max(repeat, 1)):
            for name, func in funcs.items():
                t0 = time.perf_counter()
                func()
                best[name] = min(best[name], time.perf_counter() - t0)
    finally:
        if enabled:
            gc.enable()
    return {name: n / t if t > 0 else float("inf") for name, t in best.items()}


def _floors(lines: list[bytes], fmt: str) -> tuple[_Loop, _Loop]:
    """The (bytes floor, str floor) loops."""
    if fmt == "jsonl":
        loads = json.loads

        def floor_bytes() -> None:
            for line in lines:
                try:  # noqa: SIM105 (contextlib.suppress would cost more than the floor)
                    loads(line)
                except ValueError:
                    pass

        def floor_str() -> None:
            for line in lines:
                try:  # noqa: SIM105
                    loads(line.decode())
                except ValueError:
                    pass

    else:
        module = _PATTERNS[fmt]
        match_b, match_s = module.BYTES_PATTERN.match, module.PATTERN.match

        def floor_bytes() -> None:
            for line in lines:
                m = match_b(line)
                if m is not None:
                    m.groups()

        def floor_str() -> None:
            for line in lines:
                m = match_s(line.decode("utf-8", "replace"))
                if m is not None:
                    m.groups()

    return floor_bytes, floor_str


def _timestamps(lines: list[bytes], fmt: str) -> list[Any]:
    """The timestamp strings of the lines (as the timestamp benchmarks consume them)."""
    if fmt == "combined":
        found = (_CLF_TS.search(line) for line in lines)
        return [m.group(1).decode() for m in found if m is not None]
    if fmt == "jsonl":
        found = (_ISO_TS.search(line) for line in lines)
        return [m.group(1).decode() for m in found if m is not None]
    found = (_SYSLOG_TS.match(line) for line in lines)
    return [(m.group(1).decode(), m.group(2).decode()) for m in found if m is not None]


def _time_benches(stamps: list[Any], fmt: str) -> tuple[_Loop, _Loop, str]:
    """The (strptime loop, timeparse loop, the strptime call measured)."""
    strptime = datetime.strptime
    if fmt == "combined":
        label = f'strptime(ts, "{_CLF_FMT}").timestamp()'

        def slow() -> None:
            for ts in stamps:
                strptime(ts, _CLF_FMT).timestamp()

        def fast() -> None:
            for ts in stamps:
                clf_to_epoch(ts)

    elif fmt == "jsonl":
        iso_fmt = "%Y-%m-%dT%H:%M:%S%z"
        label = f'strptime(ts, "{iso_fmt}").timestamp()'

        def slow() -> None:
            for ts in stamps:
                strptime(ts, iso_fmt).timestamp()

        def fast() -> None:
            for ts in stamps:
                iso_to_epoch(ts)

    else:
        year = datetime.now(UTC).year
        label = 'strptime(f"{year} {ts}", "%Y %b %d %H:%M:%S").replace(tzinfo=utc).timestamp()'
        utc = UTC

        def slow() -> None:
            for day, hms in stamps:
                strptime(f"{year} {day} {hms}", "%Y %b %d %H:%M:%S").replace(tzinfo=utc).timestamp()

        def fast() -> None:
            for day, hms in stamps:
                syslog_to_epoch(day, hms, year)

    return slow, fast, label


def bench_parse(lines: list[bytes], fmt: str = "combined", repeat: int = 3) -> dict:
    """Benchmark parsing ``lines`` of ``fmt``; figures are the best of ``repeat`` runs.

    Returns ``floor_lps`` (regex on bytes, or ``json.loads`` for jsonl), ``floor_str_lps``,
    ``parse_lps``, ``ratio`` (parse / floor), ``strptime_lps``, ``timeparse_lps``,
    ``timeparse_speedup`` and a few counts.
    """
    parse = get_parser(fmt)  # ValueError for an unknown format
    n = len(lines)
    if n == 0:
        raise ValueError("no lines to benchmark")

    def run_parse() -> None:
        for line in lines:
            parse(line)

    floor_bytes, floor_str = _floors(lines, fmt)
    speed = _race({"floor": floor_bytes, "floor_str": floor_str, "parse": run_parse}, n, repeat)
    floor_lps, floor_str_lps, parse_lps = speed["floor"], speed["floor_str"], speed["parse"]
    stamps = _timestamps(lines, fmt)
    slow, fast, strptime_call = _time_benches(stamps, fmt)
    strptime_lps = timeparse_lps = 0.0
    if stamps:
        speed = _race({"strptime": slow, "timeparse": fast}, len(stamps), repeat)
        strptime_lps, timeparse_lps = speed["strptime"], speed["timeparse"]
    rows = sum(1 for line in lines if type(parse(line)) is tuple)
    return {
        "format": fmt,
        "lines": n,
        "rows": rows,
        "rejects": n - rows,
        "repeat": repeat,
        "floor_lps": round(floor_lps),
        "floor_str_lps": round(floor_str_lps),
        "parse_lps": round(parse_lps),
        "ratio": round(parse_lps / floor_lps, 3),
        "timestamps": len(stamps),
        "strptime_call": strptime_call,
        "strptime_lps": round(strptime_lps),
        "timeparse_lps": round(timeparse_lps),
        "timeparse_speedup": round(timeparse_lps / strptime_lps, 1) if strptime_lps else None,
    }


# a small deterministic generator, used when labkit.generate is not available ---------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PATHS = ("/", "/index.html", "/api/v1/items", "/static/app.js", "/login", "/img/logo.png")
_AGENTS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 Version/17.2 Safari/605",
    "curl/8.5.0",
)
_PROGRAMS = ("sshd", "CRON", "systemd-logind", "sudo", "kernel")


def _local_lines(fmt: str, n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    t = 1_700_000_000
    out: list[bytes] = []
    for i in range(n):
        t += rng.randint(0, 3)
        tz_hours = rng.choice((0, 0, 1, -7))
        d = datetime.fromtimestamp(t + tz_hours * 3600, UTC)  # local wall time
        host = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        path = f"{rng.choice(_PATHS)}?id={i}"
        status = rng.choice((200, 200, 200, 304, 404, 500))
        size = rng.randint(0, 50_000)
        agent = rng.choice(_AGENTS)
        if fmt == "combined":
            tz = f"{'+' if tz_hours >= 0 else '-'}{abs(tz_hours):02d}00"
            stamp = f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S} {tz}"
            line = f'{host} - - [{stamp}] "GET {path} HTTP/1.1" {status} {size} "-" "{agent}"'
        elif fmt == "jsonl":
            tz = f"{'+' if tz_hours >= 0 else '-'}{abs(tz_hours):02d}:00"
            record = {
                "time": f"{d:%Y-%m-%dT%H:%M:%S}{tz}",
                "remote_addr": host,
                "remote_user": "-",
                "request": f"GET {path} HTTP/1.1",
                "status": status,
                "body_bytes_sent": size,
                "http_referer": "-",
                "http_user_agent": agent,
            }
            line = json.dumps(record, separators=(",", ":"))
        else:
            u = datetime.fromtimestamp(t, UTC)
            program = rng.choice(_PROGRAMS)
            tag = program if program == "kernel" else f"{program}[{rng.randint(100, 99999)}]"
            line = (
                f"{_MONTHS[u.month - 1]} {u.day:2d} {u:%H:%M:%S} web{i % 3} {tag}: "
                f"Accepted publickey for user{i % 50} from {host} port {rng.randint(1024, 65535)}"
            )
        out.append(line.encode())
    return out


def make_lines(fmt: str, n: int, seed: int = 0) -> tuple[list[bytes], str]:
    """``n`` good lines of ``fmt`` and where they came from (``labkit.generate`` or ``local``)."""
    try:
        from labkit.generate import iter_lines
    except ImportError:
        return _local_lines(fmt, n, seed), "local"
    try:
        lines = list(iter_lines(fmt, n, seed=seed, bad_rate=0.0))
    except Exception:  # another engineer's module: any failure falls back to the local one
        return _local_lines(fmt, n, seed), "local (labkit.generate failed)"
    if len(lines) != n or not all(type(line) is bytes for line in lines):
        return _local_lines(fmt, n, seed), "local (labkit.generate gave unexpected lines)"
    return lines, "labkit.generate"


def main(argv: list[str] | None = None) -> int:
    """Command line: print a table (or one JSON object with ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m labkit.bench.parse", description=__doc__)
    parser.add_argument("--lines", type=int, default=200_000, help="lines to parse (200000)")
    parser.add_argument("--format", choices=FORMATS, default="combined", dest="fmt")
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best counts (3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error("--lines must be at least 1")
    lines, source = make_lines(args.fmt, args.lines, args.seed)
    result = {"source": source, **bench_parse(lines, args.fmt, args.repeat)}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['lines']} {args.fmt} lines from {source}, best of {args.repeat}")
    floor_label = "json.loads" if args.fmt == "jsonl" else "regex match+groups"
    table = [
        (f"floor: {floor_label} (bytes)", result["floor_lps"], ""),
        (f"floor: {floor_label} (str)", result["floor_str_lps"], ""),
        ("parse", result["parse_lps"], f"ratio {result['ratio']:.2f} (target >= 0.5)"),
        ("datetime.strptime", result["strptime_lps"], ""),
        ("timeparse", result["timeparse_lps"], f"x{result['timeparse_speedup']}"),
    ]
    for name, lps, note in table:
        print(f"  {name:36s} {lps:>12,} lines/s  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
