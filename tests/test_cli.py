"""The CLI on the shipped qortex contract: validate, names, formats, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL, QORTEX_CONTRACT, ROOT
from tests.seed_names import seed_instruments, seed_series


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_qortex_is_clean(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "validate") == (0, "", "")
    assert run(capsys, "validate", "contract/qortex.yaml", "--strict", "--format", "json") == (
        0, '{\n  "problems": []\n}\n', "")


def test_names_json_matches_qortex_030(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "names", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["path"] for r in rows} == {"prometheus-client", "otel-collector"}
    assert len({r["metric"] for r in rows}) == 18 == len(seed_instruments())
    direct = {s for r in rows if r["path"] == "prometheus-client" for s in r["series"]}
    # the generated module's prometheus_client series are exactly qortex 0.3.0's
    assert direct == seed_series()
    collector = {s for r in rows if r["path"] == "otel-collector" for s in r["series"]}
    assert collector == {s for s in seed_series() if not s.endswith("_created")}
    queries = next(r for r in rows if r["metric"] == "qortex_queries" and r["path"] == "prometheus-client")
    assert queries == {"metric": "qortex_queries", "type": "counter", "path": "prometheus-client",
                       "series": ["qortex_queries_created", "qortex_queries_total"],
                       "labels": ["instance", "job", "mode"]}


def test_names_text_one_path(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "names", "--path", "otel-python")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 36
    assert lines[0].split() == ["qortex_queries", "counter", "otel-python", "qortex_queries_total"]
    assert lines[1].split(None, 1) == ["labels:", "instance, job, mode, otel_scope_name, otel_scope_schema_url, "
                                       "otel_scope_version"]


def _broken(tmp_path: Path) -> str:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("name: svc_requests\n", "name: svc_requests_total\n", 1))
    return str(path)


def test_problem_formats_and_exit_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _broken(tmp_path)
    code, out, _ = run(capsys, "validate", path)
    assert code == 1
    assert out.splitlines()[0] == (f"{path}:6:11: error[contract/counter-total-suffix]: counter "
                                   "`svc_requests_total` must not end in `_total`; the exporter appends it")
    code, out, _ = run(capsys, "validate", path, "--format", "json")
    first = json.loads(out)["problems"][0]
    assert code == 1 and first == {
        "check": "contract/counter-total-suffix", "severity": "error", "file": path, "line": 6, "column": 11,
        "location": "", "expr": "", "metric": "svc_requests_total",
        "message": "counter `svc_requests_total` must not end in `_total`; the exporter appends it"}
    code, out, _ = run(capsys, "validate", path, "--format", "github")
    assert code == 1 and out.splitlines()[0] == (
        f"::error file={path},line=6,col=11,title=contract/counter-total-suffix::counter `svc_requests_total` "
        "must not end in `_total`; the exporter appends it")


def test_warnings_exit_zero_unless_strict(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MINIMAL.replace("svc_latency_seconds", "svc_latency"))
    assert run(capsys, "validate", str(path))[0] == 0
    assert run(capsys, "validate", str(path), "--strict")[0] == 1


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["names", "--path", "carrier-pigeon"])
    assert exc.value.code == 2


def test_config_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(MINIMAL)
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "mine.yaml"\nout = "gen"\n')
    code, out, _ = run(capsys, "names", "--format", "json")
    assert code == 0 and {r["metric"] for r in json.loads(out)} == {"svc_requests", "svc_latency_seconds"}
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontracts = "mine.yaml"\n')
    assert run(capsys, "names") == (2, "", "pyproject.toml: error[config/unknown-key]: unknown key `contracts` in "
                                    "`[tool.metrics-contract]`; known: contract, dashboards, grafana, ignore, out, "
                                    "prometheus, python, stack\n")


def test_generate_refuses_a_broken_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("as it was")
    code, _, err = run(capsys, "generate", _broken(tmp_path), "--out", str(out_dir))
    assert code == 1 and err.endswith("nothing written: the contract has errors\n")
    assert [p.name for p in out_dir.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("command", ["check", "validate"])
def test_the_program_exits_with_the_status_after_all_its_output(command: str, tmp_path: Path) -> None:
    """The program as a process: its output whole (buffered, as to a pipe), then its exit status."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    dashboard = tmp_path / "d.json"
    dashboard.write_text(json.dumps({"panels": [
        {"id": i, "title": f"p{i}", "datasource": {"type": "prometheus", "uid": "prom"},
         "targets": [{"refId": "A", "expr": f"rate(qortex_querys_{i}_total[5m])"}]} for i in range(3)]}))
    argv = [str(QORTEX_CONTRACT), str(dashboard)] if command == "check" else [str(tmp_path / "missing.yaml")]
    # buffered, as output to a pipe usually is: a few lines stay in the buffer until flushed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([sys.executable, "-m", "generators", command, *argv], cwd=ROOT, capture_output=True,
                          text=True, env={**env, "METRICS_CONTRACT_CACHE": str(cache)}, check=False)
    if command == "check":
        assert done.returncode == 1
        assert done.stdout.count("error[promql/unknown-metric]") == 3
        assert done.stdout.endswith("\n") and done.stderr == "checked 3 expressions in 1 files\n"
    else:
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == f"{tmp_path / 'missing.yaml'}: error[input/not-found]: no such file\n"
