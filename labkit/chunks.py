"""Cutting a byte stream into chunks of whole lines, the unit of work of the whole pipeline.

A ``Chunk`` is a run of complete lines from one source, with the byte offset where it starts and
where the next one starts. Every reader (files, TCP clients, simulated remote sources) feeds raw
bytes into a ``LineChunker``; the chunker keeps the unfinished tail, cuts a line longer than
``max_line`` down to a marker prefix (so memory stays bounded and the parser rejects it as
``too_long``), and at the end of a stream either emits a final line that has no newline
(``flush=True``) or leaves it pending (a file still being written).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from labkit.records import MAX_LINE_BYTES

__all__ = ["Chunk", "LineChunker"]


@dataclass(slots=True)
class Chunk:
    """Whole lines ``data`` from ``source_id``, covering bytes ``[start, end)`` of the source.

    ``data`` always ends with ``b"\\n"`` except for a final unterminated line (``partial``).
    ``end - start`` can exceed ``len(data)`` when an over-long line was cut down.
    ``seq`` numbers the chunks of one source from 0, so the writer can commit them in order.
    """

    source_id: int
    seq: int
    fmt: str
    start: int
    end: int
    data: bytes
    lines: int
    partial: bool = False
    meta: dict = field(default_factory=dict)


class LineChunker:
    """Accumulates bytes and emits ``Chunk``s of about ``target_bytes`` whole lines.

    Not thread-safe: one chunker per source. ``feed`` never blocks and keeps at most
    ``target_bytes + max_line`` bytes buffered.
    """

    def __init__(
        self,
        source_id: int,
        fmt: str,
        *,
        start: int = 0,
        target_bytes: int = 1 << 20,
        max_line: int = MAX_LINE_BYTES,
        seq: int = 0,
    ) -> None:
        self.source_id = source_id
        self.fmt = fmt
        self.target_bytes = max(1, target_bytes)
        self.max_line = max_line
        self.offset = start  # source offset of the first byte in self._buf
        self.seq = seq
        self._buf = bytearray()
        self._skipping = False  # inside an over-long line, dropping bytes until its newline
        self._skipped = 0
        self.lines = 0

    @property
    def pending(self) -> int:
        """Bytes held back: the unfinished last line (an over-long one counted in full)."""
        return len(self._buf) + (self._skipped if self._skipping else 0)

    @property
    def buffered(self) -> int:
        """Bytes held in memory (an over-long line keeps only its first ``max_line + 1``)."""
        return len(self._buf)

    def _emit(self, data: bytes, end: int, lines: int, partial: bool = False) -> Chunk:
        chunk = Chunk(self.source_id, self.seq, self.fmt, self.offset, end, data, lines, partial)
        self.seq += 1
        self.offset = end
        self.lines += lines
        return chunk

    def feed(self, data: bytes) -> Iterator[Chunk]:
        """Add bytes; yield every chunk that is complete (about ``target_bytes`` of lines)."""
        pos = 0
        if self._skipping:
            nl = data.find(b"\n")
            if nl < 0:
                self._skipped += len(data)
                return
            self._skipped += nl + 1
            pos = nl + 1
            yield self._emit_cut_line()
        self._buf += data[pos:] if pos else data
        yield from self._cut()

    def _emit_cut_line(self) -> Chunk:
        """The over-long line being skipped: its first ``max_line + 1`` bytes, as one line."""
        self._skipping = False
        keep = bytes(self._buf[: self.max_line + 1])
        end = self.offset + len(keep) + self._skipped
        self._buf.clear()
        return self._emit(keep + b"\n", end, 1)

    def _cut(self) -> Iterator[Chunk]:
        buf = self._buf
        target = self.target_bytes
        while len(buf) >= target or (buf and buf.find(b"\n") < 0):
            cut = buf.rfind(b"\n", 0, target)
            if cut < 0:  # the first line is longer than target
                cut = buf.find(b"\n", target)
            if cut < 0:  # no newline at all in the buffer
                if len(buf) > self.max_line:
                    # An over-long line: keep a prefix for the reject row, skip to its newline.
                    self._skipping = True
                    self._skipped = len(buf) - (self.max_line + 1)
                    del buf[self.max_line + 1 :]
                return
            piece = bytes(buf[: cut + 1])
            del buf[: cut + 1]
            yield self._emit(piece, self.offset + len(piece), piece.count(b"\n"))

    def close(self, flush: bool = True) -> Iterator[Chunk]:
        """End of stream: emit what is buffered; the unterminated last line only with ``flush``.

        Without ``flush`` the last line stays pending (``pending`` bytes, not counted as read),
        so a file still being written is not committed half a line early.
        """
        if self._skipping:
            if flush:
                yield self._emit_cut_line()
            return
        buf = self._buf
        last_nl = buf.rfind(b"\n")
        if last_nl >= 0:
            piece = bytes(buf[: last_nl + 1])
            del buf[: last_nl + 1]
            yield self._emit(piece, self.offset + len(piece), piece.count(b"\n"))
        if buf and flush:
            data = bytes(buf)
            buf.clear()
            yield self._emit(data, self.offset + len(data), 1, partial=True)
