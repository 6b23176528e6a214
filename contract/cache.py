"""Validated contracts cached by content hash, for the pre-commit fast path.

Loading a contract runs pydantic and every contract check; `check` runs on
every commit, usually with the contract unchanged. `validated` keys an entry
by the sha256 of the contract's bytes, its path as given (problems and the
generated-file marker name it) and the state of the code
(`contract.cachebase.code_state`: the Python version, the installed
packages, size and mtime of every `.py` under `contract/`, `generators/` and
`dashboards/`, so an edited check or generator is never served stale
results). An entry holds a `Catalog` and the contract problems:
plain data, so loading it imports neither pydantic nor the model.

The cache lives in `$METRICS_CONTRACT_CACHE`, else in a per-user directory
under the system temp dir. Pickles run code when loaded, so a directory that
is not ours or that others can write to is not used (`contract.cachebase`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from typing import Any

from contract.cachebase import cache_dir, code_state, usable
from contract.catalog import Catalog, build_catalog
from contract.problems import Problem
from contract.yamlsrc import read_text

FORMAT = 1   # bump when the pickled shapes change incompatibly


class ContractCache:
    def __init__(self, directory: str | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.directory = directory or cache_dir()
        self._code: str | None = None

    def key(self, file: str, data: bytes) -> str:
        if self._code is None:
            self._code = hashlib.sha256(f"{FORMAT}\n{code_state()}".encode()).hexdigest()
        return hashlib.sha256(f"{self._code}\0{file}\0".encode() + data).hexdigest()

    def load(self, key: str, kind: str) -> Any:
        if not self.enabled or not usable(self.directory, create=False):
            return None
        try:
            with open(os.path.join(self.directory, f"{key}.{kind}.pickle"), "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None   # a missing or unreadable entry is a miss, never an error

    def store(self, key: str, kind: str, value: Any) -> None:
        if not self.enabled or not usable(self.directory, create=True):
            return
        import tempfile  # here: most runs only load, and importing tempfile costs more than that

        target = os.path.join(self.directory, f"{key}.{kind}.pickle")
        try:
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)   # readers see the whole entry or none
        except OSError:
            pass


def read_bytes(file: str) -> bytes:
    """The contract's bytes; missing or unreadable files become located input errors."""
    try:
        with open(file, "rb") as fh:
            return fh.read()
    except OSError:
        read_text(file)   # raises the located error for this failure
        raise


def validated(file: str, cache: ContractCache, data: bytes | None = None) -> tuple[Catalog, list[Problem], str]:
    """(catalog, contract problems, cache key) of a contract, from the cache when unchanged."""
    if data is None:
        data = read_bytes(file)
    key = cache.key(file, data)
    hit = cache.load(key, "contract")
    if isinstance(hit, tuple) and len(hit) == 2 and isinstance(hit[0], Catalog):
        return hit[0], hit[1], key
    from contract.checks.contract_registry import check_contract
    from contract.loader import load_contract

    lc = load_contract(file, data)
    problems = check_contract(lc)
    catalog = build_catalog(lc)
    cache.store(key, "contract", (catalog, problems))
    return catalog, problems, key
