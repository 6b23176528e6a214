"""Generate the subscriber module from a contract, write it out and import it, or type-check a caller of it."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from contract.loader import LoadedContract
from generators import subscriber


def import_generated(lc: LoadedContract, directory: Path) -> ModuleType:
    """The generated module, imported from `directory` under a name no other test uses."""
    ((rel, source),) = subscriber.generate(lc).items()
    path = directory / Path(rel).name
    path.write_text(source, encoding="utf-8")
    # unique per directory: the tests import several variants in one process
    name = f"{path.stem}_{abs(hash(str(directory))):x}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tool(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A tool of this environment (`ruff`, `mypy`), run in `cwd`."""
    return subprocess.run([str(Path(sys.executable).parent / name), *args], capture_output=True, text=True,
                          check=False, cwd=cwd, timeout=300)


def mypy_on_caller(lc: LoadedContract, caller: str, directory: Path) -> tuple[str, list[str], str]:
    """`caller` (`caller.py`) beside the generated module of `lc` in `directory`, type-checked by `mypy --strict`:
    the module's file name, mypy's error lines (its notes left out), and its whole output."""
    ((rel, source),) = subscriber.generate(lc).items()
    (directory / Path(rel).name).write_text(source, encoding="utf-8")
    (directory / "caller.py").write_text(caller, encoding="utf-8")
    run = tool("mypy", "--strict", "--no-incremental", "--cache-dir", str(directory / ".mypy"), "--no-error-summary",
               "--hide-error-context", "caller.py", cwd=directory)
    return Path(rel).name, [line for line in run.stdout.splitlines() if ": note: " not in line], \
        run.stdout + run.stderr
