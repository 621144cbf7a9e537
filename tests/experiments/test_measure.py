"""``measure``: CPU time of this process and its children, wall time, peak memory."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from labkit.experiments import Usage, cpu_utilisation, measure

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


def burn(seconds: float) -> None:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


def test_cpu_utilisation_arithmetic() -> None:
    assert cpu_utilisation(2.0, 1.0, 2) == 1.0
    assert cpu_utilisation(0.5, 1.0, 2) == 0.25
    assert cpu_utilisation(1.0, 0.0, 2) == 0.0
    assert Usage(wall_s=2.0, cpu_s=1.0, cpus=4).cpu_util == 0.125


def test_cpu_of_this_process_is_counted() -> None:
    with measure(cpus=2) as usage:
        burn(0.2)
    assert usage.cpu_s >= 0.19
    assert usage.wall_s >= 0.19
    assert usage.cpus == 2
    assert 0 < usage.cpu_util <= 1.05  # one busy thread of two CPUs, give or take the sampler


def test_cpu_of_a_child_process_is_counted_once_it_has_exited() -> None:
    with measure() as usage:
        subprocess.run([sys.executable, "-c", BURN.format(s=0.3)], check=True, timeout=60)
    assert usage.cpu_s >= 0.3


def test_waiting_costs_almost_no_cpu() -> None:
    with measure(cpus=2) as usage:
        time.sleep(0.3)
    assert usage.wall_s >= 0.3
    assert usage.cpu_util < 0.2


def test_peak_memory_sees_a_short_lived_allocation() -> None:
    before = psutil.Process().memory_info().rss / 2**20
    with measure(rss_interval=0.01) as usage:
        block = bytearray(80 * 2**20)  # zero-filled pages are touched as they are written
        block[::4096] = b"x" * len(block[::4096])
        time.sleep(0.1)
        del block
    assert usage.peak_rss_mb >= before + 70


def test_the_sampler_stops_even_when_the_block_raises() -> None:
    import threading

    with pytest.raises(RuntimeError), measure():
        raise RuntimeError("boom")
    assert not any(t.name == "labkit-rss" for t in threading.enumerate())
