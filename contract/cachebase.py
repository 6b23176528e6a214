"""What the caches of this package share: where they live, when they may be used, what code they depend on.

Kept to `os`, `stat` and `sys`: replaying an unchanged `check` run
(`generators/check_cache.py`) goes through this module before anything else
is imported, and `hashlib`, `pathlib` or `tempfile` alone cost more to
import than such a replay takes.
"""

from __future__ import annotations

import os
import site
import stat
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_SOURCE_DIRS = ("contract", "generators", "dashboards")


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
    """Whether `directory` may hold cache entries: entries run code when loaded, so it must be ours alone."""
    try:
        if create:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        st = os.stat(directory)
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


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
