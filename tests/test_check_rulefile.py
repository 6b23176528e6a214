"""`check` judges a rule file as Prometheus loads it: what promtool refuses is a located `rules/invalid` error.

Each row of ROWS is a rule file that `promtool check rules` refuses; `check` must report exactly the given
`rules/invalid` lines (one per mistake) and exit 1. Each row of GOOD is one promtool loads; `check` must report
no `rules/invalid` line. With the real promtool (REQUIRE_PROMETHEUS=1), both tables are held to its verdicts,
and so are the rule files this repository generates.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contract.promql.sources import load_source
from generators.cli import main
from tests.conftest import APP_CONTRACT, ROOT, require_binary

_RULE = "groups:\n  - name: g\n    rules:\n"
_ALERT = _RULE + "      - alert: Hot\n        expr: app_temp > 3\n"
_RECORD = _RULE + "      - record: job:app_temp:max\n        expr: max by (job) (app_temp)\n"
_NAMES = "(letters, digits and `_`, not starting with a digit)"
_METRIC_NAME = "(letters, digits, `_` and `:`, not starting with a digit)"
_DURATION = "not a duration like `30s`, `5m` or `1h30m`"
_RULE_FIELDS = "(known: record, alert, expr, for, keep_firing_for, labels, annotations)"

# rule files promtool refuses -> the `rules/invalid` problems of `check`, as `line:col: message`
ROWS: dict[str, tuple[str, list[str]]] = {
    "recorded name with spaces": (
        _RULE + "      - record: shop requests rate\n        expr: sum(app_temp)\n",
        [f'4:17: group "g" rule "shop requests rate": recorded name `shop requests rate` is not a valid metric '
         f"name {_METRIC_NAME}"]),
    "label name with a dash": (
        _ALERT + "        labels:\n          team-name: shop\n",
        [f'7:11: group "g" rule "Hot": label name `team-name` is not a valid label name {_NAMES}']),
    "label name that is the metric name": (
        _RECORD + "        labels:\n          __name__: x\n",
        ['7:11: group "g" rule "job:app_temp:max": label `__name__` is the metric name, which a rule cannot set']),
    "annotation name with a dash": (
        _ALERT + "        annotations:\n          run-book: x\n",
        [f'7:11: group "g" rule "Hot": annotation name `run-book` is not a valid label name {_NAMES}']),
    "annotation with an unclosed action": (
        _ALERT + '        annotations:\n          summary: "{{ $labels.job "\n',
        ['7:20: group "g" rule "Hot": annotation `summary` is not a valid Go template: unclosed action']),
    "alert label calling an unknown function": (
        _ALERT + '        labels:\n          team: "{{ nosuch }}"\n',
        ['7:17: group "g" rule "Hot": label `team` is not a valid Go template: function `nosuch` is not defined']),
    "label value that is a list": (
        _ALERT + "        labels:\n          team: [a, b]\n",
        ['7:17: group "g" rule "Hot": label `team` must be one value, not a list or a mapping']),
    "labels that are a list": (
        _ALERT + "        labels: [team]\n",
        ['6:17: group "g" rule "Hot": `labels` must be a mapping of names to values']),
    "two groups of one name": (
        "groups:\n  - name: shop\n    rules: []\n  - name: shop\n    rules: []\n",
        ['4:11: group "shop": group name `shop` is repeated; Prometheus needs the groups of a file named apart']),
    "group without a name": (
        "groups:\n  - rules: []\n",
        ['2:5: group "": a rule group needs a `name`']),
    "group with an empty name": (
        "groups:\n  - name: ''\n    rules: []\n",
        ['2:11: group "": a rule group needs a `name`']),
    "record and alert": (
        _RULE + "      - record: job:app_temp:max\n        alert: Hot\n        expr: max by (job) (app_temp)\n",
        ['4:9: group "g" rule "job:app_temp:max": a rule has `record` or `alert`, not both']),
    "neither record nor alert": (
        _RULE + "      - expr: app_temp > 3\n",
        ['4:9: group "g" rule "": a rule needs a `record` or an `alert` name']),
    "empty alert name": (
        _RULE + "      - alert: ''\n        expr: app_temp > 3\n",
        ['4:9: group "g" rule "": a rule needs a `record` or an `alert` name']),
    "empty expr": (
        _RULE + "      - record: job:app_temp:max\n        expr: ''\n",
        ['5:15: group "g" rule "job:app_temp:max": `expr` is empty']),
    "for 5x": (
        _ALERT + "        for: 5x\n",
        [f'6:14: group "g" rule "Hot": `for` is `5x`, {_DURATION}']),
    "for a fraction": (
        _ALERT + "        for: 1.5m\n",
        [f'6:14: group "g" rule "Hot": `for` is `1.5m`, {_DURATION}']),
    "for with units out of order": (
        _ALERT + "        for: 1m1h\n",
        [f'6:14: group "g" rule "Hot": `for` is `1m1h`, {_DURATION}']),
    "for a bare number": (
        _ALERT + "        for: 5\n",
        [f'6:14: group "g" rule "Hot": `for` is `5`, {_DURATION}']),
    "for empty": (
        _ALERT + "        for: ''\n",
        [f'6:14: group "g" rule "Hot": `for` is empty, {_DURATION}']),
    "for a list": (
        _ALERT + "        for: [5m]\n",
        [f'6:14: group "g" rule "Hot": `for` is a list or a mapping, {_DURATION}']),
    "recording rule with for": (
        _RECORD + "        for: 5m\n",
        ['6:14: group "g" rule "job:app_temp:max": a recording rule cannot have `for`']),
    "recording rule with keep_firing_for": (
        _RECORD + "        keep_firing_for: 5m\n",
        ['6:26: group "g" rule "job:app_temp:max": a recording rule cannot have `keep_firing_for`']),
    "recording rule with annotations": (
        _RECORD + "        annotations:\n          summary: x\n",
        ['7:11: group "g" rule "job:app_temp:max": a recording rule cannot have `annotations`']),
    "group interval 5x": (
        "groups:\n  - name: g\n    interval: 5x\n    rules: []\n",
        [f'3:15: group "g": `interval` is `5x`, {_DURATION}']),
    "group limit a string": (
        "groups:\n  - name: g\n    limit: '5'\n    rules: []\n",
        ['3:12: group "g": `limit` must be a number']),
    "unknown rule field": (
        _ALERT + "        severity: page\n",
        [f'6:9: group "g" rule "Hot": `severity` is not a field of a rule {_RULE_FIELDS}']),
    "unknown rule field near a known one": (
        _ALERT + "        annotation:\n          summary: x\n",
        ['6:9: group "g" rule "Hot": `annotation` is not a field of a rule; did you mean `annotations`?']),
    "unknown group field": (
        "groups:\n  - name: g\n    evaluation: 1m\n    rules: []\n",
        ['3:5: group "g": `evaluation` is not a field of a rule group (known: name, interval, query_offset, limit, '
         "labels, rules)"]),
    "unknown file field": (
        "groups: []\nrule_files: [a.yml]\n",
        ["2:1: `rule_files` is not a field of a rule file (known: groups)"]),
    "several mistakes in one rule": (
        _RULE + "      - record: a b\n        expr: sum(app_temp)\n        for: 5m\n"
        "        labels:\n          a-b: x\n",
        [f'4:17: group "g" rule "a b": recorded name `a b` is not a valid metric name {_METRIC_NAME}',
         '6:14: group "g" rule "a b": a recording rule cannot have `for`',
         f'8:11: group "g" rule "a b": label name `a-b` is not a valid label name {_NAMES}']),
}

# rule files promtool loads
GOOD: dict[str, str] = {
    "label name starting with two underscores": _RECORD + "        labels:\n          __tier: x\n",
    "for 0": _ALERT + "        for: 0\n",
    "for null": _ALERT + "        for: null\n",
    "every duration unit": _ALERT + "        for: 1y2w1d2h3m4s5ms\n        keep_firing_for: 1h30m\n",
    "recording rule with for 0s": _RECORD + "        for: 0s\n",
    "recording rule label that looks like a template": _RECORD + '        labels:\n          note: "{{ x"\n',
    "recording rule with empty annotations": _RECORD + "        annotations: {}\n",
    "alert name with spaces, values that are numbers or null": (
        _RULE + "      - alert: Too hot\n        expr: app_temp > 3\n        labels:\n          level: 2\n"
        "          note: null\n        annotations:\n          count: 5\n"),
    "group limit and interval": "groups:\n  - name: g\n    interval: 30s\n    limit: 10\n    rules: []\n",
    "group limit a float": "groups:\n  - name: g\n    limit: 5.5\n    rules: []\n",
    "group named by a number": "groups:\n  - name: 5\n    rules: []\n",
    "rules null": "groups:\n  - name: g\n    rules:\n",
    "groups null": "groups:\n",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(APP_CONTRACT)
    return tmp_path


def _invalid(capsys: pytest.CaptureFixture[str], name: str = "r.yml") -> tuple[int, list[str]]:
    """Exit code of `check c.yaml NAME`, and its `rules/invalid` lines without the file name and severity."""
    code = main(["check", "c.yaml", name])
    out = capsys.readouterr().out
    marker = ": error[rules/invalid]: "
    return code, [line.removeprefix(f"{name}:").replace(marker, ": ") for line in out.splitlines()
                  if marker in line]


@pytest.mark.parametrize("row", sorted(ROWS))
def test_what_prometheus_refuses_is_an_error_at_its_place(row: str, project: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = ROWS[row]
    Path("r.yml").write_text(text)
    assert _invalid(capsys) == (1, expected)


@pytest.mark.parametrize("row", sorted(GOOD))
def test_what_prometheus_loads_is_not_refused(row: str, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("r.yml").write_text(GOOD[row])
    assert _invalid(capsys) == (0, [])


def test_resources_are_judged_as_the_operator_writes_them(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("k.yaml").write_text(
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: a}\nspec:\n  groups:\n"
        "    - name: g\n      partial_response_strategy: warn\n      rules: []\n"
        "---\napiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: b}\nspec:\n  groups:\n"
        "    - name: g\n      rules: []\n    - name: g\n      rules:\n"
        "        - alert: Hot\n          expr: app_temp > 3\n          for: 5x\n")
    # each resource is a rule file of its own: `g` repeats only within `b`
    assert _invalid(capsys, "k.yaml") == (1, [
        '17:13: PrometheusRule "b" group "g": group name `g` is repeated; Prometheus needs the groups of a file '
        "named apart",
        f'21:16: PrometheusRule "b" group "g" rule "Hot": `for` is `5x`, {_DURATION}'])


def _promtool_loads(promtool: str, path: Path) -> bool:
    done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False)
    return done.returncode == 0


def test_promtool_refuses_every_row_and_loads_every_good_file(tmp_path: Path) -> None:
    promtool = require_binary("promtool")
    verdicts = {}
    for table in (ROWS, GOOD):
        for name in table:
            path = tmp_path / "r.yml"
            path.write_text(ROWS[name][0] if table is ROWS else GOOD[name])
            verdicts[name] = _promtool_loads(promtool, path)
    assert sorted(name for name in ROWS if verdicts[name]) == []
    assert sorted(name for name in GOOD if not verdicts[name]) == []


GENERATED_RULE_FILES = sorted(p for base in (ROOT / "out", ROOT / "examples" / "checkout" / "out")
                              for p in (base / "prometheus").glob("*.yml") if not p.name.endswith("_test.yml"))


def test_the_generated_rule_files_pass_both() -> None:
    assert len(GENERATED_RULE_FILES) >= 4   # rules and alerts of both services
    promtool = require_binary("promtool")
    for path in GENERATED_RULE_FILES:
        assert _promtool_loads(promtool, path), path
        assert load_source(str(path)).problems == [], path
