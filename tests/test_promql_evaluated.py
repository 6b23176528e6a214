"""The PromQL checks that say a panel stays empty or fails, held against what a real Prometheus 2.42 returns.

Each row is an expression over the contract `metrics-contract init --service shop` writes, the check ids it
raises, and what Prometheus makes of it as Grafana asks (a range query) over ten minutes of backfilled samples
of both declared paths: "empty", "series", "error" (the query is refused), or ("same", other) when the result
is exactly that of another expression (an `unless` that removes nothing). The rows with the messages pinned are
in tests/test_promql_checks.py; the rows here over other metric types need no server.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from contract.catalog import Catalog
from contract.loader import load_contract
from generators.cli import main
from tests import prom_server
from tests.conftest import require_binary
from tests.promql_util import dashboard_text, lint, short
from tests.test_metric_types import CONTRACT as TYPES_CONTRACT

Outcome = str | tuple[str, str]

VM, RESULT, UNKNOWN = "promql/vector-matching", "promql/result-type", "promql/unknown-metric"
NATIVE, RAW = "promql/native-histogram", "promql/counter-without-rate"

ROWS: list[tuple[str, list[str], Outcome]] = [
    # one side keeps a label the other lost
    ('sum by (job) (rate(shop_requests_total{outcome="error"}[5m])) / sum(rate(shop_requests_total[5m]))',
     [VM], "empty"),
    ("sum by (outcome) (rate(shop_requests_total[5m])) / sum by (job) (rate(shop_requests_total[5m]))",
     [VM], "empty"),
    ("rate(shop_requests_total[5m]) > sum(rate(shop_requests_total[5m]))", [VM], "empty"),
    ("sum by (job) (rate(shop_requests_total[5m])) and sum by (outcome) (rate(shop_requests_total[5m]))",
     [VM], "empty"),
    ("rate(shop_request_duration_seconds_bucket[5m]) / ignoring(le) group_left "
     "sum by (job) (rate(shop_request_duration_seconds_count[5m]))", [VM], "empty"),
    ("rate(shop_requests_total[5m]) / vector(2)", [VM], "empty"),
    ("sum by (job) (rate(shop_requests_total[5m])) unless sum by (outcome) (rate(shop_requests_total[5m]))",
     [VM], ("same", "sum by (job) (rate(shop_requests_total[5m]))")),
    # the same labels on both sides, or matched on what both carry
    ('sum by (job) (rate(shop_requests_total{outcome="error"}[5m])) / sum by (job) (rate(shop_requests_total[5m]))',
     [], "series"),
    ('sum(rate(shop_requests_total{outcome="error"}[5m])) / sum(rate(shop_requests_total[5m]))', [], "series"),
    ("rate(shop_requests_total[5m]) / ignoring(outcome) group_left sum without (outcome) "
     "(rate(shop_requests_total[5m]))", [], "series"),
    ("rate(shop_request_duration_seconds_bucket[5m]) / ignoring(le) group_left "
     "rate(shop_request_duration_seconds_count[5m])", [], "series"),
    ("sum by (job) (rate(shop_requests_total[5m])) / on() group_left sum(rate(shop_requests_total[5m]))",
     [], "series"),
    ("sum by (outcome) (rate(shop_requests_total[5m])) / ignoring(outcome) group_left "
     "sum(rate(shop_requests_total[5m]))", [], "series"),
    ("sum by (job, instance) (rate(shop_requests_total[5m])) and sum by (instance, job) "
     "(rate(shop_request_duration_seconds_count[5m]))", [], "series"),
    ("sum by (job) (rate(shop_requests_total[5m])) or vector(0)", [], "series"),
    ("rate(shop_requests_total[5m]) > 0", [], "series"),
    # the Collector's labels are on one path's series only: the other path's series match `_created`
    ("rate(shop_requests_total[5m]) and shop_requests_created", [], "series"),
    # a range vector, a subquery or a string at the top
    ("rate(shop_requests_total[5m])[30m:1m]", [RESULT], "error"),
    ("(rate(shop_requests_total[5m])[10m:])", [RESULT], "error"),
    ('"shop"', [RESULT], "error"),
    ("shop_requests_total[5m]", [RESULT, RAW], "error"),
    ("max_over_time(rate(shop_requests_total[5m])[30m:1m])", [], "series"),
    # series named by a regex
    ('sum(rate({__name__=~"shop_requets_total"}[5m]))', [UNKNOWN], "empty"),
    ('sum by (rout) ({__name__=~"shop_requests_total|shop_request_duration_seconds_count", outcom="ok"})',
     ["promql/grouping-label", "promql/unknown-label", RAW, RAW], "empty"),
    ('sum(rate({__name__=~"shop_requests_total|shop_request_duration_seconds_count"}[5m]))', [], "series"),
    ('count({__name__!="shop_requests_created", job="shop"})', [], "series"),
    # functions of native histograms over a classic one
    ("histogram_count(rate(shop_request_duration_seconds_bucket[5m]))", [NATIVE], "empty"),
    ("histogram_sum(sum by (le) (rate(shop_request_duration_seconds_bucket[5m])))", [NATIVE], "empty"),
    ("histogram_fraction(0, 0.1, sum by (le) (rate(shop_request_duration_seconds_bucket[5m])))", [NATIVE], "empty"),
    ("histogram_quantile(0.9, sum by (le) (rate(shop_request_duration_seconds_bucket[5m])))", [], "series"),
]

# recording rules: the check ids, and whether Prometheus fails to evaluate the rule
RULES: list[tuple[str, list[str], bool]] = [
    ("rate(shop_requests_total[5m])[30m:1m]", [RESULT], True),
    ('"shop"', [RESULT], True),
    ("(shop_requests_total[5m])", [RESULT], True),
    ("sum(rate(shop_requests_total[5m]))", [], False),
]

END = (int(time.time()) // 60 - 60) * 60   # an hour ago: ten minutes of samples end here
STEP = 15
BUCKETS = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf")
# the target labels each path gives its series: prometheus_client's scrape, and the Collector's resource labels
PATH_LABELS = {
    "prometheus-client": {"job": "shop", "instance": "a:8000"},
    "otel-collector": {"job": "shop", "instance": "b", "otel_scope_name": "shop", "otel_scope_version": "1.0",
                       "service_instance_id": "b", "service_name": "shop", "telemetry_sdk_language": "python",
                       "telemetry_sdk_name": "opentelemetry", "telemetry_sdk_version": "1.0"},
}


def _series(name: str, labels: dict[str, str], values: list[float]) -> list[str]:
    text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    start = END - STEP * (len(values) - 1)
    return [f"{name}{{{text}}} {v} {start + STEP * i}" for i, v in enumerate(values)]


def openmetrics() -> str:
    """Ten minutes of samples of the shop's series, as each path exposes them (`_created` by prometheus_client
    only), for `promtool tsdb create-blocks-from openmetrics`."""
    steps = range(41)
    lines: list[str] = []
    for path, target in PATH_LABELS.items():
        for outcome, per_step in (("ok", 3), ("error", 1)):
            labels = {**target, "outcome": outcome}
            lines += _series("shop_requests_total", labels, [per_step * i for i in steps])
            if path == "prometheus-client":
                lines += _series("shop_requests_created", labels, [END - 3600.0] * len(steps))
        for index, le in enumerate(BUCKETS):   # one observation a step, in the bucket of 0.1 and above
            lines += _series("shop_request_duration_seconds_bucket", {**target, "le": le},
                             [i if index >= BUCKETS.index("0.1") else 0 for i in steps])
        lines += _series("shop_request_duration_seconds_count", target, list(steps))
        lines += _series("shop_request_duration_seconds_sum", target, [0.08 * i for i in steps])
    return "\n".join(lines) + "\n# EOF\n"


def _ids(catalog: Catalog, name: str, text: str) -> list[str]:
    return sorted(p.check for p in lint((name, text), catalog=catalog))


def _range(server: prom_server.PromServer, expr: str) -> Any:
    """The result of the range query Grafana would send, or "error" when Prometheus refuses it."""
    query = urllib.parse.urlencode({"query": expr, "start": END - 120, "end": END, "step": STEP})
    try:
        return server.get(f"/api/v1/query_range?{query}")["data"]["result"]
    except urllib.error.HTTPError as exc:
        assert exc.code == 400, exc
        assert "for range query, must be Scalar or instant Vector" in json.load(exc)["error"]
        return "error"


def _evaluated(server: prom_server.PromServer, count: int) -> list[dict[str, Any]]:
    """The rules once each has been evaluated."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rules = [r for g in server.get("/api/v1/rules")["data"]["groups"] for r in g["rules"]]
        if len(rules) == count and all(not r["lastEvaluation"].startswith("0001") for r in rules):
            return rules
        time.sleep(0.2)
    raise AssertionError("the rules were not evaluated within 30 s")


