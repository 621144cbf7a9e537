"""Deterministic synthetic logs with planted bad lines, and the manifest to check a pipeline by.

Formats: ``combined`` (Apache/nginx access log), ``jsonl`` (nginx JSON access log), ``syslog``
(RFC 3164 auth.log). The same seed and settings give byte-identical files. Bad lines (see
``BAD_KINDS``) are planted at exact counts and map to the reject reason a parser must give
(``BAD_REASON``); the manifest records what a correct pipeline must store and reject::

    manifest = generate_dataset("data/generated/demo", files=4, lines=100_000, bad_rate=0.01)
    assert stored == manifest.good and rejected_by_reason == manifest.expected_rejects
"""

from __future__ import annotations

from labkit.generate.badlines import BAD_KINDS, BAD_REASON
from labkit.generate.cli import add_parser, run
from labkit.generate.formats import FORMATS
from labkit.generate.manifest import FileManifest, Manifest, load_manifest
from labkit.generate.samples import make_samples
from labkit.generate.writer import generate_dataset, iter_lines, write_log

__all__ = [
    "BAD_KINDS",
    "BAD_REASON",
    "FORMATS",
    "FileManifest",
    "Manifest",
    "add_parser",
    "generate_dataset",
    "iter_lines",
    "load_manifest",
    "make_samples",
    "run",
    "write_log",
]
