__check__ = ("labkit.checks.nb08", "check_parse_range", "parse_range")

from labkit.parser import parse_lines_to_batch


def parse_range(path: str, fmt: str, start: int, end: int):
    """Read bytes ``[start, end)`` of ``path`` here (on the worker) and parse them."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return parse_lines_to_batch(1, 0, fmt, start, end, data, "rows")
