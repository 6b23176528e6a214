"""`generate` as a whole: all-or-nothing, deterministic, never writes outside the out dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract.loader import LoadedContract
from generators import outputs
from generators.check import read_out
from generators.cli import main
from tests.conftest import QORTEX_CONTRACT, ROOT


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def populated_out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(out)]) == 0
    (out / "grafana" / "qortex.json").write_text("hand-edited, must survive a failed run")
    return out


def test_failure_in_last_generator_leaves_out_unchanged(populated_out: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(populated_out)

    def broken(lc: LoadedContract) -> dict[str, str]:
        raise RuntimeError("injected failure in the last generator")

    monkeypatch.setattr(outputs, "GENERATORS", [*outputs.GENERATORS, ("broken", broken)])
    with pytest.raises(RuntimeError, match="injected failure"):
        main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)])
    assert _snapshot(populated_out) == before
    assert sorted(p.name for p in populated_out.parent.iterdir()) == ["out"]  # no temp dirs left behind


def test_output_failing_check_is_not_written(populated_out: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(populated_out)
    panel = {"title": "Typo", "datasource": {"type": "prometheus"},
             "targets": [{"refId": "A", "expr": "qortex_querys"}]}

    def typo(lc: LoadedContract) -> dict[str, str]:
        return {"grafana/typo.json": json.dumps({"panels": [panel]}) + "\n"}

    monkeypatch.setattr(outputs, "GENERATORS", [*outputs.GENERATORS, ("typo", typo)])
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)]) == 1
    err = capsys.readouterr().err
    assert f"{populated_out}/grafana/typo.json:1:" in err and "error[promql/unknown-metric]" in err
    assert err.endswith("nothing written: the generated files fail `check`\n")
    assert _snapshot(populated_out) == before


def test_unsafe_output_path_is_refused(populated_out: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(populated_out)
    evil = tmp_path / "evil.yaml"
    evil.write_text(QORTEX_CONTRACT.read_text().replace("service: qortex", "service: ../../escaped"))
    assert main(["generate", str(evil), "--out", str(populated_out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error[generate/unsafe-path]" in err and "outside the out dir" in err
    assert _snapshot(populated_out) == before
    assert not list(tmp_path.rglob("escaped*"))


def test_regeneration_replaces_stale_files(populated_out: Path) -> None:
    (populated_out / "stale.txt").write_text("from an older run")
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)]) == 0
    assert not (populated_out / "stale.txt").exists()
    assert json_first_line(populated_out / "grafana" / "qortex.json") == "{"


def json_first_line(path: Path) -> str:
    return path.read_text().splitlines()[0]


def test_deterministic_across_hash_seeds(tmp_path: Path) -> None:
    trees = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "generators", "generate", "--out", str(out)], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        trees.append(_snapshot(out))
    assert trees[0] == trees[1]
    assert set(trees[0]) == set(outputs.render_all(_qortex()))


def test_committed_out_is_what_generate_writes() -> None:
    expected = {rel: text.encode("utf-8") for rel, text in outputs.render_all(_qortex()).items()}
    assert read_out(str(ROOT / "out")) == expected


def _qortex() -> LoadedContract:
    from contract.loader import load_contract

    return load_contract("contract/qortex.yaml", (ROOT / "contract" / "qortex.yaml").read_bytes())
