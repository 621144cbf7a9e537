"""The live pipeline dashboard (notebook 05): sliders for the live settings, Run and Stop, a
chart of lines/s per stage, queue depths and active workers, running totals, and a table of
finished runs.

``Dashboard(paths, db_dir, **settings)`` builds it; display it in a cell. See
``labkit.dashboard.app`` for where the run executes and what that means for the kernel.
"""

from labkit.dashboard.app import RESULT_COLUMNS, Dashboard
from labkit.dashboard.chart import PANELS, SERIES, LiveChart
from labkit.dashboard.controls import SETTINGS, Controls

__all__ = ["PANELS", "RESULT_COLUMNS", "SERIES", "SETTINGS", "Controls", "Dashboard", "LiveChart"]
