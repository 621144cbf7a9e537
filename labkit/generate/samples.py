"""The small sample logs committed under ``data/samples``, and how to make them again.

``make_samples()`` is deterministic: a test regenerates the samples and compares checksums, so
they cannot drift from the generator. Compare ``content_sha256`` (the uncompressed bytes) for the
``.gz`` file, since compressed bytes may differ between zlib builds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labkit.generate.manifest import Manifest
from labkit.generate.writer import write_log
from labkit.records import MAX_LINE_BYTES

__all__ = ["SAMPLES", "make_samples"]


def _rates(each: float, too_long: float) -> dict[str, float]:
    return {"truncated": each, "invalid_utf8": each, "binary": each, "too_long": too_long}


#: name -> write_log arguments (too_long lines are > 16 KiB each, so they are kept few)
SAMPLES: dict[str, dict[str, Any]] = {
    "access_small.log": {
        "fmt": "combined",
        "n_lines": 5000,
        "seed": 1,
        "bad_rates": _rates(0.006, 0.001),  # 95 bad lines, about 2%
        "crlf_rate": 0.001,
        "final_newline": False,
        "start": datetime(2026, 11, 25, tzinfo=UTC),
    },
    "app_small.jsonl": {
        "fmt": "jsonl",
        "n_lines": 1000,
        "seed": 2,
        "bad_rates": _rates(0.005, 0.002),
        "crlf_rate": 0.003,
        "start": datetime(2026, 11, 25, tzinfo=UTC),
    },
    "auth_small.log": {
        "fmt": "syslog",
        "n_lines": 2000,
        "seed": 3,
        "bad_rates": _rates(0.005, 0.001),
        "start": datetime(2026, 11, 5, tzinfo=UTC),  # a space-padded day: "Nov  5"
    },
    "access_clean.log.gz": {
        "fmt": "combined",
        "n_lines": 3000,
        "seed": 4,
        "start": datetime(2026, 11, 26, tzinfo=UTC),
    },
}


def make_samples(out_dir: str | Path = "data/samples") -> Manifest:
    """Write the sample files and their ``manifest.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = [write_log(out / name, **kw) for name, kw in SAMPLES.items()]
    settings = {"preset": "samples", "files": {name: _jsonable(kw) for name, kw in SAMPLES.items()}}
    manifest = Manifest(entries, seed=0, settings=settings, year=2026, max_line=MAX_LINE_BYTES)
    manifest.write(out)
    return manifest


def _jsonable(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in kw.items()}
