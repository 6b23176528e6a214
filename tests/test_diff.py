"""`metrics-contract diff`: one table row per change classification."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from contract.diff import diff
from generators.cli import main
from tests.conftest import MINIMAL, contract_from

LABELS = '        values: ["200", "500"]\n'
RESPELLED = ("6:11 info[diff/metric-renamed]: metric `svc_requests` was renamed to `{}`; its series and labels "
             "stay the same on every path")
# (edit of MINIMAL, expected changes as "line:col severity[id]: message")
CASES = {
    "metric-removed": (("  - name: svc_latency_seconds\n    type: histogram\n    unit: s\n    help: Latency\n"
                        "    buckets: [0.1, 1.0]\n", ""),
                       ["13:11 error[diff/metric-removed]: metric `svc_latency_seconds` was removed"]),
    "metric-added": (("metrics:\n", "metrics:\n  - {name: svc_up, type: gauge, unit: '{x}', help: Up}\n"),
                     ["6:12 info[diff/metric-added]: metric `svc_up` was added"]),
    "metric-renamed": (("name: svc_latency_seconds\n",
                        "name: svc_wait_seconds\n    renamed_from: svc_latency_seconds\n"),
                       ["13:11 error[diff/metric-renamed]: metric `svc_latency_seconds` was renamed to "
                        "`svc_wait_seconds`"]),
    "rename-without-renamed_from": (("name: svc_latency_seconds\n", "name: svc_wait_seconds\n"),
                                    ["13:11 info[diff/metric-added]: metric `svc_wait_seconds` was added",
                                     "13:11 error[diff/metric-removed]: metric `svc_latency_seconds` was removed"]),
    # `metrics-contract names` shows the same series before and after: only the contract's spelling changes
    "respelled-with-total": (("name: svc_requests\n", "name: svc_requests_total\n"),
                             [RESPELLED.format("svc_requests_total")]),
    "respelled-renamed_from": (("name: svc_requests\n", "name: svc_requests_total\n    renamed_from: svc_requests\n"),
                               [RESPELLED.format("svc_requests_total")]),
    "respelled-dotted": (("name: svc_requests\n", "name: svc.requests\n"), [RESPELLED.format("svc.requests")]),
    "type-changed": (("type: counter\n", "type: updowncounter\n"),
                     ["7:11 error[diff/type-changed]: `svc_requests` changed type from counter to updowncounter"]),
    "unit-annotation": (('unit: "{request}"', 'unit: "{call}"'),
                        ["8:11 info[diff/unit-changed]: `svc_requests` changed unit from `{request}` to `{call}`"]),
    "unit-renames-series": (('unit: "{request}"', 'unit: "By"'),
                            ["8:11 error[diff/unit-changed]: `svc_requests` changed unit from `{request}` to `By`; "
                             "its series names change"]),
    "help-changed": (("help: Requests\n", "help: Requests served\n"),
                     ["9:11 info[diff/help-changed]: help of `svc_requests` changed"]),
    "label-removed": (("    labels:\n      - name: code\n" + LABELS, ""),
                      ["6:5 error[diff/label-removed]: label `code` of `svc_requests` was removed"]),
    "label-added": ((LABELS, LABELS + "      - name: method\n"),
                    ["13:15 info[diff/label-added]: label `method` was added to `svc_requests`"]),
    "values-dropped": ((LABELS, '        values: ["200"]\n'),
                       ['12:17 error[diff/label-values-changed]: label `code` of `svc_requests` no longer has value '
                        '`500`']),
    "values-gained": ((LABELS, '        values: ["200", "500", "404"]\n'),
                      ["11:9 info[diff/label-values-changed]: label `code` of `svc_requests` gained values"]),
    "values-reordered": ((LABELS, '        values: ["500", "200"]\n'), []),
    "values-opened": ((LABELS, ""),
                      ["11:9 info[diff/label-values-changed]: label `code` of `svc_requests` is no longer a closed "
                       "set"]),
    "buckets-removed": (("buckets: [0.1, 1.0]", "buckets: [0.5, 1.0]"),
                        ["17:14 error[diff/buckets-changed]: buckets of `svc_latency_seconds` changed; bound(s) 0.1 "
                         "no longer exist"]),
    "buckets-added": (("buckets: [0.1, 1.0]", "buckets: [0.1, 0.5, 1.0]"),
                      ["17:14 info[diff/buckets-changed]: buckets of `svc_latency_seconds` changed; bounds were "
                       "added"]),
    "exposition-removed": (("exposition: [prometheus-client, otel-collector]", "exposition: [prometheus-client]"),
                           ["4:13 error[diff/exposition-removed]: exposition path otel-collector was removed; its "
                            "series stop"]),
    "exposition-added": (("exposition: [prometheus-client, otel-collector]",
                          "exposition: [prometheus-client, otel-collector, otel-python]"),
                         ["4:13 info[diff/exposition-added]: exposition path otel-python was added"]),
}


def _changes(tmp_path: Path, edit: tuple[str, str]) -> list[str]:
    old = contract_from(tmp_path, MINIMAL, "old.yaml")
    assert edit[0] in MINIMAL
    new = contract_from(tmp_path, MINIMAL.replace(edit[0], edit[1], 1), "new.yaml")
    return [f"{p.line}:{p.column} {p.severity}[{p.check}]: {p.message}" for p in sorted(diff(old, new))]


@pytest.mark.parametrize("case", sorted(CASES))
def test_classification(case: str, tmp_path: Path) -> None:
    edit, expected = CASES[case]
    assert _changes(tmp_path, edit) == expected


def test_closing_an_open_label_is_breaking(tmp_path: Path) -> None:
    opened = MINIMAL.replace(LABELS, "")
    old = contract_from(tmp_path, opened, "old.yaml")
    new = contract_from(tmp_path, MINIMAL, "new.yaml")
    assert [(p.severity, p.message) for p in diff(old, new)] == [
        ("error", "label `code` of `svc_requests` became a closed set; other values are recorded as `other`")]


def test_exit_codes_and_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], check=True)
    (tmp_path / "c.yaml").write_text(MINIMAL)
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    assert main(["diff", "--against", "HEAD"]) == 0  # nothing committed yet: nothing to compare
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "c"], check=True)
    (tmp_path / "c.yaml").write_text(MINIMAL.replace("type: counter", "type: gauge"))
    capsys.readouterr()
    assert main(["diff", "HEAD:c.yaml", "c.yaml"]) == 1
    assert capsys.readouterr().out == ("c.yaml:7:11: error[diff/type-changed]: `svc_requests` changed type from "
                                       "counter to gauge\n")
    assert main(["diff", "--against", "HEAD"]) == 1
    assert main(["diff", "--against", "HEAD", "--allow-breaking"]) == 0
    capsys.readouterr()
    assert main(["diff", "NOPE:c.yaml", "c.yaml"]) == 2
    assert capsys.readouterr().err.startswith("NOPE:c.yaml: error[input/git]: not a file, and git cannot show it")


def test_against_a_commit_without_the_contract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Only a commit that exists and lacks the contract means "new contract": one info line, exit 0."""
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    monkeypatch.chdir(repo / "sub")  # the contract path is relative to here, not to the repository's top
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], check=True)
    (repo / "sub" / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "no contract yet"], check=True)
    (repo / "sub" / "c.yaml").write_text(MINIMAL)
    assert main(["diff", "--against", "HEAD"]) == 0
    assert capsys.readouterr().out == ("c.yaml: info[diff/new-contract]: `HEAD` has no `c.yaml`: the contract is "
                                       "new, nothing to compare\n")
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "contract"], check=True)
    (repo / "sub" / "c.yaml").write_text(MINIMAL.replace("type: counter", "type: gauge"))
    assert main(["diff", "--against", "HEAD"]) == 1
    assert capsys.readouterr().out == ("c.yaml:7:11: error[diff/type-changed]: `svc_requests` changed type from "
                                       "counter to gauge\n")
    assert main(["diff", "--against", "HEAD~1"]) == 0  # the parent commit exists and has no contract
    assert capsys.readouterr().out == ("c.yaml: info[diff/new-contract]: `HEAD~1` has no `c.yaml`: the contract is "
                                       "new, nothing to compare\n")


