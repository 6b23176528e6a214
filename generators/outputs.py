"""Render every output in memory, then swap the finished tree into place.

Generation is all-or-nothing: nothing touches the out dir until every
generator has produced its files, so a failure leaves it as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import PurePosixPath

from contract.catalog import Catalog
from contract.loader import LoadedContract
from contract.problems import Problem, input_error
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from generators import docs, grafana, rules, schema, stack, subscriber
from generators.common import is_checked_output

Generator = Callable[[LoadedContract], dict[str, str]]
# run after GENERATORS, with everything they rendered (the catalogue reads the dashboards)
Derived = Callable[[LoadedContract, dict[str, str]], dict[str, str]]

# ordered; each returns {relative posix path: text}
GENERATORS: list[tuple[str, Generator]] = [
    ("schema", schema.generate),
    ("subscriber", subscriber.generate),
    ("grafana", grafana.generate),
    ("rules", rules.generate),
    ("stack", stack.generate),
]
DERIVED: list[tuple[str, Derived]] = [
    ("docs", docs.generate),
]


def render_all(lc: LoadedContract) -> dict[str, str]:
    files: dict[str, str] = {}
    for name, gen in GENERATORS:
        _add(lc, files, name, gen(lc))
    for name, derived in DERIVED:
        _add(lc, files, name, derived(lc, dict(files)))
    return dict(sorted(files.items()))


def check_rendered(lc: LoadedContract, files: dict[str, str], out_dir: str, ignore: tuple[str, ...] = ()
                   ) -> list[Problem]:
    """The PromQL checks on the rendered dashboards and rules, named as they will be written."""
    sources = [load_source(f"{out_dir}/{rel}", text.encode("utf-8")) for rel, text in files.items()
               if is_checked_output(rel)]
    return list(Linter(Catalog.from_contract(lc), ignore).check(sources).problems)


def _add(lc: LoadedContract, files: dict[str, str], generator: str, produced: dict[str, str]) -> None:
    for rel, text in produced.items():
        _check_relative(lc, generator, rel)
        if rel in files:
            raise input_error(lc.file, "generate/conflict", f"generator `{generator}` writes `{rel}` a second time")
        files[rel] = text


def _check_relative(lc: LoadedContract, generator: str, rel: str) -> None:
    # names can come from the contract (a dashboard uid, a service name):
    # nothing may land outside the out dir
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts or "\\" in rel or "\x00" in rel:
        raise input_error(lc.file, "generate/unsafe-path",
                          f"generator `{generator}` would write `{rel}`, outside the out dir")


def write_tree(out_dir: str, files: dict[str, str]) -> None:
    """Replace `out_dir` with exactly `files`, swapping a finished temp dir in."""
    parent = os.path.dirname(os.path.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".out-new-", dir=parent)
    try:
        for rel, text in files.items():
            dest = os.path.join(tmp, *PurePosixPath(rel).parts)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        old = None
        if os.path.exists(out_dir):
            old = tempfile.mkdtemp(prefix=".out-old-", dir=parent)
            os.rename(out_dir, os.path.join(old, "out"))
        os.rename(tmp, out_dir)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
