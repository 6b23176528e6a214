"""The validated contract, kept between runs: the one cache of this package.

`check` runs on every commit, usually with the contract unchanged, and
validating it (the pydantic model, every contract check, the catalog) is
most of what such a run would cost. An entry holds the `Catalog`, the
contract's problems and, once a run of `check` on the out dir asked for
them, the files `generate` writes from it, with the digest of the configured
dashboard files they were rendered with (`files_digest`): outputs rendered
with other dashboard sources are rendered again. A dashboard file is known by
its path and bytes only; what a Python dashboard imports is not followed
(`--no-cache` renders anew).

An entry is keyed by the sha256 of the cache format, the package's own
source files (what decides an entry's content: any two releases differ in
them, and an editable install changes them without changing the version),
the contract's path as given (problems and the generated-file markers name
it) and the contract's bytes. Entries live in
`$METRICS_CONTRACT_CACHE`, else `$XDG_CACHE_HOME/metrics-contract`, else
`~/.cache/metrics-contract`, and are used only while that directory belongs
to the user running and nobody else may write to it: an entry decides what
`check` reports. Each entry is a regular file whose first line is the
sha256 of the JSON that follows; an entry that is not a regular file, fails
its checksum or does not have the expected shape is removed and rebuilt,
never trusted. The directory keeps the `KEEP` entries written last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from contract.catalog import Catalog
from contract.loader import read_bytes
from contract.problems import Problem

if TYPE_CHECKING:
    from contract.loader import LoadedContract

FORMAT = 1        # bump when the shape of an entry changes
KEEP = 16         # entries kept: a few branches' or contracts' worth
MAX_ENTRY = 256 * 1024 * 1024
_ENTRY = re.compile(r"[0-9a-f]{64}\.json")
_PACKAGES = ("contract", "generators", "dashboards")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cache_dir() -> str:
    configured = os.environ.get("METRICS_CONTRACT_CACHE")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "metrics-contract")


@cache
def code_digest() -> str:
    """sha256 of every source file of the package."""
    digest = hashlib.sha256()
    for package in _PACKAGES:
        for root, dirs, names in os.walk(os.path.join(_ROOT, package)):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                if name.endswith((".py", ".yaml", ".j2")):
                    path = os.path.join(root, name)
                    digest.update(os.path.relpath(path, _ROOT).encode() + b"\0")
                    with open(path, "rb") as fh:
                        digest.update(hashlib.sha256(fh.read()).digest())
    return digest.hexdigest()


class ContractCache:
    def __init__(self, directory: str | None = None, enabled: bool = True) -> None:
        self.directory = directory or cache_dir()
        self.enabled = enabled

    def key(self, file: str, data: bytes) -> str:
        head = f"{FORMAT}\0{code_digest()}\0{file}\0".encode("utf-8", "surrogateescape")
        return hashlib.sha256(head + data).hexdigest()

    def _usable(self, create: bool) -> bool:
        if not self.enabled:
            return False
        try:
            if create:
                os.makedirs(self.directory, mode=0o700, exist_ok=True)
            st = os.stat(self.directory)
        except OSError:
            return False
        mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
        return stat.S_ISDIR(st.st_mode) and mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)

    def load(self, key: str) -> dict[str, Any] | None:
        """The entry stored under `key` if it is whole and ours; a bad entry is removed."""
        if not self._usable(create=False):
            return None
        path = os.path.join(self.directory, f"{key}.json")
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):   # a symlink, FIFO, directory ...: never opened
            _remove(path)
            return None
        value = _read_entry(path)
        if value is None or value.get("key") != key:
            _remove(path)
            return None
        return value

    def store(self, key: str, value: dict[str, Any]) -> None:
        """Write the entry of `key` (JSON values); failing to is never an error."""
        if not self._usable(create=True):
            return
        body = json.dumps({**value, "key": key}, sort_keys=True, separators=(",", ":")).encode("utf-8")
        path = os.path.join(self.directory, f"{key}.json")
        partial = f"{path}.{os.getpid()}.tmp"
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
            os.replace(partial, path)   # readers see the whole entry or none
        except OSError:
            _remove(partial)
            return
        self._prune()

    def _prune(self) -> None:
        try:
            entries = [e for e in os.scandir(self.directory) if _ENTRY.fullmatch(e.name)]
            ages = sorted(((e.stat(follow_symlinks=False).st_mtime_ns, e.path) for e in entries), reverse=True)
        except OSError:
            return
        for _, path in ages[KEEP:]:
            _remove(path)


def _read_entry(path: str) -> dict[str, Any] | None:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY:
            return None
        data = fh.read()
    checksum, _, body = data.partition(b"\n")
    if checksum != hashlib.sha256(body).hexdigest().encode():
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass   # gone already, or not ours to remove


@dataclass
class Validated:
    """What `check` needs of a contract: its catalog, its problems, and the cache entry they came from."""

    file: str
    data: bytes
    catalog: Catalog
    problems: list[Problem]
    key: str
    cache: ContractCache
    entry: dict[str, Any]
    lc: LoadedContract | None = None   # the loaded contract, when validating it loaded one (not from the cache)

    def loaded(self) -> LoadedContract:
        """The loaded contract: the one validation loaded, else loaded now (the model's classes are built then)."""
        if self.lc is None:
            from contract.loader import load_contract

            self.lc = load_contract(self.file, self.data)
        return self.lc

    def outputs(self, sources: str = "") -> dict[str, str] | None:
        """The files `generate` writes from this contract (relative path -> text), if this entry holds them as
        rendered with the dashboard files of digest `sources`."""
        stored = self.entry.get("outputs")
        if self.entry.get("outputs_sources", "") != sources:
            return None
        if isinstance(stored, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in stored.items()):
            return stored
        return None

    def keep_outputs(self, rendered: dict[str, str], sources: str = "") -> None:
        """Add what `generate` writes from this contract, with the dashboard files of digest `sources`, to its entry."""
        self.entry["outputs"] = rendered
        self.entry["outputs_sources"] = sources
        self.cache.store(self.key, self.entry)


def files_digest(files: tuple[str, ...]) -> str:
    """sha256 of the paths and bytes of `files` (the configured dashboard sources); "" for none."""
    if not files:
        return ""
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(read_bytes(file)).digest())
    return digest.hexdigest()


