"""Fixture contracts: `tests/fixtures/<case>/contract.yaml`, one edge case each, and their generated trees.

`tests/fixtures/<case>/expected/` is the whole tree generated from the case's
contract (no dashboard sources configured: its `dashboards:` section, else the
default dashboard): every file is compared as text (line endings included), and a file
missing from it or left over in it fails too. `UPDATE_GOLDEN=1` rewrites the
trees instead of comparing; read the diff before committing it.

Each case's generated subscriber module must import, and its rules must pass
`promtool check rules` and their own `promtool test rules`; the committed
trees (and out/) pass `promtool check config`, `check rules` and `test rules`
where they lie.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from contract.loader import LoadedContract, load_contract
from generators import outputs
from tests.conftest import require_binary
from tests.subscriber_util import import_generated

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "contract.yaml").is_file())
UPDATE = "UPDATE_GOLDEN=1 rewrites the expected trees"


def load(case: str) -> LoadedContract:
    # named relative to the checkout, so the generated headers do not depend on where it is
    return load_contract(f"tests/fixtures/{case}/contract.yaml", (FIXTURES / case / "contract.yaml").read_bytes())


def read_tree(root: Path) -> dict[str, str]:
    tree: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            # newline="": a file whose line endings changed must differ too
            with open(path, encoding="utf-8", newline="") as fh:
                tree[path.relative_to(root).as_posix()] = fh.read()
    return tree


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Make `root` hold exactly `files`: changed ones rewritten, ones no longer generated removed."""
    if root.exists():
        for rel in set(read_tree(root)) - set(files):
            (root / rel).unlink()
    for rel, text in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):  # deepest first
        if not any(d.iterdir()):
            d.rmdir()


@pytest.mark.parametrize("case", CASES)
def test_generated_tree_matches_expected(case: str) -> None:
    files = outputs.render_all(load(case))
    root = FIXTURES / case / "expected"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        write_tree(root, files)
        return
    where = f"tests/fixtures/{case}/expected"
    expected = read_tree(root) if root.is_dir() else {}
    missing = sorted(set(files) - set(expected))
    extra = sorted(set(expected) - set(files))
    assert not missing, f"{where} lacks generated files {missing}; {UPDATE}"
    assert not extra, f"{where} holds files that are no longer generated: {extra}; {UPDATE}"
    for rel, text in files.items():
        assert text == expected[rel], f"{where}/{rel} differs from the generated file; {UPDATE}"


@pytest.mark.parametrize("case", CASES)
def test_subscriber_module_imports(case: str, tmp_path: Path) -> None:
    lc = load(case)
    module = import_generated(lc, tmp_path)
    assert module.SERVICE == lc.contract.service
    assert [m.name for m in module.METRICS] == [m.name for m in lc.contract.metrics]
    assert sorted(module.EVENTS) == sorted({e.event for e in lc.contract.events})
    assert [s.name for s in module.SPANS] == [s.name for s in lc.contract.spans]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_binary("promtool"), *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", CASES)
def test_rules_pass_promtool(case: str, tmp_path: Path) -> None:
    require_binary("promtool")
    files = outputs.render_all(load(case))
    for rel in ("rules.yml", "rules_test.yml"):
        # exactly as generated: no newline translation
        (tmp_path / rel).write_bytes(files[f"prometheus/{rel}"].encode("utf-8"))
    checked = promtool("check", "rules", str(tmp_path / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(tmp_path / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


# every committed generated tree: each fixture's expected tree and the repository's out/
TREES = [f"tests/fixtures/{case}/expected" for case in CASES] + ["out"]


@pytest.mark.parametrize("tree", TREES)
def test_committed_prometheus_files_pass_promtool_where_they_lie(tree: str) -> None:
    """prometheus.yml, rules.yml and rules_test.yml as committed, in place: relative paths resolve as in the stack."""
    require_binary("promtool")
    root = FIXTURES.parent.parent / tree
    config = root / "stack" / "prometheus" / "prometheus.yml"
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the rule file it names is the generated one, and promtool checked it
    assert f"Checking {root / 'prometheus' / 'rules.yml'}\n  SUCCESS: " in checked.stdout, checked.stdout
    checked = promtool("check", "rules", str(root / "prometheus" / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(root / "prometheus" / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_case_has_a_contract_and_an_expected_tree() -> None:
    assert len(CASES) >= 8
    strays = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name not in CASES)
    assert not strays, f"tests/fixtures/{strays} have no contract.yaml"
    if os.environ.get("UPDATE_GOLDEN") != "1":
        lacking = [case for case in CASES if not (FIXTURES / case / "expected").is_dir()]
        assert not lacking, f"no expected tree for {lacking}; {UPDATE}"