RULES = """\
rules:
  - record: svc:errors
    expr: sum(rate(svc_requests_total{code="500"}[5m]))
  - alert: SvcErrors
    expr: svc:errors > 1
"""
WITH_RULES = MINIMAL + RULES
RATES = ["job:svc_latency_seconds:p50_rate{}", "job:svc_latency_seconds:p95_rate{}",
         "job:svc_latency_seconds:p99_rate{}", "job:svc_latency_seconds:mean_rate{}"]
# (edit of WITH_RULES, expected `diff old.yaml new.yaml` output lines): what `generate` names after the contract
GENERATED_CASES = {
    # a 2m scrape interval makes the rules' window four scrapes, 8m, instead of 5m
    "scrape-interval": (("namespace: svc\n", "namespace: svc\nscrape_interval: 2m\n"), [
        "new.yaml:7:11: error[diff/records-renamed]: the recording rules of `svc_requests` are renamed: "
        "`job:svc_requests:rate5m` becomes `job:svc_requests:rate8m`; queries of the old names go empty",
        "new.yaml:14:11: error[diff/records-renamed]: the recording rules of `svc_latency_seconds` are renamed: "
        + ", ".join(f"`{old.format('5m')}` becomes `{old.format('8m')}`" for old in RATES)
        + "; queries of the old names go empty"]),
    # four scrapes of 1m fit in the 5m window: the names stay
    "scrape-interval-same-window": (("namespace: svc\n", "namespace: svc\nscrape_interval: 60s\n"), []),
    "service": (("service: svc\n", "service: shop\n"), [
        "new.yaml:2:10: error[diff/job-changed]: every series of the service changes `job` from `svc` to `shop`, and "
        "the generated prometheus.yml no longer has scrape job `svc` (it has `shop` instead)"]),
    "stack-path": (("namespace: svc\n", "namespace: svc\nstack: {paths: [prometheus-client]}\n"), [
        "new.yaml:4:16: error[diff/job-changed]: the generated prometheus.yml no longer has scrape job "
        "`otel-collector`"]),
    "exposition-removed": (("exposition: [prometheus-client, otel-collector]", "exposition: [prometheus-client]"), [
        "new.yaml:4:13: error[diff/exposition-removed]: exposition path otel-collector was removed; its series stop",
        "new.yaml:4:13: error[diff/job-changed]: the generated prometheus.yml no longer has scrape job "
        "`otel-collector`"]),
    "record-removed": (("  - record: svc:errors\n    expr: sum(rate(svc_requests_total{code=\"500\"}[5m]))\n", ""), [
        "old.yaml:24:13: error[diff/rule-removed]: recording rule `svc:errors` was removed; queries of its series go "
        "empty"]),
    "alert-removed": (("  - alert: SvcErrors\n    expr: svc:errors > 1\n", ""), [
        "old.yaml:26:12: error[diff/rule-removed]: alerting rule `SvcErrors` was removed; routes and silences that "
        "name it stop matching"]),
    "rule-renamed": (("alert: SvcErrors", "alert: SvcFailing"), [
        "new.yaml:26:12: info[diff/rule-added]: alerting rule `SvcFailing` was added",
        "old.yaml:26:12: error[diff/rule-removed]: alerting rule `SvcErrors` was removed; routes and silences that "
        "name it stop matching"]),
    "rule-changed": (("> 1\n", "> 2\n"), []),
    # the family and the window stay: the rules keep their names
    "respelled": (("name: svc_requests\n", "name: svc_requests_total\n"), [
        "new.yaml:6:11: info[diff/metric-renamed]: metric `svc_requests` was renamed to `svc_requests_total`; its "
        "series and labels stay the same on every path"]),
}


