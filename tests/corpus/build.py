"""The corpus: dashboards and rule files written as the field writes them, each target with what `check` must say.

Every file is Python data here and written by `write`; nothing is committed but this module. Each checked
expression is a `Row`: where problems name it (`panel "Errors" target B`, `variable "code"`, `group "g" rule
"A"`) and the check ids it must report (none: it is valid and must stay clean). The styles:

- `nested-rows.json`: schema 39 panels with an open row and collapsed rows that keep their panels inside;
- `library-panels.json`: a library panel carried inline with its `libraryPanel` ref, and one that only points
  at its model under `__elements` (an export);
- `variables.json`: every variable kind (query, custom, constant, interval, textbox, datasource, adhoc) used in
  every position, a panel with its own `interval`, and variable queries of their own;
- `jsonnet.json`: grafonnet-rendered, `gridPos` only, no rows, datasource objects on panels and targets;
- `old-schema.json`: `rows[].panels`, datasources by name, an `__inputs` datasource of another kind;
- `mixed.json`: the `-- Mixed --` datasource with Loki and Prometheus targets, and annotations;
- `target-labels.json`, `empty-matchers.json`: labels the scrape adds (declared `target_labels`, and matchers
  that match the empty value);
- `types.json`: Prometheus and OpenMetrics types (summary, native histogram, info, stateset, untyped);
- rule files: plain YAML, JSON, `PrometheusRule` resources in a stream, and an empty file.

`topic` names what a row exercises beyond plain selectors (`variables`, `target-labels`, `types`), so that
`python -m tests.corpus.count -v` shows which kind of field input a false result comes from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

from tests.conftest import APP_CONTRACT_FULL, APP_HEAD

# a small service's contract, with a labelled counter and a histogram
APP = APP_CONTRACT_FULL

# the same, with a label the scrape adds to every series
TARGETS = APP.replace("events: []", "target_labels: [cluster]\nevents: []")

# the types the field uses besides OpenTelemetry's instruments
TYPES = APP_HEAD + """\
  - {name: app_gc_seconds, type: summary, unit: s, help: g}
  - {name: app_native_seconds, type: native_histogram, unit: s, help: n}
  - {name: app_build, type: info, unit: "1", help: b, labels: [{name: version}]}
  - {name: app_state, type: stateset, unit: "1", help: s, labels: [{name: app_state, values: [up, down]}]}
  - {name: app_pgfault, type: untyped, unit: "1", help: p}
events: []
"""

CONTRACTS = {"app.yaml": APP, "targets.yaml": TARGETS, "types.yaml": TYPES}


class Row(NamedTuple):
    file: str
    where: str                 # the location problems give
    expr: str
    expect: frozenset[str]     # check ids it must report; empty: valid, must be clean
    topic: str = ""            # what kind of field input the row exercises, if any


class T(NamedTuple):
    """A target: refId, expression, expected check ids."""

    ref: str
    expr: str
    expect: tuple[str, ...] = ()
    legend: str = ""
    datasource: Any = None     # None: the target names none
    topic: str = ""


class CorpusFile(NamedTuple):
    name: str
    contract: str              # a key of CONTRACTS
    text: str
    rows: tuple[Row, ...]


class _Board:
    """Collects the rows of one dashboard while its panels are built."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: list[Row] = []

    def panel(self, title: str, *targets: T, **extra: Any) -> dict[str, Any]:
        built = []
        for t in targets:
            target: dict[str, Any] = {"refId": t.ref, "expr": t.expr}
            if t.legend:
                target["legendFormat"] = t.legend
            if t.datasource is not None:
                target["datasource"] = t.datasource
            built.append(target)
            if _prometheus(t.datasource):
                self.rows.append(Row(self.name, f'panel "{title}" target {t.ref}', t.expr, frozenset(t.expect),
                                     t.topic))
        return {"title": title, "type": "timeseries", **extra, "targets": built}

    def variable(self, name: str, query: str, *expect: str, topic: str = "", **extra: Any) -> dict[str, Any]:
        self.rows.append(Row(self.name, f'variable "{name}"', query, frozenset(expect), topic))
        return {"name": name, "type": "query", "datasource": {"type": "prometheus", "uid": "prom"},
                "query": {"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"}, **extra}

    def annotation(self, name: str, expr: str, *expect: str) -> dict[str, Any]:
        self.rows.append(Row(self.name, f'annotation "{name}"', expr, frozenset(expect)))
        return {"name": name, "enable": True, "datasource": {"type": "prometheus", "uid": "prom"}, "expr": expr}

    def file(self, contract: str, dashboard: dict[str, Any]) -> CorpusFile:
        return CorpusFile(self.name, contract, json.dumps(dashboard, indent=2) + "\n", tuple(self.rows))


