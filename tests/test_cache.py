"""The contract cache: a validated contract comes back as it was built; a bad entry is never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import contract.loader
from contract.cache import KEEP, ContractCache, validated
from contract.catalog import Catalog
from tests.conftest import MINIMAL, QORTEX_CONTRACT, ROOT


@pytest.fixture
def cache(tmp_path: Path) -> ContractCache:
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    return ContractCache(str(directory))


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The contracts that were validated rather than taken from the cache."""
    calls: list[str] = []
    real = contract.loader.load_contract

    def counted(file: str, data: bytes | None = None) -> contract.loader.LoadedContract:
        calls.append(file)
        return real(file, data)

    monkeypatch.setattr(contract.loader, "load_contract", counted)
    return calls


def _entry(cache: ContractCache) -> Path:
    (entry,) = Path(cache.directory).iterdir()
    return entry


def test_cached_catalog_and_problems_are_the_built_ones(tmp_path: Path, cache: ContractCache,
                                                        loads: list[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("svc_latency_seconds", "svc_latency"))   # a warning: a unit not in the name
    built = validated(str(path), cache)
    assert [p.check for p in built.problems] == ["contract/unit-suffix"]
    cached = validated(str(path), cache)
    assert loads == [str(path)]
    assert (cached.key, cached.catalog, cached.problems) == (built.key, built.catalog, built.problems)
    assert cached.catalog.suggest("svc_requests") == ("svc_requests_total", "counter svc_requests")
    assert cached.catalog.metrics["svc_requests"].parts == {"created": "svc_requests_created",
                                                            "total": "svc_requests_total"}


def test_the_qortex_catalog_survives_json(qortex: contract.loader.LoadedContract) -> None:
    catalog = Catalog.from_contract(qortex)
    assert Catalog.from_data(json.loads(json.dumps(catalog.to_data()))) == catalog


def test_the_key_is_the_contract_bytes_and_path(tmp_path: Path, cache: ContractCache, loads: list[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL)
    validated(str(path), cache)
    path.write_text(MINIMAL + "# edited\n")
    validated(str(path), cache)
    validated(str(tmp_path / ".." / tmp_path.name / "c.yaml"), cache)   # problems name the path as given
    assert len(loads) == 3 and len(list(Path(cache.directory).iterdir())) == 3


def test_no_cache_never_reads_or_writes(tmp_path: Path, loads: list[str]) -> None:
    directory = tmp_path / "cache"
    for _ in range(2):
        validated(str(QORTEX_CONTRACT), ContractCache(str(directory), enabled=False))
    assert len(loads) == 2 and not directory.exists()


@pytest.mark.parametrize("flips", [1, 2, 3])
def test_a_corrupted_entry_is_removed_and_rebuilt(cache: ContractCache, loads: list[str], flips: int) -> None:
    built = validated(str(QORTEX_CONTRACT), cache)
    entry = _entry(cache)
    data = bytearray(entry.read_bytes())
    for n in range(flips):   # bytes of the JSON body, after the checksum line
        data[100 + 997 * n] ^= 0x01
    entry.write_bytes(bytes(data))
    again = validated(str(QORTEX_CONTRACT), cache)
    assert (again.catalog, again.problems) == (built.catalog, built.problems)
    assert len(loads) == 2
    validated(str(QORTEX_CONTRACT), cache)   # the rebuilt entry is whole again
    assert len(loads) == 2


@pytest.mark.parametrize("body", [
    b"[]", b'{"key": "x"}', b"not json", b'{"catalog": {}, "problems": []}',
    b'{"catalog": {"series": 1}, "problems": []}',
])
def test_an_entry_of_the_wrong_shape_is_removed_and_rebuilt(cache: ContractCache, loads: list[str],
                                                            body: bytes) -> None:
    import hashlib

    built = validated(str(QORTEX_CONTRACT), cache)
    entry = _entry(cache)
    if body.startswith(b"{"):   # a right checksum and key over the wrong shape
        value = json.loads(body)
        value["key"] = built.key
        body = json.dumps(value).encode()
    entry.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    again = validated(str(QORTEX_CONTRACT), cache)
    assert (again.catalog, again.problems) == (built.catalog, built.problems)
    assert len(loads) == 2
    assert json.loads(_entry(cache).read_bytes().partition(b"\n")[2])["key"] == built.key


def test_a_wrong_shaped_problem_row_is_rebuilt(cache: ContractCache, loads: list[str], tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("svc_latency_seconds", "svc_latency"))
    built = validated(str(path), cache)
    entry = _entry(cache)
    value = json.loads(entry.read_bytes().partition(b"\n")[2])
    value["problems"][0][1] = "12"   # a line that is not a number
    body = json.dumps(value).encode()
    entry.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)
    assert validated(str(path), cache).problems == built.problems
    assert len(loads) == 2


def test_a_symlink_entry_is_never_followed(cache: ContractCache, loads: list[str], tmp_path: Path) -> None:
    built = validated(str(QORTEX_CONTRACT), cache)
    entry = _entry(cache)
    target = tmp_path / "elsewhere.json"
    target.write_bytes(entry.read_bytes())   # even a valid entry, when reached through a link
    entry.unlink()
    entry.symlink_to(target)
    assert validated(str(QORTEX_CONTRACT), cache).catalog == built.catalog
    assert len(loads) == 2
    assert not _entry(cache).is_symlink() and target.read_bytes()   # replaced by a real entry; the target kept


def test_a_fifo_entry_is_never_opened(cache: ContractCache, tmp_path: Path) -> None:
    """Opening a FIFO to read blocks until a writer comes: run in a child that would hang, with a time-out."""
    built = validated(str(QORTEX_CONTRACT), cache)
    entry = _entry(cache)
    entry.unlink()
    os.mkfifo(entry)
    script = ("import sys; from contract.cache import ContractCache, validated; "
              "print(validated(sys.argv[1], ContractCache(sys.argv[2])).key)")
    done = subprocess.run([sys.executable, "-c", script, str(QORTEX_CONTRACT), cache.directory], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, built.key)
    assert _entry(cache).is_file()


def test_a_directory_others_may_write_to_is_never_used(cache: ContractCache, loads: list[str]) -> None:
    validated(str(QORTEX_CONTRACT), cache)
    Path(cache.directory).chmod(0o777)
    try:
        validated(str(QORTEX_CONTRACT), cache)
        assert len(loads) == 2
        for entry in Path(cache.directory).iterdir():
            entry.unlink()
        validated(str(QORTEX_CONTRACT), cache)
        assert not list(Path(cache.directory).iterdir())   # nor written to
    finally:
        Path(cache.directory).chmod(0o700)


def test_a_new_entry_keeps_the_directory_bounded(tmp_path: Path, cache: ContractCache) -> None:
    directory = Path(cache.directory)
    (directory / "notes.txt").write_text("not ours")
    for n in range(KEEP + 3):
        path = tmp_path / f"c{n}.yaml"
        path.write_text(MINIMAL)
        last = validated(str(path), cache)
    names = {p.name for p in directory.iterdir()}
    assert len(names) == KEEP + 1 and "notes.txt" in names and f"{last.key}.json" in names


def test_an_unwritable_directory_is_not_an_error(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache dir should be")
    result = validated(str(QORTEX_CONTRACT), ContractCache(str(blocked / "cache")))
    assert result.catalog.service == "qortex"
