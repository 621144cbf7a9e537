"""Property tests of LineChunker: arbitrary bytes, split into arbitrary feeds, any sizes."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from labkit.chunks import Chunk, LineChunker

# Lines of every length around small max_line values, empty lines, and arbitrary bytes.
_pieces = st.one_of(
    st.just(b"\n"),
    st.binary(max_size=12),
    st.integers(0, 60).map(lambda n: b"L" * n),
)


@st.composite
def streams(draw) -> tuple[bytes, list[bytes]]:
    """Some content and the pieces it is fed in (concatenating to the content)."""
    data = b"".join(draw(st.lists(_pieces, max_size=25)))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    bounds = [0, *cuts, len(data)]
    return data, [data[a:b] for a, b in itertools.pairwise(bounds)]


def run_chunker(chunker: LineChunker, feeds: list[bytes], flush: bool | None) -> list[Chunk]:
    """Feed everything; close with ``flush`` (``None``: do not close). Check the buffer bound."""
    chunks: list[Chunk] = []
    for piece in feeds:
        chunks += chunker.feed(piece)
        # The tail held back is less than a chunk, or one line cut to max_line + 1 bytes.
        assert chunker.buffered <= max(chunker.target_bytes - 1, chunker.max_line + 1)
    if flush is not None:
        chunks += chunker.close(flush=flush)
    return chunks


@settings(max_examples=400, deadline=None)
@given(
    stream=streams(),
    target=st.integers(1, 80),
    max_line=st.integers(1, 40),
    start=st.integers(0, 10**9),
    flush=st.booleans(),
)
def test_chunks_cover_the_stream_line_by_line(stream, target, max_line, start, flush):
    data, feeds = stream
    chunker = LineChunker(3, "fmt", start=start, target_bytes=target, max_line=max_line)
    chunks = run_chunker(chunker, feeds, flush)

    *complete, tail = data.split(b"\n")
    expected = [(line, len(line) + 1) for line in complete]  # (line, bytes of the source)
    if flush and tail:
        expected.append((tail, len(tail)))

    assert [c.seq for c in chunks] == list(range(len(chunks)))
    pos, i = start, 0
    for n, c in enumerate(chunks):
        assert (c.source_id, c.fmt) == (3, "fmt")
        assert c.start == pos and c.lines >= 1
        pos = c.end
        last = n == len(chunks) - 1
        if c.partial:
            assert last and flush and not c.data.endswith(b"\n")
            body = c.data
        else:
            assert c.data.endswith(b"\n")
            body = c.data[:-1]
        out = body.split(b"\n")
        assert len(out) == c.lines
        span = 0
        for line in out:
            original, size = expected[i]
            i += 1
            span += size
            if len(original) <= max_line:
                assert line == original
            else:  # over-long: whole, or cut to a prefix of exactly max_line + 1 bytes
                assert line in (original, original[: max_line + 1])
        assert c.end - c.start == span  # offsets count every source byte, cut or not
    assert i == len(expected)
    newlines = data.count(b"\n")
    assert sum(c.lines for c in chunks) == chunker.lines == len(expected)
    assert len(expected) == newlines + (1 if flush and tail else 0)
    if flush:
        assert pos == start + len(data)
        assert chunker.pending == 0
    else:
        assert pos == start + len(data) - len(tail)  # the unterminated tail is not emitted
        assert chunker.pending == len(tail)


@settings(max_examples=200, deadline=None)
@given(stream=streams(), target=st.integers(1, 80), max_line=st.integers(1, 40))
def test_without_close_only_whole_lines_are_emitted(stream, target, max_line):
    data, feeds = stream
    chunker = LineChunker(1, "fmt", target_bytes=target, max_line=max_line)
    chunks = run_chunker(chunker, feeds, flush=None)
    assert all(c.data.endswith(b"\n") and not c.partial for c in chunks)
    end = chunks[-1].end if chunks else 0
    assert end <= data.rfind(b"\n") + 1
    # Closing without flush emits the rest of the whole lines, and nothing more.
    rest = list(chunker.close(flush=False))
    assert (rest[-1].end if rest else end) == data.rfind(b"\n") + 1


@settings(max_examples=100, deadline=None)
@given(stream=streams(), target=st.integers(1, 80), seq=st.integers(0, 50))
def test_output_does_not_depend_on_how_input_is_split(stream, target, seq):
    data, feeds = stream

    def joined(pieces: list[bytes]) -> bytes:
        chunker = LineChunker(1, "fmt", target_bytes=target, max_line=10**6, seq=seq)
        chunks = run_chunker(chunker, pieces, flush=True)
        assert [c.seq for c in chunks] == list(range(seq, seq + len(chunks)))
        return b"".join(c.data for c in chunks)

    assert joined(feeds) == joined([data]) == data


def test_over_long_line_spanning_feeds():
    chunker = LineChunker(1, "fmt", target_bytes=4, max_line=5)
    chunks = run_chunker(chunker, [b"ok\nabc", b"defghij", b"klm", b"n\nnext\n"], flush=True)
    assert [(c.start, c.end, c.data) for c in chunks] == [
        (0, 3, b"ok\n"),
        (3, 18, b"abcdef\n"),
        (18, 23, b"next\n"),
    ]


def test_pending_counts_a_skipped_over_long_tail():
    """``pending`` is documented as the bytes of the unfinished last line held back; for an
    over-long unfinished line it reports only the kept prefix (max_line + 1)."""
    chunker = LineChunker(1, "fmt", target_bytes=4, max_line=4)
    assert list(chunker.feed(b"abcdefgh")) == []
    assert list(chunker.close(flush=False)) == []
    assert chunker.pending == 8
