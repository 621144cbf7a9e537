import pandas as pd

__check__ = ("labkit.checks.nb06", "check_speedup_table", "speedup_table")


def speedup_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per worker count: median lines/s, speedup over 1 worker, efficiency."""
    table = runs.groupby("workers")[["lines_per_s"]].median()
    table["speedup"] = table["lines_per_s"] / table.loc[1, "lines_per_s"]
    table["efficiency"] = table["speedup"] / table.index
    return table
