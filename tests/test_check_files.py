"""`metrics-contract check CONTRACT FILE...`: every file is read, in every form promtool and Kubernetes give rules.

One file that cannot be read is an error line among the others' problems (text and JSON), never a stop; an
empty rule file or `{}` is 0 rules, as promtool loads it; JSON rule files and `PrometheusRule` resources (one,
or several in a stream of documents) are rule files; the contract's own problems are printed first.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import APP_CONTRACT, APP_CONTRACT_FULL, require_binary
from tests.promql_util import TARGETS_LINE, dashboard_text

# a small service's contract: a counter and a gauge
CONTRACT = APP_CONTRACT

RULES_WITH_A_TYPO = """\
groups:
  - name: g
    rules:
      - alert: Hot
        expr: app_tmp > 3
"""

JSON_RULES = '{"groups": [\n\t{"name": "g", "rules": [{"alert": "Fast", "expr": "rate(app_temp[5m]) > 1"}]}]}\n'

OPERATOR_RULES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: unrelated}
data: {a: b}
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: app-rules
spec:
  groups:
    - name: g
      rules:
        - record: job:app_requests:rate5m
          expr: sum by (job) (rate(app_requests_total[5m]))
---
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: app-alerts
spec:
  groups:
    - name: a
      rules:
        - alert: NoRequests
          expr: job:app_requests:rate5m{jb="x"} == 0
"""

UNKNOWN_LABEL = ('error[promql/unknown-label]: PrometheusRule "app-alerts" group "a" rule "NoRequests": '
                 '`job:app_requests:rate5m` has no label `jb`; did you mean `job`?')


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(CONTRACT)
    return tmp_path


def _lines(out: str) -> list[str]:
    """The problem lines of text output (not the indented expressions)."""
    return [line for line in out.splitlines() if not line.startswith(" ")]


