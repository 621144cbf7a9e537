__check__ = ("labkit.checks.nb08", "check_byte_ranges", "byte_ranges")

import os


def byte_ranges(path: str, target_bytes: int) -> list[tuple[int, int]]:
    """Cut the file at ``path`` into ``(start, end)`` byte ranges of whole lines, each about
    ``target_bytes`` long: from ``start + target_bytes`` read on to the end of that line."""
    size = os.path.getsize(path)
    ranges = []
    start = 0
    with open(path, "rb") as fh:
        while start < size:
            fh.seek(min(start + target_bytes, size) - 1)
            fh.readline()  # on to just after the next b"\n" (or the end of the file)
            end = fh.tell()
            ranges.append((start, end))
            start = end
    return ranges
