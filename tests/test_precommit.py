"""SLOW, NETWORK: the real `pre-commit try-repo` with this repository's `metrics-contract-check` hook.

pre-commit installs the hook repository (this one, at HEAD plus changes to
tracked files) into its own virtualenv, pulling setuptools and the
dependencies from the package registry; that takes a minute the first time.
Set `METRICS_CONTRACT_SKIP_PRECOMMIT=1` to skip it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import QORTEX_CONTRACT, ROOT

PYPROJECT = """\
[tool.metrics-contract]
contract = "contract/qortex.yaml"
out = "out"
# only the seed dashboard is committed here, not a full generated out dir
ignore = ["check/stale-output"]
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args], cwd=repo,
                   check=True, capture_output=True)


def _try_repo(repo: Path, home: Path, hook: str = "metrics-contract-check") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([str(ROOT / ".venv" / "bin" / "pre-commit"), "try-repo", str(ROOT), hook, "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False)


def test_precommit_try_repo_passes_clean_and_fails_broken(seed_dir: Path, tmp_path: Path) -> None:
    if os.environ.get("METRICS_CONTRACT_SKIP_PRECOMMIT") == "1":
        pytest.skip("METRICS_CONTRACT_SKIP_PRECOMMIT=1")
    if shutil.which("git") is None or not (ROOT / ".venv" / "bin" / "pre-commit").exists():
        pytest.skip("needs git and pre-commit in .venv")
    repo = tmp_path / "repo"
    (repo / "contract").mkdir(parents=True)
    (repo / "out" / "grafana").mkdir(parents=True)
    shutil.copy(QORTEX_CONTRACT, repo / "contract" / "qortex.yaml")
    (repo / "pyproject.toml").write_text(PYPROJECT)
    dashboard = repo / "out" / "grafana" / "qortex.json"
    shutil.copy(seed_dir / "docker" / "grafana" / "dashboards" / "qortex.json", dashboard)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "seed")

    clean = _try_repo(repo, tmp_path / "pre-commit-home")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "metrics-contract check" in clean.stdout and "Passed" in clean.stdout

    dashboard.write_text(dashboard.read_text().replace("qortex_factor_updates_total", "qortex_factor_updates"))
    _git(repo, "add", ".")
    broken = _try_repo(repo, tmp_path / "pre-commit-home")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "error[promql/unknown-metric]: panel \"Factor Update Rate\" target A" in broken.stdout

    # the diff hook compares the staged contract with HEAD's
    dashboard.write_text(dashboard.read_text().replace("qortex_factor_updates\"", "qortex_factor_updates_total\""))
    contract = repo / "contract" / "qortex.yaml"
    contract.write_text(contract.read_text().replace("help: Query errors", "help: Failed queries"))
    _git(repo, "add", ".")
    compatible = _try_repo(repo, tmp_path / "pre-commit-home", "metrics-contract-diff")
    assert compatible.returncode == 0, compatible.stdout + compatible.stderr
    contract.write_text(contract.read_text().replace("values: [embedding, vec_search, ppr, scoring]",
                                                     "values: [embedding, ppr, scoring]"))
    _git(repo, "add", ".")
    breaking = _try_repo(repo, tmp_path / "pre-commit-home", "metrics-contract-diff")
    assert breaking.returncode == 1, breaking.stdout + breaking.stderr
    assert ("error[diff/label-values-changed]: label `stage` of `qortex_query_errors` no longer has value "
            "`vec_search`") in breaking.stdout
