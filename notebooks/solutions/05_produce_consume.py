"""Exercise 2 of notebook 05: a bounded producer/consumer with a sentinel and clean shutdown."""

import asyncio

__check__ = ("labkit.checks.nb05", "check_produce_consume", "produce_consume")


async def produce_consume(items, work, queue):
    """Results of `await work(item)` for every item, in order, through the bounded `queue`."""

    async def producer():
        for item in items:
            await queue.put(item)  # waits while the queue is full: backpressure
        await queue.put(None)  # the sentinel: nothing more is coming

    task = asyncio.create_task(producer())
    results = []
    try:
        while (item := await queue.get()) is not None:
            results.append(await work(item))
        await task  # done; re-raises if the producer failed
    finally:
        task.cancel()  # if work raised: don't leave the producer waiting on put forever
    return results
