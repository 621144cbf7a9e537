"""Exercise 1 of notebook 01: run a function over many arguments in a thread pool."""

from concurrent.futures import ThreadPoolExecutor

__check__ = ("labkit.checks.nb01", "check_run_threads", "run_threads")


def run_threads(func, args, workers):
    """func(arg) for every arg, in `workers` threads; results in the order of args."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, args))
