"""Parse engines other than the local process pool (optional extras)."""

__all__: list[str] = []
