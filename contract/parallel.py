"""Run pieces of one job in forked child processes, on the CPUs this process may use.

`fork_map(work, pieces)` calls `work(piece)` for the first piece in this
process and for each other piece in a forked child, which sends its result
back pickled through a pipe. Forking shares everything already loaded (the
catalog, the parsed sources) without copying or pickling it, which is what
makes a child worth starting for a few thousand expressions. Where fork is
not the norm (not Linux), or a child fails for any reason, the piece is
done here instead: the result never depends on how the work was split.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

P = TypeVar("P")
R = TypeVar("R")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform == "linux" and hasattr(os, "fork")


def fork_map(work: Callable[[P], R], pieces: Sequence[P]) -> list[R]:
    if len(pieces) < 2 or not can_fork():
        return [work(piece) for piece in pieces]
    # frozen objects are never visited by a collection in the children, so
    # their pages stay shared instead of being copied on the first collection
    gc.freeze()
    try:
        children = [_start(work, piece) for piece in pieces[1:]]
    finally:
        gc.unfreeze()
    pending = dict(enumerate(children, 1))
    try:
        results = [work(pieces[0])]
        for index in range(1, len(pieces)):
            got: tuple[R] | None = _collect(*pending.pop(index))
            results.append(work(pieces[index]) if got is None else got[0])
    finally:
        for pid, fd in pending.values():   # only after an error here: nobody will read what they send
            os.kill(pid, signal.SIGKILL)
            os.close(fd)
            os.waitpid(pid, 0)
    return results


def _start(work: Callable[[P], R], piece: P) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns, never runs the parent's exit handlers or flushes its buffers
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps((work(piece),), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as fh:
                fh.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> tuple[R] | None:
    """The child's result in a 1-tuple, or None if it failed."""
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    try:
        result: tuple[R] = pickle.loads(data)
    except Exception:   # a truncated or unreadable result: do the piece here
        return None
    return result
