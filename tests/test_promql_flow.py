"""Label flow: expression -> the labels its result carries (open: more may exist)."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.catalog import Catalog
from contract.promql.analysis import UNKNOWN, Flow, analyze
from tests.conftest import contract_from

CONTRACT = """\
contract: 1
service: svc
namespace: svc
exposition: [prometheus-client]
metrics:
  - name: svc_requests
    type: counter
    unit: "{request}"
    help: Requests
    labels: [{name: code}, {name: method}]
  - name: svc_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1.0]
    labels: [{name: route}]
  - name: svc_temp
    type: gauge
    unit: Cel
    help: Temperature
    labels: [{name: zone}]
"""

REQ = "code instance job method"
TEMP = "instance job zone"

# expression -> its result's labels; "?" marks an open set (more labels may exist)
FLOWS = [
    ("svc_requests_total", REQ),
    ("rate(svc_requests_total[5m])", REQ),
    ("rate(svc_latency_seconds_bucket[5m])", "instance job le route"),
    ("svc_latency_seconds_count", "instance job route"),
    ("sum by (code) (rate(svc_requests_total[5m]))", "code"),
    ("sum(rate(svc_requests_total[5m])) by (code, job)", "code job"),
    ("sum without (code) (rate(svc_requests_total[5m]))", "instance job method"),
    ("sum(rate(svc_requests_total[5m]))", ""),
    ("topk(3, svc_requests_total)", REQ),
    ("bottomk by (job) (3, svc_requests_total)", REQ),
    ('count_values("value", svc_temp_celsius)', "value"),
    ('count_values by (zone) ("value", svc_temp_celsius)', "value zone"),
    ("quantile by (zone) (0.9, svc_temp_celsius)", "zone"),
    ("histogram_quantile(0.9, rate(svc_latency_seconds_bucket[5m]))", "instance job route"),
    ("histogram_quantile(0.9, sum by (le, route) (rate(svc_latency_seconds_bucket[5m])))", "route"),
    ('label_replace(svc_temp_celsius, "area", "$1", "zone", "(.*)")', TEMP + " area"),
    ('label_join(svc_temp_celsius, "where", ",", "zone", "job")', TEMP + " where"),
    ("vector(1)", ""),
    ('absent(svc_temp_celsius{zone="a", job=~"x"})', "zone"),
    ("absent_over_time(svc_temp_celsius[5m])", ""),
    ("svc_temp_celsius > 20", TEMP),
    ("20 < svc_temp_celsius", TEMP),
    ("-svc_temp_celsius", TEMP),
    ("(svc_temp_celsius)", TEMP),
    ("max_over_time(svc_temp_celsius[5m:1m])", TEMP),
    ("svc_temp_celsius or vector(0)", TEMP),
    ("svc_temp_celsius or svc_requests_total", REQ + " zone"),
    ("svc_temp_celsius and svc_requests_total", TEMP),
    ("svc_temp_celsius unless on(job) svc_requests_total", TEMP),
    ("svc_requests_total / on(job) svc_temp_celsius", "job"),
    ("svc_requests_total / ignoring(code, method) svc_temp_celsius", "instance job"),
    ("svc_requests_total / on(job) group_left(zone) svc_temp_celsius", REQ + " zone"),
    ("svc_temp_celsius / on(job) group_right(code) svc_requests_total", REQ),
    ("svc_requests_total / svc_temp_celsius", REQ),
    ("sort_desc(rate(svc_requests_total[5m]))", REQ),
    ("nope", "?"),
    ("rate(nope[5m]) * on(job) group_left svc_temp_celsius", "?"),
    ("svc_temp_celsius * on(job) group_left nope", TEMP),
    ("sum by (code) (nope)", "code"),
    ("sum by (__gvar_x, code) (svc_requests_total)", "code ?"),
    ('{__name__="svc_temp_celsius"}', TEMP),
    # a `__name__` regex: the labels of every series it names (open only when one of them is)
    ('{__name__=~"svc_.*"}', REQ + " le route zone"),
    ('{__name__=~"svc_temp_.*"}', TEMP),
    ('{__name__=~"svc_.*|up"}', REQ + " le route zone ?"),
    ('{__name__=~"nope_.*"}', "?"),
    ('{__name__!~"svc_.*", job="x"}', "?"),
    ('{__name__=~"[[:alpha:]]+"}', "?"),
]


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return Catalog.from_contract(contract_from(Path(tmp_path_factory.mktemp("flow")), CONTRACT))


@pytest.mark.parametrize(("expr", "expected"), FLOWS)
def test_label_flow(catalog: Catalog, expr: str, expected: str) -> None:
    analysis = analyze(expr, catalog, {})
    assert analysis.error is None
    shown = set(analysis.root.labels) | ({"?"} if analysis.root.open else set())
    assert shown == set(expected.split())


@pytest.mark.parametrize(("expr", "scalar"), [("1 + 2", True), ("scalar(svc_temp_celsius)", True), ("time()", True),
                                               ("vector(time())", False), ("svc_temp_celsius * 2", False)])
def test_scalars(catalog: Catalog, expr: str, scalar: bool) -> None:
    assert analyze(expr, catalog, {}).root.scalar is scalar


# expression -> the labels every series of its result carries for certain, with the Collector's path declared too:
# its exporter's labels are on that path's series only
SURE = [
    ("svc_requests_total", REQ),
    ("rate(svc_latency_seconds_bucket[5m])", "instance job le route"),
    ("histogram_quantile(0.9, rate(svc_latency_seconds_bucket[5m]))", "instance job route"),
    ("sum by (code, otel_scope_name) (svc_requests_total)", "code"),
    ("sum without (code) (svc_requests_total)", "instance job method"),
    ('label_replace(svc_requests_total, "code", "", "code", ".*")', "instance job method"),
    ('label_replace(svc_temp_celsius, "area", "$1", "zone", "(.*)")', TEMP),
    ('count_values("value", svc_temp_celsius)', "value"),
    ('absent(svc_temp_celsius{zone="a", job=""})', "zone"),
    ("svc_temp_celsius or svc_requests_total", "instance job"),
    ("svc_requests_total / on(job, code) svc_temp_celsius", "code job"),
    ("svc_requests_total / ignoring(code) svc_temp_celsius", "instance job method"),
    ("svc_requests_total / on(job) group_left(zone) svc_temp_celsius", REQ + " zone"),
    ("svc_requests_total / on(job) group_left(code) sum by (job) (svc_temp_celsius)", "instance job method"),
    ('{__name__=~"svc_requests_total|svc_temp_celsius"}', "instance job"),
    ("job:svc_requests:rate5m", ""),   # a recording rule's: none known
]


def test_sure_labels(tmp_path: Path) -> None:
    text = CONTRACT.replace("[prometheus-client]", "[prometheus-client, otel-collector]")
    catalog = Catalog.from_contract(contract_from(tmp_path, text))
    recorded = {"job:svc_requests:rate5m": Flow(frozenset({"job", "code"}))}
    assert "otel_scope_name" in analyze("svc_requests_total", catalog, recorded).root.labels
    for expr, expected in SURE:
        assert analyze(expr, catalog, recorded).root.sure == frozenset(expected.split()), expr


def test_recorded_metric_flow(catalog: Catalog) -> None:
    recorded = {"job:svc_requests:rate5m": Flow(frozenset({"job", "code"})), "pending:x:y": UNKNOWN}
    assert analyze("sum by (code) (job:svc_requests:rate5m)", catalog, recorded).root == Flow(frozenset({"code"}))
    assert analyze("pending:x:y", catalog, recorded).root == UNKNOWN


@pytest.mark.parametrize(("expr", "buckets"), [
    ("rate(svc_latency_seconds_bucket[5m])", True),
    ("sum by (le) (rate(svc_latency_seconds_bucket[5m]))", True),
    ("rate(svc_latency_seconds_count[5m])", False),
    ("rate(nope_bucket[5m])", None),
])
def test_bucket_derivation(catalog: Catalog, expr: str, buckets: bool | None) -> None:
    assert analyze(expr, catalog, {}).root.buckets is buckets


def test_selector_facts(catalog: Catalog) -> None:
    analysis = analyze('count(svc_requests_total) + rate(svc_temp_celsius{zone=~"a|b"}[30s])', catalog, {})
    first, second = analysis.selectors
    assert (first.name, first.counter_ok, first.func, first.range) == ("svc_requests_total", True, None, None)
    assert (second.name, second.func, second.range, second.matchers) == (
        "svc_temp_celsius", "rate", 30.0, [("zone", "=~", "a|b")])
