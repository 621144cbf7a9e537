"""Writing log files and datasets, deterministically from a seed.

Each file draws from four independent random streams derived from its seed and format: the
timeline, the fields, the bad-line plan and the damage. So the same seed and settings give
byte-identical files, and changing only the bad rates leaves the good lines' content unchanged.
Lines are built ``CHUNK`` at a time and written as one encoded block per chunk.
"""

from __future__ import annotations

import gzip as gzip_module
import hashlib
import random
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from tqdm import tqdm

from labkit.generate.badlines import BAD_KINDS, make_bad, plan_bad, split_rate
from labkit.generate.formats import FORMATS, renderer
from labkit.generate.manifest import MANIFEST_NAME, FileManifest, Manifest, load_manifest
from labkit.generate.timeline import Timeline, utc_minute
from labkit.records import MAX_LINE_BYTES

__all__ = [
    "CHUNK",
    "DEFAULT_START",
    "FILE_NAMES",
    "MIN_MAX_LINE",
    "file_seed",
    "generate_dataset",
    "iter_lines",
    "resolve_formats",
    "write_log",
]

#: Lines built per vectorised step.
CHUNK = 50_000
#: Where the first file's day starts (UTC) unless told otherwise.
DEFAULT_START = datetime(2026, 11, 5, tzinfo=UTC)
#: The smallest ``max_line`` accepted: every good line is shorter than this.
MIN_MAX_LINE = 1024
#: Dataset file names per format: (stem, extension).
FILE_NAMES: dict[str, tuple[str, str]] = {
    "combined": ("access", ".log"),
    "jsonl": ("app", ".jsonl"),
    "syslog": ("auth", ".log"),
}


class _FileGen:
    """The lines of one file, chunk by chunk, with the plan of its bad and CRLF lines."""

    def __init__(
        self,
        fmt: str,
        n: int,
        seed: int,
        bad_rates: Mapping[str, float] | None,
        crlf_rate: float,
        final_newline: bool,
        start: datetime | None,
        max_line: int,
    ) -> None:
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if max_line < MIN_MAX_LINE:
            raise ValueError(f"max_line must be >= {MIN_MAX_LINE}, got {max_line}")
        self.renderer = renderer(fmt)
        tag = f"labkit-generate/{fmt}/{seed}"
        self.timeline = Timeline(fmt, n, start or DEFAULT_START, random.Random(tag + "/time"))
        self.plan = plan_bad(n, bad_rates, crlf_rate, final_newline, random.Random(tag + "/plan"))
        self.fields = random.Random(tag + "/fields")
        self.damage = random.Random(tag + "/damage")
        self.max_line = max_line

    def chunks(self) -> Iterator[tuple[int, bytes]]:
        """The file's content in chunks: (number of lines, bytes), every line ending in ``\n``."""
        r, plan = self.renderer, self.plan
        bad_at = sorted(plan.kind_at)
        crlf_at = sorted(plan.crlf_at)
        offset = 0
        for stamps in self.timeline.chunks(CHUNK):
            pieces = r.render(self.fields, stamps)
            end = offset + len(stamps)
            raw = []  # lines holding raw bytes (as surrogate escapes)
            for p in bad_at[bisect_left(bad_at, offset) : bisect_left(bad_at, end)]:
                i = p - offset
                bad = make_bad(plan.kind_at[p], r.line(pieces, i), r, self.damage, self.max_line)
                r.replace(pieces, i, bad)
                if not bad.isascii():
                    raw.append(i)
            for p in crlf_at[bisect_left(crlf_at, offset) : bisect_left(crlf_at, end)]:
                r.crlf(pieces, p - offset)
            yield len(stamps), _encode(pieces, raw, r.per_line)
            offset = end


def _encode(pieces: list[str], raw: list[int], per_line: int) -> bytes:
    """Join and encode a chunk; the lines in ``raw`` are encoded apart so that the rest stays an
    ASCII string (joining one non-ASCII piece in would make the whole chunk a wide string)."""
    if not raw:
        return "".join(pieces).encode()
    parts, done = [], 0
    for i in raw:
        at = per_line * i
        parts.append("".join(pieces[done:at]).encode())
        parts.append(pieces[at].encode("utf-8", "surrogateescape"))  # the rest of it is ""
        done = at + per_line
    parts.append("".join(pieces[done:]).encode())
    return b"".join(parts)


def iter_lines(
    fmt: str,
    n: int,
    seed: int = 0,
    *,
    bad_rate: float = 0.0,
    start: datetime | None = None,
) -> Iterator[bytes]:
    """Yield ``n`` generated lines of ``fmt`` without their newline (as ``write_log`` writes)."""
    gen = _FileGen(fmt, n, seed, split_rate(bad_rate), 0.0, True, start, MAX_LINE_BYTES)
    for _, data in gen.chunks():
        lines = data.split(b"\n")
        lines.pop()  # the empty string after the last newline
        yield from lines


