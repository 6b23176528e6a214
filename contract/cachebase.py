"""What the caches of this package share: where they live, when they may be used, what code they depend on.

`load_entry` and `store_entry` keep plain values as `marshal` data, which
loads without running code or importing anything. Kept to `binascii`,
`marshal`, `os`, `stat` and `sys`: replaying an unchanged `check` run
(`generators/check_cache.py`) goes through this module before anything else
is imported, and `hashlib`, `pathlib` or `tempfile` alone cost more to
import than such a replay takes (`binascii.crc32` is `zlib.crc32` without
loading zlib).
"""

from __future__ import annotations

import binascii
import marshal
import os
import site
import stat
import sys

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing
if TYPE_CHECKING:
    from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCE_DIRS = ("contract", "generators", "dashboards")

KEEP_CONTRACTS = 8            # contract keys whose entries `prune` keeps: a few branches' or code versions' worth
STALE_SECONDS = 30 * 86400    # per-directory entries (replayed runs, config) not rewritten for this long
TMP_SECONDS = 3600            # a partial write this old belongs to a process that died
# the names of this package's entries (`.pickle`: an earlier format), and of their partial writes
_OURS = (r"(?:(?P<key>[0-9a-f]{64})(?:\.[a-z]+|-[0-9a-f]{8}\.verdicts)|(?:check|config)-[0-9a-f]{8})"
         r"\.(?P<format>marshal|pickle)(?P<tmp>\.[0-9]+\.tmp)?")


def cache_dir() -> str:
    """`$METRICS_CONTRACT_CACHE`, else a per-user directory under the system temp dir."""
    configured = os.environ.get("METRICS_CONTRACT_CACHE")
    if configured:
        return configured
    # the variables `tempfile.gettempdir()` looks at first, without importing it
    temp = os.environ.get("TMPDIR") or os.environ.get("TEMP") or os.environ.get("TMP") or (
        "/tmp" if os.name == "posix" else os.getcwd())
    return os.path.join(temp, f"metrics-contract-{os.getuid() if hasattr(os, 'getuid') else 'user'}")


def usable(directory: str, create: bool) -> bool:
    """Whether `directory` may hold cache entries: they decide what `check` reports, so it must be ours alone."""
    try:
        if create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def slot(key: object) -> str:
    """Eight hex digits naming the entry of `key` made in this working directory.

    For entries that hold what they were made for, so that a collision is
    only a miss; one entry per key, so edits replace entries instead of
    piling them up.
    """
    return f"{binascii.crc32(repr((os.getcwd(), key)).encode('utf-8', 'surrogateescape')):08x}"


def load_entry(directory: str, name: str) -> Any:
    """The value stored as `name` in `directory`, or None when it is missing, unreadable, or the directory unusable."""
    if not usable(directory, create=False):
        return None
    try:
        with open(os.path.join(directory, name), "rb") as fh:
            # one read: `marshal.load` on a file reads it piece by piece, several times slower
            return marshal.loads(fh.read())
    except (OSError, EOFError, ValueError, TypeError):
        return None   # a missing or unreadable entry is a miss, never an error


def store_entry(directory: str, name: str, value: Any) -> None:
    """Store `value` (plain data) as `name` in `directory`, if it is usable; failing to is not an error."""
    if not usable(directory, create=True):
        return
    target = os.path.join(directory, name)
    partial = f"{target}.{os.getpid()}.tmp"
    try:
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            marshal.dump(value, fh)
        os.replace(partial, target)   # readers see the whole entry or none
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass


def prune(directory: str, keep: int = KEEP_CONTRACTS, now: float | None = None) -> None:
    """Bound what the cache holds; run after a contract is validated, which is rare and slow anyway.

    Entries of one contract key (`<key>.contract`, `<key>.render`,
    `<key>-<ignore>.verdicts`) go together: those of the `keep` keys written
    to last stay. Replay and config entries go when not rewritten for
    STALE_SECONDS, partial writes after TMP_SECONDS, and `<key>.<kind>.pickle`
    entries (a format no longer read) at once. Only names this package
    writes are touched: `$METRICS_CONTRACT_CACHE` may name a directory that
    holds other files too.
    """
    import re
    import time

    if not usable(directory, create=False):
        return
    now = time.time() if now is None else now
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    groups: dict[str, list[tuple[str, float]]] = {}
    doomed = []
    for entry in entries:
        ours = re.fullmatch(_OURS, entry.name)
        if ours is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        key = ours["key"]
        if ours["tmp"]:
            if age > TMP_SECONDS:
                doomed.append(entry.path)
        elif ours["format"] == "pickle":
            doomed.append(entry.path)
        elif key:
            groups.setdefault(key, []).append((entry.path, age))
        elif age > STALE_SECONDS:
            doomed.append(entry.path)
    by_age = sorted(groups.values(), key=lambda files: min(a for _, a in files))
    doomed += [path for files in by_age[keep:] for path, _ in files]
    for path in doomed:
        try:
            os.unlink(path)
        except OSError:
            continue   # gone already, or not ours to remove: pruning never fails a run


def code_state() -> str:
    """The code results depend on: the Python version, the installed packages, every source file of this package.

    Packages count by their directories' mtimes (installing, upgrading or
    removing one adds or removes entries there), source files by size and
    mtime, so an edited check or generator never gets results of the old one.
    Taken once per process, which runs one version of the code.
    """
    global _state
    if _state is None:
        _state = _code_state()
    return _state


_state: str | None = None


def _code_state() -> str:
    lines = [sys.version]
    for packages in site.getsitepackages() + [site.getusersitepackages()]:
        try:
            lines.append(f"{packages} {os.stat(packages).st_mtime_ns}")
        except OSError:
            continue
    for name in _SOURCE_DIRS:
        _sources(os.path.join(ROOT, name), lines)
    return "\n".join(lines) + "\n"


def _sources(directory: str, lines: list[str]) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir() and entry.name != "__pycache__":
            _sources(entry.path, lines)
        elif entry.name.endswith(".py"):
            st = entry.stat()
            lines.append(f"{entry.path} {st.st_size} {st.st_mtime_ns}")
