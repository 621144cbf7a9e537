"""Exercise 2 of notebook 01: run a coroutine function over many arguments concurrently."""

import asyncio

__check__ = ("labkit.checks.nb01", "check_run_asyncio", "run_asyncio")


async def run_asyncio(afunc, args):
    """await afunc(arg) for every arg, all at once; results in the order of args."""
    return list(await asyncio.gather(*(afunc(a) for a in args)))
