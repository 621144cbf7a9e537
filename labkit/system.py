"""Facts about the machine that the lab's advice depends on.

``os.cpu_count()`` counts the machine's logical CPUs, not the ones this process may use: CPU
affinity (``taskset``, ``sched_setaffinity``) and a cgroup CPU quota (containers, Binder,
CI runners) can both lower the real number. ``usable_cpu_count`` takes all three into account.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["affinity_cpu_count", "cgroup_cpu_limit", "usable_cpu_count"]

_CGROUP_ROOT = Path("/sys/fs/cgroup")


def affinity_cpu_count() -> int:
    """CPUs this process may be scheduled on (``os.cpu_count()`` where affinity is unknown)."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:  # macOS, Windows on 3.11/3.12
        count = os.cpu_count()
    return max(1, count or 1)


def cgroup_cpu_limit(root: Path = _CGROUP_ROOT) -> float | None:
    """The cgroup CPU quota in CPUs (e.g. ``1.5``), or None when there is no limit or no cgroup.

    Reads cgroup v2 ``cpu.max`` (``"max 100000"`` means unlimited) or cgroup v1
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (a quota of ``-1`` means unlimited).
    """
    try:
        text = (root / "cpu.max").read_text().split()
        if len(text) == 2 and text[0] != "max":
            return int(text[0]) / int(text[1])
        if text:
            return None
    except (OSError, ValueError, ZeroDivisionError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        if quota > 0 and period > 0:
            return quota / period
    except (OSError, ValueError):
        pass
    return None


def usable_cpu_count(root: Path = _CGROUP_ROOT) -> int:
    """CPUs this process can really keep busy: affinity, lowered by a cgroup quota if any.

    A fractional quota rounds up (1.5 CPUs lets two workers make progress), never below 1.
    """
    count = affinity_cpu_count()
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        count = min(count, max(1, math.ceil(limit)))
    return count
