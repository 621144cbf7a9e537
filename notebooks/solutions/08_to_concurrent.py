__check__ = ("labkit.checks.nb08", "check_to_concurrent", "to_concurrent")

import concurrent.futures


def to_concurrent(dask_future) -> concurrent.futures.Future:
    """A ``concurrent.futures.Future`` that gets ``dask_future``'s result or exception."""
    out = concurrent.futures.Future()

    def deliver(done) -> None:  # runs on Dask's callback thread once the task ended
        try:
            out.set_result(done.result())
        except Exception as exc:  # the task failed: pass its error on
            out.set_exception(exc)

    dask_future.add_done_callback(deliver)
    return out
