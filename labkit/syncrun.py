"""Run a coroutine to completion from synchronous code, inside or outside Jupyter.

In a script there is no running event loop: ``asyncio.run`` it. In a Jupyter kernel a loop is
already running in this thread and ``asyncio.run`` raises; run the coroutine on a fresh loop in a
helper thread instead and wait for it. Ctrl-C (the kernel's interrupt) while waiting calls
``on_interrupt`` (e.g. ``pipeline.stop``), waits for the coroutine to wind down, and re-raises.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["in_running_loop", "run_sync"]

T = TypeVar("T")


def in_running_loop() -> bool:
    """True inside a running event loop (a Jupyter cell, an async function)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def run_sync(
    make_coro: Callable[[], Coroutine[Any, Any, T]],
    on_interrupt: Callable[[], None] | None = None,
) -> T:
    """Run ``make_coro()`` and return its result; blocks the caller until it is done."""
    if not in_running_loop():
        return asyncio.run(make_coro())
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(make_coro())
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="labkit-sync-run", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        if on_interrupt is not None:
            on_interrupt()
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]
