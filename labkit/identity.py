"""Which source is this file? Identity that survives rotation and notices truncation.

A file is known by its content, not its name: the first KiB of its (uncompressed) content,
hashed, plus its device and inode. So a log rotated by rename (``app.log`` -> ``app.log.1``, even
compressed later to ``app.log.2.gz``) is recognised under its new name and resumes where it
stopped, a ``copytruncate`` copy is recognised as the old stream, and a file whose size is now
below its committed offset, or whose first bytes changed, counts as a new stream from offset 0.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from typing import BinaryIO

__all__ = ["HEAD_BYTES", "FileIdentity", "file_identity", "fingerprint", "open_log"]

HEAD_BYTES = 1024
_GZIP_MAGIC = b"\x1f\x8b"


def open_log(path: str | os.PathLike) -> BinaryIO:
    """Open a log for binary reading, transparently decompressing gzip (by magic bytes)."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to the caller
    if fh.read(2) == _GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    fh.seek(0)
    return fh


def fingerprint(head: bytes) -> bytes:
    """A short hash of a file's first bytes."""
    return hashlib.blake2b(head, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """A file as seen now: device, inode, size (None for gzip: unknown uncompressed size) and
    its first ``HEAD_BYTES`` of content."""

    dev: int
    inode: int
    size: int | None
    head: bytes

    def fingerprint(self, length: int | None = None) -> bytes:
        """Hash of the first ``length`` bytes (all of ``head`` by default)."""
        return fingerprint(self.head if length is None else self.head[:length])


def file_identity(path: str | os.PathLike) -> FileIdentity:
    """Read a file's identity (blocks on ``stat`` and a small read)."""
    st = os.stat(path)
    with open_log(path) as fh:
        head = fh.read(HEAD_BYTES)
        size = st.st_size if not isinstance(fh, gzip.GzipFile) else None
    return FileIdentity(st.st_dev, st.st_ino, size, head)
