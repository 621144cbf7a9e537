"""What a generated dataset holds, so that a pipeline run can be checked against it.

A pipeline that stores every good line and rejects every bad one must end with
``stored == manifest.good`` and ``rejected_by_reason == manifest.expected_rejects`` (reasons with a
zero count are left out). ``lines`` counts what the pipeline counts: every newline-terminated line
plus a final unterminated one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labkit.generate.badlines import BAD_KINDS, BAD_REASON

__all__ = ["MANIFEST_NAME", "FileManifest", "Manifest", "expected_rejects", "load_manifest"]

MANIFEST_NAME = "manifest.json"
_VERSION = 1


def expected_rejects(bad: dict[str, int]) -> dict[str, int]:
    """Reject counts per reason for bad-line counts per kind (zero counts left out)."""
    out: Counter[str] = Counter()
    for kind, count in bad.items():
        if count:
            out[BAD_REASON[kind]] += count
    return dict(sorted(out.items()))


@dataclass(slots=True)
class FileManifest:
    """One generated file: where, what, how many good and bad lines, and its checksums."""

    path: str  # relative to the manifest's folder
    format: str
    gzip: bool
    lines: int
    good: int
    bad: dict[str, int]  # per kind in BAD_KINDS (zeros kept)
    crlf: int  # good lines ending in \r\n
    final_newline: bool
    bytes: int  # size on disk (compressed size for gzip)
    sha256: str  # of the file on disk
    content_sha256: str  # of the uncompressed content (== sha256 when not gzip)
    seed: int
    start: str  # ISO time of the covered window, UTC
    end: str
    year: int
    max_line: int

    @property
    def n_bad(self) -> int:
        """All bad lines."""
        return sum(self.bad.values())

    @property
    def expected_rejects(self) -> dict[str, int]:
        """Reject counts per reason the parsers must give (zero counts left out)."""
        return expected_rejects(self.bad)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (with ``expected_rejects`` spelled out)."""
        d = {name: getattr(self, name) for name in self.__dataclass_fields__}
        d["bad"] = dict(self.bad)
        d["expected_rejects"] = self.expected_rejects
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileManifest:
        """The inverse of ``to_dict`` (derived keys are ignored)."""
        kw = {name: d[name] for name in cls.__dataclass_fields__}
        kw["bad"] = {kind: int(d["bad"].get(kind, 0)) for kind in BAD_KINDS}
        return cls(**kw)


@dataclass(slots=True)
class Manifest:
    """A dataset: its files, the seed and settings that made it, and totals over the files."""

    files: list[FileManifest]
    seed: int
    settings: dict[str, Any]
    year: int
    max_line: int
    version: int = _VERSION
    root: Path | None = field(default=None, compare=False, repr=False)  # where it was loaded

    @property
    def lines(self) -> int:
        """Lines in all files."""
        return sum(f.lines for f in self.files)

    @property
    def good(self) -> int:
        """Good lines (rows a pipeline stores) in all files."""
        return sum(f.good for f in self.files)

    @property
    def bad(self) -> dict[str, int]:
        """Bad lines per kind in all files."""
        return {kind: sum(f.bad[kind] for f in self.files) for kind in BAD_KINDS}

    @property
    def n_bad(self) -> int:
        """All bad lines."""
        return sum(f.n_bad for f in self.files)

    @property
    def expected_rejects(self) -> dict[str, int]:
        """Reject counts per reason in all files (zero counts left out)."""
        return expected_rejects(self.bad)

    @property
    def crlf(self) -> int:
        """CRLF-terminated good lines in all files."""
        return sum(f.crlf for f in self.files)

    @property
    def bytes(self) -> int:
        """Bytes on disk in all files."""
        return sum(f.bytes for f in self.files)

    def paths(self, root: str | Path | None = None) -> list[Path]:
        """The files' paths under ``root`` (default: where the manifest was loaded or written)."""
        base = Path(root) if root is not None else self.root
        if base is None:
            raise ValueError("no root: pass the dataset folder")
        return [base / f.path for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, with totals."""
        return {
            "version": self.version,
            "seed": self.seed,
            "year": self.year,
            "max_line": self.max_line,
            "settings": self.settings,
            "totals": {
                "files": len(self.files),
                "lines": self.lines,
                "good": self.good,
                "bad": self.bad,
                "expected_rejects": self.expected_rejects,
                "crlf": self.crlf,
                "bytes": self.bytes,
            },
            "files": [f.to_dict() for f in self.files],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        """The inverse of ``to_dict`` (totals are recomputed, not read)."""
        return cls(
            files=[FileManifest.from_dict(f) for f in d["files"]],
            seed=d["seed"],
            settings=d["settings"],
            year=d["year"],
            max_line=d["max_line"],
            version=d.get("version", _VERSION),
        )

    def write(self, out_dir: str | Path) -> Path:
        """Write ``manifest.json`` into ``out_dir``; returns its path."""
        path = Path(out_dir) / MANIFEST_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        self.root = Path(out_dir)
        return path


def load_manifest(path_or_dir: str | Path) -> Manifest:
    """Read a dataset's manifest, given the dataset folder or the ``manifest.json`` itself."""
    path = Path(path_or_dir)
    if path.is_dir():
        path = path / MANIFEST_NAME
    manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
    manifest.root = path.parent
    return manifest
