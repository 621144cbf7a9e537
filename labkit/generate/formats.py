"""Line builders for each format: pre-rendered pieces, picked per chunk and joined in one go.

Weighted picks are turned into uniform ones up front: each pool is sampled (by weight) into a
table of ``TABLE`` slots, so a chunk's picks are one ``getrandbits`` call read as 16-bit slot
numbers, and every field is a C-level ``map`` over those slots. A chunk is a flat list of
``pieces`` (``per_line`` per line, the last ending in ``\\n``) that becomes text with one join.

A renderer also knows where a line may be damaged: ``cut_range`` (a prefix that no longer
parses), ``splice_range`` (inside the path or message, for invalid UTF-8) and ``lengthen``.
"""

from __future__ import annotations

import random
import sys
from array import array
from dataclasses import dataclass
from functools import cache
from operator import getitem

from labkit.generate.pools import HUMAN, syslog_pool, web_pool

__all__ = ["FORMATS", "TABLE", "Renderer", "renderer", "slots"]

#: The formats the generator writes (and ``labkit.formats`` parses).
FORMATS: tuple[str, ...] = ("combined", "jsonl", "syslog")
#: Slots per pick table (16-bit slot numbers).
TABLE = 1 << 16
_TABLE_SEED = "labkit-generate-tables-v1"


def slots(rng: random.Random, k: int) -> array:
    """``k`` uniform slot numbers in ``range(TABLE)``, the same on every platform."""
    out = array("H")
    out.frombytes(rng.getrandbits(16 * k).to_bytes(2 * k, "little") if k else b"")
    if sys.byteorder == "big":  # pragma: no cover
        out.byteswap()
    return out


@dataclass(frozen=True, slots=True)
class _WebTables:
    heads: list[str]  # per client slot
    tails: list[str]  # per client slot, ending in "\n"
    requests: list[list[str]]  # per client slot: its class's table of request (+referer) pieces


@cache
def _web_tables(fmt: str) -> _WebTables:
    pool = web_pool()
    rng = random.Random(f"{_TABLE_SEED}/{fmt}")
    if fmt == "combined":
        head = [f"{ip} - {user} [" for ip, user in zip(pool.ips, pool.users, strict=True)]
        tail = [f'" "{agent}"\n' for agent in pool.agents]
        req = [
            [f'{r.method} {r.path} {r.protocol}" {r.status} {r.size or "-"} "' for r in reqs]
            for reqs in pool.requests
        ]
    else:
        head = [
            f'","remote_addr":"{ip}","remote_user":"{user}",'
            for ip, user in zip(pool.ips, pool.users, strict=True)
        ]
        tail = [f'","http_user_agent":"{agent}"}}\n' for agent in pool.agents]
        req = [
            [
                f'"request":"{r.method} {r.path} {r.protocol}","status":{r.status},'
                f'"body_bytes_sent":{r.size or 0},"http_referer":"'
                for r in reqs
            ]
            for reqs in pool.requests
        ]
    per_class = []
    for cls, (pieces, cum) in enumerate(zip(req, pool.request_cum, strict=True)):
        picked = rng.choices(range(len(pieces)), cum_weights=cum, k=TABLE)
        if cls == HUMAN:  # people arrive from somewhere; bots send no referer
            refs = rng.choices(pool.referers, cum_weights=pool.referer_cum, k=TABLE)
            per_class.append([pieces[i] + ref for i, ref in zip(picked, refs, strict=True)])
        else:
            dash = [p + "-" for p in pieces]
            per_class.append([dash[i] for i in picked])
    clients = rng.choices(range(len(pool.ips)), cum_weights=pool.client_cum, k=TABLE)
    return _WebTables(
        heads=[head[c] for c in clients],
        tails=[tail[c] for c in clients],
        requests=[per_class[pool.classes[c]] for c in clients],
    )


@cache
def _syslog_table() -> list[str]:
    events = syslog_pool().tails
    return [events[i % len(events)] + "\n" for i in range(TABLE)]


class Renderer:
    """Builds good lines of one format and locates the parts that bad lines damage."""

    def __init__(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
        self.fmt = fmt
        #: pieces per line in ``render``'s output
        self.per_line = 2 if fmt == "syslog" else 4

    def render(self, rng: random.Random, stamps: list[str]) -> list[str]:
        """The pieces of one good line per (decorated) timestamp; see ``Timeline``."""
        k = len(stamps)
        pieces: list[str] = [""] * (self.per_line * k)
        if self.fmt == "syslog":
            pieces[0::2] = stamps
            pieces[1::2] = map(_syslog_table().__getitem__, slots(rng, k))
            return pieces
        t = _web_tables(self.fmt)
        who, what = slots(rng, k), slots(rng, k)
        first, second = (0, 1) if self.fmt == "combined" else (1, 0)
        pieces[first::4] = map(t.heads.__getitem__, who)
        pieces[second::4] = stamps
        pieces[2::4] = map(getitem, map(t.requests.__getitem__, who), what)
        pieces[3::4] = map(t.tails.__getitem__, who)
        return pieces

    def line(self, pieces: list[str], i: int) -> str:
        """Line ``i`` of a rendered chunk, without its line ending."""
        n = self.per_line
        return "".join(pieces[n * i : n * i + n])[:-1]

    def replace(self, pieces: list[str], i: int, line: str) -> None:
        """Put ``line`` (no line ending) in place of line ``i``."""
        n = self.per_line
        pieces[n * i : n * i + n] = [line + "\n", *([""] * (n - 1))]

    def crlf(self, pieces: list[str], i: int) -> None:
        """End line ``i`` with ``\\r\\n``."""
        last = self.per_line * i + self.per_line - 1
        pieces[last] = pieces[last][:-1] + "\r\n"

    # where bad lines are made -----------------------------------------------------------------

    def cut_range(self, line: str) -> tuple[int, int]:
        """Inclusive bounds for ``cut`` such that ``line[:cut]`` is malformed (never blank)."""
        if self.fmt == "combined":  # inside the [date] up to just before the request's "
            quote = line.index('] "') + 3
            return line.index("[") + 2, line.index('"', quote)
        if self.fmt == "jsonl":  # any proper prefix of a JSON object is invalid JSON
            return 2, len(line) - 1
        return 4, line.index(": ")  # syslog: inside the header, before the first ": "

    def splice_range(self, line: str) -> tuple[int, int]:
        """Inclusive bounds of insertion points inside the path (web) or message (syslog)."""
        if self.fmt == "syslog":
            return line.index(": ") + 2, len(line)
        start = line.index('] "' if self.fmt == "combined" else '"request":"')
        path = line.index(" /", start) + 2
        return path, line.index(" ", path)

    def lengthen(self, line: str, filler: str) -> str:
        """The line with ``filler`` (printable ASCII) added to its path or message."""
        if self.fmt == "syslog":
            return f"{line} {filler}"
        start, end = self.splice_range(line)
        sep = "&" if "?" in line[start:end] else "?"
        return f"{line[:end]}{sep}q={filler}{line[end:]}"


@cache
def renderer(fmt: str) -> Renderer:
    """The shared renderer of ``fmt``."""
    return Renderer(fmt)
