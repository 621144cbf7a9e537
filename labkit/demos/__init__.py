"""Workloads and demonstrations the notebooks measure (module-level, so they pickle under spawn)."""

__all__: list[str] = []