def validated(file: str, cache: ContractCache, data: bytes | None = None) -> Validated:
    """The catalog and problems of a contract, from the cache when it is unchanged."""
    if data is None:
        data = read_bytes(file)
    # a disabled cache (`--no-cache`) is neither read nor written: no key (a digest of every source file of the
    # package) and no entry to compute
    key = cache.key(file, data) if cache.enabled else ""
    entry = cache.load(key) if cache.enabled else None
    if entry is not None:
        try:
            catalog = Catalog.from_data(entry["catalog"])
            problems = [_problem(row) for row in entry["problems"]]
        except (KeyError, TypeError, ValueError):
            _remove(os.path.join(cache.directory, f"{key}.json"))
        else:
            return Validated(file, data, catalog, problems, key, cache, entry)
    from contract.checks.registry import check_contract
    from contract.loader import load_contract

    lc = load_contract(file, data)
    problems = check_contract(lc)
    catalog = Catalog.from_contract(lc)
    entry = {}
    if cache.enabled:
        entry = {"format": FORMAT, "catalog": catalog.to_data(), "problems": [list(p) for p in problems]}
        cache.store(key, entry)
    return Validated(file, data, catalog, problems, key, cache, entry, lc)


def _problem(row: object) -> Problem:
    if not isinstance(row, list) or len(row) != len(Problem._fields):
        raise TypeError("a problem is a list of its fields")
    file, line, column, check, message, severity, location, expr, metric = row
    if not all(isinstance(v, str) for v in (file, check, message, location, expr, metric)) or \
            severity not in ("error", "warning", "info") or type(line) is not int or type(column) is not int:
        raise TypeError("a problem field has the wrong type")
    return Problem(file, line, column, check, message, severity, location, expr, metric)