def test_one_bad_file_never_hides_the_others(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("typo.yml").write_text(RULES_WITH_A_TYPO)
    Path("rules.json").write_text(JSON_RULES)
    Path("broken.json").write_text("{\n")
    Path("notes.yml").write_text("hello: world\n")
    code, out, err = run(capsys, "c.yaml", "broken.json", "typo.yml", "missing.yml", "rules.json", "notes.yml")
    assert code == 2
    assert _lines(out) == [
        "broken.json:2:1: error[input/json]: not valid JSON: expecting property name enclosed in double quotes",
        "missing.yml: error[input/not-found]: no such file",
        "notes.yml:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with `panels`) nor a "
        "Prometheus rule file (YAML with `groups`)",
        "rules.json:2:58: error[promql/rate-on-gauge]: group \"g\" rule \"Fast\": `rate()` of `app_temp`, which is "
        "not a counter (gauge app_temp); use `deriv()` or `delta()` for a gauge",
        "typo.yml:5:15: error[promql/unknown-metric]: group \"g\" rule \"Hot\": `app_tmp` is not in the contract; "
        "did you mean `app_temp` (gauge app_temp)?",
    ]
    assert err == "checked 2 expressions in 2 files; 3 of the files could not be read\n"
    code, out, err = run(capsys, "c.yaml", "broken.json", "typo.yml", "missing.yml", "rules.json", "--format", "json")
    assert (code, err) == (2, "")
    assert [(p["file"], p["check"], p["severity"]) for p in json.loads(out)["problems"]] == [
        ("broken.json", "input/json", "error"), ("missing.yml", "input/not-found", "error"),
        ("rules.json", "promql/rate-on-gauge", "error"), ("typo.yml", "promql/unknown-metric", "error")]


def test_a_bad_file_beside_clean_ones_is_still_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("ok.yml").write_text("groups: []\n")
    assert run(capsys, "c.yaml", "ok.yml", "missing.yml") == (
        2, "missing.yml: error[input/not-found]: no such file\n",
        "checked 0 expressions in 1 files; 1 of the files could not be read\n")


def test_only_bad_files_are_bad_input_on_stderr(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "c.yaml", "missing.yml", "gone.json") == (
        2, "", "gone.json: error[input/not-found]: no such file\nmissing.yml: error[input/not-found]: no such file\n")


EMPTY_RULE_FILES = {"empty.yml": "", "brace.yml": "{}\n", "comments.yml": "# nothing yet\n",
                    "no-groups.yml": "groups: []\n", "brace.json": "{}", "blank.yml": "\n  \n"}


def test_empty_rule_files_are_zero_rules_as_promtool_loads_them(project: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    for name, text in EMPTY_RULE_FILES.items():
        Path(name).write_text(text)
    assert run(capsys, "c.yaml", *EMPTY_RULE_FILES) == (0, "", "checked 0 expressions in 6 files\n")
    promtool = require_binary("promtool")
    for name in EMPTY_RULE_FILES:
        done = subprocess.run([promtool, "check", "rules", name], capture_output=True, text=True, check=False)
        assert (done.returncode, "SUCCESS: 0 rules found" in done.stdout) == (0, True), done.stdout + done.stderr


def test_json_rule_files_are_rule_files_as_for_promtool(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("rules.json").write_text(JSON_RULES.replace("rate(app_temp[5m])", "rate(app_requests_total[5m])"))
    assert run(capsys, "c.yaml", "rules.json") == (0, "", "checked 1 expressions in 1 files\n")
    promtool = require_binary("promtool")
    done = subprocess.run([promtool, "check", "rules", "rules.json"], capture_output=True, text=True, check=False)
    assert (done.returncode, "SUCCESS: 1 rules found" in done.stdout) == (0, True), done.stdout + done.stderr


def test_prometheus_rule_resources_in_one_stream(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("k8s.yaml").write_text(OPERATOR_RULES)
    code, out, err = run(capsys, "c.yaml", "k8s.yaml")
    assert (code, err) == (1, "checked 2 expressions in 1 files\n")
    # the record of the first resource is known to the second; the location names the resource
    assert _lines(out) == [f"k8s.yaml:26:41: {UNKNOWN_LABEL}"]
    line = OPERATOR_RULES.splitlines()[25]
    assert line[40:].startswith('jb="x"')


def test_a_single_prometheus_rule_resource(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    single = OPERATOR_RULES.split("---\n")[2].replace("job:app_requests:rate5m", "app_temp")
    Path("alerts.yaml").write_text(single)
    code, out, _ = run(capsys, "c.yaml", "alerts.yaml")
    assert code == 1
    # one resource: its name adds nothing to the location
    assert _lines(out) == ['alerts.yaml:10:26: error[promql/unknown-label]: group "a" rule "NoRequests": `app_temp` '
                           'has no label `jb`; did you mean `job`?']


def test_the_contract_problems_come_first(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("z.yaml").write_text(CONTRACT.replace("events: []", '  - {name: app_hits_total, type: counter, unit: "1", '
                                               "help: h}\nevents: []"))
    Path("a.yml").write_text(RULES_WITH_A_TYPO)
    code, out, _ = run(capsys, "z.yaml", "a.yml")
    assert code == 1
    assert _lines(out) == [
        "z.yaml:9:12: error[contract/counter-total-suffix]: counter `app_hits_total` must not end in `_total`; the "
        "exporter appends it",
        "a.yml:5:15: error[promql/unknown-metric]: group \"g\" rule \"Hot\": `app_tmp` is not in the contract; did "
        "you mean `app_temp` (gauge app_temp)?",
    ]
    code, out, _ = run(capsys, "z.yaml", "a.yml", "--format", "json")
    assert code == 1
    assert sorted(p["check"] for p in json.loads(out)["problems"]) == [
        "contract/counter-total-suffix", "promql/unknown-metric"]


def test_a_clean_contract_adds_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.yml").write_text(RULES_WITH_A_TYPO.replace("app_tmp", "app_temp"))
    assert run(capsys, "c.yaml", "a.yml") == (0, "", "checked 1 expressions in 1 files\n")


# ── the recording rules `generate` writes are known without their file ─────

GENERATED_NAMES = dashboard_text("sum by (code) (job:app_calls:rate5m)", "job:app_latency_seconds:p95_rate5m",
                                 'job:app_calls:rate5m{nosuch="x"}')


def test_the_generated_recording_rules_are_known_without_their_file(project: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    Path("full.yaml").write_text(APP_CONTRACT_FULL)
    Path("d.json").write_text(GENERATED_NAMES)
    code, out, err = run(capsys, "full.yaml", "d.json")
    assert (code, err) == (1, "checked 3 expressions in 1 files\n")
    # with the labels the generated rule keeps (`job` and the closed ones), as the rule file would give them
    assert _lines(out) == [f'd.json:{TARGETS_LINE + 2}:54: error[promql/unknown-label]: panel "P" target C: '
                           "`job:app_calls:rate5m` has no label `nosuch`; its labels: `code`"]


def test_a_contract_with_errors_generates_no_rules_to_know(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("full.yaml").write_text(APP_CONTRACT_FULL.replace("events: []", '  - {name: app_hits_total, type: counter, '
                                                           'unit: "1", help: h}\nevents: []'))
    Path("d.json").write_text(dashboard_text("job:app_latency_seconds:p95_rate5m"))
    code, out, _ = run(capsys, "full.yaml", "d.json")
    assert code == 1
    assert [line.split(": ")[1] for line in _lines(out)] == ["error[contract/counter-total-suffix]",
                                                            "error[promql/unknown-metric]"]


# ── annotations as current Grafana saves them ──────────────────────────────

def test_an_annotation_query_under_target_is_checked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    annotations = {"list": [
        {"builtIn": 1, "name": "Annotations & Alerts", "datasource": {"type": "grafana", "uid": "-- Grafana --"}},
        {"name": "Restarts", "datasource": {"type": "prometheus", "uid": "p"}, "enable": True,
         "target": {"refId": "Anno", "expr": "changes(app_tmp[5m]) > 0"}},
        {"name": "Legacy", "datasource": {"type": "prometheus", "uid": "p"}, "expr": "app_temp > 1",
         "target": {"refId": "Anno", "expr": "app_tmpp"}},
        {"name": "Empty", "datasource": {"type": "prometheus", "uid": "p"}, "target": {"expr": None}},
    ]}
    Path("d.json").write_text(json.dumps({"panels": [], "annotations": annotations}, indent=2))
    code, out, err = run(capsys, "c.yaml", "d.json")
    # the top-level `expr`, where there is one, is the query; `target.expr` is read only in its absence
    assert (code, err) == (1, "checked 2 expressions in 1 files\n")
    assert _lines(out) == ['d.json:22:28: error[promql/unknown-metric]: annotation "Restarts": `app_tmp` is not in '
                           "the contract; did you mean `app_temp` (gauge app_temp)?"]
