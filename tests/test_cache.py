"""The contract cache: a validated contract comes back as it was built, as plain data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import contract.loader
from contract.cache import ContractCache, validated
from contract.cachebase import KEEP_CONTRACTS, prune
from contract.catalog import SeriesInfo
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
    assert cached._metrics is None   # read only when something needs it
    assert cached._infos == {} and cached.info("svc_requests_total") == built.info("svc_requests_total")
    assert list(cached._infos) == ["svc_requests_total"]   # a SeriesInfo is made when looked up
    assert cached.info("svc_requests") is None is built.info("svc_requests")
    assert cached.series == built.series and cached.series["svc_requests_total"] is cached.info("svc_requests_total")
    assert all(type(info) is SeriesInfo for info in cached.series.values())
    assert cached.suggest("svc_requests") == built.suggest("svc_requests") == ("svc_requests_total",
                                                                              "counter svc_requests")
    assert (cached.metrics, cached.aliases) == (built.metrics, built.aliases)
    assert cached.metrics["svc_requests"] == ("counter", ("code",), {"created": "svc_requests_created",
                                                                   "total": "svc_requests_total"})


def test_equal_label_sets_and_value_tables_are_one_object(cache: ContractCache) -> None:
    """So marshal writes each once (`contract.catalog.build_catalog`); a cached catalog keeps that."""
    for catalog in (validated(str(QORTEX_CONTRACT), cache)[0], validated(str(QORTEX_CONTRACT), cache)[0]):
        tables: dict[str, set[int]] = {}
        for info in catalog.series.values():
            if info.metric:
                tables.setdefault(repr(info.values), set()).add(id(info.values))
        assert len(tables) == 4   # no closed label, `mode`, `outcome` (two metrics), `stage`
        assert all(len(ids) == 1 for ids in tables.values())


def test_an_unreadable_entry_is_a_miss(cache: ContractCache) -> None:
    catalog, problems, key = validated(str(QORTEX_CONTRACT), cache)
    for entry in Path(cache.directory).iterdir():
        entry.write_bytes(b"\0not marshal")
    again, _, _ = validated(str(QORTEX_CONTRACT), cache)
    assert again.data() == catalog.data()


def test_a_cold_check_imports_only_what_it_uses(tmp_path: Path) -> None:
    """With the contract cached and no run to replay: no pickle, hashing, TOML, argparse, typing or naming modules.

    Nor the pure-Python `datetime` (`generators.cli._datetime_without_python`), though ranges are read, nor
    `json` (`contract.sources.load_json`), though a dashboard is read, nor what only a problem's position or a
    split check needs.
    """
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
    assert {"contract.lint", "_datetime", "_json"} <= imported
    assert not imported & {"pickle", "hashlib", "tomllib", "argparse", "typing", "dataclasses", "contract.naming",
                           "pydantic", "datetime", "math", "bisect", "contract.parallel", "json"}


def _entry(directory: Path, name: str, age_days: float, now: float) -> None:
    (directory / name).write_bytes(b"x")
    os.utime(directory / name, (now - age_days * 86400, now - age_days * 86400))


def test_prune_keeps_the_contract_keys_written_last_and_drops_stale_entries(cache: ContractCache) -> None:
    directory, now = Path(cache.directory), 2_000_000_000.0
    keys = [f"{n:x}" * 64 for n in range(10)]
    for age, key in enumerate(keys):   # keys[0] written to last
        _entry(directory, f"{key}.contract.marshal", age + 40, now)
        _entry(directory, f"{key}.render.marshal", age + 40, now)
        # a recent verdicts file keeps its whole key: the contract is still in use
        _entry(directory, f"{key}-0badcafe.verdicts.marshal", 0.5 if key == keys[9] else age + 40, now)
    _entry(directory, f"{keys[1]}.contract.pickle", 0, now)             # the old cache format
    _entry(directory, f"{keys[1]}.contract.marshal.77.tmp", 1, now)     # a write whose process died
    _entry(directory, f"{keys[1]}.render.marshal.78.tmp", 0.001, now)   # a write in progress
    _entry(directory, "check-0000abcd.marshal", 31, now)
    _entry(directory, "check-0000abce.marshal", 29, now)
    _entry(directory, "config-0000abcd.marshal", 31, now)
    for name in ("notes.txt", "other.pickle", "other.marshal.5.tmp", "check-notes.marshal"):   # not ours
        _entry(directory, name, 400, now)
    prune(str(directory), keep=8, now=now)
    kept_keys = [keys[9], *keys[:7]]
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [f"{k}{suffix}" for k in kept_keys for suffix in (".contract.marshal", ".render.marshal",
                                                           "-0badcafe.verdicts.marshal")]
        + [f"{keys[1]}.render.marshal.78.tmp", "check-0000abce.marshal", "notes.txt", "other.pickle",
           "other.marshal.5.tmp", "check-notes.marshal"])


def test_prune_leaves_a_directory_that_is_not_ours_alone(cache: ContractCache) -> None:
    directory = Path(cache.directory)
    (directory / "x.pickle").write_bytes(b"x")
    directory.chmod(0o777)
    try:
        prune(str(directory))
        assert (directory / "x.pickle").exists()
    finally:
        directory.chmod(0o700)


def test_validating_a_contract_prunes_the_cache(tmp_path: Path, cache: ContractCache) -> None:
    directory = Path(cache.directory)
    old = [f"{n:x}" * 64 for n in range(KEEP_CONTRACTS)]
    for age, key in enumerate(old, 1):
        _entry(directory, f"{key}.contract.marshal", age, time.time())
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL)
    _, _, key = validated(str(path), cache)
    names = {p.name for p in directory.iterdir()}
    assert f"{key}.contract.marshal" in names
    assert len(names) == KEEP_CONTRACTS and f"{old[-1]}.contract.marshal" not in names
