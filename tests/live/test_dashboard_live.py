"""Every query of the generated dashboard and every recording rule, answered by a real Prometheus.

The stack is `conftest.live`: qortex events through the generated module into
prometheus_client (the direct job) and into the OpenTelemetry SDK read by
`PrometheusMetricReader`, which stands in for the Collector's prometheus
exporter under the `otel-collector` job because no Collector can run here.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from contract.naming import PATHS
from tests.live.conftest import LiveStack
from tests.live.panels import by_hand, interpolate, panel_targets, rate_targets

pytestmark = pytest.mark.live

# labels that differ between exposition paths by design: added at scrape or by an exporter
PATH_LABELS = frozenset({"job", "instance"}).union(
    *(set(facts.exporter_labels) | set(facts.scrape_labels) for facts in PATHS.values()))


def vector_problem(result: list[dict[str, Any]]) -> str | None:
    if not result:
        return "no series"
    for series in result:
        if not math.isfinite(float(series["value"][1])):
            return f"{series['value'][1]} for {series['metric']}"
    return None


@dataclass
class TargetOutcome:
    panel: str
    ref: str
    problems: list[str] = field(default_factory=list)


def evaluate_panels(stack: LiveStack, dashboard: dict[str, Any]) -> list[TargetOutcome]:
    """Every target on every path: data with finite values, and the same label names on both paths."""
    outcomes = []
    for title, ref, expr in panel_targets(dashboard):
        outcome = TargetOutcome(title, ref)
        shapes: dict[str, set[frozenset[str]]] = {}
        for job in stack.jobs:
            result = stack.query(interpolate(expr, job))
            problem = vector_problem(result)
            if problem:
                outcome.problems.append(f"job {job}: {problem}")
            shapes[job] = {frozenset(set(s["metric"]) - PATH_LABELS) for s in result}
        if len({frozenset(s) for s in shapes.values()}) > 1:
            outcome.problems.append(f"label names differ between paths: {shapes}")
        outcomes.append(outcome)
    return outcomes


def failing_panels(outcomes: list[TargetOutcome]) -> dict[str, list[str]]:
    failing: dict[str, list[str]] = {}
    for o in outcomes:
        if o.problems:
            failing.setdefault(o.panel, []).extend(f"target {o.ref}: {p}" for p in o.problems)
    return failing


def evaluate_rules(stack: LiveStack) -> dict[str, str | None]:
    """Recorded name -> why its output is unusable (None when every job has finite data)."""
    rules = yaml.safe_load(stack.files["prometheus/rules.yml"])
    outcome: dict[str, str | None] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" not in rule:
                continue
            result = stack.query(rule["record"])
            jobs = {s["metric"].get("job") for s in result}
            problem = vector_problem(result)
            if problem is None and jobs != set(stack.jobs):
                problem = f"series for jobs {sorted(map(str, jobs))}, expected {sorted(stack.jobs)}"
            outcome[rule["record"]] = problem
    return outcome


def test_every_panel_and_recording_rule_returns_data(live: LiveStack, capsys: pytest.CaptureFixture[str]) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    outcomes = evaluate_panels(live, dashboard)
    rules = evaluate_rules(live)
    panels_ok = sum(not o.problems for o in outcomes)
    rules_ok = sum(problem is None for problem in rules.values())
    with capsys.disabled():
        print(f"\nlive: {len(outcomes)} panel queries x {len(live.jobs)} paths, {panels_ok}/{len(outcomes)} "
              f"returned data; {len(rules)} recording rules, {rules_ok}/{len(rules)} returned data")
    assert outcomes and rules
    assert failing_panels(outcomes) == {}
    assert {name: problem for name, problem in rules.items() if problem} == {}


def test_every_rate_panel_reads_each_paths_own_rate(live: LiveStack, capsys: pytest.CaptureFixture[str]) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    targets = rate_targets(dashboard)
    # the 7 counter rate panels and the heatmap's bucket rates
    assert len(targets) == 8, [t[0] for t in targets]
    wrong: dict[tuple[str, str], tuple[dict[tuple[str, ...], float], dict[tuple[str, ...], float]]] = {}
    for title, expr, series, kept in targets:
        for job in live.jobs:
            shown = {tuple(s["metric"].get(label, "") for label in kept): float(s["value"][1])
                     for s in live.query(interpolate(expr, job))}
            expected = by_hand(live, series, job, kept)
            # the workload moved the counters in the window: no panel passes by reading zero
            assert any(v > 0 for v in expected.values()), (title, job, expected)
            if shown.keys() != expected.keys() or not all(
                    math.isclose(shown[k], expected[k], rel_tol=1e-9) for k in expected):
                wrong[(title, job)] = (shown, expected)
    with capsys.disabled():
        print(f"\nlive: {len(targets)} rate panels x {len(live.jobs)} paths, "
              f"{len(targets) * len(live.jobs) - len(wrong)} read their path's own rate")
    assert wrong == {}


def test_a_sum_over_both_paths_would_read_both_rates_added(live: LiveStack) -> None:
    """What the job picker's All once showed: the comparison above tells it from one path's rate."""
    dashboard = json.loads(live.files["grafana/qortex.json"])
    (title, expr, series, kept), *_ = rate_targets(dashboard)
    assert title == "Query Rate"
    summed = {tuple(s["metric"].get(label, "") for label in kept): float(s["value"][1])
              for s in live.query(interpolate(expr.replace('job="$job"', 'job=~".+"'), ""))}
    per_path = [by_hand(live, series, job, kept) for job in live.jobs]
    assert summed.keys() == per_path[0].keys() == per_path[1].keys()
    for key, value in summed.items():
        assert math.isclose(value, per_path[0][key] + per_path[1][key], rel_tol=1e-9)
        # both paths carry the same events, so the sum reads about twice either one
        assert value > 1.5 * max(per_path[0][key], per_path[1][key])


def test_job_variable_offers_both_paths(live: LiveStack) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    (variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "job")
    match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable["query"])
    assert match, variable["query"]
    metric, label = match.groups()
    values = live.prometheus.get(f"/api/v1/label/{label}/values?match[]={metric}")["data"]
    assert sorted(values) == sorted(live.jobs)


def test_counter_without_total_fails_exactly_its_panel(live: LiveStack) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    broken = copy.deepcopy(dashboard)
    hits = [(title, ref) for title, ref, expr in panel_targets(broken) if "qortex_queries_total" in expr]
    assert len(hits) == 1, hits
    ((title, ref),) = hits
    for panel in broken["panels"]:
        for target in panel.get("targets", []):
            if panel["title"] == title and target["refId"] == ref:
                target["expr"] = target["expr"].replace("qortex_queries_total", "qortex_queries")

    failing = failing_panels(evaluate_panels(live, broken))

    assert set(failing) == {title}
    assert failing[title] == [f"target {ref}: job {job}: no series" for job in live.jobs]