@pytest.mark.parametrize("case", sorted(GENERATED_CASES))
def test_generated_names_and_rules(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    (old, new), expected = GENERATED_CASES[case]
    assert old in WITH_RULES
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.yaml").write_text(WITH_RULES)
    (tmp_path / "new.yaml").write_text(WITH_RULES.replace(old, new, 1))
    assert main(["diff", "old.yaml", "new.yaml"]) == (1 if any(" error[" in line for line in expected) else 0)
    assert capsys.readouterr().out.splitlines() == expected


def test_a_label_added_with_a_new_window_still_renames_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.yaml").write_text(MINIMAL)
    (tmp_path / "new.yaml").write_text(MINIMAL.replace("namespace: svc\n", "namespace: svc\nscrape_interval: 2m\n")
                                       .replace(LABELS, LABELS + "      - name: method\n"))
    assert main(["diff", "old.yaml", "new.yaml"]) == 1
    assert capsys.readouterr().out.splitlines()[:2] == [
        "new.yaml:7:11: error[diff/records-renamed]: the recording rules of `svc_requests` are renamed: "
        "`job:svc_requests:rate5m` becomes `job:svc_requests:rate8m`; queries of the old names go empty",
        "new.yaml:14:15: info[diff/label-added]: label `method` was added to `svc_requests`"]


def _repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed: str) -> list[str]:
    """A repository whose one commit holds `committed` as the configured contract `c.yaml`; git to commit with."""
    monkeypatch.chdir(tmp_path)
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], check=True)
    (tmp_path / "c.yaml").write_text(committed)
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n')
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-qm", "c"], check=True)
    return git


