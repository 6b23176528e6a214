"""Which dashboards a contract renders, and from where: configured files, the contract's section, or the default.

The configured sources (`[tool.metrics-contract] dashboards`, paths relative
to the working directory) come first, in their order, then the contract's
`dashboards:` section; when both are empty, the default dashboard
(`dashboards/default.py`). A source is

- a `.py` file that defines a module-level `DASHBOARD` (a `lib.Dashboard`),
  output `grafana/<stem>.json`. It is executed as a module of its own, loaded
  with importlib from its path; nothing is added to `sys.path`, so it imports
  what any module can (`from dashboards import lib`). Its source is compiled
  from the bytes read here, within the input limits, so no `__pycache__` is
  written beside it.
- a `.yaml`/`.yml` file holding one dashboard in the shape of an entry of the
  contract's `dashboards:` section, output `grafana/<name>.json` (its `name`,
  else the file's stem).

Everything wrong with a source is an `InputError` located in it
(`dashboard/load`, the YAML shape's `dashboard/schema`).
"""

from __future__ import annotations

import importlib.util
import os
import traceback
from collections.abc import Sequence
from typing import NamedTuple

from contract.loader import LoadedContract, load_yaml, read_bytes, read_text, validate_model
from contract.model import DashboardSpec
from contract.problems import InputError, input_error
from dashboards import default, lib, spec

PYTHON_SUFFIXES = (".py",)
YAML_SUFFIXES = (".yaml", ".yml")


class Source(NamedTuple):
    name: str                  # output file `grafana/<name>.json`
    dashboard: lib.Dashboard
    origin: str                # where it is declared, as a reader finds it: a file, or `file:line`


def dashboards(lc: LoadedContract, files: Sequence[str] = ()) -> list[Source]:
    """The dashboards to render for `lc`: the configured `files` and the contract's section, else the default."""
    found = [load_file(f, lc) for f in files]
    for i, s in enumerate(lc.contract.dashboards):
        name = spec.name_of(s)
        board = spec.from_spec(s, lc.contract, lc.source, ("dashboards", i), name)
        found.append(Source(name, board, f"{lc.file}:{board.line}"))
    if not found:
        board = default.default_dashboard(lc)
        found.append(Source(default.name_of(lc), board, lc.file))
    return found


def load_file(file: str, lc: LoadedContract) -> Source:
    stem, suffix = os.path.splitext(os.path.basename(file))
    if suffix in PYTHON_SUFFIXES:
        return Source(stem, _python(file), file)
    if suffix in YAML_SUFFIXES:
        raw, smap = load_yaml(file, read_text(file))
        if not isinstance(raw, dict):
            raise input_error(file, "dashboard/load", "a dashboard file is a YAML mapping with `title` and `rows`",
                              1, 1)
        s = validate_model(DashboardSpec, raw, smap, "dashboard/schema")
        name = s.name or stem
        return Source(name, spec.from_spec(s, lc.contract, smap, (), name), file)
    raise input_error(file, "dashboard/load", f"a dashboard file is a `.py` file that defines `DASHBOARD` or a "
                      f"`.yaml` dashboard, not `{suffix or os.path.basename(file)}`")


def _python(file: str) -> lib.Dashboard:
    data = read_bytes(file)   # missing, a directory, too large: located errors before anything runs
    # its own module, never entered in sys.modules: two files with the same stem stay apart
    stem = os.path.splitext(os.path.basename(file))[0]
    module_spec = importlib.util.spec_from_file_location(f"metrics_contract_dashboard_{stem}", file)
    assert module_spec is not None   # a path ending in `.py` always has one
    module = importlib.util.module_from_spec(module_spec)
    try:
        code = compile(data, file, "exec", dont_inherit=True)
    except SyntaxError as exc:
        line = exc.lineno or 0
        raise input_error(file, "dashboard/load", f"not valid Python: {exc.msg}", line,
                          exc.offset or 0 if line else 0) from None
    except ValueError as exc:   # a NUL byte in the source
        raise input_error(file, "dashboard/load", f"not valid Python: {exc}") from None
    try:
        exec(code, module.__dict__)   # what importlib's loaders do with a module's code
    except InputError:
        raise
    except (Exception, SystemExit) as exc:   # the file's own failure, whatever it is; never a traceback
        raise input_error(file, "dashboard/load", _raised(exc), _line_in(exc, file)) from None
    board = module.__dict__.get("DASHBOARD")
    if board is None:
        raise input_error(file, "dashboard/load", "defines no module-level `DASHBOARD`; assign it "
                          "`lib.dashboard(...)` of `dashboards.lib`")
    if not isinstance(board, lib.Dashboard):
        raise input_error(file, "dashboard/load", f"`DASHBOARD` is a `{type(board).__name__}`, not the "
                          "`lib.dashboard(...)` of `dashboards.lib`")
    return board


def _raised(exc: BaseException) -> str:
    text = str(exc)
    return f"running it raised `{type(exc).__name__}`" + (f": {text}" if text else "")


def _line_in(exc: BaseException, file: str) -> int:
    """The line of the innermost frame of `exc`'s traceback that runs `file`; 0 when none does."""
    lines = [line for frame, line in traceback.walk_tb(exc.__traceback__) if frame.f_code.co_filename == file]
    return lines[-1] if lines else 0
