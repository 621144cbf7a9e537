from labkit.formats import get_parser
from labkit.records import is_reject

__check__ = ("labkit.checks.nb03", "check_parse_batch", "parse_batch")


def parse_batch(lines: list[bytes], fmt: str) -> tuple[int, int]:
    """Parse every line of format ``fmt``; return (rows, rejects) counts."""
    parse = get_parser(fmt)
    rejects = sum(1 for line in lines if is_reject(parse(line)))
    return len(lines) - rejects, rejects