def test_checks_agree_with_prometheus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    promtool = require_binary("promtool")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--service", "shop"]) == 0
    capsys.readouterr()
    catalog = Catalog.from_contract(load_contract("metrics-contract.yaml"))
    for expr, ids, _ in ROWS:
        assert _ids(catalog, "d.json", dashboard_text(expr)) == sorted(ids), expr
    rule_file = "groups:\n  - name: shop\n    interval: 1s\n    rules:\n" + "".join(
        f"      - record: job:shop_requests:r{i}\n        expr: {json.dumps(expr)}\n"
        for i, (expr, _, _) in enumerate(RULES))
    problems = lint(("r.yml", rule_file), catalog=catalog)
    for i, (expr, ids, _) in enumerate(RULES):
        assert [p.check for p in problems if p.location.endswith(f'rule "job:shop_requests:r{i}"')] == ids, expr

    Path("samples.om").write_text(openmetrics())
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "samples.om", str(tmp_path / "tsdb")],
                   check=True, capture_output=True, timeout=120)
    Path("rules.yml").write_text(rule_file)
    Path("prometheus.yml").write_text("global:\n  evaluation_interval: 1s\nrule_files: [rules.yml]\n")
    with prom_server.prometheus_server(tmp_path / "prometheus.yml", tmp_path) as server:
        for expr, _, outcome in ROWS:
            result = _range(server, expr)
            if isinstance(outcome, tuple):
                assert result == _range(server, outcome[1]) and result, expr
            elif outcome == "series":
                assert result not in ([], "error"), expr
            else:
                assert result == ([] if outcome == "empty" else outcome), expr
        evaluated = {r["name"]: r.get("lastError", "") for r in _evaluated(server, len(RULES))}
        for i, (expr, _, fails) in enumerate(RULES):
            error = evaluated[f"job:shop_requests:r{i}"]
            assert error == ("rule result is not a vector or scalar" if fails else ""), expr


