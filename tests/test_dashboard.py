"""The qortex dashboard: parity with qortex 0.3.0's, PromQL, layout, located errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import promql_parser as pp
import pytest
import yaml

from contract.loader import LoadedContract, load_contract
from contract.naming import EXPOSITION_PATHS, ExpositionPath, expose
from contract.problems import InputError
from dashboards import lib
from generators import cli, grafana, rules
from generators.common import hash_header
from tests.conftest import QORTEX_CONTRACT, ROOT, contract_from, require_binary

ROWS = ["Retrieval Health", "Learning Dynamics", "KG Crystallization", "PPR Performance", "Enrichment & Ingestion"]
# seed title -> ours, in dashboard order
TITLES = {
    "Query Rate (queries/sec)": "Query Rate",
    "Query Latency (p50/p95/p99)": "Query Latency p50/p95/p99",
    "Vec Search Latency (p50/p95)": "Vec Search Latency p50/p95",
    "Query Errors": "Query Errors",
    "Factor Mean Over Time": "Factor Mean",
    "Factor Entropy": "Factor Entropy",
    "Factor Update Rate": "Factor Update Rate",
    "Feedback Accept/Reject Ratio": "Feedback",
    "KG Coverage Ratio": "KG Coverage Ratio",
    "Buffer Size & Promotions": "Buffer Size & Promotions",
    "Total Promoted (lifetime)": "Total Promoted",
    "PPR Iterations to Convergence": "PPR Iterations to Convergence",
    "Active Factors & Node Count": "Active Factors",
    "Enrichment Rate": "Enrichment Rate",
    "Enrichment Latency (p50/p95)": "Enrichment Latency",
    "Enrichment Fallbacks": "Enrichment Fallbacks",
    "Ingestion Rate": "Ingestion Rate",
    "Ingest Latency (p50/p95)": "Ingest Latency",
}
# what Grafana puts in place of its variables, for parsing
VARIABLES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h", "job": "qortex",
             "datasource": lib.PROVISIONED_DATASOURCE_UID}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
FILES = ["grafana/provisioning/dashboards/qortex.yml", "grafana/provisioning/datasources/prometheus.yml",
         "grafana/qortex.json"]
# as pyproject.toml configures it, relative to the checkout
QORTEX_SOURCES = ("dashboards/qortex.py",)


@pytest.fixture
def lc(in_root: Path) -> LoadedContract:
    # relative, as the CLI loads it: the path is part of every file's marker
    return load_contract("contract/qortex.yaml")


@pytest.fixture
def generated(lc: LoadedContract) -> dict[str, str]:
    return grafana.generate(lc, QORTEX_SOURCES)


@pytest.fixture
def board(generated: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(generated["grafana/qortex.json"])
    return data


def substitute(expr: str) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: VARIABLES[m.group(1) or m.group(2)], expr)


def parse(expr: str) -> pp.Expr:
    return pp.parse(substitute(expr))


def selectors(expr: str) -> list[pp.VectorSelector]:
    found: list[pp.VectorSelector] = []

    def visit(node: pp.Expr) -> bool:
        if isinstance(node, pp.VectorSelector):
            found.append(node)
        return True

    pp.walk(parse(expr), visit)
    return found


def series_to_metric(lc: LoadedContract) -> dict[str, str]:
    return {s: m.name for m in lc.contract.metrics for p in EXPOSITION_PATHS for s in expose(m, p).series}


def metrics_of(panel: dict[str, Any], lookup: dict[str, str]) -> set[str]:
    names = {s.name for t in panel["targets"] for s in selectors(t["expr"])}
    unknown = names - set(lookup)
    assert not unknown, f"panel {panel['title']!r} queries series outside the contract: {sorted(unknown)}"
    return {lookup[n] for n in names}


def grouped(panels: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Non-row panels under the row that precedes them."""
    rows: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] = []
    for p in panels:
        if p["type"] == "row":
            current = rows.setdefault(p["title"], [])
        else:
            current.append(p)
    return rows


