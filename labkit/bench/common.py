"""What every benchmark needs: a generated data set reused across runs, and a fresh database."""

from __future__ import annotations

from pathlib import Path

from labkit.generate import Manifest, generate_dataset, load_manifest

__all__ = ["cached_dataset", "fresh_db"]


def cached_dataset(
    out: Path, lines: int, seed: int, files: int = 4, bad_rate: float = 0.001
) -> Manifest:
    """A combined-format data set in ``out``: reused when its manifest matches and every file
    is there, generated otherwise (blocks while writing)."""
    try:
        manifest = load_manifest(out)
        if (
            manifest.lines == lines
            and manifest.seed == seed
            and len(manifest.files) == files
            and all(p.is_file() for p in manifest.paths())
        ):
            return manifest
    except (OSError, ValueError, KeyError):
        pass
    return generate_dataset(
        out, files=files, lines=lines, formats="combined", seed=seed, bad_rate=bad_rate
    )


def fresh_db(path: Path) -> Path:
    """``path`` with any database (and its WAL, shared-memory and journal files) removed."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return Path(path)
