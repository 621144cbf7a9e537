"""Exercise 4 of notebook 02: many TCP clients at once."""

import asyncio

from labkit.sources.tcp import send_lines

__check__ = ("labkit.checks.nb02", "check_send_all", "send_all")


async def send_all(host, port, clients, delay=0.0):
    """One connection per list of lines in clients, all at once; returns the lines sent."""
    await asyncio.gather(*(send_lines(host, port, lines, delay=delay) for lines in clients))
    return sum(len(lines) for lines in clients)
