"""`metrics-contract check`: arguments, the out dir with freshness, the cache, formats, exit codes."""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import contract.lint
import contract.loader
import contract.usage
import generators.check_cache
import generators.outputs
from contract.lint import Linter
from contract.problems import InputError
from contract.sources import load_source
from generators import check_cmd
from generators.cli import main as cli_main
from generators.config import Config, load_config
from tests.conftest import QORTEX_CONTRACT, ROOT
from tests.promql_util import dashboard_text, qortex_catalog

UNUSED_METRICS = contract.usage.unused_metrics

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


def run(capsys: pytest.CaptureFixture[str], *argv: str, config: Config | None = None) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    check_cmd.add_arguments(parser)
    code = check_cmd.cmd_check(parser.parse_args(list(argv)), config or Config())
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
    code, out, _ = run(capsys, seed, "--format", "json", config=Config(contract="contract/qortex.yaml"))
    assert code == 0 and len(json.loads(out)["problems"]) == 1


def test_first_argument_is_a_contract_only_with_a_contract_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(QORTEX_CONTRACT, "metrics.yaml")
    Path("rules.yaml").write_text(RULES)
    Path("d.json").write_text(dashboard_text(("job:qortex_queries:rate5m", "{{mode}}")))
    config = Config(contract="metrics.yaml")
    assert check_cmd.is_contract("metrics.yaml") and not check_cmd.is_contract("rules.yaml")
    assert run(capsys, "rules.yaml", "d.json", config=config) == (0, "", "checked 2 expressions in 2 files\n")
    assert run(capsys, "metrics.yaml", "rules.yaml", "d.json", config=Config(contract="nowhere.yaml"))[0] == 0
    # the recording rule is what makes the dashboard's series known
    code, out, _ = run(capsys, "d.json", config=config)
    assert code == 1 and "error[promql/unknown-metric]" in out


def test_bad_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("notes.yml").write_text("hello: world\n")
    assert check_cmd.main([str(QORTEX_CONTRACT), "notes.yml", "missing.json"]) == 2
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


def test_jobs_change_nothing_but_the_processes(in_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    seed = ".venv/seed/qortex-0.3.0/docker/grafana/dashboards/qortex.json"
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES + "  - record: job:qortex_querys:rate5m\n    expr: sum(rate(qortex_querys_total[5m]))\n"
                     "  - alert: NoQueries\n    expr: job:qortex_queries:rate5m{mod=\"vec\"} == 0\n")
    monkeypatch.setattr(contract.lint, "MIN_PER_JOB", 1)   # split even these few expressions
    runs = {jobs: run(capsys, "contract/qortex.yaml", seed, str(rules), "--no-cache", *jobs)
            for jobs in ((), ("--jobs", "1"), ("--jobs", "2"), ("--jobs", "7"))}
    assert len(set(runs.values())) == 1
    code, out, err = runs[()]
    assert code == 1 and err == "checked 28 expressions in 2 files\n"
    # the last one needs the labels of a series recorded by a rule: checked after the split, in order
    assert [line.split(": ")[1] for line in out.splitlines() if not line.startswith(" ")] == [
        "warning[promql/counter-without-rate]", "error[promql/unknown-metric]", "error[promql/unknown-label]"]


# ── the out dir: dashboards, rules, contract checks, freshness ─────────────

