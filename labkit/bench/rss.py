"""Peak memory of one pipeline run: the process and all its children, sampled.

Run as ``python -m labkit.bench.rss DB FILE...``; prints one JSON object with ``peak_rss_mb``
(the largest sum of resident memory over the process tree seen during the run), ``lines`` and
``seconds``. Used by ``labkit bench`` in a fresh process so earlier work does not inflate it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time

import psutil

__all__ = ["PeakRss", "main"]


class PeakRss:
    """A thread sampling the resident memory of this process tree every ``interval`` seconds.

    Use as a context manager; ``peak_mb`` holds the highest total seen.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="labkit-rss", daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        return round(self.peak / 2**20, 1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def main(argv: list[str] | None = None) -> int:
    from labkit.pipeline import PipelineConfig, run_pipeline_sync

    ap = argparse.ArgumentParser(prog="python -m labkit.bench.rss")
    ap.add_argument("db")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--parsers", type=int, default=2)
    ap.add_argument("--output", default="auto")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    with PeakRss() as rss:
        result = run_pipeline_sync(
            PipelineConfig(paths=args.files, db=args.db, parsers=args.parsers, output=args.output)
        )
    print(
        json.dumps(
            {
                "peak_rss_mb": rss.peak_mb,
                "lines": result.lines_read,
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