def test_regenerating_is_byte_identical(lc: LoadedContract, generated: dict[str, str]) -> None:
    assert grafana.generate(lc, QORTEX_SOURCES) == generated
    assert sorted(generated) == FILES
    text = generated["grafana/qortex.json"]
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_parity_with_the_seed(seed_dir: Path, lc: LoadedContract, board: dict[str, Any]) -> None:
    seed = json.loads((seed_dir / "docker/grafana/dashboards/qortex.json").read_text(encoding="utf-8"))
    ours, theirs = grouped(board["panels"]), grouped(seed["panels"])
    assert list(ours) == list(theirs) == ROWS
    for row in ROWS:
        assert [p["title"] for p in ours[row]] == [TITLES[p["title"]] for p in theirs[row]]
    assert sum(len(panels) for panels in ours.values()) == 18
    lookup = series_to_metric(lc)
    for mine, seeds in zip((p for r in ROWS for p in ours[r]), (p for r in ROWS for p in theirs[r]), strict=True):
        assert metrics_of(mine, lookup) == metrics_of(seeds, lookup), mine["title"]


def test_every_expression_parses(board: dict[str, Any], lc: LoadedContract) -> None:
    # a row is a header, without targets
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    assert len(exprs) == 24
    for expr in exprs:
        parse(expr)
    job = next(v for v in board["templating"]["list"] if v["name"] == "job")
    match = re.fullmatch(r"label_values\((.+), job\)", job["query"])
    assert match
    assert [s.name for s in selectors(match.group(1))] == ["qortex_queries_total"]


def test_seed_mistakes_stay_fixed(board: dict[str, Any]) -> None:
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            expr = parse(t["expr"])
            # every selector filters on the job picker only: no outcome left out, no path hard-wired
            for s in selectors(t["expr"]):
                assert [(m.name, m.op, m.value) for m in s.matchers.matchers] == [("job", pp.MatchOp.Equal, "qortex")]
            if isinstance(expr, pp.Call) and expr.func.name == "histogram_quantile":
                inner = expr.args[1]
                assert isinstance(inner, pp.AggregateExpr) and inner.modifier.labels == ["le"], t["expr"]
            assert "[1h]" not in t["expr"] or "increase(" in t["expr"], t["expr"]
            assert "rate(" not in t["expr"] or "[$__rate_interval]" in t["expr"], t["expr"]


def kept_labels(expr: pp.Expr) -> set[str] | None:
    """Labels the result keeps; None when it keeps the series' own."""
    if isinstance(expr, pp.AggregateExpr):
        return set(expr.modifier.labels) if expr.modifier else set()
    if isinstance(expr, pp.Call) and expr.func.name == "histogram_quantile":
        inner = kept_labels(expr.args[1])
        return None if inner is None else inner - {"le"}
    return None


def test_legends_only_name_kept_labels(board: dict[str, Any]) -> None:
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            kept = kept_labels(parse(t["expr"]))
            assert kept is not None, f"{t['expr']} is not aggregated"
            named = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", t["legendFormat"]))
            assert named <= kept, (panel["title"], t["legendFormat"])


def test_structure(board: dict[str, Any], lc: LoadedContract) -> None:
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["job"]["datasource"] == DATASOURCE
    # one job at a time, starting on the first declared path's: a sum over both paths counts every event twice
    job = variables["job"]
    assert (job["multi"], job["includeAll"], job["current"]["value"]) == (False, False, "qortex")
    assert board["uid"] == "qortex-main"
    assert grafana.marker(lc) in board["description"]
    occupied: set[tuple[int, int]] = set()
    ids = [p["id"] for p in board["panels"]]
    assert ids == list(range(1, len(ids) + 1))
    for p in board["panels"]:
        pos = p["gridPos"]
        assert pos["x"] >= 0 and pos["w"] >= 1 and pos["h"] >= 1 and pos["x"] + pos["w"] <= 24, p["title"]
        cells = {(x, y) for x in range(pos["x"], pos["x"] + pos["w"]) for y in range(pos["y"], pos["y"] + pos["h"])}
        assert not cells & occupied, f"panel {p['title']!r} overlaps another"
        occupied |= cells
        if p["type"] == "row":
            assert pos["w"] == 24 and pos["x"] == 0
            continue
        assert p["datasource"] == DATASOURCE
        assert p["targets"], p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert all(refs) and len(set(refs)) == len(refs), p["title"]
        assert all(t["datasource"] == DATASOURCE for t in p["targets"])
        assert p["fieldConfig"]["defaults"]["unit"], p["title"]


