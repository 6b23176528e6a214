"""Where each generated file lands: in the out dir, or where `[tool.metrics-contract]` places its artefact.

Every generator renders paths relative to the out dir (`python/<service>_metrics.py`, `grafana/...`,
`prometheus/...`, `stack/...`). The config may place an artefact elsewhere in the project: `python` is the
path of the subscriber module itself, `grafana`, `prometheus` and `stack` are directories that receive what
is otherwise below `out/grafana/`, ... A placed file is named by its project-relative path (relative to the
working directory, where pyproject.toml is), which is how the out dir's manifest owns it.

Only the stack refers to where other artefacts are (Compose mounts the rules and the Grafana files), so it
is rendered with their `layout`. This module imports only the standard library: `check` uses it on every
commit.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import PurePosixPath
from typing import NamedTuple

from contract.problems import InputError, input_error
from generators.config import PLACED_KEYS, PYPROJECT, Config


class Layout(NamedTuple):
    """The directories of the stack, the Grafana files and the Prometheus rules, with one common base."""

    stack: str = "stack"
    grafana: str = "grafana"
    prometheus: str = "prometheus"


# out-relative: the stack is the same wherever the out dir is
DEFAULT_LAYOUT = Layout()


def layout(config: Config, out: str) -> Layout:
    """Where the stack and what it mounts land, for the out dir `out`.

    With none of the three placed: DEFAULT_LAYOUT. Otherwise absolute paths, since the out dir may be
    outside the project; the stack holds only paths relative to one another.
    """
    placed = config.placements()
    if not any(key in placed for key in Layout._fields):
        return DEFAULT_LAYOUT

    def where(key: str) -> str:
        return os.path.abspath(placed.get(key) or os.path.join(out, key)).replace(os.sep, "/")

    return Layout(*(where(key) for key in Layout._fields))


def split(files: dict[str, str], config: Config) -> dict[str, str]:
    """The placed files among `files` (out-relative path -> text): out-relative path -> project-relative path.

    Two generated files placed on one path, or one on a directory another needs (the stack inside a
    dashboard's path, ...), are bad input: one would overwrite the other.
    """
    where = {rel: path for rel in files if (path := destination(config, rel)) is not None}
    owner: dict[str, str] = {}
    for rel, path in sorted(where.items()):
        if path in owner:
            raise _shared(path, rel, owner[path])
        owner[path] = rel
    for path, rel in sorted(owner.items()):
        for parent in PurePosixPath(path).parents:
            if str(parent) in owner:
                raise _shared(str(parent), rel, owner[str(parent)])
    return where


def _shared(path: str, rel: str, other: str) -> InputError:
    first, second = sorted((rel.split("/")[0], other.split("/")[0]))
    return input_error(PYPROJECT, "config/value", f"`{first}` and `{second}` in `[tool.metrics-contract]` both "
                       f"place generated files at `{path}`; give each its own path")


def destination(config: Config, rel: str) -> str | None:
    """The project-relative path where the out-relative `rel` is placed; None when it stays in the out dir."""
    key, _, rest = rel.partition("/")
    if key not in PLACED_KEYS:
        return None
    base = config.placements().get(key)
    if base is None:
        return None
    # `python` names the module itself; the others are directories the artefact's files keep their places in
    return base if key == "python" else posixpath.normpath(posixpath.join(base, rest))


def origin(config: Config, path: str) -> str | None:
    """The out-relative path whose file the config places at the project-relative `path`; None when none is.

    The inverse of `destination` for the directory artefacts and the module (whose out-relative name only
    tells its kind: `python/<file name>`); the deepest placed directory wins, as `destination` never puts a
    file of another artefact into it under the same name (`split` refuses that).
    """
    placed = config.placements()
    if placed.get("python") == path:
        return f"python/{posixpath.basename(path)}"
    best: tuple[int, str] | None = None
    for key, base in placed.items():
        if key == "python":
            continue
        inside = posixpath.relpath(path, base)
        if inside in (".", "..") or inside.startswith("../"):
            continue
        depth = 0 if base == "." else base.count("/") + 1
        if best is None or depth > best[0]:
            best = (depth, f"{key}/{inside}")
    return best[1] if best else None
