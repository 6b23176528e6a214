"""Recording rules and their promtool tests: naming and real promtool runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from contract.loader import LoadedContract, load_contract
from contract.problems import InputError
from generators import rules
from tests.conftest import MINIMAL, contract_from, require_binary

CUSTOM_RULES = MINIMAL + """\
rules:
  - alert: SvcErrors
    expr: job:svc_requests:rate5m{code="500"} > 1
    for: 10m
    labels: {severity: page, team: core}
    annotations: {summary: "5xx above 1/s"}
  - record: svc:requests:rate5m
    expr: sum(job:svc_requests:rate5m)
"""

# Every shape the quantile placement has to handle: one or two buckets (quantiles
# beyond the last bound), a negative first bound, bounds that are not binary
# fractions, several labels with closed, unguarded and open value sets.
ODD_SHAPES = """\
contract: 1
service: svc
namespace: svc
scrape_interval: {scrape}
exposition: [prometheus-client, otel-python, otel-collector]
metrics:
  - name: svc_requests
    type: counter
    unit: "{{request}}"
    help: Requests
    labels:
      - name: code
        values: ["200", "500"]
      - name: route
      - name: kind
        values: [a, b]
        guard: false
  - name: svc_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1.0]
    labels:
      - name: code
        values: ["200", "500"]
  - name: svc_single_seconds
    type: histogram
    unit: s
    help: One bucket
    buckets: [0.3]
  - name: svc_offset
    type: histogram
    unit: "{{x}}"
    help: Negative first bound
    buckets: [-1, 0.7, 3]
  - name: svc_spread
    type: histogram
    unit: "{{x}}"
    help: Bounds that are not binary fractions
    buckets: [0.001, 0.3, 0.7, 1.1, 1.3, 7.7, 100.1, 1000000]
