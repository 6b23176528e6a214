"""`metrics-contract diff`: one table row per change classification."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contract.diff import diff
from generators.cli import main
from tests.conftest import MINIMAL, contract_from

LABELS = '        values: ["200", "500"]\n'
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
