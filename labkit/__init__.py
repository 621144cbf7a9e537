"""labkit: the code behind Concurrency Lab.

Every worker function, widget and check that the notebooks use lives here, so it can be pickled
under the ``spawn`` start method and tested outside Jupyter.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
