"""Extraction from dashboards and rule files: what is found, where, and what is skipped."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from contract.problems import InputError
from contract.promql.sources import load_source
from tests.promql_util import lint

DASHBOARD = {
    "panels": [
        {"type": "row", "title": "Collapsed", "collapsed": True, "panels": [
            {"id": 11, "title": "Inside", "datasource": {"type": "prometheus", "uid": "$ds"},
             "targets": [{"refId": "Q", "expr": "qortex_factor_mean", "legendFormat": "mean"}]},
        ]},
        {"id": 2, "title": "", "datasource": "-- Mixed --", "targets": [
            {"datasource": {"type": "loki", "uid": "l"}, "expr": '{job="x"} |= "error"'},
            {"datasource": {"type": "prometheus", "uid": "p"}, "expr": "qortex_buffer_edges"},
            {"expr": "qortex_factors_active"},
        ]},
        {"title": "Logs", "datasource": {"type": "loki", "uid": "l"}, "targets": [{"expr": "{job=\"x\"}"}]},
        {"title": "Via variable", "datasource": "${logs}", "targets": [{"expr": "{job=\"x\"}"}]},
        {"title": "Text", "type": "text"},
    ],
    "rows": [{"panels": [{"title": "Legacy", "datasource": "Prometheus", "targets": [
        {"expr": "qortex_kg_coverage"}, {"expr": ""}]}]}],
    "templating": {"list": [
        {"name": "ds", "type": "datasource", "query": "prometheus"},
        {"name": "logs", "type": "datasource", "query": "loki"},
        {"name": "mode", "type": "query", "datasource": "$ds",
         "query": {"query": "label_values(qortex_queries_total{job=~\"$job\"}, mode)", "refId": "V"}},
        {"name": "job", "type": "query", "query": "label_values(job)"},
        {"name": "top", "type": "query", "query": "query_result(topk(3, qortex_factor_mean))"},
        {"name": "names", "type": "query", "query": "metrics(qortex_.*)"},
        {"name": "n", "type": "custom", "query": "1,2,3"},
    ]},
    "annotations": {"list": [
        {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "name": "Annotations & Alerts"},
        {"name": "restarts", "datasource": {"type": "prometheus", "uid": "p"},
         "expr": "changes(process_start_time_seconds[5m]) > 0"},
    ]},
}


def test_dashboard_extraction() -> None:
    text = json.dumps(DASHBOARD, indent=2)
    source = load_source("d.json", text.encode())
    found = [(e.kind, e.where, e.text, e.anchor.position(0)[0]) for e in source.expressions]
    line = {s: i + 1 for i, row in enumerate(text.split("\n")) for s in [row.strip()]}
    assert found == [
        ("panel", 'panel "Inside" target Q', "qortex_factor_mean", line['"expr": "qortex_factor_mean",']),
        ("panel", "panel 2 target B", "qortex_buffer_edges", line['"expr": "qortex_buffer_edges"']),
        ("panel", "panel 2 target C", "qortex_factors_active", line['"expr": "qortex_factors_active"']),
        ("panel", 'panel "Legacy" target A', "qortex_kg_coverage", line['"expr": "qortex_kg_coverage"']),
        ("variable", 'variable "mode"', 'qortex_queries_total{job=~"$job"}',
         line['"query": "label_values(qortex_queries_total{job=~\\"$job\\"}, mode)",']),
        ("variable", 'variable "job"', "", line['"query": "label_values(job)"']),
        ("variable", 'variable "top"', "topk(3, qortex_factor_mean)",
         line['"query": "query_result(topk(3, qortex_factor_mean))"']),
        ("variable", 'variable "names"', "", line['"query": "metrics(qortex_.*)"']),
        ("annotation", 'annotation "restarts"', "changes(process_start_time_seconds[5m]) > 0",
         line['"expr": "changes(process_start_time_seconds[5m]) > 0"']),
    ]
    assert source.skipped == 3   # the loki target, the loki panel, the panel via the loki variable
    assert source.expressions[4].var_label == ("mode", 35)
    assert source.expressions[0].variables == frozenset({"ds", "logs", "mode", "job", "top", "names", "n"})


def test_dashboard_variables_are_checked() -> None:
    broken = json.loads(json.dumps(DASHBOARD))
    broken["templating"]["list"][2]["query"]["query"] = 'label_values(qortex_queries_total{job=~"$job"}, stage)'
    broken["templating"]["list"][3]["query"] = "label_values(jobb)"
    broken["templating"]["list"][4]["query"] = "query_result(topk(3, qortex_factor_meen))"
    broken["templating"]["list"][5]["query"] = "metrics(qortx_.*)"
    text = json.dumps(broken, indent=1)
    lines = text.split("\n")
    found = [(p.message, lines[p.line - 1][p.column - 1:][:20]) for p in lint(("d.json", text))]
    assert found == [
        ('variable "mode": `qortex_queries_total` has no label `stage`; its labels: `mode`', 'stage)",'),
        ('variable "job": no series in the contract has label `jobb`; did you mean `job`?', 'jobb)"'),
        ('variable "top": `qortex_factor_meen` is not in the contract; did you mean `qortex_factor_mean` (gauge '
         'qortex_factor_mean)?', 'qortex_factor_meen))'),
        ('variable "names": `metrics(qortx_.*)` matches no series of the contract', 'qortx_.*)"'),
        ('annotation "restarts": `process_start_time_seconds` is not in the contract', "process_start_time_s"),
    ]


def test_json_escapes_keep_columns() -> None:
    text = ('{"panels": [{"title": "E", "targets": [{"expr": '
            '"sum(qortex_queries_total{mode=\\"v\\u00e9c\\"})\\n + x"}]}]}')
    problems = lint(("e.json", text))
    columns = {p.check: p.column for p in problems}
    assert text[columns["promql/label-value"] - 1:].startswith("v\\u00e9c")
    assert text[columns["promql/unknown-metric"] - 1:].startswith('x"}')



def test_repeated_dashboard_strings_are_located_in_order() -> None:
    dash = {"panels": [{"title": "a", "targets": [{"expr": "up", "legendFormat": "x"}, {"expr": "up"}]},
                       {"title": "b", "targets": [{"expr": "rate(x[5m])"}, {"expr": "up", "legendFormat": "x"}]}],
            "annotations": {"list": [{"name": "n", "expr": "up"}]}}
    text = json.dumps(dash, indent=1)
    lines = text.split("\n")
    rows = [i + 1 for i, line in enumerate(lines) if '"expr": "up"' in line]
    legends = [i + 1 for i, line in enumerate(lines) if '"legendFormat": "x"' in line]
    source = load_source("d.json", text.encode())
    ups = [e for e in source.expressions if e.text == "up"]
    assert [e.anchor.position(0)[0] for e in ups] == rows
    assert [e.legend_anchor.position(0)[0] for e in ups if e.legend_anchor] == legends


RULES = '''\
groups:
  - name: g
    rules:
      - record: job:a:b
        expr: sum(qortex_nope_a)
      - alert: Quoted
        expr: "qortex_factor_mean > 1 and qortex_nope_b"
      - alert: Block
        expr: |
          qortex_factor_mean
            > on(stage) qortex_nope_c
      - alert: Folded
        expr: >-
          qortex_factor_mean >
          qortex_nope_d
'''


def test_rule_file_positions() -> None:
    problems = [p for p in lint(("r.yml", RULES)) if p.check == "promql/unknown-metric"]
    lines = RULES.split("\n")
    for p, name in zip(problems, ("qortex_nope_a", "qortex_nope_b", "qortex_nope_c", "qortex_nope_d"), strict=True):
        assert lines[p.line - 1][p.column - 1:].startswith(name), p.text()


def test_rule_file_extraction() -> None:
    source = load_source("r.yml", RULES.encode())
    assert [(e.where, e.record, e.kind) for e in source.expressions] == [
        ('group "g" rule "job:a:b"', "job:a:b", "rule"), ('group "g" rule "Quoted"', "", "rule"),
        ('group "g" rule "Block"', "", "rule"), ('group "g" rule "Folded"', "", "rule")]
    assert source.expressions[2].text == "qortex_factor_mean\n  > on(stage) qortex_nope_c\n"


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("x.yml", "a: 1\n", "x.yml:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with "
     "`panels`) nor a Prometheus rule file (YAML with `groups`)"),
    ("x.json", "[1, 2]", "x.json:1:1: error[input/unknown-file-kind]: is neither a Grafana dashboard (JSON with "
     "`panels`) nor a Prometheus rule file (YAML with `groups`)"),
    ("x.json", '{"title": "no panels"}', "x.json:1:1: error[input/unknown-file-kind]: is neither a Grafana "
     "dashboard (JSON with `panels`) nor a Prometheus rule file (YAML with `groups`)"),
    ("c.yaml", "contract: 1\nservice: s\n", "c.yaml:1:1: error[input/unknown-file-kind]: is a contract, not a "
     "dashboard or rule file; give the contract as the first argument"),
    ("x.json", '{"panels": [\n  {"title": }]}', "x.json:2:13: error[input/json]: not valid JSON: expecting value"),
    ("x.json", '{"panels": [' + "9" * 5000 + "]}", "x.json: error[input/json]: not valid JSON: exceeds the limit "
     "(4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to "
     "increase the limit"),
    ("r.yml", "groups:\n  - name: g\n    rules:\n      - record: x\n", "r.yml:4:9: error[input/rule-file]: a rule "
     "is a mapping with `record` or `alert` and `expr`"),
    ("r.yml", "groups: [1]\n", "r.yml:1:10: error[input/rule-file]: a rule group is a mapping with `name` and a "
     "`rules` list"),
])
def test_bad_input(name: str, text: str, expected: str) -> None:
    with pytest.raises(InputError) as exc:
        load_source(name, text.encode())
    assert [p.text() for p in exc.value.problems] == [expected]


RULE = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: {}\n"


@pytest.mark.parametrize(("text", "expected"), [
    (RULE.format("="), "r.yml:6:14: error[input/yaml]: YAML reads `=` as a special value (`tag:yaml.org,2002:value`); "
     "quote it"),
    (RULE.format("<<"), "r.yml:6:14: error[input/yaml]: YAML reads `<<` as a special value "
     "(`tag:yaml.org,2002:merge`); quote it"),
    (RULE.format('"5m\x01"'), "r.yml:6:17: error[input/yaml]: not valid YAML: character U+0001 is not allowed"),
    ("groups: " + "[" * 100 + "]" * 100, "r.yml:1:73: error[input/too-deep]: nesting deeper than 64 levels"),
])
def test_rule_files_promtool_rejects_are_located_errors(tmp_path: Path, text: str, expected: str) -> None:
    """Each of these is refused by `promtool check rules` too (where it is installed, the test asks it)."""
    with pytest.raises(InputError) as exc:
        load_source("r.yml", text.encode())
    assert [p.text() for p in exc.value.problems] == [expected]
    promtool = shutil.which("promtool")
    if promtool:
        rules = tmp_path / "r.yml"
        rules.write_text(text, encoding="utf-8")
        assert subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, check=False).returncode


@pytest.mark.parametrize("expr", ['"up\u2028== 0"', "up\u2028== 0", "'up\u2028== 0'", "|\n          up\u2028== 0"])
def test_line_separators_are_read_as_pyyaml_reads_them(expr: str) -> None:
    text = f"groups:\n  - name: g\n    rules:\n      - record: job:x:y\n        expr: {expr}\n"
    try:
        expected = yaml.safe_load(text)["groups"][0]["rules"][0]["expr"]
    except yaml.YAMLError:
        with pytest.raises(InputError):
            load_source("r.yml", text.encode())
        return
    (expression,) = load_source("r.yml", text.encode()).expressions
    assert expression.text == expected


def test_a_dashboard_nested_too_deep_is_a_located_error() -> None:
    with pytest.raises(InputError) as exc:
        load_source("d.json", b'{"panels": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    # where the 257th bracket opens (the object is the first level), found before `json` reads the text
    assert [p.text() for p in exc.value.problems] == [
        "d.json:1:267: error[input/too-deep]: nesting deeper than 256 levels"]


def test_suppression_comments() -> None:
    dashboard = {"panels": [
        {"title": "Quiet", "description": "lifetime total # metrics-contract: ignore[promql/counter-without-rate]",
         "targets": [{"expr": "qortex_edges_promoted_total"}]},
        {"title": "Loud", "targets": [{"expr": "qortex_edges_promoted_total"}]},
    ]}
    rules = ("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: nope_a > 0\n    annotations:\n"
             "      summary: x\n      note: '# metrics-contract: ignore[promql/unknown-metric, rules/x]'\n"
             "  - alert: B\n    expr: nope_b > 0\n")
    problems = lint(("d.json", json.dumps(dashboard)), ("r.yml", rules))
    assert [(p.check, p.location) for p in problems] == [
        ("promql/counter-without-rate", 'panel "Loud" target A'),
        ("promql/unknown-metric", 'group "g" rule "B"')]
    assert lint(("r.yml", rules), ignore=("promql/unknown-metric",)) == []


def test_recorded_metrics_feed_dashboards() -> None:
    rules = ("groups:\n- name: g\n  rules:\n"
             "  - record: job:qortex_queries:rate5m\n    expr: sum by (job, mode) (job:qortex_queries:rate1m)\n"
             "  - record: job:qortex_queries:rate1m\n    expr: sum by (job, mode) (rate(qortex_queries_total[1m]))\n"
             "  - record: job:qortex_query_duration_seconds:buckets\n"
             "    expr: sum by (job, le) (rate(qortex_query_duration_seconds_bucket[5m]))\n"
             "    labels: {team: search}\n")
    dashboard = json.dumps({"panels": [{"title": "R", "targets": [
        {"expr": "job:qortex_queries:rate5m", "legendFormat": "{{mode}}"},
        {"expr": "sum by (stage) (job:qortex_queries:rate1m)"},
        {"expr": "histogram_quantile(0.9, job:qortex_query_duration_seconds:buckets)", "legendFormat": "{{team}}"},
        {"expr": "job:qortex_queries:rate15m"},
    ]}]})
    problems = lint(("d.json", dashboard), ("r.yml", rules))
    assert [(p.check, p.location) for p in problems] == [
        ("promql/grouping-label", 'panel "R" target B'), ("promql/unknown-metric", 'panel "R" target D')]
    # without the rule file the recorded names are unknown
    assert [p.check for p in lint(("d.json", dashboard))] == ["promql/unknown-metric"] * 4
