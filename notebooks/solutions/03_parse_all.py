import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

from labkit.parser import parse_chunk

__check__ = ("labkit.checks.nb03", "check_parse_all", "parse_all")


def parse_all(chunks: list[bytes], fmt: str, workers: int) -> tuple[int, int]:
    """Parse every chunk on a pool of ``workers`` processes; return (rows, rejects) counts."""
    rows = rejects = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [
            pool.submit(parse_chunk, 0, seq, fmt, 0, len(data), data, "rows")
            for seq, data in enumerate(chunks)
        ]
        for future in futures:
            batch = future.result()
            rows += batch.stored
            rejects += batch.rejected
    return rows, rejects
