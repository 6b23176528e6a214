"""`[tool.metrics-contract]` in pyproject.toml: values, defaults, and located errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.problems import InputError
from generators.config import Config, read_config

TABLE = b'[tool.metrics-contract]\ncontract = "c.yaml"\nout = "gen"\nignore = ["check/stale-output"]\n'


def test_values(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(TABLE)
    assert read_config(str(tmp_path / "pyproject.toml")) == Config(contract="c.yaml", out="gen",
                                                                   ignore=("check/stale-output",))


def test_no_pyproject_or_no_table_is_the_default(tmp_path: Path) -> None:
    assert read_config(str(tmp_path / "no-such.toml")) == Config()
    (tmp_path / "pyproject.toml").write_bytes(b'[project]\nname = "x"\n')
    assert read_config(str(tmp_path / "pyproject.toml")) == Config()


@pytest.mark.parametrize(("text", "check", "message"), [
    (b"[tool.metrics-contract\n", "config/toml", "not valid TOML: "),
    (b"\xff\xfe", "config/toml", "not valid TOML: "),
    (b"tool = 1\n", None, None),
    (b'[tool]\nmetrics-contract = "x"\n', "config/shape", "`[tool.metrics-contract]` must be a table"),
    (b"[tool.metrics-contract]\nouts = 'x'\n", "config/unknown-key",
     "unknown key `outs` in `[tool.metrics-contract]`; known: contract, ignore, out"),
    (b"[tool.metrics-contract]\nout = 1\n", "config/type", "`out` in `[tool.metrics-contract]` must be a string"),
    (b"[tool.metrics-contract]\nignore = 'x'\n", "config/type",
     "`ignore` in `[tool.metrics-contract]` must be a list of check ids"),
])
def test_bad_configuration_is_a_located_error(tmp_path: Path, text: bytes, check: str | None,
                                              message: str | None) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text)
    if check is None:   # a `tool` key that is not a table holds no configuration of ours
        assert read_config(str(path)) == Config()
        return
    with pytest.raises(InputError) as exc:
        read_config(str(path))
    (problem,) = exc.value.problems
    assert (problem.file, problem.check) == (str(path), check)
    assert message is not None and problem.message.startswith(message)
