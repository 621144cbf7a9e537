__check__ = ("labkit.checks.nb04", "check_add_many", "add_many")


def add_many(counter, n: int, lock) -> None:
    """Add 1 to ``counter.value`` n times; safe when several threads call it at once."""
    for _ in range(n):
        with lock:  # the read and the write happen with no other thread in between
            counter.value += 1
