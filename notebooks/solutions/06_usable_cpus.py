import math

__check__ = ("labkit.checks.nb06", "check_usable_cpus", "usable_cpus")


def usable_cpus(cpu_max: str, affinity: int) -> int:
    """CPUs a process can keep busy: its affinity, lowered by a cgroup v2 cpu.max quota."""
    quota, period = cpu_max.split()
    if quota == "max":
        return affinity
    return max(1, min(affinity, math.ceil(int(quota) / int(period))))
