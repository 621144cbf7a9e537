"""Exercise 3 of notebook 05: run the pipeline for a while, then stop it cleanly."""

import asyncio

from labkit.pipeline import Pipeline

__check__ = ("labkit.checks.nb05", "check_run_for", "run_for")


async def run_for(config, seconds):
    """Start a run, stop it after `seconds`, and return its result (stopped=True)."""
    pipeline = Pipeline(config)
    task = asyncio.create_task(pipeline.run())
    await asyncio.sleep(seconds)
    pipeline.stop()  # never blocks: the run winds down, commits or rolls back, stops its pool
    return await task
