"""Exercise 4 of notebook 01: the fastest mode and its speed-up over sequential."""

__check__ = ("labkit.checks.nb01", "check_best_mode", "best_mode")


def best_mode(times):
    """(fastest mode, sequential seconds / its seconds) for times = {mode: seconds}."""
    best = min(times, key=times.get)
    return best, times["sequential"] / times[best]
