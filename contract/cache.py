"""Validated contracts cached by content hash, for the pre-commit fast path.

Loading a contract runs pydantic and every contract check; `check` runs on
every commit, usually with the contract unchanged. `validated` keys an entry
by a hash (BLAKE2b) of the contract's bytes, its path as given (problems
and the generated-file marker name it) and the state of the code
(`contract.cachebase.code_state`: the Python version, the installed
packages, size and mtime of every `.py` under `contract/`, `generators/` and
`dashboards/`, so an edited check or generator is never served stale
results). An entry holds a `Catalog` and the contract problems as plain
data, so loading it imports neither pydantic nor the model.

Entries are `marshal` data in `$METRICS_CONTRACT_CACHE`, else in a per-user
directory under the system temp dir, used only when it is ours alone
(`contract.cachebase`). Validating a contract (a new key) prunes the
directory: the entries of the 8 keys written to last stay
(`contract.cachebase.prune`).
"""

from __future__ import annotations

from contract.cachebase import cache_dir, code_state, load_entry, prune, store_entry
from contract.catalog import Catalog, build_catalog
from contract.problems import Problem
from contract.yamlsrc import read_text

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from typing import Any

try:   # what hashlib.blake2b is, without hashlib, which loads OpenSSL: more than a `check` run spends hashing
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without the builtin module
    from hashlib import blake2b

FORMAT = 2   # bump when the shapes of entries change incompatibly


class ContractCache:
    def __init__(self, directory: str | None = None, enabled: bool = True) -> None:
        self.enabled = enabled
        self.directory = directory or cache_dir()
        self._code: bytes | None = None

    def key(self, file: str, data: bytes) -> str:
        if self._code is None:
            self._code = blake2b(f"{FORMAT}\n{code_state()}".encode()).digest()
        return blake2b(self._code + f"\0{file}\0".encode() + data, digest_size=32).hexdigest()

    def load(self, key: str, kind: str) -> Any:
        """The plain data stored under `key` and `kind`, or None."""
        return load_entry(self.directory, f"{key}.{kind}.marshal") if self.enabled else None

    def store(self, key: str, kind: str, value: Any) -> None:
        """Keep `value` (plain data: what `marshal` takes) under `key` and `kind`."""
        if self.enabled:
            store_entry(self.directory, f"{key}.{kind}.marshal", value)


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
    if isinstance(hit, tuple) and len(hit) == 2:
        return Catalog.from_data(hit[0]), [Problem(*row) for row in hit[1]], key
    from contract.checks.contract_registry import check_contract
    from contract.loader import load_contract

    lc = load_contract(file, data)
    problems = check_contract(lc)
    catalog = build_catalog(lc)
    cache.store(key, "contract", (catalog.data(), [tuple(p) for p in problems]))
    if cache.enabled:
        prune(cache.directory)   # a new key: entries of old contracts and old code may go
    return catalog, problems, key
