"""Contracts whose generated Prometheus files the real tools would reject: located errors, nothing written.

A zero scrape interval is bad input (exit 2, one line). Custom rules that
promtool rejects are contract errors (exit 1, one line each, as every
contract check): each row is also run through promtool to show that it
rejects the rule file the contract would have produced.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contract.loader import load_contract
from generators import rules
from generators.cli import main
from tests.conftest import QORTEX_CONTRACT, ROOT, require_binary
from tests.test_bad_input import LINE

PROBLEM = re.compile(r"^\S.*?: error\[[a-z-]+/[a-z0-9-]+\]: \S[^\n]*$")


def contract(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


QORTEX = QORTEX_CONTRACT.read_text(encoding="utf-8")


@pytest.mark.parametrize("interval", ["0s", "0ms", "0m", "0h"])
@pytest.mark.parametrize("command", ["validate", "generate", "names"])
def test_zero_scrape_interval_is_located(command: str, interval: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = contract(tmp_path, QORTEX.replace("scrape_interval: 15s", f"scrape_interval: {interval}"))
    line = QORTEX.splitlines().index("scrape_interval: 15s") + 1
    before = tree(tmp_path)
    argv = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "generate" else [])
    assert main(argv) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert out.err == (f"{path}:{line}:18: error[contract/schema]: `scrape_interval`: `{interval}` must be longer "
                       "than zero\n")
    assert "Traceback" not in out.err + out.out
    assert tree(tmp_path) == before


def test_millisecond_scrape_interval_is_accepted(tmp_path: Path) -> None:
    # Prometheus accepts it, and the rule windows keep their five-minute floor
    path = contract(tmp_path, QORTEX.replace("scrape_interval: 15s", "scrape_interval: 500ms"))
    assert main(["validate", str(path)]) == 0
    assert rules.window_minutes(load_contract(str(path)).contract) == 5


# a `rules:` entry -> the one problem it yields, from its column on (its line is the contract's last)
BAD_RULES = {
    "record-name": ("  - {record: not a metric name!, expr: sum(qortex_queries_total)}",
                    "14: error[contract/rule-name]: recorded name `not a metric name!` is not a valid metric name "
                    "(letters, digits, `_` and `:`, not starting with a digit)"),
    "label-name": ("  - {record: 'job:q:sum', expr: sum(qortex_queries_total), labels: {bad-label: x}}",
                   "69: error[contract/rule-name]: label name `bad-label` of rule `job:q:sum` is not a valid label "
                   "name (letters, digits and `_`, not starting with a digit)"),
    "reserved-label": ("  - {alert: QueriesStopped, expr: 'sum(qortex_queries_total) == 0', labels: {__name__: x}}",
                       "78: error[contract/rule-name]: label name `__name__` of rule `QueriesStopped` starts with "
                       "`__`, which Prometheus reserves"),
    "empty-alert": ("  - {alert: '', expr: 'sum(qortex_queries_total) == 0'}",
                    "13: error[contract/rule-name]: an alerting rule needs a non-empty `alert` name"),
    "annotation-name": ("  - {alert: QueriesStopped, expr: 'up == 0', annotations: {run-book: x}}",
                        "60: error[contract/rule-name]: annotation name `run-book` of rule `QueriesStopped` is not "
                        "a valid label name (letters, digits and `_`, not starting with a digit)"),
    "template": ("  - {alert: QueriesStopped, expr: 'up == 0', annotations: {summary: '{{ $value | humanize }'}}",
                 "69: error[contract/rule-template]: annotation `summary` of alert `QueriesStopped` is not a valid Go "
                 "template: unexpected `}` in action"),
    "label-template": ("  - {alert: QueriesStopped, expr: 'up == 0', labels: {job: '{{ $labels.job'}}",
                       "60: error[contract/rule-template]: label `job` of alert `QueriesStopped` is not a valid Go "
                       "template: unclosed action"),
}


def with_rule(rule: str) -> str:
    assert "\nrules:" not in QORTEX
    return QORTEX.rstrip("\n") + "\nrules:\n" + rule + "\n"


@pytest.mark.parametrize("case", sorted(BAD_RULES))
@pytest.mark.parametrize("command", ["validate", "generate"])
def test_rules_promtool_rejects_are_contract_errors(command: str, case: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rule, problem = BAD_RULES[case]
    text = with_rule(rule)
    path = contract(tmp_path, text)
    before = tree(tmp_path)
    argv = [command, str(path)] + (["--out", str(tmp_path / "out")] if command == "generate" else [])
    assert main(argv) == 1
    out = capsys.readouterr()
    expected = f"{path}:{len(text.splitlines())}:{problem}"
    if command == "validate":
        assert (out.out, out.err) == (expected + "\n", "")
    else:
        assert out.err == expected + "\nnothing written: the contract has errors\n"
    assert PROBLEM.match(expected)
    assert "Traceback" not in out.err + out.out
    assert tree(tmp_path) == before


@pytest.mark.parametrize("case", sorted(BAD_RULES))
def test_promtool_rejects_the_rule_file_those_rules_make(case: str, tmp_path: Path) -> None:
    lc = load_contract(str(contract(tmp_path, with_rule(BAD_RULES[case][0]))))
    # the rule file the generator writes, built without the contract checks in the way
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rules.rule_groups(lc)}, sort_keys=False), encoding="utf-8")
    checked = subprocess.run([require_binary("promtool"), "check", "rules", str(path)], capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "FAILED" in checked.stdout + checked.stderr


def test_bad_rule_in_a_subprocess_exits_1_without_a_traceback(tmp_path: Path) -> None:
    path = contract(tmp_path, with_rule(BAD_RULES["template"][0]))
    run = subprocess.run([sys.executable, "-m", "generators", "generate", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