class _Hashing:
    """A write-only file wrapper that hashes and counts what passes through."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def write_log(
    path: str | Path,
    fmt: str,
    n_lines: int,
    *,
    seed: int = 0,
    gzip: bool = False,
    bad_rates: Mapping[str, float] | None = None,
    crlf_rate: float = 0.0,
    final_newline: bool = True,
    start: datetime | None = None,
    max_line: int = MAX_LINE_BYTES,
    on_lines: Callable[[int], None] | None = None,
) -> FileManifest:
    """Write one log file (gzip when asked or when ``path`` ends in ``.gz``); returns its entry.

    ``bad_rates`` maps bad kinds (``BAD_KINDS``) to rates; ``on_lines`` is called with the number
    of lines written after each chunk (for progress bars). The entry's ``path`` is the file name.
    """
    path = Path(path)
    use_gzip = gzip or path.name.endswith(".gz")
    gen = _FileGen(fmt, n_lines, seed, bad_rates, crlf_rate, final_newline, start, max_line)
    written = 0
    with path.open("wb") as raw:
        on_disk = _Hashing(raw)
        out: Any = (
            gzip_module.GzipFile(filename="", mode="wb", fileobj=on_disk, compresslevel=6, mtime=0)
            if use_gzip
            else None
        )
        content = hashlib.sha256()
        try:
            for count, data in gen.chunks():
                written += count
                if written == n_lines and not final_newline:
                    data = data[:-1]
                if out is None:
                    on_disk.write(data)
                else:
                    content.update(data)
                    out.write(data)
                if on_lines is not None:
                    on_lines(count)
        finally:
            if out is not None:
                out.close()
    counts = gen.plan.counts
    return FileManifest(
        path=path.name,
        format=fmt,
        gzip=use_gzip,
        lines=n_lines,
        good=n_lines - sum(counts.values()),
        bad={kind: counts[kind] for kind in BAD_KINDS},
        crlf=len(gen.plan.crlf_at),
        final_newline=final_newline or n_lines == 0,
        bytes=on_disk.size,
        sha256=on_disk.sha.hexdigest(),
        content_sha256=(content if use_gzip else on_disk.sha).hexdigest(),
        seed=seed,
        start=gen.timeline.start.isoformat(),
        end=gen.timeline.end.isoformat(),
        year=gen.timeline.start.year,
        max_line=max_line,
    )


def resolve_formats(formats: str | Sequence[str]) -> tuple[str, ...]:
    """A format name, ``"mixed"`` (all formats) or a sequence of names, as a tuple of names."""
    if isinstance(formats, str):
        formats = FORMATS if formats == "mixed" else (formats,)
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown formats {unknown}; expected some of {', '.join(FORMATS)}")
    return formats


def file_seed(seed: int, index: int) -> int:
    """The seed of a dataset's ``index``-th file."""
    digest = hashlib.sha256(f"labkit-generate/{seed}/{index}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete files listed by an earlier manifest in ``out_dir`` that this run does not write."""
    if not (out_dir / MANIFEST_NAME).exists():
        return
    try:
        old = load_manifest(out_dir)
    except (ValueError, KeyError, TypeError):
        return
    for entry in old.files:
        rel = Path(entry.path)
        if entry.path not in keep and not rel.is_absolute() and ".." not in rel.parts:
            (out_dir / rel).unlink(missing_ok=True)


def generate_dataset(
    out_dir: str | Path,
    *,
    files: int = 4,
    lines: int = 100_000,
    formats: str | Sequence[str] = ("combined",),
    seed: int = 0,
    gzip: bool = False,
    bad_rate: float = 0.0,
    bad_rates: Mapping[str, float] | None = None,
    crlf_rate: float = 0.0,
    missing_final_newline: bool = False,
    start: datetime | None = None,
    max_line: int = MAX_LINE_BYTES,
    progress: bool = False,
) -> Manifest:
    """Write ``files`` log files holding ``lines`` lines in all, plus ``manifest.json``.

    Formats are cycled over the files (``"mixed"`` cycles all three); file ``i`` covers the day
    starting ``i`` days after ``start``. ``bad_rate`` is shared evenly over the bad kinds unless
    ``bad_rates`` (per kind) is given. With ``missing_final_newline`` the last file lacks its
    final newline. Files listed by an earlier manifest in ``out_dir`` and not rewritten are removed.
    """
    if files < 1:
        raise ValueError(f"files must be >= 1, got {files}")
    fmts = resolve_formats(formats)
    rates = dict(bad_rates) if bad_rates is not None else split_rate(bad_rate)
    first = utc_minute(start or DEFAULT_START)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(files):
        stem, ext = FILE_NAMES[fmts[i % len(fmts)]]
        names.append(f"{stem}-{i:03d}{ext}{'.gz' if gzip else ''}")
    _remove_stale(out, set(names))
    entries = []
    bar = tqdm(total=lines, unit="line", unit_scale=True, desc="generate", disable=not progress)
    with bar:
        for i, name in enumerate(names):
            entries.append(
                write_log(
                    out / name,
                    fmts[i % len(fmts)],
                    lines // files + (i < lines % files),
                    seed=file_seed(seed, i),
                    gzip=gzip,
                    bad_rates=rates,
                    crlf_rate=crlf_rate,
                    final_newline=not (missing_final_newline and i == files - 1),
                    start=first + timedelta(days=i),
                    max_line=max_line,
                    on_lines=bar.update,
                )
            )
    settings = {
        "files": files,
        "lines": lines,
        "formats": list(fmts),
        "gzip": gzip,
        "bad_rate": bad_rate if bad_rates is None else sum(rates.values()),
        "bad_rates": rates,
        "crlf_rate": crlf_rate,
        "missing_final_newline": missing_final_newline,
        "start": first.isoformat(),
    }
    manifest = Manifest(entries, seed, settings, first.year, max_line)
    manifest.write(out)
    return manifest
