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


@pytest.mark.parametrize(("text", "check", "where", "message"), [
    (b"[tool.metrics-contract\n", "config/toml", (1, 23),
     "not valid TOML: expected ']' at the end of a table declaration"),
    (b"a = 1\n\xff\xfe", "config/encoding", (2, 1), "not UTF-8: byte 0xff cannot be decoded"),
    (b"tool = 1\n", "config/shape", (0, 0), "`tool` must be a table"),
    (b'tool = "x"\n', "config/shape", (0, 0), "`tool` must be a table"),
    (b'[tool]\nmetrics-contract = "x"\n', "config/shape", (0, 0), "`[tool.metrics-contract]` must be a table"),
    (b"[tool.metrics-contract]\nouts = 'x'\n", "config/unknown-key", (0, 0),
     "unknown key `outs` in `[tool.metrics-contract]`; known: contract, dashboards, grafana, ignore, out, prometheus, "
     "python, stack"),
    (b"[tool.metrics-contract]\nout = 1\n", "config/type", (0, 0),
     "`out` in `[tool.metrics-contract]` must be a string"),
    (b"[tool.metrics-contract]\nout = ''\n", "config/value", (0, 0),
     "`out` in `[tool.metrics-contract]` must not be empty"),
    (b"[tool.metrics-contract]\ncontract = ''\n", "config/value", (0, 0),
     "`contract` in `[tool.metrics-contract]` must not be empty"),
    (b'[tool.metrics-contract]\nout = "o\\u0000ut"\n', "config/value", (0, 0),
     "`out` in `[tool.metrics-contract]` must not contain a NUL character"),
    (b'[tool.metrics-contract]\ncontract = "c\\u0000.yaml"\n', "config/value", (0, 0),
     "`contract` in `[tool.metrics-contract]` must not contain a NUL character"),
    (b"[tool.metrics-contract]\nignore = 'x'\n", "config/type", (0, 0),
     "`ignore` in `[tool.metrics-contract]` must be a list of check ids"),
])
def test_bad_configuration_is_a_located_error(tmp_path: Path, text: bytes, check: str, where: tuple[int, int],
                                              message: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text)
    with pytest.raises(InputError) as exc:
        read_config(str(path))
    (problem,) = exc.value.problems
    assert (problem.file, problem.check, (problem.line, problem.column), problem.message) == (
        str(path), check, where, message)
