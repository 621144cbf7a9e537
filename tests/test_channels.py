from __future__ import annotations

import asyncio

import pytest

from labkit.channels import Channel, ChannelClosed, Limiter


def test_channel_is_bounded_and_counts() -> None:
    async def main() -> None:
        ch: Channel[int] = Channel(2, "t")
        await ch.send(1)
        await ch.send(2)
        blocked = asyncio.create_task(ch.send(3))
        await asyncio.sleep(0.05)
        assert not blocked.done() and len(ch) == 2
        assert await ch.receive() == 1
        await blocked
        ch.close()
        assert [x async for x in ch] == [2, 3]
        with pytest.raises(ChannelClosed):
            await ch.send(4)
        st = ch.statistics()
        assert (st.high_water, st.sent, st.received, st.closed) == (2, 3, 3, True)
        assert st.send_blocked_s >= 0.04

    asyncio.run(main())


def test_close_wakes_a_blocked_receiver() -> None:
    async def main() -> None:
        ch: Channel[int] = Channel(1)
        waiter = asyncio.create_task(ch.receive())
        await asyncio.sleep(0.01)
        ch.close()
        with pytest.raises(ChannelClosed):
            await asyncio.wait_for(waiter, 1)

    asyncio.run(main())


def test_channel_must_be_bounded() -> None:
    with pytest.raises(ValueError, match="bounded"):
        Channel(0)


def test_limiter_limit_changes_while_waiting() -> None:
    async def main() -> None:
        lim = Limiter(1)
        await lim.acquire()
        second = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0.01)
        assert not second.done()
        lim.set_limit(2)
        await asyncio.wait_for(second, 1)
        assert lim.held == 2
        lim.set_limit(1)
        lim.release()
        third = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0.01)
        assert not third.done()  # 1 held, limit 1
        lim.release()
        await asyncio.wait_for(third, 1)
        lim.release()
        with pytest.raises(RuntimeError):
            lim.release()

    asyncio.run(main())
