"""Helpers the format tests share: a parse result as a row dict, or as a reject."""

from __future__ import annotations

from collections.abc import Callable

from labkit.records import FIELDS, Reject


def as_row(parse: Callable, line: bytes, **kwargs: int | None) -> dict:
    """Parse ``line``; it must give a row, returned as ``{field: value}``."""
    result = parse(line, **kwargs)
    assert type(result) is tuple, result
    assert len(result) == len(FIELDS)
    return dict(zip(FIELDS, result, strict=True))


def as_reject(parse: Callable, line: bytes, **kwargs: int | None) -> Reject:
    """Parse ``line``; it must give a ``Reject``, returned."""
    result = parse(line, **kwargs)
    assert type(result) is Reject, result
    return result
