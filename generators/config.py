"""`[tool.metrics-contract]` in pyproject.toml: contract path, out dir, dashboards, check ids to ignore, and where
generated artefacts are placed outside the out dir (`python`, `grafana`, `prometheus`, `stack`)."""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath
from typing import NamedTuple

from contract.loader import line_col, read_bytes
from contract.problems import input_error

DEFAULT_OUT = "out"
PYPROJECT = "pyproject.toml"
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


NO_CONTRACT = "no contract configured: pass CONTRACT or set [tool.metrics-contract] contract in pyproject.toml"


class Config(NamedTuple):
    contract: str | None = None
    out: str = DEFAULT_OUT
    ignore: tuple[str, ...] = ()   # check ids suppressed everywhere
    # dashboard sources: Python files defining DASHBOARD, or YAML dashboard files
    dashboards: tuple[str, ...] = ()
    # placed artefacts (generators/placed.py): project-relative, normalised `/`-separated paths; None: in the out dir
    python: str | None = None       # the subscriber module, a `.py` file
    grafana: str | None = None      # directories receiving what is otherwise out/grafana/, ...
    prometheus: str | None = None
    stack: str | None = None

    def placements(self) -> dict[str, str]:
        """The placed artefacts: key (`python`, `grafana`, ...) -> path; the keys not set are left out."""
        return {key: path for key in PLACED_KEYS if (path := getattr(self, key)) is not None}


# the keys that place an artefact; each is also the first segment of that artefact's paths in the out dir
PLACED_KEYS = ("python", "grafana", "prometheus", "stack")


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
    # here, not at the top: only a run that has a pyproject.toml to read imports it
    import tomllib

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
    known = sorted(Config._fields)
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise input_error(pyproject, "config/unknown-key",
                          f"unknown key `{unknown[0]}` in `[tool.metrics-contract]`; known: {', '.join(known)}")
    for key in ("contract", "out", *PLACED_KEYS):
        if key not in section:
            continue
        value = section[key]
        if not isinstance(value, str):
            raise input_error(pyproject, "config/type", f"`{key}` in `[tool.metrics-contract]` must be a string")
        # all are paths: the operating system takes neither an empty one nor a NUL character
        if not value:
            raise input_error(pyproject, "config/value", f"`{key}` in `[tool.metrics-contract]` must not be empty")
        if "\x00" in value:
            raise input_error(pyproject, "config/value",
                              f"`{key}` in `[tool.metrics-contract]` must not contain a NUL character")
    ignore = _strings(pyproject, section, "ignore", "check ids")
    dashboards = _strings(pyproject, section, "dashboards", "file paths")
    for path in dashboards:
        if not path or "\x00" in path:
            raise input_error(pyproject, "config/value",
                              "`dashboards` in `[tool.metrics-contract]` must hold non-empty paths without NUL")
    placed = {key: _placed_path(pyproject, key, section[key]) for key in PLACED_KEYS if key in section}
    _refuse_shared(pyproject, placed)
    return Config(contract=section.get("contract"), out=section.get("out", DEFAULT_OUT), ignore=ignore,
                  dashboards=dashboards, python=placed.get("python"), grafana=placed.get("grafana"),
                  prometheus=placed.get("prometheus"), stack=placed.get("stack"))


def _placed_path(pyproject: str, key: str, value: str) -> str:
    """`value` (a non-empty string without NUL) normalised, when it is a path a placed artefact may take.

    Relative and without `..`: the out dir's manifest owns placed files by their project-relative path, and
    a path leaving the project is not the project's to write. No backslash: the manifest refuses it, since
    it would name another file on another system.
    """
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or "\\" in value:
        raise input_error(pyproject, "config/value",
                          f"`{key}` in `[tool.metrics-contract]` must be a relative path inside the project, "
                          "without `..`")
    if key == "python" and path.suffix != ".py":
        raise input_error(pyproject, "config/value",
                          f"`python` in `[tool.metrics-contract]` must name a `.py` file, not `{value}`")
    return str(path)


def _refuse_shared(pyproject: str, placed: dict[str, str]) -> None:
    # two artefacts on one path would overwrite each other's files (or a directory would hold the module)
    seen: dict[str, str] = {}
    for key, path in placed.items():
        if path in seen:
            raise input_error(pyproject, "config/value", f"`{seen[path]}` and `{key}` in `[tool.metrics-contract]` "
                              f"place two artefacts at `{path}`; give each its own path")
        seen[path] = key


def _strings(pyproject: str, section: dict[str, object], key: str, what: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise input_error(pyproject, "config/type", f"`{key}` in `[tool.metrics-contract]` must be a list of {what}")
    return tuple(value)


def resolve_contract(explicit: str | None, config: Config) -> str:
    """The contract to use: the argument, else the configured one; neither is bad input."""
    if explicit:
        return explicit
    if config.contract is None:
        raise input_error(PYPROJECT, "config/no-contract", NO_CONTRACT)
    return config.contract