def _prometheus(datasource: Any) -> bool:
    return not (isinstance(datasource, dict) and datasource.get("type") not in (None, "prometheus"))


def _grid(x: int, y: int, w: int = 12, h: int = 8) -> dict[str, int]:
    return {"x": x, "y": y, "w": w, "h": h}


PROM = {"type": "prometheus", "uid": "prom"}
RATE = "$__rate_interval"


def nested_rows() -> CorpusFile:
    b = _Board("nested-rows.json")
    panels = [
        {"type": "row", "title": "Overview", "collapsed": False, "gridPos": _grid(0, 0, 24, 1), "panels": []},
        b.panel("Request rate",
                T("A", f"sum by (job) (rate(app_requests_total[{RATE}]))", legend="{{job}}"),
                T("B", f"sum(rate(app_request_total[{RATE}]))", ("promql/unknown-metric",)),
                T("C", 'job:app_requests:rate5m{job="app"}'),
                datasource=PROM, gridPos=_grid(0, 1)),
        {"type": "row", "title": "Details", "collapsed": True, "gridPos": _grid(0, 9, 24, 1), "panels": [
            b.panel("Latency p90",
                    T("A", f"histogram_quantile(0.9, sum by (le) (rate(app_latency_seconds_bucket[{RATE}])))"),
                    T("B", f"histogram_quantile(0.9, sum(rate(app_latency_seconds_bucket[{RATE}])))",
                      ("promql/quantile-without-le",)),
                    datasource=PROM, gridPos=_grid(0, 10)),
            b.panel("Errors",
                    T("A", 'sum(rate(app_calls_total{code="500"}[5m])) / sum(rate(app_calls_total[5m]))'),
                    T("B", 'sum(rate(app_calls_total{code="404"}[5m]))', ("promql/label-value",)),
                    T("C", 'sum(rate(app_calls_total{cod="500"}[5m]))', ("promql/unknown-label",)),
                    T("D", "sum by (code) (rate(app_calls_total[5m]))", legend="{{ code }}"),
                    T("E", "sum by (job) (rate(app_calls_total[5m]))", ("promql/legend-label",), legend="{{code}}"),
                    datasource=PROM, gridPos=_grid(12, 10)),
        ]},
        {"type": "row", "title": "Empty", "collapsed": True, "gridPos": _grid(0, 10, 24, 1), "panels": []},
    ]
    return b.file("app.yaml", {"schemaVersion": 39, "title": "Nested rows", "uid": "nested", "panels": panels})


def library_panels() -> CorpusFile:
    b = _Board("library-panels.json")
    model = b.panel("Raw requests",
                    T("A", "app_requests_total", ("promql/counter-without-rate",)),
                    T("B", "increase(app_requests_total[1h])"),
                    datasource=PROM)
    inline = b.panel("Temperature",
                     T("A", "avg(app_temp)"),
                     T("B", "rate(app_temp[5m])", ("promql/rate-on-gauge",)),
                     datasource=PROM, gridPos=_grid(0, 0), libraryPanel={"uid": "lib-temp", "name": "Temperature"})
    ref_only = {"id": 3, "gridPos": _grid(12, 0), "libraryPanel": {"uid": "lib-raw", "name": "Raw requests"}}
    return b.file("app.yaml", {
        "__inputs": [], "__elements": {"lib-raw": {"name": "Raw requests", "uid": "lib-raw", "kind": 1,
                                                   "model": {**model, "libraryPanel": {"uid": "lib-raw"}}}},
        "title": "Library panels", "schemaVersion": 39, "panels": [inline, ref_only]})


