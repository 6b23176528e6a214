"""Generated artefacts placed where the application wants them (`python`, `grafana`, `prometheus`, `stack` of
`[tool.metrics-contract]`): written there, owned through the out dir's manifest, judged by `check` and `diff`."""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from contract.loader import load_contract
from generators import manifest
from generators.cli import main
from generators.config import Config, parse_config
from generators.manifest import manifest_text, read_manifest
from generators.outputs import render_all
from generators.placed import DEFAULT_LAYOUT, Layout
from tests.conftest import MINIMAL, ROOT, require_binary

MODULE = "src/app/observability/app_metrics.py"
ALL = {"python": MODULE, "grafana": "deploy/grafana", "prometheus": "deploy/prometheus", "stack": "deploy/stack"}


def _configure(placed: dict[str, str]) -> None:
    keys = "".join(f'{key} = "{path}"\n' for key, path in placed.items())
    Path("pyproject.toml").write_text(f'[tool.metrics-contract]\ncontract = "c.yaml"\n{keys}')


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project (the current dir) with the minimal contract and its own pyproject.toml."""
    (tmp_path / "c.yaml").write_text(textwrap.dedent(MINIMAL))
    monkeypatch.chdir(tmp_path)
    _configure({})
    return tmp_path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _rendered(layout: Layout = DEFAULT_LAYOUT) -> dict[str, bytes]:
    """What `generate` renders, by out-relative path."""
    return {rel: text.encode() for rel, text in render_all(load_contract("c.yaml"), (), layout).items()}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _layout(project: Path) -> Layout:
    return Layout(str(project / "deploy/stack"), str(project / "deploy/grafana"), str(project / "deploy/prometheus"))


def test_placed_artefacts_land_at_their_paths_and_nowhere_else(project: Path, capsys: pytest.CaptureFixture[str]
                                                                ) -> None:
    _configure(ALL)
    code, out, err = _run(capsys, "generate")
    assert (code, err) == (0, "")
    rendered = _rendered(_layout(project))
    moved = {"python/svc_metrics.py": MODULE}
    for key in ("grafana", "prometheus", "stack"):
        moved.update({rel: f"deploy/{rel}" for rel in rendered if rel.startswith(f"{key}/")})
    assert out.splitlines() == ["wrote 2 files to out/", *(f"wrote {path}" for path in sorted(moved.values()))]
    expected = {path: rendered[rel] for rel, path in moved.items()}
    expected.update({f"out/{rel}": data for rel, data in rendered.items() if rel not in moved})
    expected["out/" + manifest.NAME] = Path("out", manifest.NAME).read_bytes()
    assert _files(project) == {**expected, "c.yaml": Path("c.yaml").read_bytes(),
                               "pyproject.toml": Path("pyproject.toml").read_bytes()}


def test_manifest_lists_placed_files_by_project_path(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"python": MODULE})
    assert _run(capsys, "generate")[0] == 0
    doc = json.loads(Path("out", manifest.NAME).read_text())
    module = Path(MODULE).read_bytes()
    assert doc["placed"] == {MODULE: hashlib.sha256(module).hexdigest()}
    assert "python/svc_metrics.py" not in doc["files"]
    assert sorted(doc) == ["files", "placed", "written-by"]


def test_manifest_without_placements_keeps_its_format() -> None:
    # the repository's own out/ places nothing: its manifest is what every earlier version wrote
    committed = (ROOT / "out" / manifest.NAME).read_bytes()
    read = read_manifest(committed)
    assert read is not None and read.placed == {}
    files = {rel: (ROOT / "out" / rel).read_bytes() for rel in read.files}
    assert manifest_text(files).encode() == committed
    assert manifest_text(files, {}) == manifest_text(files)
    # a `placed` entry that leaves the project is not a manifest `generate` wrote
    doc = json.loads(committed)
    for bad in ("../x.py", "/abs/x.py", "a/../x.py", "a\\x.py"):
        assert read_manifest(json.dumps({**doc, "placed": {bad: "0" * 64}}).encode()) is None


def test_config_normalises_placed_paths() -> None:
    text = b'[tool.metrics-contract]\npython = "./src//app/m.py"\ngrafana = "deploy/grafana/"\nstack = "."\n'
    assert parse_config("pyproject.toml", text) == Config(python="src/app/m.py", grafana="deploy/grafana", stack=".")


def test_hand_edited_placed_module_is_stale_then_replaced(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"python": MODULE})
    assert _run(capsys, "generate")[0] == 0
    original = Path(MODULE).read_bytes()
    lines = original.split(b"\n")
    lines[4] = b"# edited by hand"
    Path(MODULE).write_bytes(b"\n".join(lines))
    code, out, _ = _run(capsys, "check")
    assert code == 1
    assert out == (f"{MODULE}:5: error[check/stale-output]: `{MODULE}` differs from what `metrics-contract generate` "
                   "writes; regenerate it, never edit it\n")
    assert _run(capsys, "generate")[0] == 0   # listed in the manifest: replaced although edited
    assert Path(MODULE).read_bytes() == original
    assert _run(capsys, "check")[:2] == (0, "")


def test_missing_placed_file_is_stale(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"python": MODULE})
    assert _run(capsys, "generate")[0] == 0
    os.unlink(MODULE)
    code, out, _ = _run(capsys, "check")
    assert (code, out) == (1, f"{MODULE}: error[check/stale-output]: `{MODULE}` is missing; run "
                              "`metrics-contract generate`\n")


def test_dropped_placement_is_left_in_place_and_reported(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"python": MODULE, "prometheus": "deploy/prometheus"})
    assert _run(capsys, "generate")[0] == 0
    kept = {path: Path(path).read_bytes() for path in (MODULE, "deploy/prometheus/rules.yml")}
    _configure({"prometheus": "deploy/prometheus"})
    code, out, _ = _run(capsys, "check")
    assert code == 1
    assert f"{MODULE}: error[check/stale-output]: `{MODULE}` is no longer generated from the contract; run " \
        "`metrics-contract generate`, which leaves it in place as yours\n" in out
    code, out, err = _run(capsys, "generate")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["wrote 11 files to out/", "wrote deploy/prometheus/rules.yml",
                                "wrote deploy/prometheus/rules_test.yml",
                                f"left {MODULE} in place: no longer generated, it is yours now"]
    assert {path: Path(path).read_bytes() for path in kept} == kept
    assert Path("out/python/svc_metrics.py").read_bytes() == kept[MODULE]
    listed = read_manifest(Path("out", manifest.NAME).read_bytes())
    assert listed is not None and sorted(listed.placed) == ["deploy/prometheus/rules.yml",
                                                            "deploy/prometheus/rules_test.yml"]
    # no longer the tool's: edited, it is never judged
    Path(MODULE).write_text("# mine now\n")
    assert _run(capsys, "check")[:2] == (0, "")


def test_siblings_of_placed_files_are_untouched(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = Path(MODULE).parent
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "other.py").write_text("x = 1\n")
    os.chmod(package / "other.py", 0o640)
    before = {p.name: (p.stat().st_ino, p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes())
              for p in package.iterdir()}
    _configure({"python": MODULE})
    for _ in range(2):   # written, then replaced
        assert _run(capsys, "generate")[0] == 0
        after = {p.name: (p.stat().st_ino, p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes())
                 for p in package.iterdir() if p.name != "app_metrics.py"}
        assert after == before
        assert sorted(p.name for p in package.iterdir()) == ["__init__.py", "app_metrics.py", "other.py"]
    umask = os.umask(0)
    os.umask(umask)
    assert Path(MODULE).stat().st_mode & 0o777 == 0o666 & ~umask


def test_stack_mounts_follow_placed_dirs(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"grafana": "deploy/grafana", "prometheus": "ops/rules"})
    assert _run(capsys, "generate")[0] == 0
    stack = project / "out" / "stack"
    compose = yaml.safe_load((stack / "docker-compose.yml").read_text())
    prometheus, grafana = compose["services"]["prometheus"], compose["services"]["grafana"]
    assert prometheus["volumes"][:2] == [
        "./prometheus/prometheus.yml:/etc/prometheus/out/out/stack/prometheus/prometheus.yml:ro",
        "../../ops/rules/rules.yml:/etc/prometheus/out/ops/rules/rules.yml:ro"]
    assert prometheus["command"][0] == "--config.file=/etc/prometheus/out/out/stack/prometheus/prometheus.yml"
    assert grafana["volumes"][:2] == ["../../deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
                                      "../../deploy/grafana:/var/lib/grafana/dashboards:ro"]
    # Compose resolves the host paths from the stack dir: they name the placed files
    for volume in prometheus["volumes"][:2] + grafana["volumes"][:2]:
        assert (stack / volume.split(":")[0]).resolve().exists()
    config = yaml.safe_load((stack / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["../../../ops/rules/rules.yml"]
    # in the container, the rule path relative to the config names the mounted rules too
    config_in, rules_in = (v.split(":")[1] for v in prometheus["volumes"][:2])
    assert posixpath.normpath(posixpath.join(posixpath.dirname(config_in), config["rule_files"][0])) == rules_in
    promtool = require_binary("promtool")
    checked = subprocess.run([promtool, "check", "config", str(stack / "prometheus" / "prometheus.yml")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "SUCCESS: 1 rule files found" in checked.stdout


def test_placing_nothing_keeps_the_stack_as_before(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"python": MODULE})   # the module mounts nowhere: the stack stays the out-relative one
    assert _run(capsys, "generate")[0] == 0
    assert Path("out/stack/docker-compose.yml").read_bytes() == _rendered()["stack/docker-compose.yml"]
    compose = yaml.safe_load(Path("out/stack/docker-compose.yml").read_text())
    assert "../prometheus/rules.yml:/etc/prometheus/out/prometheus/rules.yml:ro" in \
        compose["services"]["prometheus"]["volumes"]


def test_check_lints_placed_dashboards_where_they_are(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "generate")[0] == 0
    code, _, reference = _run(capsys, "check")   # the dashboard and the rules in out/
    assert code == 0 and reference.endswith(" expressions in 2 files\n")
    _configure({"grafana": "deploy/grafana", "prometheus": "deploy/prometheus"})
    assert _run(capsys, "generate")[0] == 0
    assert not Path("out/grafana").exists() and not Path("out/prometheus").exists()
    assert _run(capsys, "check") == (0, "", reference)   # the same files, read where they are placed
    board = Path("deploy/grafana/svc.json")
    board.write_text(board.read_text().replace("svc_requests_total", "svc_requestz_total"))
    code, out, _ = _run(capsys, "check", "--format", "json")
    found = {(p["file"], p["check"]) for p in json.loads(out)["problems"]}
    assert code == 1
    assert found == {("deploy/grafana/svc.json", "check/stale-output"),
                     ("deploy/grafana/svc.json", "promql/unknown-metric")}


def test_moved_placement_is_stale_until_generated(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _configure({"grafana": "deploy/grafana"})
    assert _run(capsys, "generate")[0] == 0
    assert _run(capsys, "check")[:2] == (0, "")
    _configure({"grafana": "ops/grafana"})   # the stack now mounts another dir: its compose file is stale too
    code, out, _ = _run(capsys, "check")
    assert code == 1
    # the compose file is stale at its first line naming the old mount
    compose = Path("out/stack/docker-compose.yml").read_text(encoding="utf-8").splitlines()
    mount = next(n for n, text in enumerate(compose, 1) if "deploy/grafana" in text)
    assert sorted(line.split(": ")[0] for line in out.splitlines()) == sorted([
        "deploy/grafana/provisioning/dashboards/svc.yml", "deploy/grafana/provisioning/datasources/prometheus.yml",
        "deploy/grafana/svc.json", "ops/grafana/provisioning/dashboards/svc.yml",
        "ops/grafana/provisioning/datasources/prometheus.yml", "ops/grafana/svc.json",
        "out/.metrics-contract-manifest.json:10", f"out/stack/docker-compose.yml:{mount}"])
    assert _run(capsys, "generate")[0] == 0
    assert _run(capsys, "check")[:2] == (0, "")


def test_diff_names_users_in_placed_dashboards(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("old.yaml").write_text(textwrap.dedent(MINIMAL))
    Path("new.yaml").write_text(textwrap.dedent(MINIMAL).replace("svc_requests", "svc_calls"))
    # the users as found in the out dir, placing nothing
    assert _run(capsys, "generate", "--out", "plain")[0] == 0
    code, reference, _ = _run(capsys, "diff", "old.yaml", "new.yaml", "--out", "plain")
    assert code == 1 and "; breaks panel " in reference
    _configure({"grafana": "deploy/grafana", "prometheus": "deploy/prometheus"})
    assert _run(capsys, "generate")[0] == 0
    assert not Path("out/grafana").exists()
    assert _run(capsys, "diff", "old.yaml", "new.yaml")[:2] == (1, reference)
