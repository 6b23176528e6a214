"""`metrics-contract analyze` on a real-world-shaped dashboard: every Prometheus expression parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generators.cli import main

PROM = {"type": "prometheus", "uid": "${datasource}"}
LOKI = {"type": "loki", "uid": "logs"}


def _target(ref: str, expr: str, **extra: object) -> dict[str, object]:
    return {"refId": ref, "expr": expr, **extra}


DASHBOARD = {
    "title": "wild",
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus"},
        {"name": "job", "type": "query", "datasource": PROM, "query": "label_values(app_up, job)"},
        {"name": "instance", "type": "query", "datasource": PROM,
         "query": {"query": 'label_values(app_up{job=~"$job"}, instance)', "refId": "V"}},
        {"name": "metric", "type": "query", "datasource": PROM, "query": "metrics(app_.*)"},
        {"name": "top", "type": "query", "datasource": PROM, "query": "query_result(topk(3, app_requests_total))"},
        {"name": "by", "type": "custom", "query": "mode,code"},
    ]},
    "panels": [
        {"type": "row", "title": "collapsed", "collapsed": True, "panels": [
            {"title": "nested", "datasource": PROM, "targets": [
                _target("A", 'sum by ($by) (rate(app_requests_total{job=~"$job",instance=~"${instance:regex}"}'
                             '[$__rate_interval]))', legendFormat="{{mode}}"),
            ]},
        ]},
        {"title": "mixed", "datasource": {"type": "datasource", "uid": "-- Mixed --"}, "targets": [
            _target("A", 'rate(app_requests_total{job="[[job]]"}[$__interval] offset $__range)', datasource=PROM),
            _target("B", '{app="x"} |= "error"', datasource=LOKI),
        ]},
        {"title": "broken", "datasource": PROM, "targets": [_target("A", "sum(rate(app_requests_total[5m])")]},
        {"title": "window math", "datasource": PROM, "targets": [
            _target("A", "increase(app_requests_total[${__range_s}s]) / $__range_s"),
            _target("B", 'histogram_quantile(0.9, sum by (le) (rate(app_latency_seconds_bucket[$__rate_interval])))'
                         ' * on (job) group_left (version) app_build_info'),
        ]},
        {"title": "from the library", "libraryPanel": {"uid": "lib1", "name": "Shared"}},
    ],
    "rows": [{"title": "legacy", "panels": [
        {"title": "old style", "datasource": "$datasource", "targets": [
            _target("A", 'label_replace(app_up, "host", "$1", "instance", "(.*):.*")'),
        ]},
    ]}],
    "__elements": {"lib1": {"name": "Shared", "uid": "lib1", "kind": 1, "model": {
        "title": "Shared", "datasource": PROM, "targets": [_target("A", "avg(app_queue_depth) by (queue)")],
    }}},
}


def test_analyze_real_world_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("d.json").write_text(json.dumps(DASHBOARD, indent=2))
    assert main(["analyze", "d.json", "--format", "json"]) == 1  # one target does not parse
    out = capsys.readouterr()
    report = json.loads(out.out)
    rows = {(r["location"], r["kind"]): r for r in report["expressions"]}
    assert report["skipped"] == 1   # the Loki target
    summary = {k: (r["parsed"], r["metrics"], r["labels"]) for k, r in rows.items()}
    assert summary == {
        ('variable "job"', "variable"): (True, ["app_up"], ["job"]),
        ('variable "instance"', "variable"): (True, ["app_up"], ["instance", "job"]),
        ('variable "metric"', "variable"): (True, [], []),
        ('variable "top"', "variable"): (True, ["app_requests_total"], []),
        # `$by` is a custom variable: its declared values `mode` and `code` are grouping labels
        ('panel "nested" target A', "target"): (True, ["app_requests_total"], ["code", "instance", "job", "mode"]),
        ('panel "mixed" target A', "target"): (True, ["app_requests_total"], ["job"]),
        ('panel "broken" target A', "target"): (False, [], []),
        ('panel "window math" target A', "target"): (True, ["app_requests_total"], []),
        ('panel "window math" target B', "target"): (True, ["app_build_info", "app_latency_seconds_bucket"],
                                                     ["job", "le", "version"]),
        ('panel "Shared" target A', "target"): (True, ["app_queue_depth"], ["queue"]),
        ('panel "old style" target A', "target"): (True, ["app_up"], ["host", "instance"]),
    }
    assert rows[('panel "broken" target A', "target")]["error"] == "unclosed left parenthesis"
    assert all(r["file"] == "d.json" and r["line"] > 0 and r["datasource"] == "prometheus"
               for r in report["expressions"])
    assert out.err == "11 expressions in 1 files, 1 not parsed; 1 targets of other data sources skipped\n"


def test_analyze_text_and_rule_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("r.yml").write_text("groups:\n  - name: g\n    rules:\n      - record: job:app_requests:rate5m\n"
                             "        expr: sum by (job) (rate(app_requests_total[5m]))\n"
                             "      - alert: Down\n        expr: up == 0\n        for: 5m\n")
    assert main(["analyze", "r.yml"]) == 0
    assert capsys.readouterr().out == (
        'r.yml:5: rule group "g" rule "job:app_requests:rate5m": metrics: app_requests_total; labels: job\n'
        'r.yml:7: rule group "g" rule "Down": metrics: up; labels: -\n')
