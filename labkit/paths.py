"""Where the lab keeps its data, and the small-data mode used by tests and CI.

Set ``LABKIT_SMALL=1`` to make every notebook and command use small inputs (CI runs the notebooks
this way on 2 cores). ``LABKIT_DATA`` overrides the data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_ROOT", "data_dir", "generated_dir", "samples_dir", "small_mode"]

#: The checkout this package was installed from (editable install), or the current folder.
PROJECT_ROOT: Path = (
    Path(__file__).resolve().parent.parent
    if (Path(__file__).resolve().parent.parent / "pyproject.toml").exists()
    else Path.cwd()
)


def small_mode() -> bool:
    """True when ``LABKIT_SMALL`` is set to something other than ``""``/``0``/``false``/``no``."""
    return os.environ.get("LABKIT_SMALL", "").strip().lower() not in ("", "0", "false", "no")


def data_dir() -> Path:
    """The data folder: ``$LABKIT_DATA`` or ``<project>/data``."""
    env = os.environ.get("LABKIT_DATA")
    return Path(env) if env else PROJECT_ROOT / "data"


def samples_dir() -> Path:
    """Small committed sample logs with their manifest."""
    return data_dir() / "samples"


def generated_dir() -> Path:
    """Git-ignored folder for generated data and databases."""
    return data_dir() / "generated"
