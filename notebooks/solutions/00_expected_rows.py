"""Exercise 2 of notebook 00: what a correct pipeline stores and rejects, from the manifest."""

__check__ = ("labkit.checks.nb00", "check_expected_rows", "expected_rows")


def expected_rows(manifest):
    """(rows stored, rows rejected) for a data set."""
    return manifest.good, sum(manifest.expected_rejects.values())
