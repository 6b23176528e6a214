"""`[tool.metrics-contract]`: parsed once per content and code, kept in the cache directory."""

from __future__ import annotations

from pathlib import Path

import pytest

import generators.config
from contract.problems import InputError
from generators.config import Config, load_config

TABLE = b'[tool.metrics-contract]\ncontract = "c.yaml"\nout = "gen"\nignore = ["check/stale-output"]\n'
EXPECTED = Config(contract="c.yaml", out="gen", ignore=("check/stale-output",))


@pytest.fixture
def parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The bytes of every pyproject.toml that was parsed rather than taken from the cache."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    monkeypatch.setenv("METRICS_CONTRACT_CACHE", str(cache))
    monkeypatch.chdir(tmp_path)
    calls: list[bytes] = []
    real = generators.config._parse

    def counted(pyproject: str, text: bytes) -> Config:
        calls.append(text)
        return real(pyproject, text)

    monkeypatch.setattr(generators.config, "_parse", counted)
    return calls


def test_parsed_once_while_unchanged(parses: list[bytes]) -> None:
    Path("pyproject.toml").write_bytes(TABLE)
    assert load_config() == load_config() == EXPECTED
    assert parses == [TABLE]
    Path("pyproject.toml").write_bytes(TABLE.replace(b"gen", b"elsewhere"))
    assert load_config() == Config(contract="c.yaml", out="elsewhere", ignore=("check/stale-output",))
    assert len(parses) == 2


def test_edited_code_parses_again(parses: list[bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    Path("pyproject.toml").write_bytes(TABLE)
    assert load_config() == EXPECTED
    monkeypatch.setattr(generators.config, "code_state", lambda: "edited")
    assert load_config() == EXPECTED
    assert parses == [TABLE, TABLE]


def test_bad_configuration_is_reported_every_time(parses: list[bytes]) -> None:
    Path("pyproject.toml").write_bytes(b"[tool.metrics-contract\n")
    for _ in range(2):
        with pytest.raises(InputError) as exc:
            load_config()
        assert exc.value.problems[0].check == "config/toml"
    assert len(parses) == 2


def test_without_a_usable_cache_directory(parses: list[bytes], tmp_path: Path) -> None:
    (tmp_path / "cache").chmod(0o777)   # others could write entries there: never read or written
    Path("pyproject.toml").write_bytes(TABLE)
    assert load_config() == load_config() == EXPECTED
    assert len(parses) == 2
    assert not list((tmp_path / "cache").iterdir())


def test_no_pyproject_is_the_default() -> None:
    assert load_config("no/such/pyproject.toml") == Config()
