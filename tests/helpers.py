"""Small shared helpers for the tests (imported as ``helpers``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psutil


def table(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def records(db: Path) -> list[tuple]:
    """Every stored row keyed by source name instead of id, sorted."""
    return table(
        db,
        "SELECT s.name, r.offset, r.ts, r.host, r.user, r.method, r.path, r.protocol, r.status,"
        " r.size, r.referer, r.agent, r.program, r.pid, r.message"
        " FROM records r JOIN sources s ON s.id = r.source_id ORDER BY s.name, r.offset",
    )


def rejects(db: Path) -> list[tuple]:
    return table(
        db,
        "SELECT s.name, j.offset, j.reason, j.line FROM rejects j"
        " JOIN sources s ON s.id = j.source_id ORDER BY s.name, j.offset",
    )


def child_pids() -> set[int]:
    """Live child processes, except multiprocessing's resource tracker (one per parent process,
    started on first use and meant to live as long as the parent)."""
    pids = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.is_running() and "resource_tracker" not in " ".join(p.cmdline()):
                pids.add(p.pid)
        except psutil.Error:
            continue
    return pids
