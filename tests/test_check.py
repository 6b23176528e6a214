"""`metrics-contract check`: arguments, the out dir with freshness, the cache, formats, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest

import contract.loader
import generators.outputs
from contract.problems import InputError
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from generators import check as check_cmd
from generators.cli import main as cli_main
from generators.config import Config
from tests.conftest import QORTEX_CONTRACT
from tests.promql_util import dashboard_text, qortex_catalog

UNUSED_METRICS = check_cmd.unused_metrics

SEED_WARNING = ('.venv/seed/qortex-0.3.0/docker/grafana/dashboards/qortex.json:218:20: '
                'warning[promql/counter-without-rate]: panel "Total Promoted (lifetime)" target A: counter '
                '`qortex_edges_promoted_total` is plotted raw; wrap it in `rate()` or `increase()`, since its value '
                'restarts from zero with the process')
RULES = "groups:\n- name: g\n  rules:\n  - record: job:qortex_queries:rate5m\n    expr: sum by (job, mode) " \
        "(rate(qortex_queries_total[5m]))\n"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path_factory.mktemp("cache")
    cache.chmod(0o700)
    monkeypatch.setenv("METRICS_CONTRACT_CACHE", str(cache))
    return cache


# the configuration of a project whose contract is contract/qortex.yaml (there is no default contract)
QORTEX = Config(contract="contract/qortex.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str, config: Config = QORTEX) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    check_cmd.add_arguments(parser)
    code = check_cmd.cmd_check(parser.parse_args(list(argv)), config)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_seed_dashboard_has_no_errors(seed_dir: Path) -> None:
    source = load_source(str(seed_dir / "docker" / "grafana" / "dashboards" / "qortex.json"))
    assert (len(source.expressions), source.skipped) == (25, 0)
    problems = Linter(qortex_catalog()).check([source]).problems
    assert [(p.severity, p.check, p.location, p.line) for p in problems] == [
        ("warning", "promql/counter-without-rate", 'panel "Total Promoted (lifetime)" target A', 218)]


def test_contract_and_files(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = ".venv/seed/qortex-0.3.0/docker/grafana/dashboards/qortex.json"
    assert run(capsys, "contract/qortex.yaml", seed) == (0, SEED_WARNING + "\n    qortex_edges_promoted_total\n",
                                                        "checked 25 expressions in 1 files\n")
    assert run(capsys, "contract/qortex.yaml", seed, "--strict")[0] == 1
    # without a contract argument the configured one is used; the first argument is then a file
    code, out, _ = run(capsys, seed, "--format", "json", config=QORTEX)
    assert code == 0 and len(json.loads(out)["problems"]) == 1


def test_first_argument_is_a_contract_only_with_a_contract_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(QORTEX_CONTRACT, "metrics.yaml")
    # a recording rule of the user's own (`generate` writes the 5m one)
    Path("rules.yaml").write_text(RULES.replace(":rate5m", ":rate1h"))
    Path("d.json").write_text(dashboard_text(("job:qortex_queries:rate1h", "{{mode}}")))
    config = Config(contract="metrics.yaml")
    assert check_cmd.contract_bytes("metrics.yaml") and check_cmd.contract_bytes("rules.yaml") is None
    assert run(capsys, "rules.yaml", "d.json", config=config) == (0, "", "checked 2 expressions in 2 files\n")
    assert run(capsys, "metrics.yaml", "rules.yaml", "d.json", config=Config(contract="nowhere.yaml"))[0] == 0
    # the recording rule is what makes the dashboard's series known
    code, out, _ = run(capsys, "d.json", config=config)
    assert code == 1 and "error[promql/unknown-metric]" in out


def test_bad_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("notes.yml").write_text("hello: world\n")
    assert cli_main(["check", str(QORTEX_CONTRACT), "notes.yml", "missing.json"]) == 2
    assert capsys.readouterr().err == (
        "missing.json: error[input/not-found]: no such file\n"
        "notes.yml:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with `panels`) nor a "
        "Prometheus rule file (YAML with `groups`)\n")


def test_formats(in_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = ".venv/seed/qortex-0.3.0/docker/grafana/dashboards/qortex.json"
    code, out, err = run(capsys, "contract/qortex.yaml", seed, "--format", "json")
    assert (code, err) == (0, "")
    [row] = json.loads(out)["problems"]
    assert row == {"check": "promql/counter-without-rate", "severity": "warning", "file": seed, "line": 218,
                   "column": 20, "location": 'panel "Total Promoted (lifetime)" target A',
                   "expr": "qortex_edges_promoted_total", "metric": "qortex_edges_promoted",
                   "message": row["message"]}
    code, out, _ = run(capsys, "contract/qortex.yaml", seed, "--format", "github")
    assert out.startswith(f"::warning file={seed},line=218,col=20,title=promql/counter-without-rate::panel ")


def test_rule_order_decides_what_a_recorded_series_carries(in_root: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    seed = ".venv/seed/qortex-0.3.0/docker/grafana/dashboards/qortex.json"
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES + "  - record: job:qortex_querys:rate5m\n    expr: sum(rate(qortex_querys_total[5m]))\n"
                     "  - alert: NoQueries\n    expr: job:qortex_queries:rate5m{mod=\"vec\"} == 0\n")
    code, out, err = run(capsys, "contract/qortex.yaml", seed, str(rules), "--no-cache")
    assert code == 1 and err == "checked 28 expressions in 2 files\n"
    # the alert reads the labels the first rule records (`job`, `mode`): `mod` is not one of them
    assert [line.split(": ")[1] for line in out.splitlines() if not line.startswith(" ")] == [
        "warning[promql/counter-without-rate]", "error[promql/unknown-metric]", "error[promql/unknown-label]"]


# ── the out dir: dashboards, rules, contract checks, freshness ─────────────

def _fake_generator(lc: object, _: object) -> dict[str, str]:
    return {"grafana/d.json": dashboard_text("rate(qortex_queries_total[5m])", "job:qortex_queries:rate5m"),
            "grafana/provisioning/dashboards/p.json": '{"not": "a dashboard"}',
            "prometheus/rules.yml": RULES, "notes.md": "generated\n"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(generators.outputs, "GENERATORS", [("fake", _fake_generator)])
    monkeypatch.setattr(generators.outputs, "DERIVED", [])
    # the fake dashboard queries few metrics; the unused-metric warnings have their own test
    monkeypatch.setattr(check_cmd, "unused_metrics", lambda *args: [])
    Path("contract").mkdir()
    shutil.copy(QORTEX_CONTRACT, "contract/qortex.yaml")
    Path("pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "contract/qortex.yaml"\n')
    generators.outputs.write_tree("out", _fake_generator(None, None))
    return tmp_path


def test_out_dir_warns_about_unused_metrics(project: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(check_cmd, "unused_metrics", UNUSED_METRICS)
    code, out, _ = run(capsys)
    assert code == 0
    assert "contract/qortex.yaml:109:11: warning[check/unused-metric]: `qortex_kg_coverage` is not queried by any " \
           "dashboard panel or rule" in out.splitlines()


def test_out_dir_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys) == (0, "", "checked 3 expressions in 2 files\n")


def test_out_dir_with_a_dangling_link_is_bad_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("nowhere.json", "out/grafana/mine.json")   # not written by generate: never read
    assert run(capsys) == (0, "", "checked 3 expressions in 2 files\n")
    os.unlink("out/grafana/d.json")
    os.symlink("nowhere.json", "out/grafana/d.json")
    with pytest.raises(InputError) as caught:
        run(capsys)
    assert [p.text() for p in caught.value.problems] == [
        f"{os.path.join('out', 'grafana', 'd.json')}: error[input/not-found]: no such file"]


def test_out_dir_stale_missing_extra(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generators.outputs.write_tree("out", {**_fake_generator(None, None), "extra.txt": "x"})   # generated once
    Path("out/notes.md").unlink()
    Path("out/mine.txt").write_text("x")   # not written by generate: never judged
    text = Path("out/grafana/d.json").read_text()
    Path("out/grafana/d.json").write_text(text.replace("rate(qortex_queries_total[5m])", "qortex_queries_total"))
    code, out, _ = run(capsys)
    assert code == 1
    assert out.splitlines() == [
        "out/.metrics-contract-manifest.json:3: error[check/stale-output]: `out/.metrics-contract-manifest.json` "
        "differs from what `metrics-contract generate` writes; regenerate it, never edit it",
        "out/extra.txt: error[check/stale-output]: `out/extra.txt` is no longer generated from the contract; run "
        "`metrics-contract generate` to remove it",
        "out/grafana/d.json:8: error[check/stale-output]: `out/grafana/d.json` differs from what `metrics-contract "
        "generate` writes; regenerate it, never edit it",
        'out/grafana/d.json:8:33: warning[promql/counter-without-rate]: panel "P" target A: counter '
        "`qortex_queries_total` is plotted raw; wrap it in `rate()` or `increase()`, since its value restarts from "
        "zero with the process",
        "    qortex_queries_total",
        "out/notes.md: error[check/stale-output]: `out/notes.md` is missing; run `metrics-contract generate`",
    ]
    ignore = ("check/stale-output", "promql/counter-without-rate")
    assert run(capsys, config=QORTEX._replace(ignore=ignore))[:2] == (0, "")


def test_out_dir_with_contract_errors_skips_freshness(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = Path("contract/qortex.yaml").read_text()
    Path("contract/qortex.yaml").write_text(text.replace("qortex_feedback", "qortex_feedback_total"))
    code, out, _ = run(capsys)
    assert code == 1
    assert [line.split(": ")[1] for line in out.splitlines()] == ["error[contract/counter-total-suffix]"]


def test_cache_skips_validation_and_rendering(project: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(capsys)[0] == 0
    calls: list[str] = []
    real_load, real_render = contract.loader.load_contract, generators.outputs.render_all
    monkeypatch.setattr(contract.loader, "load_contract", lambda *a: calls.append("load") or real_load(*a))
    monkeypatch.setattr(generators.outputs, "render_all", lambda *a: calls.append("render") or real_render(*a))
    assert run(capsys)[0] == 0
    assert calls == []
    assert run(capsys, "--no-cache")[0] == 0
    assert calls == ["load", "render"]   # loaded once: validation and rendering share it
    # an edited contract is a new key
    Path("contract/qortex.yaml").write_text(Path("contract/qortex.yaml").read_text() + "\n# edited\n")
    calls.clear()
    assert run(capsys)[0] == 0
    assert calls == ["load", "render"]   # loaded once: validation and rendering share it


def test_bad_options_are_usage_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, error in ((["--jobs", "2"], "unrecognized arguments: --jobs"),
                        (["-x"], "unrecognized arguments: -x"),
                        (["out/grafana/d.json", "--strikt"], "unrecognized arguments: --strikt"),
                        (["--format", "xml"], "argument --format: invalid choice: 'xml'")):
        with pytest.raises(SystemExit) as exc:
            cli_main(["check", *argv])
        assert exc.value.code == 2
        assert error in capsys.readouterr().err.splitlines()[-1]


def test_the_program_reports_a_bad_file_without_a_traceback(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("bad.json").write_text("{")
    assert cli_main(["check", "bad.json"]) == 2
    assert capsys.readouterr().err == "bad.json:1:2: error[input/json]: not valid JSON: expecting property name " \
                                      "enclosed in double quotes\n"
