"""`[tool.metrics-contract]` in pyproject.toml: contract path, out dir, check ids to ignore."""

from __future__ import annotations

import os
import tomllib
from typing import NamedTuple

from contract.loader import read_bytes
from contract.problems import input_error

DEFAULT_CONTRACT = "contract/qortex.yaml"
DEFAULT_OUT = "out"
PYPROJECT = "pyproject.toml"


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
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise input_error(pyproject, "config/toml", f"not valid TOML: {exc}") from None
    tool = data.get("tool", {})
    section = tool.get("metrics-contract", {}) if isinstance(tool, dict) else {}
    if not isinstance(section, dict):
        raise input_error(pyproject, "config/shape", "`[tool.metrics-contract]` must be a table")
    known = {"contract", "out", "ignore"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise input_error(pyproject, "config/unknown-key",
                          f"unknown key `{unknown[0]}` in `[tool.metrics-contract]`; known: contract, ignore, out")
    ignore = section.get("ignore", [])
    for key in ("contract", "out"):
        if key in section and not isinstance(section[key], str):
            raise input_error(pyproject, "config/type", f"`{key}` in `[tool.metrics-contract]` must be a string")
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