def variables() -> CorpusFile:
    b = _Board("variables.json")
    ds = {"type": "prometheus", "uid": "${ds}"}
    templating = [
        {"name": "ds", "type": "datasource", "query": "prometheus", "current": {"text": "Prometheus",
                                                                               "value": "prom"}},
        b.variable("code", "label_values(app_calls_total, code)", multi=True, includeAll=True),
        b.variable("badlabel", "label_values(app_calls_total, cod)", "promql/unknown-label"),
        {"name": "k", "type": "custom", "query": "5,10", "current": {"text": "5", "value": "5"},
         "options": [{"text": "5", "value": "5", "selected": True}, {"text": "10", "value": "10"}]},
        {"name": "op", "type": "custom", "query": "or,unless", "current": {"text": "or", "value": "or"}},
        {"name": "c", "type": "constant", "query": "app", "hide": 2},
        {"name": "iv", "type": "interval", "query": "1m,5m", "current": {"text": "1m", "value": "1m"}},
        {"name": "tb", "type": "textbox", "query": "200", "current": {"text": "200", "value": "200"}},
        {"name": "lab", "type": "custom", "query": "job,instance", "current": {"text": "job", "value": "job"}},
        {"name": "filters", "type": "adhoc", "datasource": {"type": "prometheus", "uid": "${ds}"}},
        b.variable("series", 'up{job=~"a.*"}', topic="variables"),
        b.variable("typo", 'app_tmp{job="x"}', "promql/unknown-metric", topic="variables"),
        b.variable("bylab", "label_values(app_temp, $lab)", topic="variables"),
        b.variable("broken", 'label_values(app_tmp{, x="1"})', "promql/syntax", topic="variables"),
    ]
    panels = [
        b.panel("Every kind",
                T("A", "topk($k, app_temp)"),
                T("B", 'sum(rate(app_calls_total{code=~"$code"}[$iv]))'),
                T("C", 'sum(rate(app_calls_total{code="$tb"}[5m]))'),
                T("D", 'app_temp{job="$c"}'),
                T("E", "app_temp $op app_temp", topic="variables"),
                T("F", "# we're fine\nsum(app_temp)", topic="variables"),
                T("G", "rate(app_requests_total[$__interval])", ("promql/rate-window",)),
                T("H", "sum by ($lab) (app_temp)", legend="{{$lab}}"),
                T("I", "rate(app_requests_total[${iv}] offset $iv)"),
                datasource=ds, gridPos=_grid(0, 0, 24)),
        b.panel("Slow panel", T("A", "increase(app_requests_total[$__interval])", topic="variables"),
                datasource=ds, interval="2m", gridPos=_grid(0, 8)),
    ]
    return b.file("app.yaml", {"title": "Variables", "templating": {"list": templating}, "panels": panels})


def jsonnet() -> CorpusFile:
    b = _Board("jsonnet.json")
    ds = {"type": "prometheus", "uid": "$datasource"}

    def target(ref: str, expr: str, *expect: str) -> T:
        return T(ref, expr, expect, datasource=ds)

    panels = [
        b.panel("Requests", target("A", 'sum(rate(app_requests_total{job=~"$job"}[5m])) by (job)'),
                target("B", "sum without (instance) (rate(app_calls_total[5m]))"),
                datasource=ds, gridPos=_grid(0, 0), id=1, fieldConfig={"defaults": {"unit": "reqps"}}),
        b.panel("Counter slope", target("A", "deriv(app_requests_total[5m])", "promql/rate-on-gauge"),
                target("B", "predict_linear(app_requests_total[30m], 3600)", "promql/rate-on-gauge"),
                target("C", "predict_linear(app_temp[30m], 3600)"),
                datasource=ds, gridPos=_grid(12, 0), id=2),
        b.panel("Ratio", target("A", "app_temp / ignoring(nosuch) app_temp", "promql/grouping-label"),
                target("B", "sum by (job, code) (rate(app_calls_total[5m])) / ignoring(code) group_left "
                            "sum by (job) (rate(app_requests_total[5m]))"),
                target("C", "sum by (job) (app_temp) / on(instance) sum by (job) (app_temp)",
                       "promql/grouping-label"),
                datasource=ds, gridPos=_grid(0, 8), id=3),
    ]
    templating = [{"name": "datasource", "type": "datasource", "query": "prometheus"},
                  {"name": "job", "type": "query", "datasource": ds, "query": "label_values(up, job)",
                   "refresh": 2}]
    b.rows.append(Row(b.name, 'variable "job"', "label_values(up, job)", frozenset()))
    return b.file("app.yaml", {"title": "Grafonnet", "editable": False, "panels": panels,
                               "templating": {"list": templating}, "time": {"from": "now-6h", "to": "now"}})


