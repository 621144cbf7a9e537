"""A TCP line-stream server: every connected client is a log source of its own.

``TcpSource`` listens with ``asyncio.start_server``; each accepted client gets its own task, its
own source id (``ReadContext.register``) and its own ``LineChunker``. While ``ctx.emit`` waits
(the pipeline is full) that client's socket is not read, so the kernel buffers fill up and the
sender is slowed down: backpressure all the way to the other end of the connection.

``send_lines`` is a small client for tests and notebooks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from labkit.chunks import LineChunker
from labkit.sources.base import ReadContext

__all__ = ["REFUSAL", "TcpSource", "send_lines"]

#: The line a client gets when ``max_clients`` are already connected.
REFUSAL = b"busy: too many clients\n"
_CLOSE_TIMEOUT = 1.0  # seconds to wait for a socket to close before aborting it


async def _close_writer(writer: asyncio.StreamWriter) -> None:
    """Close a connection and wait (at most ``_CLOSE_TIMEOUT``) until it is closed.

    Errors of a dead connection are ignored; a connection that does not close in time (a peer
    that does not read what is still to be sent) is aborted.
    """
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        writer.transport.abort()


class TcpSource:
    """A TCP server on ``host:port`` reading newline-terminated log lines of format ``fmt``.

    ``port=0`` picks a free port: ``.port`` (and ``.address``, ``.name``) hold the bound one once
    ``.ready`` (an ``asyncio.Event``) is set; when ``run`` ends ``.ready`` is replaced by a new,
    unset event. Give ``host`` as an IP address: a name resolving to several addresses would
    listen on several sockets, each with its own free port.

    At most ``max_clients`` clients are served at once; one more gets the line ``REFUSAL`` and
    is disconnected (counted in ``.refused``).

    ``run`` returns once ``stop_after_clients`` served clients have disconnected, or once no
    client has been connected for ``idle_timeout`` seconds; with neither it serves until
    cancelled. Counters: ``.clients_served`` (disconnected after being served), ``.refused``,
    ``.lines`` (lines emitted), ``.errors`` (connections that ended with an error) and
    ``.max_pending`` (the most bytes any client's chunker held in memory: bounded even for a client
    that sends an endless line).
    """

    kind = "tcp"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        fmt: str = "combined",
        max_clients: int = 64,
        stop_after_clients: int | None = None,
        idle_timeout: float | None = None,
        read_size: int = 64 * 1024,
    ) -> None:
        if max_clients < 1:
            raise ValueError("max_clients must be at least 1")
        if read_size < 1:
            raise ValueError("read_size must be at least 1")
        self.host = host
        self.port = port
        self._requested_port = port
        self.fmt = fmt
        self.max_clients = max_clients
        self.stop_after_clients = stop_after_clients
        self.idle_timeout = idle_timeout
        self.read_size = read_size
        self.ready = asyncio.Event()
        self.clients_served = 0
        self.refused = 0
        self.lines = 0
        self.errors = 0
        self.max_pending = 0
        self._accepted = 0
        self._connected = 0
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._closing = False
        self._wake: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def name(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return (self.host, self.port)

    @property
    def connected(self) -> int:
        """Clients being served right now."""
        return self._connected

    async def run(self, ctx: ReadContext) -> None:
        """Listen, serve clients, return when the stop condition is met (see the class).

        Blocks (awaits) for the whole service. Cancelling it, like returning, closes the server
        and every client connection and cancels the client tasks; what a client had sent but
        was not yet emitted is dropped. An error other than a broken connection (e.g. from
        ``ctx.emit``) in any client task ends the run and is raised here.
        """
        if self.ready.is_set():  # only while another run of this source is listening
            raise RuntimeError(f"{self.name} is already running")
        self._closing = False
        self._error = None
        self._wake = asyncio.Event()
        server = await asyncio.start_server(
            lambda r, w: self._accept(r, w, ctx),
            self.host,
            self._requested_port,
            limit=self.read_size,
        )
        try:
            self.port = server.sockets[0].getsockname()[1]
            self.ready.set()
            await self._wait_until_done()
        finally:
            # Not listening any more; a fresh event also suits a later run in another loop.
            self.ready = asyncio.Event()
            await self._shutdown(server)
        if self._error is not None:
            raise self._error

    async def _wait_until_done(self) -> None:
        assert self._wake is not None
        finished_at_start = self.clients_served
        while self._error is None:
            stop_after = self.stop_after_clients
            if stop_after is not None and self.clients_served - finished_at_start >= stop_after:
                return
            self._wake.clear()
            idle = self.idle_timeout if self._connected == 0 else None
            try:
                async with asyncio.timeout(idle):
                    await self._wake.wait()
            except TimeoutError:
                if self._connected == 0:
                    return

    def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ReadContext
    ) -> None:
        """Called synchronously by the server for each new connection: start its task now, so
        that shutdown sees every connection."""
        if self._closing:
            writer.transport.abort()
            return
        self._writers.add(writer)
        if self._connected >= self.max_clients:
            self.refused += 1
            coro = self._refuse(writer)
        else:
            self._accepted += 1
            self._connected += 1
            self._wakeup()
            coro = self._serve(reader, writer, ctx, self._accepted)
        task = asyncio.get_running_loop().create_task(coro, name=f"labkit-tcp-client-{self.port}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _wakeup(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _refuse(self, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(REFUSAL)
            with contextlib.suppress(OSError):
                await writer.drain()
        finally:
            self._writers.discard(writer)
            await _close_writer(writer)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ReadContext, n: int
    ) -> None:
        """Read one client to its end (EOF or a broken connection), emitting its lines."""
        try:
            peer = writer.get_extra_info("peername") or ("?", 0)
            state = await ctx.register(f"tcp://{peer[0]}:{peer[1]}#{n}", self.kind, self.fmt, None)
            chunker = LineChunker(
                state.id,
                self.fmt,
                start=0,
                target_bytes=ctx.target_bytes(state.id),
                max_line=ctx.max_line,
            )
            while True:
                try:
                    data = await reader.read(self.read_size)
                except OSError:  # reset by the peer: end this client, keep what it sent
                    self.errors += 1
                    break
                if not data:
                    break
                chunker.target_bytes = max(1, ctx.target_bytes(state.id))
                for chunk in chunker.feed(data):
                    await ctx.emit(chunk)
                    self.lines += chunk.lines
                self.max_pending = max(self.max_pending, chunker.buffered)
            for chunk in chunker.close(flush=ctx.flush_partial):
                await ctx.emit(chunk)
                self.lines += chunk.lines
            self.clients_served += 1
        except Exception as exc:
            if self._error is None:
                self._error = exc
        finally:
            self._connected -= 1
            self._writers.discard(writer)
            self._wakeup()
            await _close_writer(writer)

    async def _shutdown(self, server: asyncio.Server) -> None:
        """Stop listening, close every connection, cancel and await every client task.

        Runs to the end even if cancelled again meanwhile (then re-raises the cancellation), so
        that no task or socket outlives ``run``.
        """
        self._closing = True
        server.close()
        cancelled = False
        while self._tasks:
            tasks = list(self._tasks)
            for t in tasks:
                t.cancel()
            try:
                await asyncio.wait(tasks)
            except asyncio.CancelledError:
                cancelled = True
        # Connections whose task was cancelled before it ever ran are still open.
        for writer in list(self._writers):
            self._writers.discard(writer)
            try:
                await _close_writer(writer)
            except asyncio.CancelledError:
                cancelled = True
        self._connected = 0
        try:
            await server.wait_closed()
        except asyncio.CancelledError:
            cancelled = True
        if cancelled:
            raise asyncio.CancelledError


async def send_lines(
    host: str,
    port: int,
    lines: Iterable[bytes],
    *,
    chunk_size: int = 64 * 1024,
    delay: float = 0.0,
) -> None:
    """Connect to ``host:port``, send each line plus ``b"\\n"``, then close the connection.

    Lines are joined and written in pieces of about ``chunk_size`` bytes, waiting for the socket
    buffer to drain (backpressure from the server) after each piece and sleeping ``delay``
    seconds between pieces. Cancelling it aborts the connection; in every case the socket is
    closed when it returns.
    """
    _reader, writer = await asyncio.open_connection(host, port)
    try:
        buf = bytearray()
        for line in lines:
            buf += line
            buf += b"\n"
            while len(buf) >= chunk_size:
                writer.write(bytes(buf[:chunk_size]))
                del buf[:chunk_size]
                await writer.drain()
                if delay:
                    await asyncio.sleep(delay)
        if buf:
            writer.write(bytes(buf))
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except BaseException:
        writer.transport.abort()
        raise
    finally:
        await _close_writer(writer)
