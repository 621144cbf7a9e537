"""Exercise 1 of notebook 02: fetch many remote sources at once."""

import asyncio

__check__ = ("labkit.checks.nb02", "check_fetch_all", "fetch_all")


async def fetch_all(sources):
    """Every source's content, all fetched concurrently, in the order of sources."""
    return await asyncio.gather(*(source.fetch() for source in sources))