def rate_targets(board: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], str]]:
    """(panel title, expr, labels kept, series) of every per-second counter rate on the dashboard."""
    found = []
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            node = parse(t["expr"])
            if isinstance(node, pp.AggregateExpr) and isinstance(node.expr, pp.Call) and node.expr.func.name == "rate":
                (vector,) = selectors(t["expr"])
                assert vector.name, t["expr"]
                kept = tuple(node.modifier.labels) if node.modifier else ()
                found.append((panel["title"], t["expr"], kept, vector.name))
    return found


def selector(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items())) + "}"


def one_event_per_second_test(lc: LoadedContract, board: dict[str, Any],
                              paths: tuple[ExpositionPath, ...]) -> dict[str, Any]:
    """A promtool test: every rate panel's series at 1 event/s on every label value, as `paths` expose them.

    The inputs carry each of `paths`' labels (`rules.series_labels`: `instance`,
    exporter labels), all under the service's job, which is where the job
    picker starts; each panel must read, per kept label set, one event per
    second per label set that it sums, as one path exposes them: for every
    qortex panel, 1.
    """
    lookup = series_to_metric(lc)
    window = 5   # minutes
    # the rules' test input shape (a series from zero a minute into the window, see `rules.prom_rate`), at the
    # count per minute whose rate is one per second
    per_minute = 60 * window / (window - 1)
    assert rules.prom_rate(per_minute, window) == 1.0
    inputs: dict[str, str] = {}
    tests = []
    for title, expr, kept, series in rate_targets(board):
        metric = lc.contract.metric(lookup[series])
        assert metric is not None
        label_sets = rules.label_sets(metric, rules.exposure(lc, metric))
        if metric.type == "histogram":   # the heatmap: a rate per bucket
            bounds = [f"{b:g}" for b in metric.buckets or ()] + ["+Inf"]
            label_sets = [{**labels, "le": le} for labels in label_sets for le in bounds]
        for path in paths:
            for labels in label_sets:
                inputs.setdefault(selector(series, {**rules.series_labels(lc, path), **labels}),
                                  f"_ 0+{per_minute:g}x{window - 1}")
        per_group = Counter(tuple((k, labels[k]) for k in kept) for labels in label_sets)
        picked = expr.replace('job="$job"', f'job="{lc.contract.service}"')
        assert picked != expr, title
        tests.append({
            "expr": picked.replace("$__rate_interval", f"{window}m"),
            "eval_time": f"{window}m",
            "exp_samples": [
                {"labels": selector("", dict(group)), "value": count * rules.prom_rate(per_minute, window)}
                for group, count in sorted(per_group.items())],
        })
    return {"rule_files": [], "evaluation_interval": "1m", "tests": [{
        "name": f"one event per second on {' and '.join(paths)}",
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in inputs.items()],
        "promql_expr_test": tests,
    }]}


