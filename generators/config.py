"""`[tool.metrics-contract]` in pyproject.toml: contract path and out dir.

Every command reads it first, and importing `tomllib` (it compiles a dozen
regular expressions) costs about a tenth of a `check` run. So a parsed
configuration is kept in the cache directory, one entry per working
directory and file, with the bytes it was parsed from and the state of the
code that parsed it (`contract.cachebase`): while both are unchanged, so is
the configuration. A bad configuration is not kept: its error comes from
parsing it, every time.
"""

from __future__ import annotations

import os

from contract.cachebase import cache_dir, code_state, load_entry, slot, store_entry
from contract.problems import input_error
from contract.records import NamedTuple

DEFAULT_CONTRACT = "contract/qortex.yaml"
DEFAULT_OUT = "out"
PYPROJECT = "pyproject.toml"


class Config(NamedTuple):
    contract: str = DEFAULT_CONTRACT
    out: str = DEFAULT_OUT
    ignore: tuple[str, ...] = ()   # check ids suppressed everywhere


def load_config(pyproject: str = PYPROJECT) -> Config:
    return read_config(pyproject)[0]


def read_config(pyproject: str = PYPROJECT) -> tuple[Config, bytes | None]:
    """The configuration, and the bytes it was parsed from (None: there is no such file, so the defaults)."""
    if not os.path.isfile(pyproject):
        return Config(), None
    with open(pyproject, "rb") as fh:
        data = fh.read()
    return parse_config(pyproject, data), data


def parse_config(pyproject: str, text: bytes) -> Config:
    """The configuration in `text`, the bytes of the file `pyproject`."""
    directory = cache_dir()
    name = f"config-{slot(pyproject)}.marshal"
    entry = load_entry(directory, name)
    state = code_state()
    if isinstance(entry, tuple) and len(entry) == 3 and entry[0] == state and entry[1] == text:
        contract, out, ignore = entry[2]
        return Config(contract=contract, out=out, ignore=ignore)
    config = _parse(pyproject, text)
    store_entry(directory, name, (state, text, (config.contract, config.out, config.ignore)))
    return config


def _parse(pyproject: str, text: bytes) -> Config:
    import tomllib

    try:
        data = tomllib.loads(text.decode())
    except tomllib.TOMLDecodeError as exc:
        raise input_error(pyproject, "config/toml", f"not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("metrics-contract", {})
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
    # imported here: only this fallback needs it, and importing it takes a good part of a `check` run
    from importlib import resources

    return str(resources.files("contract").joinpath("qortex.yaml"))