# ── other metric types: a stateset's states, native histograms ──────────────

TYPE_ROWS = [
    ('app_mode{app_mode="busy"}', []),
    ('app_mode{app_mode="other"}', [
        "promql/label-value@19: `other` is not a value of label `app_mode` of `app_mode`; allowed: `idle`, `busy`"]),
    ('app_build_info{version="1.2"}', []),
    ("histogram_count(rate(app_latency_seconds[5m]))", []),
    ("histogram_avg(sum(rate(app_latency_seconds[5m])))", []),
    ("histogram_fraction(0, 0.1, rate(app_latency_seconds[5m]))", []),
    ("histogram_stdvar(rate(app_gc_seconds_sum[5m]))", [
        "promql/native-histogram@0: `histogram_stdvar()` reads native histograms only, and its input holds none, so "
        "it returns nothing"]),
]


@pytest.mark.parametrize(("expr", "expected"), TYPE_ROWS)
def test_other_metric_types(expr: str, expected: list[str]) -> None:
    catalog = Catalog.from_contract(load_contract("c.yaml", TYPES_CONTRACT.encode()))
    text = dashboard_text(expr)
    lines = text.split("\n")
    found = [short(p, lines).replace('panel "P" target A: ', "", 1) for p in lint(("d.json", text), catalog=catalog)]
    assert found == expected
