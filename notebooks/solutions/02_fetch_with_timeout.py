"""Exercise 3 of notebook 02: give up on sources that take too long."""

import asyncio

__check__ = ("labkit.checks.nb02", "check_fetch_with_timeout", "fetch_with_timeout")


async def fetch_with_timeout(sources, timeout_s):
    """Every source's content, or None for a source slower than timeout_s (its fetch is
    cancelled when the timeout expires)."""

    async def one(source):
        try:
            async with asyncio.timeout(timeout_s):
                return await source.fetch()
        except TimeoutError:
            return None

    return await asyncio.gather(*(one(s) for s in sources))
