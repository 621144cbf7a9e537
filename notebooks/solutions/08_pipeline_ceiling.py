__check__ = ("labkit.checks.nb08", "check_pipeline_ceiling", "pipeline_ceiling")


def pipeline_ceiling(workers: int, parse_lps_per_worker: float, writer_rps: float) -> float:
    """The slowest stage sets the pace: all the workers together, or the one writer."""
    return min(workers * parse_lps_per_worker, writer_rps)
