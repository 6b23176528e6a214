"""Placed outputs (`python`, `grafana`, `prometheus`, `stack` of `[tool.metrics-contract]`): bad keys and targets
`generate` must refuse. Bad input is one located line, exit 2, and nothing changed anywhere on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, ROOT, refused

MODULE = "src/app/observability/app_metrics.py"
MANIFEST = "out/.metrics-contract-manifest.json"
KEY = "in `[tool.metrics-contract]`"


def _configure(keys: str) -> None:
    Path("pyproject.toml").write_text(f'[tool.metrics-contract]\ncontract = "c.yaml"\n{keys}\n')


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path/proj` (the current dir, with the minimal contract) beside a dir outside the project."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "c.yaml").write_text(textwrap.dedent(MINIMAL))
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "notes.txt").write_text("not the project's\n")
    monkeypatch.chdir(proj)
    _configure("")
    return tmp_path


# ── keys ──────────────────────────────────────────────────────────────────

INSIDE = "must be a relative path inside the project, without `..`"
CONFIG_ROWS = {
    "python-not-a-string": ("python = 1", "config/type", f"`python` {KEY} must be a string"),
    "grafana-a-list": ('grafana = ["deploy"]', "config/type", f"`grafana` {KEY} must be a string"),
    "stack-a-table": ("stack = {dir = 'x'}", "config/type", f"`stack` {KEY} must be a string"),
    "stack-empty": ('stack = ""', "config/value", f"`stack` {KEY} must not be empty"),
    "prometheus-nul": ('prometheus = "deploy\\u0000rules"', "config/value",
                       f"`prometheus` {KEY} must not contain a NUL character"),
    "python-not-py": ('python = "src/app/metrics"', "config/value",
                      f"`python` {KEY} must name a `.py` file, not `src/app/metrics`"),
    "python-a-dir": ('python = "src/app/"', "config/value", f"`python` {KEY} must name a `.py` file, not `src/app/`"),
    "python-absolute": ('python = "/tmp/app_metrics.py"', "config/value", f"`python` {KEY} {INSIDE}"),
    "grafana-upwards": ('grafana = "../deploy"', "config/value", f"`grafana` {KEY} {INSIDE}"),
    "stack-upwards-inside": ('stack = "deploy/../../x"', "config/value", f"`stack` {KEY} {INSIDE}"),
    "grafana-backslash": ('grafana = "deploy\\\\grafana"', "config/value", f"`grafana` {KEY} {INSIDE}"),
    "two-on-one-path": ('grafana = "deploy"\nprometheus = "./deploy/"', "config/value",
                        f"`grafana` and `prometheus` {KEY} place two artefacts at `deploy`; give each its own path"),
    "stack-on-a-dashboard": ('grafana = "g"\nstack = "g/svc.json"', "config/value",
                             f"`grafana` and `stack` {KEY} both place generated files at `g/svc.json`; give each "
                             "its own path"),
    "module-below-a-dashboard": ('grafana = "g"\npython = "g/svc.json/m.py"', "config/value",
                                 f"`grafana` and `python` {KEY} both place generated files at `g/svc.json`; give "
                                 "each its own path"),
}


@pytest.mark.parametrize("command", ["generate", "check"])
@pytest.mark.parametrize("row", CONFIG_ROWS)
def test_bad_placement_keys(project: Path, capsys: pytest.CaptureFixture[str], row: str, command: str) -> None:
    keys, check, message = CONFIG_ROWS[row]
    _configure(keys)
    assert refused(capsys, [command], project) == f"pyproject.toml: error[{check}]: {message}\n"


# ── targets ───────────────────────────────────────────────────────────────

def _generated_once(keys: str) -> None:
    """An out dir (and placed files) that `generate` wrote with `keys`."""
    _configure(keys)
    assert main(["generate"]) == 0


def _symlink_to_contract() -> None:
    Path(MODULE).parent.mkdir(parents=True)
    os.symlink(os.path.abspath("c.yaml"), MODULE)


def _dangling_symlink() -> None:
    Path(MODULE).parent.mkdir(parents=True)
    os.symlink("nowhere.py", MODULE)


def _parent_escapes() -> None:
    Path("src").mkdir()
    os.symlink(os.path.abspath("../outside"), "src/app")


def _parent_is_a_file() -> None:
    Path("src").mkdir()
    Path("src/app").write_text("a file\n")


def _user_file() -> None:
    Path(MODULE).parent.mkdir(parents=True)
    Path(MODULE).write_text("# the application's own module\n")


def _user_file_beside_an_out_dir() -> None:
    _generated_once("")
    _user_file()


def _listed_then_symlinked() -> None:
    _generated_once(f'python = "{MODULE}"')
    os.unlink(MODULE)
    os.symlink(os.path.abspath("c.yaml"), MODULE)


def _listed_then_a_directory() -> None:
    _generated_once(f'python = "{MODULE}"')
    os.unlink(MODULE)
    os.mkdir(MODULE)


def _fifo() -> None:
    Path(MODULE).parent.mkdir(parents=True)
    os.mkfifo(MODULE)


def _out_dir_refused() -> None:
    # the out dir is refused after the placed targets were found fine: the module is not written either
    Path("out").mkdir()
    Path("out/mine.txt").write_text("mine\n")


LONG = "src/" + "m" * 300 + ".py"
PLACED = "error[generate/placed]"
TARGET_ROWS: dict[str, tuple[Callable[[], None], str, str]] = {
    "user-file": (_user_file, f'python = "{MODULE}"',
                  f"{MODULE}: {PLACED}: not written by `metrics-contract generate` (`{MANIFEST}` does not list it), "
                  "but where it places a generated file; move it away or place the output elsewhere"),
    "user-file-beside-an-out-dir": (_user_file_beside_an_out_dir, f'python = "{MODULE}"',
                                    f"{MODULE}: {PLACED}: not written by `metrics-contract generate` (`{MANIFEST}` "
                                    "does not list it), but where it places a generated file; move it away or place "
                                    "the output elsewhere"),
    "directory": (lambda: Path(MODULE).mkdir(parents=True), f'python = "{MODULE}"',
                  f"{MODULE}: {PLACED}: is a directory where `metrics-contract generate` places a generated file; "
                  "move it away"),
    "symlink": (_symlink_to_contract, f'python = "{MODULE}"',
                f"{MODULE}: {PLACED}: is a symlink; `metrics-contract generate` writes placed files only as regular "
                "files, never through a link"),
    "dangling-symlink": (_dangling_symlink, f'python = "{MODULE}"',
                         f"{MODULE}: {PLACED}: is a symlink; `metrics-contract generate` writes placed files only as "
                         "regular files, never through a link"),
    "listed-then-symlinked": (_listed_then_symlinked, f'python = "{MODULE}"',
                              f"{MODULE}: {PLACED}: is a symlink; `metrics-contract generate` writes placed files "
                              "only as regular files, never through a link"),
    "listed-then-a-directory": (_listed_then_a_directory, f'python = "{MODULE}"',
                                f"{MODULE}: {PLACED}: is a directory where `metrics-contract generate` places a "
                                "generated file; move it away"),
    "fifo": (_fifo, f'python = "{MODULE}"',
             f"{MODULE}: {PLACED}: is not a regular file; `metrics-contract generate` replaces only the files it "
             "wrote"),
    "parent-escapes-through-a-symlink": (_parent_escapes, f'python = "{MODULE}"',
                                         f"{MODULE}: {PLACED}: escapes the project through a symlinked parent "
                                         "directory; `metrics-contract generate` writes placed files only inside it"),
    "dir-escapes-through-a-symlink": (lambda: os.symlink(os.path.abspath("../outside"), "deploy"),
                                      'grafana = "deploy/grafana"',
                                      f"deploy/grafana/provisioning/dashboards/svc.yml: {PLACED}: escapes the project "
                                      "through a symlinked parent directory; `metrics-contract generate` writes "
                                      "placed files only inside it"),
    "parent-is-a-file": (_parent_is_a_file, f'python = "{MODULE}"',
                         f"src/app: {PLACED}: is not a directory, so no generated file can be placed below it"),
    "inside-the-out-dir": (lambda: None, 'grafana = "out/g"',
                           f"out/g/provisioning/dashboards/svc.yml: {PLACED}: is inside the out dir `out`, which "
                           "`metrics-contract generate` replaces whole; place it elsewhere or leave its key out of "
                           "`[tool.metrics-contract]`"),
    "name-too-long": (lambda: Path("src").mkdir(), f'python = "{LONG}"',
                      f"{LONG}: {PLACED}: cannot be written: File name too long"),
    "out-dir-refused": (_out_dir_refused, f'python = "{MODULE}"',
                        "out: error[generate/out-dir]: `out` is not empty and has no "
                        "`.metrics-contract-manifest.json`, so `metrics-contract generate` did not write it; remove it "
                        "or choose another out dir"),
}


@pytest.mark.parametrize("row", TARGET_ROWS)
def test_generate_refuses_a_placed_target(project: Path, capsys: pytest.CaptureFixture[str], row: str) -> None:
    setup, keys, line = TARGET_ROWS[row]
    setup()
    _configure(keys)
    capsys.readouterr()
    assert refused(capsys, ["generate"], project) == line + "\n"


def test_generate_refuses_before_writing_any_placed_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the module's target is fine and sorts first; the rules' is a user's file: neither is written, nor out/
    Path("deploy/prometheus").mkdir(parents=True)
    Path("deploy/prometheus/rules.yml").write_text("groups: []\n")
    _configure('python = "a/m.py"\nprometheus = "deploy/prometheus"')
    assert refused(capsys, ["generate"], project) == (
        f"deploy/prometheus/rules.yml: {PLACED}: not written by `metrics-contract generate` (`{MANIFEST}` does not "
        "list it), but where it places a generated file; move it away or place the output elsewhere\n")
    assert not Path("a").exists() and not Path("out").exists()


@pytest.mark.parametrize("row", ["prometheus-nul", "python-not-py"])
def test_bad_keys_exit_2_in_a_subprocess(project: Path, row: str) -> None:
    keys, check, message = CONFIG_ROWS[row]
    _configure(keys)
    proc = subprocess.run([sys.executable, "-m", "generators", "generate"], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, f"pyproject.toml: error[{check}]: {message}\n", "")


@pytest.mark.parametrize("row", ["name-too-long", "fifo"])
def test_bad_targets_exit_2_in_a_subprocess(project: Path, row: str) -> None:
    setup, keys, line = TARGET_ROWS[row]
    setup()
    _configure(keys)
    proc = subprocess.run([sys.executable, "-m", "generators", "generate"], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (proc.returncode, proc.stderr, proc.stdout) == (2, line + "\n", "")
