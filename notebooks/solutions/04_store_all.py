import asyncio

__check__ = ("labkit.checks.nb04", "check_store_all", "store_all")


async def store_all(writers, batches) -> int:
    """Store every batch, all writers at once; return the rows stored."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=2 * len(writers))  # bounded: backpressure

    async def drain(writer) -> int:
        rows = 0
        while (batch := await queue.get()) is not None:
            await writer.store(batch)
            rows += batch.stored
        return rows

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(drain(w)) for w in writers]
        for batch in batches:
            await queue.put(batch)
        for _ in writers:
            await queue.put(None)  # one "no more work" per writer
    return sum(t.result() for t in tasks)