REPEATED = MINIMAL.replace(LABELS, '        values: ["200", "200"]\n')
OLD_INVALID = ("{}:12:17: warning[diff/old-invalid]: the old contract does not load, so nothing was compared "
               "(contract/schema: `values` of metric `svc_requests` label `code`: values repeat)\n")


def test_an_old_contract_that_does_not_load_does_not_block_its_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _repo(tmp_path, monkeypatch, REPEATED)
    (tmp_path / "c.yaml").write_text(MINIMAL)
    assert main(["diff", "--against", "HEAD"]) == 0
    assert capsys.readouterr().out == OLD_INVALID.format("HEAD:c.yaml")
    assert main(["diff", "HEAD:c.yaml", "c.yaml"]) == 0
    assert capsys.readouterr().out == OLD_INVALID.format("HEAD:c.yaml")
    (tmp_path / "old.yaml").write_text("contract: 1\nmetrics: [\n")
    assert main(["diff", "old.yaml", "c.yaml", "--format", "json"]) == 0
    (problem,) = json.loads(capsys.readouterr().out)["problems"]
    assert (problem["check"], problem["severity"], problem["file"], problem["line"]) == (
        "diff/old-invalid", "warning", "old.yaml", 3)
    assert problem["message"].startswith("the old contract does not load, so nothing was compared (input/yaml: ")


def test_a_new_contract_that_does_not_load_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _repo(tmp_path, monkeypatch, MINIMAL)
    (tmp_path / "c.yaml").write_text(REPEATED)
    error = ("c.yaml:12:17: error[contract/schema]: `values` of metric `svc_requests` label `code`: values "
             "repeat\n")
    assert main(["diff", "--against", "HEAD"]) == 2
    assert capsys.readouterr().err == error
    (tmp_path / "old.yaml").write_text("contract: 1\nmetrics: [\n")
    assert main(["diff", "old.yaml", "c.yaml"]) == 2   # both broken: the new one is the input to fix
    assert capsys.readouterr().err == error
    assert main(["diff", "missing.yaml", "old.yaml"]) == 2   # an old contract that is not there is no history
