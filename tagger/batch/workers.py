"""Worker processes of a local run: how many, how they start, end and report errors.

Workers end quietly with their run: on its error or interrupt they are stopped, not waited
for; when it is killed (even by SIGKILL) they end at once; an error in one reaches the run
whole (one that could not be rebuilt there would hang the pool's result thread).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys

from ..config import available_cpus  # noqa: F401  (workers.available_cpus: the cap of a run)
from ..errors import TaggerError


def _worker_start(parent: int) -> None:
    """Set up a worker process so it ends quietly with its run: the default SIGTERM (not
    the handler a CLI may have set before the pool forked), no SIGINT (the run's process
    stops the pool on Ctrl-C), and on Linux a SIGTERM when the parent dies, even by
    SIGKILL, instead of tracebacks of a broken pipe to nobody."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # gone before the line above took effect
        end_quietly()


@contextlib.contextmanager
def collected_per_chunk():
    """A block (a worker's share of a run) in which Python's garbage collector runs once
    per chunk, when the block calls the function it yields, not whenever enough objects
    were made: tagging a chunk makes many short-lived objects and few cycles, and the
    automatic collections (each also walking the model and the modules, here frozen out
    of them) cost about 3% of the tagging. Memory stays bounded by a chunk's garbage."""
    enabled = gc.isenabled()
    gc.freeze()  # what exists now (the model, the modules) lives as long as the process
    gc.disable()
    try:
        yield gc.collect
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def end_quietly() -> None:
    """End this (worker) process at once and without a word, as SIGTERM's default does."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)
    raise SystemExit(0)  # not reached where the signal ends the process, as it does


def _guarded(task, *args):
    """``task(*args)``; an error that could not be rebuilt in the parent process (which
    would stop the pool's result thread and hang the run) is sent as a TaggerError."""
    try:
        return task(*args)
    except Exception as exc:
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            failed = f"a worker process failed: {type(exc).__name__}: {exc}"
        else:
            raise
    # raised out here, so the error carries no __context__: a pickler that sends the
    # context along (tblib's, installed by dask.distributed) would send the failed one
    raise TaggerError(failed)


def run_in_pool(context, jobs: int, calls: list) -> list:
    """``_guarded(*call)`` for each call, in ``jobs`` processes; their results in order. On
    an error (or an interrupt) the workers still running are stopped, not waited for."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    before = {p.pid for p in multiprocessing.active_children()}
    pool = ProcessPoolExecutor(jobs, mp_context=context, initializer=_worker_start,
                               initargs=(os.getpid(),))
    workers: set[int] = set()
    try:
        futures = [pool.submit(_guarded, *call) for call in calls]
        workers = {p.pid for p in multiprocessing.active_children()} - before
        for future in as_completed(futures):
            future.result()  # the first error, as soon as it comes
        return [f.result() for f in futures]
    except BrokenProcessPool:
        raise TaggerError("a worker process ended before its work was done (killed, or out of "
                          "memory); the chunks finished are kept: run the same command again "
                          "to continue") from None
    except BaseException:
        for pid in workers:  # shutting the pool down would wait for their whole shares
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
