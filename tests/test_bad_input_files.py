"""Bad rule files in the forms `check` reads (JSON, `PrometheusRule` resources, streams of documents), and
dashboards whose Prometheus queries are not strings.

Each row is a file given alone to `check CONTRACT FILE`: one located line on stderr, exit 2, no traceback, and
nothing changed on disk. A bad file beside good ones is reported among their problems instead
(tests/test_check_files.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import refused
from tests.test_check_files import CONTRACT

ROWS = {
    "resource-without-groups": (
        "k.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec: {}\n",
        "k.yaml:4:7: error[input/rule-file]: a `PrometheusRule` holds its rule groups in a `spec.groups` list"),
    "resource-without-spec": (
        "k.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n",
        "k.yaml:1:1: error[input/rule-file]: a `PrometheusRule` holds its rule groups in a `spec.groups` list"),
    "resource-group-not-a-mapping": (
        "k.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups: [1]\n",
        "k.yaml:4:12: error[input/rule-file]: a rule group is a mapping with `name` and a `rules` list"),
    "stream-with-a-list": (
        "k.yaml", "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups: []\n---\n- a\n",
        "k.yaml:6:1: error[input/rule-file]: document 2 is neither rule groups nor a Kubernetes resource"),
    "stream-second-document-not-yaml": (
        "k.yaml", "groups: []\n---\nkey: [unclosed\n",
        "k.yaml:4:1: error[input/yaml]: not valid YAML: did not find expected ',' or ']'"),
    "stream-of-other-resources": (
        "k.yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Secret\n",
        "k.yaml:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with `panels`) nor a "
        "Prometheus rule file (YAML with `groups`)"),
    "other-operator-group": (
        "k.yaml", "apiVersion: example.com/v1\nkind: PrometheusRule\nspec:\n  groups: []\n",
        "k.yaml:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with `panels`) nor a "
        "Prometheus rule file (YAML with `groups`)"),
    "json-rule-without-expr": (
        "r.json", '{"groups": [{"name": "g", "rules": [{"alert": "A"}]}]}',
        "r.json:1:37: error[input/rule-file]: a rule is a mapping with `record` or `alert` and `expr`"),
    "json-list": (
        "r.json", '[{"groups": []}]',
        "r.json:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with `panels`) nor a "
        "Prometheus rule file (YAML with `groups`)"),
    "stream-duplicate-key": (
        "k.yaml", "groups: []\n---\napiVersion: v1\nkind: ConfigMap\nkind: Secret\n",
        "k.yaml:5:1: error[input/duplicate-key]: duplicate key `kind`"),
    "dashboard-target-expr-a-number": (
        "d.json", '{"panels": [{"title": "P", "targets": [\n  {"refId": "A", "expr": "app_temp"},\n'
        '  {"refId": "B", "expr": 42}]}]}\n',
        'd.json:3:26: error[input/dashboard]: panel "P" target B: `expr` is a number, not a PromQL query'),
    "dashboard-target-expr-a-list": (
        "d.json", '{"panels": [{"id": 3, "targets": [{"expr": ["app_temp"]}]}]}',
        "d.json:1:44: error[input/dashboard]: panel 3 target A: `expr` is a list, not a PromQL query"),
    "dashboard-annotation-target-expr-an-object": (
        "d.json", '{"panels": [], "annotations": {"list": [{"name": "Deploys", "target":\n  {"expr": {"a": 1}}}]}}',
        'd.json:2:12: error[input/dashboard]: annotation "Deploys": `expr` is an object, not a PromQL query'),
}


@pytest.mark.parametrize("row", sorted(ROWS))
def test_bad_rule_file(row: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    name, text, expected = ROWS[row]
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(CONTRACT)
    Path(name).write_text(text)
    assert refused(capsys, ["check", "c.yaml", name], tmp_path) == expected + "\n"


def test_a_deep_stream_cannot_crash_the_interpreter(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(CONTRACT)
    (tmp_path / "k.yaml").write_text("groups: []\n---\n" + "[" * 100_000 + "]" * 100_000 + "\n")
    done = subprocess.run([sys.executable, "-m", "generators", "check", "c.yaml", "k.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent),
                               "METRICS_CONTRACT_CACHE": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "k.yaml:3:66: error[input/too-deep]: nesting deeper than 64 levels\n"
