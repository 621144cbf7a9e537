__check__ = ("labkit.checks.nb03", "check_make_chunks", "make_chunks")


def make_chunks(lines: list[bytes], size: int) -> list[bytes]:
    """Cut ``lines`` into chunks of at most ``size`` lines, each joined and ending in b"\\n"."""
    return [b"\n".join(lines[i : i + size]) + b"\n" for i in range(0, len(lines), size)]