def old_schema() -> CorpusFile:
    b = _Board("old-schema.json")
    rows = [
        {"title": "Requests", "height": "250px", "panels": [
            b.panel("Rate", T("A", "rate(app_requests_total[1m])"),
                    T("B", 'app_temp{instance=~"$instance"}'),
                    T("C", "rate(app_requests_total[10s])", ("promql/rate-window",)),
                    datasource="Prometheus", span=6),
            b.panel("Logs", T("A", '{job="app"} |= "error"'), datasource="${DS_LOKI}", span=6),
        ]},
    ]
    templating = [b.variable("instance", "label_values(app_temp, instance)")]
    return b.file("app.yaml", {
        "__inputs": [{"name": "DS_LOKI", "label": "Loki", "type": "datasource", "pluginId": "loki"}],
        "title": "Old schema", "schemaVersion": 14, "rows": rows, "templating": {"list": templating}})


def mixed() -> CorpusFile:
    b = _Board("mixed.json")
    loki = {"type": "loki", "uid": "loki"}
    panels = [b.panel("Mixed",
                      T("A", '{job="app"} |= "error"', datasource=loki),
                      T("B", "sum(rate(app_requests_total[5m]))", datasource=PROM),
                      T("C", "app_tmp", ("promql/unknown-metric",)),
                      T("D", "avg(app_temp)", datasource={"uid": "prom"}),
                      datasource={"type": "datasource", "uid": "-- Mixed --"})]
    annotations = {"list": [
        {"builtIn": 1, "name": "Annotations & Alerts", "datasource": {"type": "grafana", "uid": "-- Grafana --"}},
        b.annotation("Restarts", "changes(app_requests_created[5m]) > 0"),
        b.annotation("Typo", "changes(app_request_created[5m]) > 0", "promql/unknown-metric"),
        {"name": "Deploys", "datasource": loki, "expr": '{job="deploy"}'},
    ]}
    return b.file("app.yaml", {"title": "Mixed", "annotations": annotations, "panels": panels})


def target_labels() -> CorpusFile:
    b = _Board("target-labels.json")
    panels = [b.panel("Per cluster",
                      T("A", "sum by (cluster) (app_temp)", legend="{{cluster}}", topic="target-labels"),
                      T("B", 'app_temp{cluster=""}', topic="target-labels"),
                      T("C", 'app_temp{cluster=~".*"}', topic="target-labels"),
                      T("D", 'app_temp{namespace="monitoring"}', ("promql/unknown-label",)),
                      datasource=PROM)]
    return b.file("targets.yaml", {"title": "Target labels", "panels": panels})


def empty_matchers() -> CorpusFile:
    b = _Board("empty-matchers.json")
    panels = [b.panel("Empty values",
                      T("A", 'app_temp{region=""}', topic="target-labels"),
                      T("B", 'app_temp{region=~".*"}', topic="target-labels"),
                      T("C", 'app_temp{region=~"|eu"}', topic="target-labels"),
                      T("D", 'app_temp{region!="eu"}', topic="target-labels"),
                      T("E", 'app_temp{region="eu"}', ("promql/unknown-label",)),
                      T("F", 'app_temp{region=~"eu.*"}', ("promql/unknown-label",)),
                      datasource=PROM)]
    return b.file("app.yaml", {"title": "Empty matchers", "panels": panels})


