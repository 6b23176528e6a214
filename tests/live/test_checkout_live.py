"""examples/checkout's default dashboard, every panel read from a real Prometheus and compared with the workload.

The generated module of the example feeds prometheus_client (the direct job)
and the OpenTelemetry SDK, read by its own `PrometheusMetricReader` and
pushed over OTLP to the real Collector running the generated config
(`conftest.application`); Prometheus 2.42 and 3.x scrape every row. The
workload fixes what each panel must read: gauges and updowncounters a known
level, histograms observations inside one bucket (so each quantile is an
exact interpolation), counters a rate computed by hand from the raw samples.
"""

from __future__ import annotations

import json
import math
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import promql_parser as pp
import pytest

from contract.loader import LoadedContract, load_contract
from tests import checkout_events as checkout
from tests.live.conftest import PROMETHEUS, SUMMARY, LiveStack, application, prometheus_binary, running_stack
from tests.live.panels import by_hand, interpolate, panel_targets
from tests.subscriber_util import import_generated

pytestmark = pytest.mark.live

# 6 s of traffic: longer than the 4 s rate window, so every window holds moving counters on both paths
BATCHES = 24
BATCH_EVERY = 0.25
# every batch answers 1 request of 4 with a 5xx, and every request within the latency objective's 0.5 s
SLO_ERROR_RATIO = {"requests-availability": 0.25, "requests-latency": 0.0}
# the error ratios are exact while no scrape falls inside one batch (which takes microseconds); one that does
# moves a 5-minute ratio by less than 1%
SLO_TOLERANCE = 0.01
# the histograms' series, and the bucket every workload observation falls in
BUCKETS = {"http_server_request_duration_seconds_bucket": (0.025, 0.1),
           "checkout_payment_duration_seconds_bucket": (0.25, 1.0)}


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LiveStack]]:
    lc: LoadedContract = load_contract(str(checkout.CONTRACT))
    module = import_generated(lc, tmp_path_factory.mktemp("checkout-module"))
    tmp = tmp_path_factory.mktemp("checkout-prom")
    with application(lc, tmp) as app:
        found = module.handlers(meter=app.meter("checkout"), registry=app.direct.registry)

        def workload() -> None:
            # spread over several scrapes, so that every rate window holds moving counters
            for _ in range(BATCHES):
                checkout.emit(found, checkout.batch())
                time.sleep(BATCH_EVERY)
            assert module.DROPPED == {}

        with running_stack(lc, app, workload, tmp) as s:
            yield s


@pytest.fixture(scope="module", params=PROMETHEUS)
def stack(request: pytest.FixtureRequest, stacks: dict[str, LiveStack]) -> LiveStack:
    if request.param not in stacks:
        prometheus_binary(request.param)   # skips with the reason
    return stacks[request.param]


def expected(stack: LiveStack, expr: str, job: str) -> dict[tuple[tuple[str, str], ...], float]:
    """What the panel query `expr` must read for `job`, from the workload's definition."""
    node = pp.parse(interpolate(expr, job))
    if any(s.name.startswith("job:") for s in _selectors(node)):
        return _slo_panel(stack, node, job)
    if isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
        q = float(str(node.args[0]))
        (series,) = {s.name for s in _selectors(node.args[1])}
        low, high = BUCKETS[series]
        return {(): low + (high - low) * q}
    assert isinstance(node, pp.AggregateExpr), expr
    kept = tuple(node.modifier.labels) if node.modifier else ()
    inner = node.expr
    if isinstance(inner, pp.Call) and inner.func.name == "rate":
        (selector,) = _selectors(inner)
        rates = by_hand(stack, selector.name, job, kept)
        assert rates and all(v > 0 for v in rates.values()), (expr, rates)
        return {tuple(zip(kept, key, strict=True)): v for key, v in rates.items()}
    (selector,) = _selectors(inner)
    level = {"checkout_inflight_requests": checkout.IN_FLIGHT, "checkout_queue_size": BATCHES}[selector.name]
    return {tuple((label, job) for label in kept if label == "job"): float(level)}


