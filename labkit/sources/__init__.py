"""Where lines come from: files, TCP clients and simulated remote sources.

Every source runs as an asyncio task that turns bytes into ``Chunk``s (see ``labkit.chunks``) and
hands them to ``ReadContext.emit``, which waits while the pipeline is full (backpressure). A
source registers itself (``ReadContext.register``) before its first chunk, to get a source id and
the offset where reading resumes.
"""

from __future__ import annotations

from labkit.sources.base import ReadContext, Source
from labkit.sources.files import FileSource, open_log
from labkit.sources.remote import RemoteSource
from labkit.sources.tcp import TcpSource

__all__ = ["FileSource", "ReadContext", "RemoteSource", "Source", "TcpSource", "open_log"]
