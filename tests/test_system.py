from __future__ import annotations

import os
from pathlib import Path

import pytest

from labkit.system import affinity_cpu_count, cgroup_cpu_limit, usable_cpu_count


def test_affinity_count_is_positive_and_not_above_os_count() -> None:
    assert 1 <= affinity_cpu_count() <= (os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [("max 100000\n", None), ("150000 100000\n", 1.5), ("50000 100000\n", 0.5)],
)
def test_cgroup_v2_quota(tmp_path: Path, cpu_max: str, expected: float | None) -> None:
    (tmp_path / "cpu.max").write_text(cpu_max)
    assert cgroup_cpu_limit(tmp_path) == expected


def test_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("200000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) == 2.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_no_cgroup_means_no_limit(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path) is None


def test_quota_lowers_usable_count_and_rounds_up(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert usable_cpu_count(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert usable_cpu_count(tmp_path) == min(2, affinity_cpu_count())
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert usable_cpu_count(tmp_path) == affinity_cpu_count()