def _slo_panel(stack: LiveStack, node: Any, job: str) -> dict[tuple[tuple[str, str], ...], float]:
    """An SLO panel: `1 - <recorded>` or `<recorded>`, the recorded series of the SLO's rules in alerts.yml."""
    if isinstance(node, pp.BinaryExpr):
        assert str(node.op) == "-" and isinstance(node.lhs, pp.NumberLiteral), node
        ((labels, value),) = _slo_panel(stack, node.rhs, job).items()
        return {tuple((k, v) for k, v in labels if k != "__name__"): node.lhs.val - value}
    assert isinstance(node, pp.VectorSelector), node
    slo = next(m.value for m in node.matchers.matchers if m.name == "slo")
    budget = 1 - next(s.objective for s in stack.lc.contract.slos if s.name == slo) / 100
    ratio = SLO_ERROR_RATIO[slo]
    kind = node.name.split(":")[2]
    if kind.startswith("slo_error_ratio_rate"):
        value = ratio
    elif kind.startswith("slo_burn_rate"):
        value = ratio / budget
    else:
        assert kind == "slo_error_budget_remaining_ratio30d", node.name
        # one minus the mean of every 5-minute burn rate recorded up to the panel's sample, by hand from the
        # recorded samples: an early evaluation that caught a batch half exported moves that mean far more
        # than the tolerance, so the workload's ratio alone cannot be the expectation
        matchers = f'{{slo="{slo}", job="{job}"}}'
        last = _samples(stack, node.name + matchers)[-1][0]
        burns = [v for t, v in _samples(stack, node.name.replace(kind, "slo_burn_rate5m") + matchers) if t <= last]
        value = 1 - math.fsum(burns) / len(burns)
    return {(("__name__", node.name), ("job", job), ("slo", slo)): value}


def _samples(stack: LiveStack, selector: str) -> list[tuple[float, float]]:
    """The raw samples of one series over the last hour before the workload's end, oldest first."""
    params = urllib.parse.urlencode({"query": selector + "[1h]", "time": f"{stack.at:.3f}"})
    body = stack.prometheus.get("/api/v1/query?" + params)
    (series,) = body["data"]["result"]
    return [(float(t), float(v)) for t, v in series["values"]]


def _selectors(node: Any) -> list[Any]:
    found = []
    if isinstance(node, pp.VectorSelector):
        return [node]
    for child in ("expr", "lhs", "rhs", "vector_selector"):
        if hasattr(node, child) and getattr(node, child) is not None:
            found += _selectors(getattr(node, child))
    for arg in getattr(node, "args", None) or ():
        found += _selectors(arg)
    return found


def test_every_panel_reads_what_the_workload_implies(stack: LiveStack) -> None:
    dashboard = json.loads(stack.files["grafana/checkout.json"])
    targets = panel_targets(dashboard)
    # one panel per metric of the contract, quantile panels with three targets
    assert [title for title, _, _ in targets].count("http.server.request.duration") == 3, targets
    wrong = {}
    for title, ref, expr in targets:
        for job in stack.jobs:
            shown = {tuple(sorted((k, v) for k, v in s["metric"].items())): float(s["value"][1])
                     for s in stack.query(interpolate(expr, job))}
            want = {tuple(sorted(k)): v for k, v in expected(stack, expr, job).items()}
            tolerance = SLO_TOLERANCE if ":slo_" in expr else 1e-9
            if shown.keys() != want.keys() or not all(
                    math.isclose(shown[k], want[k], rel_tol=tolerance, abs_tol=1e-12) for k in want):
                wrong[(title, ref, job)] = (shown, want)
    for row in stack.rows:
        ok = len(targets) - sum(job == row.job for _, _, job in wrong)
        SUMMARY.append(f"checkout {row.path} (prometheus {stack.version}): {ok}/{len(targets)} panel queries, "
                       f"{'values ok' if ok == len(targets) else 'values WRONG'}")
    assert wrong == {}


def test_job_picker_starts_on_the_direct_path(stack: LiveStack) -> None:
    dashboard = json.loads(stack.files["grafana/checkout.json"])
    (variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "job")
    assert variable["current"]["value"] == stack.direct_job

