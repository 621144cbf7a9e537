"""Exercise 2 of notebook 02: read many local files from asyncio, at most `limit` at a time."""

import asyncio

from labkit.demos.readers import count_lines

__check__ = ("labkit.checks.nb02", "check_read_all", "read_all")


async def read_all(paths, limit, read=count_lines):
    """{path: read(path)}: each blocking read in a worker thread, at most `limit` at once."""
    sem = asyncio.Semaphore(limit)

    async def one(path):
        async with sem:
            return await asyncio.to_thread(read, path)

    counts = await asyncio.gather(*(one(p) for p in paths))
    return dict(zip(paths, counts, strict=True))
