"""Exercise 4 of notebook 05: starting settings for a machine with `usable_cpus` CPUs."""

__check__ = ("labkit.checks.nb05", "check_pick_settings", "pick_settings")


def pick_settings(usable_cpus):
    """One parser per usable CPU, one SQLite writer, a few readers, mid-sized batches."""
    return {
        "readers": 4,  # local files: a few keep the parsers fed (notebook 02)
        "parsers": max(1, usable_cpus),  # CPU-bound: one process per usable CPU (notebook 03)
        "writers": 1,  # SQLite has one writer at a time (notebook 04)
        "batch_lines": 5000,  # big enough to amortise per-task costs, small enough for memory
    }