def types() -> CorpusFile:
    b = _Board("types.json")
    panels = [b.panel("Types",
                      T("A", "histogram_quantile(0.9, rate(app_native_seconds[5m]))", topic="types"),
                      T("B", "rate(app_native_seconds_bucket[5m])", ("promql/unknown-metric",), topic="types"),
                      T("C", 'app_gc_seconds{quantile="0.5"}', topic="types"),
                      T("D", "rate(app_gc_seconds_count[5m])", topic="types"),
                      T("E", "histogram_quantile(0.9, rate(app_gc_seconds_bucket[5m]))", ("promql/unknown-metric",),
                        topic="types"),
                      T("F", "app_build_info", topic="types"),
                      T("G", 'app_state{app_state="up"}', topic="types"),
                      T("H", "app_pgfault", topic="types"),
                      datasource=PROM)]
    return b.file("types.yaml", {"title": "Types", "panels": panels})


def _rule(where: str, expr: str, *expect: str, file: str) -> Row:
    return Row(file, where, expr, frozenset(expect))


def rules_yaml() -> CorpusFile:
    name = "rules.yml"
    rows = (
        _rule('group "app" rule "job:app_requests:rate5m"', "sum by (job) (rate(app_requests_total[5m]))", file=name),
        _rule('group "app" rule "app_requests_rate"', "sum(rate(app_requests_total[5m]))", "rules/name-convention",
              file=name),
        _rule('group "app" rule "CounterSlope"', "deriv(app_requests_total[5m]) > 0", "promql/rate-on-gauge",
              file=name),
        _rule('group "app" rule "Ignoring"', "app_temp / ignoring(nosuch) app_temp > 1", "promql/grouping-label",
              file=name),
        _rule('group "app" rule "Hot"', 'max by (job) (app_temp) > 40', file=name),
    )
    rules = []
    for row in rows:
        kind = row.where.rsplit(' rule "', 1)[1][:-1]
        key = "record" if ":" in kind or kind.endswith("_rate") else "alert"
        rules.append(f"      - {key}: {kind}\n        expr: {json.dumps(row.expr)}\n")
    return CorpusFile(name, "app.yaml", "groups:\n  - name: app\n    rules:\n" + "".join(rules), rows)


def rules_json() -> CorpusFile:
    name = "rules.json"
    rows = (_rule('group "j" rule "Fast"', "rate(app_temp[5m]) > 1", "promql/rate-on-gauge", file=name),
            _rule('group "j" rule "job:app_calls:rate5m"', "sum by (job, code) (rate(app_calls_total[5m]))",
                  file=name))
    data = {"groups": [{"name": "j", "rules": [{"alert": "Fast", "expr": rows[0].expr},
                                               {"record": "job:app_calls:rate5m", "expr": rows[1].expr}]}]}
    return CorpusFile(name, "app.yaml", json.dumps(data, indent="\t") + "\n", rows)


def operator() -> CorpusFile:
    name = "operator.yaml"
    rows = (_rule('PrometheusRule "app-rules" group "k" rule "job:app_temp:max"', "max by (job) (app_temp)",
                  file=name),
            _rule('PrometheusRule "app-alerts" group "a" rule "Cold"', 'job:app_temp:max{jb="x"} < 0',
                  "promql/unknown-label", file=name))
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: unrelated}\ndata: {a: b}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: app-rules\n"
        "  labels: {release: prometheus}\nspec:\n  groups:\n    - name: k\n      rules:\n"
        f"        - record: job:app_temp:max\n          expr: {rows[0].expr}\n---\n"
        "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: app-alerts\nspec:\n"
        "  groups:\n    - name: a\n      rules:\n        - alert: Cold\n"
        f"          expr: {json.dumps(rows[1].expr)}\n          for: 5m\n"
    )
    return CorpusFile(name, "app.yaml", text, rows)


def empty_rules() -> CorpusFile:
    return CorpusFile("empty.yml", "app.yaml", "# rules come later\n", ())


def corpus() -> tuple[CorpusFile, ...]:
    return (rules_yaml(), rules_json(), operator(), empty_rules(), nested_rows(), library_panels(), variables(),
            jsonnet(), old_schema(), mixed(), target_labels(), empty_matchers(), types())


def write(directory: Path) -> tuple[CorpusFile, ...]:
    """Write the contracts and every corpus file into `directory`; the files, as data."""
    files = corpus()
    for name, text in CONTRACTS.items():
        (directory / name).write_text(text, encoding="utf-8")
    for f in files:
        (directory / f.name).write_text(f.text, encoding="utf-8")
    return files
