__check__ = ("labkit.checks.nb06", "check_amdahl", "amdahl")


def amdahl(n: float, serial: float) -> float:
    """Speedup of n workers when a fraction `serial` of the one-worker time is serial."""
    return 1 / (serial + (1 - serial) / n)
