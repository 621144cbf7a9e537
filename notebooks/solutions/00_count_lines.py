"""Exercise 3 of notebook 00: count a file's lines in 1 MiB chunks."""

__check__ = ("labkit.checks.nb00", "check_count_lines", "count_lines")


def count_lines(path):
    """Newlines, plus one if the file ends with a line that has none."""
    lines, last = 0, b""
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return lines + (1 if last and last != b"\n" else 0)
