"""Generate the subscriber module from a contract, write it out and import it."""

from __future__ import annotations

import importlib.util
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
