"""The contract cache: a validated contract comes back as it was built, as plain data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import contract.loader
from contract.cache import ContractCache, validated
from tests.conftest import MINIMAL, QORTEX_CONTRACT, ROOT


@pytest.fixture
def cache(tmp_path: Path) -> ContractCache:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    return ContractCache(str(directory))


def test_cached_catalog_and_problems_are_the_built_ones(tmp_path: Path, cache: ContractCache,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("svc_latency_seconds", "svc_latency"))   # a warning: a unit not in the name
    built, built_problems, key = validated(str(path), cache)
    assert built_problems
    monkeypatch.setattr(contract.loader, "load_contract", lambda *a: pytest.fail("validated again"))
    cached, problems, again = validated(str(path), cache)
    assert again == key and cached is not built
    assert problems == built_problems
    assert cached.data() == built.data()
    assert cached.suggest("svc_requests") == built.suggest("svc_requests")


def test_an_unreadable_entry_is_a_miss(cache: ContractCache) -> None:
    catalog, problems, key = validated(str(QORTEX_CONTRACT), cache)
    for entry in Path(cache.directory).iterdir():
        entry.write_bytes(b"\0not marshal")
    again, _, _ = validated(str(QORTEX_CONTRACT), cache)
    assert again.data() == catalog.data()


def test_a_cold_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    """With the contract cached and no run to replay: no pickle, hashing, TOML, argparse, typing or naming modules."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = {**os.environ, "METRICS_CONTRACT_CACHE": str(cache), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "generators", "check"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    for entry in cache.glob("check-*"):
        entry.unlink()
    cold = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert (cold.returncode, cold.stdout) == (first.returncode, first.stdout)
    imported = {line.split("|")[-1].strip() for line in cold.stderr.splitlines() if line.startswith("import time:")}
    assert "contract.lint" in imported
    assert not imported & {"pickle", "hashlib", "tomllib", "argparse", "typing", "dataclasses", "contract.naming",
                           "pydantic"}
