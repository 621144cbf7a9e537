"""Benchmarks of the lab's building blocks (run e.g. ``python -m labkit.bench.parse``)."""

__all__: list[str] = []