def run_promtool_test(test: dict[str, Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "dashboard_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    return subprocess.run([require_binary("promtool"), "test", "rules", str(path)], capture_output=True, text=True,
                          timeout=120)


def test_every_rate_panel_counts_each_event_once(lc: LoadedContract, board: dict[str, Any], tmp_path: Path) -> None:
    # an application exposes through one path at a time: each path alone, with its own labels
    assert lc.contract.exposition == ("prometheus-client", "otel-collector")
    for path in lc.contract.exposition:
        test = one_event_per_second_test(lc, board, (path,))
        # the seed's 7 rate panels and the heatmap's bucket rates
        assert len(test["tests"][0]["promql_expr_test"]) == 8
        # every kept label set sums one label set of the contract: each reads exactly 1 event/s
        assert {s["value"] for t in test["tests"][0]["promql_expr_test"] for s in t["exp_samples"]} == {1.0}
        (tmp_path / path).mkdir()
        tested = run_promtool_test(test, tmp_path / path)
        assert tested.returncode == 0, tested.stdout + tested.stderr


def test_both_paths_of_one_service_at_once_read_every_event_twice(lc: LoadedContract, board: dict[str, Any],
                                                                  tmp_path: Path) -> None:
    # An application exposing through both paths at once: both carry the service's job, so the picker cannot keep
    # them apart and every panel sums the two copies of each event. This is the limit the count-once test above
    # relies on (one path at a time), and it shows that test catches a panel reading a rate twice.
    tested = run_promtool_test(one_event_per_second_test(lc, board, lc.contract.exposition), tmp_path)
    assert tested.returncode == 1
    report = tested.stdout + tested.stderr
    expected = re.findall(r"^ +exp: (.*)$", report, re.MULTILINE)
    got = re.findall(r"^ +got: (.*)$", report, re.MULTILINE)
    # every panel fails, reading every event twice
    assert len(expected) == len(got) == 8
    assert all(set(re.findall(r"} (\S+?)(?:,|$)", line)) == {"1E+00"} for line in expected)
    assert got == [line.replace("} 1E+00", "} 2E+00") for line in expected]
    assert '{mode="graph"} 2E+00, {mode="other"} 2E+00, {mode="vec"} 2E+00' in got


def test_job_picker_starts_on_the_service_whichever_path_comes_first(tmp_path: Path, in_root: Path) -> None:
    text = QORTEX_CONTRACT.read_text(encoding="utf-8")
    reordered = tmp_path / "qortex.yaml"
    reordered.write_text(text.replace("exposition: [prometheus-client, otel-collector]",
                                      "exposition: [otel-collector, prometheus-client]"), encoding="utf-8")
    board = json.loads(grafana.generate(load_contract(str(reordered)), QORTEX_SOURCES)["grafana/qortex.json"])
    (job,) = (v for v in board["templating"]["list"] if v["name"] == "job")
    # the Collector's series carry the service's job too (`honor_labels`)
    assert job["current"]["value"] == "qortex"


def test_units_come_from_the_contract(board: dict[str, Any]) -> None:
    units = {p["title"]: p["fieldConfig"]["defaults"]["unit"] for p in board["panels"] if p["type"] != "row"}
    assert units["Query Latency p50/p95/p99"] == "s"       # unit s
    assert units["Query Rate"] == "cps"                     # rate of {query}
    assert units["Factor Entropy"] == "short"               # {bit}
    assert units["KG Coverage Ratio"] == "percentunit"      # the panel's override of {ratio}


def quantile(legend: str, q: str, histogram: str) -> tuple[str, str]:
    return legend, f'histogram_quantile({q}, sum by (le) (rate({histogram}_bucket{{job="$job"}}[$__rate_interval])))'


# What every panel shows: (title, type, (x, y, w, h), unit, ((legend, expr), ...)), in order. These are the
# panels grafanalib's raw output rendered before the JSON was reduced to Grafana's current model; the clean
# JSON must render the same ones.
PANELS = [
    ("Retrieval Health", "row", (0, 0, 24, 1), None, ()),
    ("Query Rate", "timeseries", (0, 1, 12, 8), "cps", (
        ("{{mode}}", 'sum by (mode) (rate(qortex_queries_total{job="$job"}[$__rate_interval]))'),)),
    ("Query Latency p50/p95/p99", "timeseries", (12, 1, 12, 8), "s", (
        quantile("p50", "0.5", "qortex_query_duration_seconds"),
        quantile("p95", "0.95", "qortex_query_duration_seconds"),
        quantile("p99", "0.99", "qortex_query_duration_seconds"))),
    ("Vec Search Latency p50/p95", "timeseries", (0, 9, 12, 8), "s", (
        quantile("p50", "0.5", "qortex_vec_search_duration_seconds"),
        quantile("p95", "0.95", "qortex_vec_search_duration_seconds"))),
    ("Query Errors", "timeseries", (12, 9, 12, 8), "cps", (
        ("{{stage}}", 'sum by (stage) (rate(qortex_query_errors_total{job="$job"}[$__rate_interval]))'),)),
    ("Learning Dynamics", "row", (0, 17, 24, 1), None, ()),
    ("Factor Mean", "timeseries", (0, 18, 8, 8), "short", (
        ("{{job}}", 'avg by (job) (qortex_factor_mean{job="$job"})'),)),
    ("Factor Entropy", "timeseries", (8, 18, 8, 8), "short", (
        ("{{job}}", 'avg by (job) (qortex_factor_entropy{job="$job"})'),)),
    ("Factor Update Rate", "timeseries", (16, 18, 8, 8), "cps", (
        ("{{outcome}}", 'sum by (outcome) (rate(qortex_factor_updates_total{job="$job"}[$__rate_interval]))'),)),
    ("Feedback", "timeseries", (0, 26, 24, 8), "cps", (
        ("{{outcome}}", 'sum by (outcome) (rate(qortex_feedback_total{job="$job"}[$__rate_interval]))'),)),
    ("KG Crystallization", "row", (0, 34, 24, 1), None, ()),
    ("KG Coverage Ratio", "gauge", (0, 35, 8, 8), "percentunit", (
        ("{{job}}", 'avg by (job) (qortex_kg_coverage{job="$job"})'),)),
    ("Buffer Size & Promotions", "timeseries", (8, 35, 8, 8), "short", (
        ("buffered {{job}}", 'sum by (job) (qortex_buffer_edges{job="$job"})'),
        ("promoted in the last hour", 'sum(increase(qortex_edges_promoted_total{job="$job"}[1h]))'))),
    ("Total Promoted", "stat", (16, 35, 8, 8), "short", (
        ("promoted", 'sum(increase(qortex_edges_promoted_total{job="$job"}[$__range]))'),)),
    ("PPR Performance", "row", (0, 43, 24, 1), None, ()),
    ("PPR Iterations to Convergence", "heatmap", (0, 44, 12, 8), "short", (
        ("{{le}}", 'sum by (le) (rate(qortex_ppr_iterations_bucket{job="$job"}[$__rate_interval]))'),)),
    ("Active Factors", "timeseries", (12, 44, 12, 8), "short", (
        ("{{job}}", 'sum by (job) (qortex_factors_active{job="$job"})'),)),
    ("Enrichment & Ingestion", "row", (0, 52, 24, 1), None, ()),
    ("Enrichment Rate", "timeseries", (0, 53, 8, 8), "cps", (
        ("{{backend_type}}", 'sum by (backend_type) (rate(qortex_enrichment_total{job="$job"}[$__rate_interval]))'),)),
    ("Enrichment Latency", "timeseries", (8, 53, 8, 8), "s", (
        quantile("p50", "0.5", "qortex_enrichment_duration_seconds"),
        quantile("p95", "0.95", "qortex_enrichment_duration_seconds"))),
    ("Enrichment Fallbacks", "timeseries", (16, 53, 8, 8), "cps", (
        ("Enrichment fallbacks", 'sum(rate(qortex_enrichment_fallbacks_total{job="$job"}[$__rate_interval]))'),)),
    ("Ingestion Rate", "timeseries", (0, 61, 12, 8), "cps", (
        ("{{domain}}", 'sum by (domain) (rate(qortex_manifests_ingested_total{job="$job"}[$__rate_interval]))'),)),
    ("Ingest Latency", "timeseries", (12, 61, 12, 8), "s", (
        quantile("p50", "0.5", "qortex_ingest_duration_seconds"),
        quantile("p95", "0.95", "qortex_ingest_duration_seconds"))),
]
# the fixed colour of each quantile line, by panel
QUANTILE_COLOURS = {
    "Query Latency p50/p95/p99": [("p50", "green"), ("p95", "orange"), ("p99", "red")],
    "Vec Search Latency p50/p95": [("p50", "green"), ("p95", "orange")],
    "Enrichment Latency": [("p50", "green"), ("p95", "orange")],
    "Ingest Latency": [("p50", "green"), ("p95", "orange")],
}
# a panel's own description, else the help of the contract metrics it shows
DESCRIPTIONS = {
    "Query Rate": "Total queries",
    "Query Latency p50/p95/p99": "Query latency",
    "Vec Search Latency p50/p95": "Vec search latency",
    "Query Errors": "Query errors",
    "Factor Mean": "Mean teleportation factor",
    "Factor Entropy": "Factor distribution entropy",
    "Factor Update Rate": "Factor update events",
    "Feedback": "Feedback events",
    "KG Coverage Ratio": "KG coverage ratio",
    "Buffer Size & Promotions": "Buffered online edges; Lifetime edge promotions",
    "Total Promoted": "Edges promoted within the dashboard's time range.",
    "PPR Iterations to Convergence": "PPR iterations to converge",
    "Active Factors": "Active teleportation factors",
    "Enrichment Rate": "Enrichment runs",
    "Enrichment Latency": "Enrichment latency",
    "Enrichment Fallbacks": "Enrichment fallbacks",
    "Ingestion Rate": "Manifests ingested",
    "Ingest Latency": "Ingest latency",
}


def test_the_clean_json_renders_the_same_panels(board: dict[str, Any]) -> None:
    shown = []
    for p in board["panels"]:
        pos = p["gridPos"]
        unit = p["fieldConfig"]["defaults"]["unit"] if p["type"] != "row" else None
        targets = p.get("targets", [])
        assert [t["refId"] for t in targets] == list("ABC"[:len(targets)]), p["title"]
        shown.append((p["title"], p["type"], (pos["x"], pos["y"], pos["w"], pos["h"]), unit,
                      tuple((t["legendFormat"], t["expr"]) for t in targets)))
    assert shown == PANELS
    colours = {p["title"]: [(o["matcher"]["options"], o["properties"][0]["value"]["fixedColor"])
                            for o in p["fieldConfig"]["overrides"]]
               for p in board["panels"] if p["type"] != "row" and p["fieldConfig"].get("overrides")}
    assert colours == QUANTILE_COLOURS
    for p in board["panels"]:
        if p["type"] == "row":
            assert (p["collapsed"], p["panels"]) == (False, []), p["title"]
            continue
        # the base step only, its value -Infinity as Grafana reads it
        assert p["fieldConfig"]["defaults"]["thresholds"] == {"mode": "absolute", "steps": [{"color": "green"}]}
        assert all(t.get("range") is True and "instant" not in t for t in p["targets"]), p["title"]
        # a time series is the Prometheus query's default format; the heatmap reads buckets
        assert {t.get("format") for t in p["targets"]} == {"heatmap" if p["type"] == "heatmap" else None}, p["title"]
    by_title = {p["title"]: p for p in board["panels"]}
    gauge = by_title["KG Coverage Ratio"]["fieldConfig"]["defaults"]
    assert (gauge["min"], gauge["max"]) == (0, 1)
    assert by_title["Query Rate"]["options"] == {"tooltip": {"mode": "multi"}}
    assert by_title["Query Rate"]["fieldConfig"]["defaults"]["custom"] == {"fillOpacity": 10}
    assert by_title["PPR Iterations to Convergence"]["options"] == {
        "calculate": False, "rowsFrame": {"layout": "le"}, "yAxis": {"unit": "short", "decimals": 0},
        "color": {"mode": "scheme", "scheme": "Oranges", "steps": 64}, "cellValues": {"unit": "cps"}}
    assert board["templating"]["list"] == [
        {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
         "current": {"text": "prometheus", "value": "prometheus"}, "multi": False, "includeAll": False,
         "refresh": 1, "sort": 1},
        {"type": "query", "name": "job", "label": "Job", "query": "label_values(qortex_queries_total, job)",
         "datasource": DATASOURCE, "current": {"text": "qortex", "value": "qortex"}, "multi": False,
         "includeAll": False, "refresh": 2, "sort": 1},
    ]


def test_every_panel_is_described(board: dict[str, Any]) -> None:
    assert {p["title"]: p["description"] for p in board["panels"] if p["type"] != "row"} == DESCRIPTIONS


def test_provisioning(generated: dict[str, str], lc: LoadedContract, board: dict[str, Any]) -> None:
    for rel in FILES[:2]:
        text = generated[rel]
        assert text.startswith(hash_header(lc))
        assert not re.search(r"password|secret|token|basicAuth", text, re.IGNORECASE), rel
    (source,) = yaml.safe_load(generated["grafana/provisioning/datasources/prometheus.yml"])["datasources"]
    assert source["url"] == "http://prometheus:9090"
    assert source["jsonData"]["timeInterval"] == lc.contract.scrape_interval
    ds_variable = next(v for v in board["templating"]["list"] if v["name"] == "datasource")
    assert source["uid"] == ds_variable["current"]["value"]
    (provider,) = yaml.safe_load(generated["grafana/provisioning/dashboards/qortex.yml"])["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == grafana.DASHBOARDS_MOUNT


def one_panel(panel: lib.Panel) -> lib.Dashboard:
    return lib.dashboard("t", uid="t", tags=(), job_metric="qortex_queries", rows=(lib.row("R", (panel,)),))


def test_unknown_metric_names_file_line_and_panel(lc: LoadedContract) -> None:
    line = sys._getframe().f_lineno + 1
    panel = lib.timeseries("Query Rate", lib.rate("qortex_querys", by=("mode",)))
    with pytest.raises(InputError) as caught:
        lib.render(one_panel(panel), lc.contract, description="", job="qortex")
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.check, problem.metric, problem.location) == (
        "tests/test_dashboard.py", line, "dashboard/unknown-metric", "qortex_querys", 'panel "Query Rate"')
    assert problem.message == ('panel "Query Rate" references `qortex_querys`, which is not in the contract; '
                               'did you mean `qortex_queries`?')


@pytest.mark.parametrize(("make", "check", "message"), [
    (lambda: lib.timeseries("P", lib.rate("qortex_queries_total")), "dashboard/unknown-metric",
     'panel "P" references `qortex_queries_total`, which is not in the contract; did you mean `qortex_queries` '
     "(its series `qortex_queries_total` is spelled by the exporter)?"),
    (lambda: lib.timeseries("P", lib.rate("qortex_factor_mean")), "dashboard/metric-type",
     'panel "P" asks for the rate of `qortex_factor_mean`, a gauge; that needs a counter'),
    (lambda: lib.timeseries("P", lib.rate("qortex_queries", by=("stage",))), "dashboard/unknown-label",
     'panel "P" groups `qortex_queries` by `stage`, which is not one of its labels (`mode`)'),
    (lambda: lib.timeseries("P", lib.rate("qortex_queries", legend="{{mode}}")), "dashboard/legend-label",
     'panel "P" legend `{{mode}}` names `mode`, which the query on `qortex_queries` does not keep '
     "(it keeps: no labels)"),
    (lambda: lib.timeseries("P", lib.rate("qortex_queries"), *lib.quantiles("qortex_query_duration_seconds", 0.5)),
     "dashboard/mixed-units", 'panel "P" mixes units cps, s; pass `unit=` to the panel'),
])
def test_bad_references_are_located(lc: LoadedContract, make: Callable[[], lib.Panel], check: str,
                                    message: str) -> None:
    with pytest.raises(InputError) as caught:
        lib.render(one_panel(make()), lc.contract, description="", job="qortex")
    (problem,) = caught.value.problems
    assert (problem.file, problem.check, problem.message) == ("tests/test_dashboard.py", check, message)


def test_renamed_metric_fails_generate_and_writes_nothing(tmp_path: Path, in_root: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tmp_path / "renamed.yaml"
    text = QORTEX_CONTRACT.read_text(encoding="utf-8")
    text = text.replace("  - name: qortex_queries\n", "  - name: qortex_searches\n    renamed_from: qortex_queries\n")
    text = text.replace("total_query: {metric: qortex_queries}", "total_query: {metric: qortex_searches}")
    renamed.write_text(text.replace("metric: qortex_queries,", "metric: qortex_searches,"), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("untouched\n", encoding="utf-8")
    # the dashboard comes from pyproject.toml's `dashboards`, as `make dashboards` renders it
    assert cli.main(["generate", str(renamed), "--out", str(out)]) == 2

    source = (ROOT / "dashboards/qortex.py").read_text(encoding="utf-8").splitlines()
    panel_line = next(i for i, text in enumerate(source, 1) if 'lib.timeseries("Query Rate"' in text)
    board_line = next(i for i, text in enumerate(source, 1) if text.startswith("DASHBOARD = lib.dashboard("))
    assert capsys.readouterr().err.splitlines() == [
        f"dashboards/qortex.py:{board_line}: error[dashboard/unknown-metric]: dashboard \"qortex Observability\" "
        "(job variable) references `qortex_queries`, which is not in the contract; it was renamed to `qortex_searches`",
        f"dashboards/qortex.py:{panel_line}: error[dashboard/unknown-metric]: panel \"Query Rate\" references "
        "`qortex_queries`, which is not in the contract; it was renamed to `qortex_searches`",
    ]
    assert sorted(p.name for p in out.iterdir()) == ["kept.txt"]


def test_a_line_must_split_the_grid_evenly(lc: LoadedContract) -> None:
    panels = tuple(lib.timeseries(f"P{i}", lib.rate("qortex_queries")) for i in range(5))
    line = sys._getframe().f_lineno + 1
    spec = lib.dashboard("t", uid="t", tags=(), job_metric="qortex_queries", rows=(lib.row("R", panels),))
    with pytest.raises(InputError) as caught:
        lib.render(spec, lc.contract, description="", job="qortex")
    (problem,) = caught.value.problems
    assert (problem.line, problem.check, problem.message) == (
        line, "dashboard/layout", 'row "R" has a line of 5 panels; the panels of a line split 24 columns evenly')


def test_series_spelled_differently_per_path_and_unmapped_units_are_located(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, """\
        contract: 1
        service: svc
        namespace: svc
        exposition: [prometheus-client, otel-collector]
        metrics:
          - {name: svc_requests, type: counter, unit: "{request}", help: Requests}
          - {name: svc_busy, type: counter, unit: s, help: Busy time}
          - {name: svc_load, type: gauge, unit: "1", help: Load}
        """)
    spec = lib.dashboard("t", uid="t", tags=(), job_metric="svc_requests", rows=(lib.row("R", (
        lib.timeseries("Load", lib.gauge("svc_load")),
        lib.timeseries("Busy", lib.rate("svc_busy")),
    )),))
    with pytest.raises(InputError) as caught:
        lib.render(spec, lc.contract, description="", job="qortex")
    assert [(p.check, p.message) for p in caught.value.problems] == [
        ("dashboard/path-divergence", 'panel "Load" queries `svc_load`, exposed as `svc_load` on prometheus-client '
         "but `svc_load_ratio` on otel-collector"),
        ("dashboard/unit", 'panel "Busy": no Grafana unit for the rate of `svc_busy` (unit `s`); '
         "pass `unit=` to the panel"),
    ]
