"""Exercise 3 of notebook 01: run a (module-level) function over many arguments in processes."""

from concurrent.futures import ProcessPoolExecutor

__check__ = ("labkit.checks.nb01", "check_run_processes", "run_processes")


def run_processes(func, args, workers):
    """func(arg) for every arg, in `workers` processes; results in the order of args."""
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, args))
