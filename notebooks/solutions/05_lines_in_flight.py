"""Exercise 1 of notebook 05: the most lines read but not yet stored, from the diagram."""

__check__ = ("labkit.checks.nb05", "check_lines_in_flight_bound", "lines_in_flight_bound")


def lines_in_flight_bound(queue_size, pool_size, writers, chunk_lines):
    """Every slot a chunk (or its parsed batch) can occupy between "read" and "stored"."""
    chunks = (
        queue_size  # read channel
        + 1  # the dispatcher's hand: waiting for a parser slot
        + (pool_size + 1)  # in-flight channel: futures, in submission order
        + 1  # the collector's hand: waiting to send the batch on
        + queue_size  # write channel
        + writers  # one batch per writer thread
    )
    return chunks * chunk_lines
