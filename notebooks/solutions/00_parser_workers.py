"""Exercise 1 of notebook 00: one parser process per CPU this process may use."""

__check__ = ("labkit.checks.nb00", "check_parser_workers", "parser_workers")


def parser_workers(report):
    """CPU-bound work: as many processes as usable CPUs (affinity and quota included)."""
    return report.cpu_count_usable