def _fake_generator(lc: object) -> dict[str, str]:
    return {"grafana/d.json": dashboard_text("rate(qortex_queries_total[5m])", "job:qortex_queries:rate5m"),
            "grafana/provisioning/dashboards/p.json": '{"not": "a dashboard"}',
            "prometheus/rules.yml": RULES, "notes.md": "generated\n"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(generators.outputs, "GENERATORS", [("fake", _fake_generator)])
    monkeypatch.setattr(generators.outputs, "DERIVED", [])
    # the fake dashboard queries few metrics; the unused-metric warnings have their own test
    monkeypatch.setattr(contract.usage, "unused_metrics", lambda *args: [])
    Path("contract").mkdir()
    shutil.copy(QORTEX_CONTRACT, "contract/qortex.yaml")
    generators.outputs.write_tree("out", _fake_generator(None))
    return tmp_path


def test_out_dir_warns_about_unused_metrics(project: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(contract.usage, "unused_metrics", UNUSED_METRICS)
    code, out, _ = run(capsys)
    assert code == 0
    assert "contract/qortex.yaml:105:11: warning[check/unused-metric]: `qortex_kg_coverage` is not queried by any " \
           "dashboard panel or rule" in out.splitlines()


def test_out_dir_clean(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys) == (0, "", "checked 3 expressions in 2 files\n")


def test_the_cyclic_collector_is_off_during_a_run_and_back_after(project: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    during = []
    real = Linter.check
    monkeypatch.setattr(Linter, "check", lambda self, *a: during.append(gc.isenabled()) or real(self, *a))
    assert run(capsys)[0] == 0
    os.symlink("nowhere.json", "out/grafana/broken.json")   # a run that ends in an error
    with pytest.raises(InputError):
        run(capsys)
    assert during == [False] and gc.isenabled()
    gc.disable()   # a caller that had it off keeps it off
    try:
        os.unlink("out/grafana/broken.json")
        run(capsys)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_out_dir_with_a_dangling_link_is_bad_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.symlink("nowhere.json", "out/grafana/broken.json")
    with pytest.raises(InputError) as caught:
        run(capsys)
    assert [p.text() for p in caught.value.problems] == [
        f"{os.path.join('out', 'grafana', 'broken.json')}: error[input/not-found]: no such file"]


def test_out_dir_stale_missing_extra(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("out/notes.md").unlink()
    Path("out/extra.txt").write_text("x")
    text = Path("out/grafana/d.json").read_text()
    Path("out/grafana/d.json").write_text(text.replace("rate(qortex_queries_total[5m])", "qortex_queries_total"))
    code, out, _ = run(capsys)
    assert code == 1
    assert out.splitlines() == [
        "out/extra.txt: error[check/stale-output]: `out/extra.txt` is not generated from the contract; remove it or "
        "run `metrics-contract generate`",
        "out/grafana/d.json:8: error[check/stale-output]: `out/grafana/d.json` differs from what `metrics-contract "
        "generate` writes; regenerate it, never edit it",
        'out/grafana/d.json:8:33: warning[promql/counter-without-rate]: panel "P" target A: counter '
        "`qortex_queries_total` is plotted raw; wrap it in `rate()` or `increase()`, since its value restarts from "
        "zero with the process",
        "    qortex_queries_total",
        "out/notes.md: error[check/stale-output]: `out/notes.md` is missing; run `metrics-contract generate`",
    ]
    ignore = ("check/stale-output", "promql/counter-without-rate")
    assert run(capsys, config=Config(ignore=ignore))[:2] == (0, "")


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
    assert calls == ["load", "load", "render"]
    # an edited contract is a new key
    Path("contract/qortex.yaml").write_text(Path("contract/qortex.yaml").read_text() + "\n# edited\n")
    calls.clear()
    assert run(capsys)[0] == 0
    assert calls == ["load", "load", "render"]


@pytest.mark.parametrize("paths", [[], ["c.yaml"], ["c.yaml", "d.json", "r.yml"], [""]])
def test_default_args_are_what_the_parser_gives(paths: list[str]) -> None:
    from generators.cli import build_parser

    parsed = vars(build_parser().parse_args(["check", *paths]))
    assert parsed == vars(build_parser("check").parse_args(["check", *paths])) == vars(check_cmd.default_args(paths))


def test_a_run_with_an_option_or_a_path_like_one_goes_through_the_parser(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv, error in ((["--jobs", "0"], "argument --jobs: expected a whole number of at least 1, not '0'"),
                        (["-x"], "unrecognized arguments: -x"),
                        (["out/grafana/d.json", "--strikt"], "unrecognized arguments: --strikt")):
        with pytest.raises(SystemExit) as exc:
            cli_main(["check", *argv])
        assert exc.value.code == 2
        assert capsys.readouterr().err.splitlines()[-1].endswith(error)


# ── replaying unchanged runs (generators/check_cache.py) ───────────────────

def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every run that was not replayed."""
    calls: list[str] = []
    real = check_cmd.cmd_check

    def counted(args: argparse.Namespace, config: Config) -> int:
        calls.append("run")
        return real(args, config)

    monkeypatch.setattr(check_cmd, "cmd_check", counted)
    return calls


def test_unchanged_run_is_replayed(project: Path, capsys: pytest.CaptureFixture[str], checks: list[str]) -> None:
    Path("out/grafana/d.json").write_text(dashboard_text("qortex_queries_total"))
    first = cli(capsys, "--format", "github")
    assert first[0] == 1 and "::warning" in first[1] and "::error" in first[1]
    assert cli(capsys, "--format", "github") == first
    assert checks == ["run"]
    assert cli(capsys)[0] == 1   # other arguments are another run
    assert checks == ["run", "run"]


CHANGES: dict[str, Callable[[], object]] = {
    "checked file": lambda: Path("out/grafana/d.json").write_text(dashboard_text("qortex_queries_total")),
    "file added to the out dir": lambda: Path("out/extra.txt").write_text("x"),
    "file removed from the out dir": lambda: Path("out/notes.md").unlink(),
    "contract": lambda: Path("contract/qortex.yaml").write_text(
        Path("contract/qortex.yaml").read_text().replace("qortex_feedback", "qortex_feedback_total")),
    "configuration": lambda: Path("pyproject.toml").write_text('[tool.metrics-contract]\nout = "elsewhere"\n'),
    "configuration, same result": lambda: Path("pyproject.toml").write_text("[tool.other]\n"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_runs_again(change: str, project: Path, capsys: pytest.CaptureFixture[str],
                               checks: list[str]) -> None:
    assert cli(capsys)[0] == 0
    CHANGES[change]()
    again = cli(capsys)
    assert checks == ["run", "run"]
    assert again == cli(capsys) and checks == ["run", "run"]   # and that run is replayed in turn
    assert again[:2] == run(capsys, config=load_config())[:2]


def test_code_change_runs_again(project: Path, capsys: pytest.CaptureFixture[str], checks: list[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli(capsys)[0] == 0
    monkeypatch.setattr(generators.check_cache, "code_state", lambda: "edited")
    assert cli(capsys)[0] == 0
    assert checks == ["run", "run"]


def test_no_cache_bad_input_and_shared_cache_dirs_are_never_replayed(
        project: Path, capsys: pytest.CaptureFixture[str], checks: list[str], private_cache: Path) -> None:
    for _ in range(2):
        assert cli(capsys, "--no-cache")[0] == 0
        assert cli(capsys, "missing.json")[0] == 2
    assert checks == ["run"] * 4
    private_cache.chmod(0o770)
    for _ in range(2):
        assert cli(capsys)[0] == 0
    assert checks == ["run"] * 6


def test_a_cold_run_given_files_does_not_import_argparse(project: Path, private_cache: Path) -> None:
    Path("out/grafana/d.json").write_text(dashboard_text("qortex_queries_total"))
    env = {**os.environ, "METRICS_CONTRACT_CACHE": str(private_cache), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "generators", "check", "contract/qortex.yaml",
               "out/grafana/d.json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0   # a counter read raw: a warning
    assert done.stdout.startswith("out/grafana/d.json:8:33: warning[promql/counter-without-rate]: ")
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "contract.lint" in imported and "argparse" not in imported


def test_replay_imports_nothing_heavy(project: Path, private_cache: Path) -> None:
    env = {**os.environ, "METRICS_CONTRACT_CACHE": str(private_cache), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-X", "importtime", "-m", "generators", "check"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    again = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout)
    imported = {line.split("|")[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert "generators.check_cache" in imported
    assert not imported & {"argparse", "dataclasses", "typing", "json", "hashlib", "generators.check_cmd"}
