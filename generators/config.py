"""`[tool.metrics-contract]` in pyproject.toml: contract path, out dir, check ids to ignore."""

from __future__ import annotations

import os
import re
import tomllib
from typing import NamedTuple

from contract.loader import line_col, read_bytes
from contract.problems import input_error

DEFAULT_CONTRACT = "contract/qortex.yaml"
DEFAULT_OUT = "out"
PYPROJECT = "pyproject.toml"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


class Config(NamedTuple):
    contract: str = DEFAULT_CONTRACT
    out: str = DEFAULT_OUT
    ignore: tuple[str, ...] = ()   # check ids suppressed everywhere


def read_config(pyproject: str = PYPROJECT) -> Config:
    """The configuration in `pyproject`; the defaults when there is no such file."""
    if not os.path.isfile(pyproject):
        return Config()
    return parse_config(pyproject, read_bytes(pyproject))


def parse_config(pyproject: str, text: bytes) -> Config:
    """The configuration in `text`, the bytes of the file `pyproject`."""
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_col(text, exc.start)
        raise input_error(pyproject, "config/encoding", f"not UTF-8: byte 0x{text[exc.start]:02x} cannot be decoded",
                          line, column) from None
    try:
        data = tomllib.loads(decoded)
    except tomllib.TOMLDecodeError as exc:
        # tomllib (3.11) puts the position only into its message: "... (at line 3, column 7)"
        where = _TOML_POSITION.search(str(exc))
        line, column = (int(where[1]), int(where[2])) if where else (0, 0)
        message = _TOML_POSITION.sub("", str(exc)).strip()
        message = message[:1].lower() + message[1:]
        raise input_error(pyproject, "config/toml", f"not valid TOML: {message}", line, column) from None
    except RecursionError:   # tomllib reads nested arrays and tables recursively
        raise input_error(pyproject, "config/toml", "not valid TOML: nested too deeply") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):   # the `tool` table is where every tool's section lives (PEP 518)
        raise input_error(pyproject, "config/shape", "`tool` must be a table")
    section = tool.get("metrics-contract", {})
    if not isinstance(section, dict):
        raise input_error(pyproject, "config/shape", "`[tool.metrics-contract]` must be a table")
    known = {"contract", "out", "ignore"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise input_error(pyproject, "config/unknown-key",
                          f"unknown key `{unknown[0]}` in `[tool.metrics-contract]`; known: contract, ignore, out")
    ignore = section.get("ignore", [])
    for key in ("contract", "out"):
        if key not in section:
            continue
        value = section[key]
        if not isinstance(value, str):
            raise input_error(pyproject, "config/type", f"`{key}` in `[tool.metrics-contract]` must be a string")
        # both are paths: the operating system takes neither an empty one nor a NUL character
        if not value:
            raise input_error(pyproject, "config/value", f"`{key}` in `[tool.metrics-contract]` must not be empty")
        if "\x00" in value:
            raise input_error(pyproject, "config/value",
                              f"`{key}` in `[tool.metrics-contract]` must not contain a NUL character")
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise input_error(pyproject, "config/type", "`ignore` in `[tool.metrics-contract]` must be a list of check ids")
    return Config(contract=section.get("contract", DEFAULT_CONTRACT), out=section.get("out", DEFAULT_OUT),
                  ignore=tuple(ignore))


def resolve_contract(explicit: str | None, config: Config) -> str:
    """The contract to use: the argument, the config, or the embedded qortex contract."""
    if explicit:
        return explicit
    if os.path.exists(config.contract) or config.contract != DEFAULT_CONTRACT:
        return config.contract
    # only this fallback needs it; every `check` would import it otherwise
    from importlib import resources

    return str(resources.files("contract").joinpath("qortex.yaml"))
