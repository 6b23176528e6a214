"""`generate` as a whole: all-or-nothing, deterministic, never outside the out dir, only its own files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from contract.loader import LoadedContract
from generators import manifest, outputs
from generators.check import read_out
from generators.cli import main
from tests.conftest import QORTEX_CONTRACT, QORTEX_DASHBOARDS, ROOT


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

    def broken(lc: LoadedContract, _: object) -> dict[str, str]:
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

    def typo(lc: LoadedContract, _: object) -> dict[str, str]:
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


def test_regeneration_replaces_only_what_it_wrote(populated_out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def extra(lc: LoadedContract, _: object) -> dict[str, str]:
        return {"notes/old.md": "generated once\n"}

    monkeypatch.setattr(outputs, "GENERATORS", [*outputs.GENERATORS, ("extra", extra)])
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)]) == 0
    (populated_out / "notes" / "mine.md").write_text("the user's")
    (populated_out / "stale.txt").write_text("the user's too")
    monkeypatch.setattr(outputs, "GENERATORS", outputs.GENERATORS[:-1])
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)]) == 0
    # listed in the old manifest and no longer generated: removed; never listed: kept as it was
    assert not (populated_out / "notes" / "old.md").exists()
    assert (populated_out / "notes" / "mine.md").read_text() == "the user's"
    assert (populated_out / "stale.txt").read_text() == "the user's too"
    assert json_first_line(populated_out / "grafana" / "qortex.json") == "{"   # the hand edit is replaced


def test_a_file_of_the_user_in_the_way_is_refused(populated_out: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (populated_out / "notes").mkdir()
    (populated_out / "notes" / "new.md").write_text("the user's")
    before = _snapshot(populated_out)

    def extra(lc: LoadedContract, _: object) -> dict[str, str]:
        return {"notes/new.md": "generated\n"}

    monkeypatch.setattr(outputs, "GENERATORS", [*outputs.GENERATORS, ("extra", extra)])
    capsys.readouterr()
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(populated_out)]) == 2
    assert capsys.readouterr().err == (
        f"{populated_out}/notes/new.md: error[generate/out-dir]: not written by `metrics-contract generate`, but in "
        "the way of a file it writes; move it away\n")
    assert _snapshot(populated_out) == before
    assert sorted(p.name for p in populated_out.parent.iterdir()) == ["out"]


def test_manifest_lists_every_generated_file_with_its_sha256(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["generate", str(QORTEX_CONTRACT), "--out", str(out)]) == 0
    data = json.loads((out / manifest.NAME).read_text())
    rendered = outputs.render_all(_qortex(str(QORTEX_CONTRACT)), QORTEX_DASHBOARDS)
    files = {rel: text.encode("utf-8") for rel, text in rendered.items()}
    assert data == {"written-by": "metrics-contract generate",
                    "files": {rel: hashlib.sha256(b).hexdigest() for rel, b in files.items()}}
    assert list(data["files"]) == sorted(files)


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
    assert set(trees[0]) == {*outputs.render_all(_qortex(), QORTEX_DASHBOARDS), manifest.NAME}


def test_committed_out_is_what_generate_writes() -> None:
    expected = {rel: text.encode("utf-8") for rel, text in outputs.render_all(_qortex(), QORTEX_DASHBOARDS).items()}
    expected[manifest.NAME] = manifest.manifest_text(expected).encode("utf-8")
    assert read_out(str(ROOT / "out")) == expected


def _qortex(name: str = "contract/qortex.yaml") -> LoadedContract:
    from contract.loader import load_contract

    return load_contract(name, (ROOT / "contract" / "qortex.yaml").read_bytes())