"""


@pytest.fixture
def lc(in_root: Path) -> LoadedContract:
    # relative, as the CLI loads it: the path is part of every file's header
    return load_contract("contract/qortex.yaml")


def write(files: dict[str, str], root: Path) -> Path:
    for rel, text in files.items():
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text, encoding="utf-8")
    return root


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_binary("promtool"), *args], capture_output=True, text=True, timeout=120)


def assert_promtool_passes(files: dict[str, str], tmp_path: Path) -> None:
    d = write(files, tmp_path) / "prometheus"
    checked = promtool("check", "rules", str(d / "rules.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(d / "rules_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_byte_identical_on_regeneration(lc: LoadedContract) -> None:
    again = load_contract("contract/qortex.yaml")
    assert rules.generate(lc) == rules.generate(again)


def test_naming_scheme(lc: LoadedContract) -> None:
    groups = {g["name"]: g["rules"] for g in rules.rule_groups(lc)}
    assert list(groups) == ["qortex.counters", "qortex.histograms"]
    by_record = {r["record"]: r["expr"] for g in groups.values() for r in g}
    assert by_record["job:qortex_queries:rate5m"] == "sum by (job, mode) (rate(qortex_queries_total[5m]))"
    assert by_record["job:qortex_query_duration_seconds:p95_rate5m"] == (
        "histogram_quantile(0.95, sum by (job, le) (rate(qortex_query_duration_seconds_bucket[5m])))")
    assert by_record["job:qortex_query_duration_seconds:mean_rate5m"] == (
        "sum by (job) (rate(qortex_query_duration_seconds_sum[5m])) / "
        "sum by (job) (rate(qortex_query_duration_seconds_count[5m]))")
    histograms = [r["record"] for r in groups["qortex.histograms"]]
    assert [n for n in histograms if n.startswith("job:qortex_ppr_iterations:")] == [
        "job:qortex_ppr_iterations:mean_rate5m", "job:qortex_ppr_iterations:p50_rate5m",
        "job:qortex_ppr_iterations:p95_rate5m", "job:qortex_ppr_iterations:p99_rate5m"]
    for g in groups.values():
        names = [r["record"] for r in g]
        assert names == sorted(names)
    # gauges are read as they are
    assert not [n for n in by_record if "qortex_buffer_edges" in n]


@pytest.mark.parametrize(("scrape", "window"), [("15s", 5), ("75s", 5), ("80s", 6), ("2m", 8), ("1h", 240)])
def test_window_covers_four_scrapes(tmp_path: Path, scrape: str, window: int) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("namespace: svc\n", f"namespace: svc\nscrape_interval: {scrape}\n"))
    assert rules.window_minutes(lc.contract) == window
    assert f"job:svc_requests:rate{window}m" in rules.generate(lc)["prometheus/rules.yml"]


def test_custom_rules_keep_contract_order(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, CUSTOM_RULES)
    groups = {g["name"]: g["rules"] for g in rules.rule_groups(lc)}
    assert list(groups) == ["svc.counters", "svc.custom", "svc.histograms"]
    assert groups["svc.custom"] == [
        {"alert": "SvcErrors", "expr": 'job:svc_requests:rate5m{code="500"} > 1', "for": "10m",
         "labels": {"severity": "page", "team": "core"}, "annotations": {"summary": "5xx above 1/s"}},
        {"record": "svc:requests:rate5m", "expr": "sum(job:svc_requests:rate5m)"},
    ]


def test_test_inputs_cover_every_label_value_on_each_path_apart(lc: LoadedContract) -> None:
    tests = yaml.safe_load(rules.generate(lc)["prometheus/rules_test.yml"])
    groups = {t["name"]: t for t in tests["tests"] if t["promql_expr_test"][0]["expr"] == "job:qortex_queries:rate5m"}
    # one group per path: an application exposes through one at a time, so no sum covers two
    assert list(groups) == ["`qortex_queries` on prometheus-client", "`qortex_queries` on otel-collector"]
    for group in groups.values():
        samples = {s["labels"]: s["value"] for s in group["promql_expr_test"][0]["exp_samples"]}
        # closed set plus the guard's `other`, under the service's job on either path
        assert sorted(samples) == sorted(f'job:qortex_queries:rate5m{{job="qortex", mode="{mode}"}}'
                                         for mode in ("vec", "graph", "other"))
        # 60 x 2**i a minute, in the 4 minutes a series covers of the 5 minute window (`rules.prom_rate`)
        assert sorted(samples.values()) == [0.8, 1.6, 3.2]
    # each path's own labels: the direct scrape's target as `instance`; behind the Collector the service's
    # `service.instance.id` (unknown: a placeholder) and the exporter's labels
    inputs = [[s["series"] for s in g["input_series"]] for g in groups.values()]
    assert inputs == [
        [f'qortex_queries_total{{instance="host.docker.internal:9090", job="qortex", mode="{mode}"}}'
         for mode in ("vec", "graph", "other")],
        [f'qortex_queries_total{{instance="example", job="qortex", mode="{mode}", otel_scope_name="example", '
         'otel_scope_version="example", service_instance_id="example", service_name="example", '
         'telemetry_sdk_language="example", telemetry_sdk_name="example", telemetry_sdk_version="example"}'
         for mode in ("vec", "graph", "other")]]


def test_quantiles_land_on_bucket_bounds(lc: LoadedContract) -> None:
    bounds = lc.contract.metric("qortex_query_duration_seconds").buckets  # type: ignore[union-attr]
    d = rules.distribution(tuple(bounds), 5)  # type: ignore[arg-type]
    assert d.quantiles == {"p50": 0.25, "p95": 2.5, "p99": 5.0}
    assert d.mean == 0.25


def test_diverging_paths_are_refused(tmp_path: Path) -> None:
    # the unit word inside the name: the Python exporters append `_seconds`, the Collector does not
    text = MINIMAL.replace("name: svc_requests\n    type: counter\n    unit: \"{request}\"",
                           "name: svc_seconds_spent\n    type: counter\n    unit: s")
    text = text.replace("metric: svc_requests", "metric: svc_seconds_spent")
    lc = contract_from(tmp_path, text)
    with pytest.raises(InputError, match="exposed differently"):
        rules.generate(lc)


def test_promtool_passes_on_qortex(lc: LoadedContract, tmp_path: Path) -> None:
    assert_promtool_passes(rules.generate(lc), tmp_path)


def test_promtool_passes_with_custom_rules(tmp_path: Path) -> None:
    assert_promtool_passes(rules.generate(contract_from(tmp_path, CUSTOM_RULES)), tmp_path / "out")


# 95m is a window where 1/range rounds so that the counts must be scaled up
@pytest.mark.parametrize("scrape", ["15s", "735s", "1425s"])
def test_promtool_passes_on_odd_shapes(tmp_path: Path, scrape: str) -> None:
    lc = contract_from(tmp_path, ODD_SHAPES.format(scrape=scrape))
    assert_promtool_passes(rules.generate(lc), tmp_path / "out")


# Finite bounds near the float limits: the `_sum` input and the mean must stay
# finite, and the quantiles Prometheus interpolates may overflow to +Inf.
EXTREME_BUCKETS = [
    [1e308, 1.7e308],
    [-1.7976931348623157e308, 0, 1.7976931348623157e308],
    [-1.7e308, -1e308],
    [5e-324, 1e-323],
    [1e-310, 2e-310, 3e-310, 4e-310],
    [-1e308, -1e-308, 0, 1e-308, 1e308],
]


@pytest.mark.parametrize("bounds", EXTREME_BUCKETS, ids=str)
@pytest.mark.parametrize("scrape", ["15s", "1h"])
def test_promtool_passes_on_extreme_buckets(tmp_path: Path, bounds: list[float], scrape: str) -> None:
    text = MINIMAL.replace("buckets: [0.1, 1.0]", f"buckets: {bounds!r}")
    lc = contract_from(tmp_path, text.replace("namespace: svc\n", f"namespace: svc\nscrape_interval: {scrape}\n"))
    assert lc.contract.metric("svc_latency_seconds").buckets == tuple(bounds)  # type: ignore[union-attr]
    assert_promtool_passes(rules.generate(lc), tmp_path / "out")


def test_extreme_buckets_keep_the_sum_input_finite(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("buckets: [0.1, 1.0]", "buckets: [1e308, 1.7e308]"))
    tests = yaml.safe_load(rules.generate(lc)["prometheus/rules_test.yml"])
    histograms = [t for t in tests["tests"] if "svc_latency_seconds" in t["promql_expr_test"][0]["expr"]]
    # one group per path of MINIMAL
    assert [t["name"] for t in histograms] == ["`svc_latency_seconds` on prometheus-client",
                                               "`svc_latency_seconds` on otel-collector"]
    sums = [s["values"] for t in histograms for s in t["input_series"]
            if s["series"].startswith("svc_latency_seconds_sum{")]
    # the mean: the largest power of two whose sum input (100 observations a minute
    # for the 4 minutes it covers of the 5 minute window) stays below the float limit, 2**1024
    assert sums == ["_ 0+3.291674441276213e+307x4"] * 2
    assert 60 * 2.0 ** 1009 * 100 == 3.291674441276213e+307
    means = [s["value"] for h in histograms for t in h["promql_expr_test"] if t["expr"].endswith(":mean_rate5m")
             for s in t["exp_samples"]]
    assert means == [2.0 ** 1009] * 2


def test_promtool_passes_with_more_series_than_distinct_powers(tmp_path: Path) -> None:
    values = ", ".join(f"v{i}" for i in range(rules.POWERS))
    lc = contract_from(tmp_path, MINIMAL.replace('values: ["200", "500"]', f"values: [{values}]"))
    # every value and the guard's `other`, on one path: more series than there are distinct powers of two
    assert len(rules.label_sets(lc.contract.metrics[0], rules.exposure(lc, lc.contract.metrics[0]))) > rules.POWERS
    assert_promtool_passes(rules.generate(lc), tmp_path / "out")


@pytest.mark.parametrize(("old", "new"), [
    ("sum by (job, mode) (rate(qortex_queries_total[5m]))", "sum by (mode) (rate(qortex_queries_total[5m]))"),
    ("rate(qortex_queries_total[5m])", "increase(qortex_queries_total[5m])"),
    ("histogram_quantile(0.95, sum by (job, le) (rate(qortex_query_duration_seconds_bucket",
     "histogram_quantile(0.9, sum by (job, le) (rate(qortex_query_duration_seconds_bucket"),
    ("/ sum by (job) (rate(qortex_query_duration_seconds_count[5m]))",
     "/ sum by (job) (rate(qortex_query_duration_seconds_bucket{le=\"+Inf\"}[5m])) * 2"),
])
def test_generated_tests_catch_a_wrong_rule(lc: LoadedContract, tmp_path: Path, old: str, new: str) -> None:
    files = rules.generate(lc)
    assert old in files["prometheus/rules.yml"]
    files["prometheus/rules.yml"] = files["prometheus/rules.yml"].replace(old, new)
    d = write(files, tmp_path) / "prometheus"
    tested = promtool("test", "rules", str(d / "rules_test.yml"))
    assert tested.returncode == 1, tested.stdout + tested.stderr
    assert "FAILED" in tested.stdout + tested.stderr
