"""Run the pieces of one job in forked child processes, on the CPUs this process may use.

`fork_map(work, pieces)` calls `work(piece)` for the first piece in this
process and for every other piece in a forked child, which sends its result
back as `marshal` data through a pipe (so results are plain values: tuples,
lists, dicts, sets, strings, numbers). Forking shares everything already
loaded (the catalog, the parsed sources) without copying or serialising
it, which is what makes a child worth starting for a few thousand
expressions. Where fork is not the norm (not Linux), where other threads
run (a fork copies only the calling thread, and a lock another thread holds
stays held for ever in the child), or when a child fails for any reason,
the piece is done in this process instead: the result never depends on how
the work was split.
"""

from __future__ import annotations

import gc
import marshal
import os
import sys

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, TypeVar

    P = TypeVar("P")
    R = TypeVar("R")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")   # not imported: no other thread can exist
    return threading is None or threading.active_count() == 1


def fork_map(work: Callable[[P], R], pieces: Sequence[P]) -> list[R]:
    if len(pieces) < 2 or not can_fork():
        return [work(piece) for piece in pieces]
    # Frozen objects are never visited by a collection in the children, so their pages stay shared instead of
    # being copied on a child's first collection.
    gc.freeze()
    children: dict[int, tuple[int, int]] = {}
    try:
        for index in range(1, len(pieces)):
            try:
                children[index] = _start(work, pieces[index])
            except OSError:   # no process or memory left for another child: the pieces left are done here
                break
    finally:
        gc.unfreeze()
    try:
        results = [work(pieces[0])]
        for index in range(1, len(pieces)):
            child = children.pop(index, None)
            got = None if child is None else _collect(*child)
            results.append(work(pieces[index]) if got is None else got[0])
    finally:
        if children:   # left only after an error here: nobody will read what they send
            _stop(children.values())
    return results


def _stop(children: Iterable[tuple[int, int]]) -> None:
    # imported here, not at the top: it builds enums on import, and only a failed run needs it
    import signal

    for pid, fd in children:
        os.kill(pid, signal.SIGKILL)
        os.close(fd)
        os.waitpid(pid, 0)


def _start(work: Callable[[P], R], piece: P) -> tuple[int, int]:
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:   # the child: never returns, never runs the parent's exit handlers or flushes its buffers
        status = 1
        try:
            os.close(read_end)
            result: Any = work(piece)   # what marshal takes is checked when it runs: a failure does the piece here
            data = marshal.dumps((result,))
            with os.fdopen(write_end, "wb") as fh:
                fh.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> tuple[Any] | None:
    """The child's result in a 1-tuple, or None if it failed."""
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None
    try:
        result: tuple[Any] = marshal.loads(data)
    except (EOFError, ValueError, TypeError):   # a truncated or unreadable result: do the piece here
        return None
    return result
