from collections.abc import Sequence

__check__ = ("labkit.checks.nb07", "check_guarantee", "guarantee")


def guarantee(steps: Sequence[str]) -> str:
    """What a design that takes ``steps`` for every batch promises if it may crash anywhere."""
    if "write_rows_and_offset" in steps:
        return "exactly-once"  # rows and position move together: all or nothing
    rows = next(i for i, s in enumerate(steps) if s in ("write_rows", "upsert_rows"))
    saved = steps.index("save_offset") if "save_offset" in steps else None
    if saved is not None and saved < rows:
        return "at-most-once"  # position saved first: a crash before the rows loses them
    if steps[rows] == "upsert_rows":
        return "exactly-once"  # re-read lines are ignored by the unique key
    return "at-least-once"  # rows first: a crash before the position re-reads them
