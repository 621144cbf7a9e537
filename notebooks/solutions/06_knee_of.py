__check__ = ("labkit.checks.nb06", "check_knee_of", "knee_of")


def knee_of(workers: list[int], throughput: list[float], fraction: float = 0.9) -> int:
    """The smallest worker count whose throughput is at least fraction of the best."""
    best = max(throughput)
    return min(w for w, t in zip(workers, throughput, strict=True) if t >= fraction * best)
