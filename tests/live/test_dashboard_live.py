"""Every query of the generated dashboard and every recording rule, answered by a real Prometheus, per row.

The stack is `conftest.live_stacks`: qortex events through the generated
module into prometheus_client (the direct job), into the OpenTelemetry SDK's
own `PrometheusMetricReader` (`otel-python`) and over OTLP into the real
Collector running the generated config (`otel-collector`); Prometheus 2.42
and 3.x scrape all three. Each test here runs once per Prometheus (`live`);
the pushed paths are tests/live/test_pushed_live.py's.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.naming import PATHS
from generators import cli
from tests.live.conftest import LIVE_BATCHES, SUMMARY, LiveStack
from tests.live.panels import (
    Key,
    by_hand,
    expected,
    interpolate,
    le_key,
    normalised,
    panel_targets,
    rate_targets,
)
from tests.qortex_events import mix
from tests.subscriber_util import import_generated

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
    problems: list[str] = field(default_factory=list)   # "<path>: <what is wrong>"
    empty: set[str] = field(default_factory=set)         # paths on which it reads no series at all


def _read(result: list[dict[str, Any]]) -> dict[Key, float]:
    return {le_key(s["metric"], PATH_LABELS): float(s["value"][1]) for s in result}


def _compare(shown: dict[Key, float], want: dict[Key, float]) -> str | None:
    if shown.keys() != want.keys():
        return f"label sets {sorted(shown)}, expected {sorted(want)}"
    wrong = {k: (shown[k], want[k]) for k in want if not math.isclose(shown[k], want[k], rel_tol=1e-9)}
    return f"values (shown, expected) {wrong}" if wrong else None


def gauge_levels(stack: LiveStack, tmp: Path) -> Any:
    """series -> {labels: value} of every gauge after one workload batch: the levels every batch sets again."""
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    found = import_generated(stack.lc, tmp).handlers(registry=registry)
    for event in mix("levels"):
        handler = found.get(type(event).__name__)
        if handler is not None:
            handler(event)
    levels: dict[str, dict[Key, float]] = {}
    for family in registry.collect():
        if family.type == "gauge":
            for sample in family.samples:
                levels.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return lambda series: levels[series]


def evaluate_panels(stack: LiveStack, dashboard: dict[str, Any], levels: Any) -> list[TargetOutcome]:
    """Every target on every row: the expected value, on the label sets of the direct path (when a row)."""
    outcomes = []
    for title, ref, expr in panel_targets(dashboard):
        outcome = TargetOutcome(title, ref)
        direct: dict[Key, float] | None = None
        for row in stack.rows:
            result = stack.query(interpolate(expr, row.job))
            if not result:
                outcome.empty.add(row.path)
                continue
            problem = vector_problem(result)
            if problem:
                outcome.problems.append(f"{row.path}: {problem}")
                continue
            shown = _read(result)
            problem = _compare(shown, normalised(expected(stack, expr, row.job, levels), PATH_LABELS))
            if problem is None and direct is not None and shown.keys() != direct.keys():
                problem = f"label sets {sorted(shown)} differ from the direct path's {sorted(direct)}"
            if problem:
                outcome.problems.append(f"{row.path}: {problem}")
            if row.path == "prometheus-client":
                direct = shown
        outcomes.append(outcome)
    return outcomes


def failing_panels(outcomes: list[TargetOutcome]) -> dict[str, list[str]]:
    failing: dict[str, list[str]] = {}
    for o in outcomes:
        problems = o.problems + [f"{path}: no series" for path in sorted(o.empty)]
        if problems:
            failing.setdefault(o.panel, []).extend(f"target {o.ref}: {p}" for p in problems)
    return failing


@dataclass
class RuleOutcome:
    group: str
    record: str
    problems: list[str] = field(default_factory=list)   # "<path>: <what is wrong>"
    empty: set[str] = field(default_factory=set)         # paths on which its expression reads, and it records, nothing

    def ok(self, path: str) -> bool:
        return path not in self.empty and not any(p.startswith(f"{path}:") for p in self.problems)


def evaluate_rules(stack: LiveStack, levels: Any) -> list[RuleOutcome]:
    """Every recording rule: its recorded series per row, and its expression's value per row."""
    rules = yaml.safe_load(stack.files["prometheus/rules.yml"])
    outcomes = []
    for group in rules["groups"]:
        for rule in group["rules"]:
            if "record" not in rule:
                continue
            outcome = RuleOutcome(group["name"], rule["record"])
            outcomes.append(outcome)
            problems = outcome.problems
            recorded = {row.job: _read([s for s in stack.query(rule["record"]) if s["metric"].get("job") == row.job])
                        for row in stack.rows}
            computed = stack.query(rule["expr"])
            for row in stack.rows:
                shown = _read([s for s in computed if s["metric"].get("job") == row.job])
                if not shown:
                    outcome.empty.add(row.path)
                    if recorded[row.job]:
                        problems.append(f"{row.path}: recorded {sorted(recorded[row.job])} from an expression "
                                        f"that reads nothing")
                    continue
                if not recorded[row.job]:
                    problems.append(f"{row.path}: nothing recorded")
                elif stack.has_direct and recorded[row.job].keys() != recorded[stack.direct_job].keys():
                    problems.append(f"{row.path}: recorded label sets {sorted(recorded[row.job])} differ from the "
                                    f"direct path's {sorted(recorded[stack.direct_job])}")
                problem = _compare(shown, normalised(expected(stack, rule["expr"], row.job, levels), PATH_LABELS))
                if problem:
                    problems.append(f"{row.path}: {problem}")
    return outcomes


def test_every_panel_and_recording_rule_reads_its_expected_value(
        live: LiveStack, tmp_path: Path) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    levels = gauge_levels(live, tmp_path)
    outcomes = evaluate_panels(live, dashboard, levels)
    rules = evaluate_rules(live, levels)
    for row in live.rows:
        panels_ok = sum(row.path not in o.empty and not any(p.startswith(f"{row.path}:") for p in o.problems)
                        for o in outcomes)
        rules_ok = sum(rule.ok(row.path) for rule in rules)
        values = "values ok" if (panels_ok, rules_ok) == (len(outcomes), len(rules)) else "values WRONG"
        SUMMARY.append(f"{row.path} (prometheus {live.version}): {panels_ok}/{len(outcomes)} panel queries, "
                       f"{rules_ok}/{len(rules)} rules, {values}")
    # the generated dashboard's 24 targets and the 28 recording rules of the qortex contract
    assert (len(outcomes), len(rules)) == (24, 28)
    assert failing_panels(outcomes) == {}
    assert {rule.record: rule.problems + sorted(rule.empty) for rule in rules if rule.problems or rule.empty} == {}


def test_counters_read_the_workloads_event_counts(live: LiveStack) -> None:
    """A known number of events reads as that count on every row: one `QueryCompleted` per mode per batch."""
    (batches,) = LIVE_BATCHES
    assert batches >= 20   # spread over several scrapes
    for row in live.rows:
        shown = {s["metric"]["mode"]: float(s["value"][1])
                 for s in live.query(f'qortex_queries_total{{job="{row.job}"}}')}
        # mix() completes one "vec" query a batch and fails the "graph" one
        assert shown == {"vec": float(batches)}, (row.path, shown)


def test_a_sum_over_every_path_would_read_their_rates_added(live: LiveStack) -> None:
    """What the job picker's All once showed: the comparison above tells it from one path's rate."""
    dashboard = json.loads(live.files["grafana/qortex.json"])
    (title, expr, series, kept), *_ = rate_targets(dashboard)
    assert title == "Query Rate"
    summed = {tuple(s["metric"].get(label, "") for label in kept): float(s["value"][1])
              for s in live.query(interpolate(expr.replace('job="$job"', 'job=~".+"'), ""))}
    per_path = [by_hand(live, series, job, kept) for job in live.jobs]
    assert all(summed.keys() == rates.keys() for rates in per_path)
    for key, value in summed.items():
        assert math.isclose(value, sum(rates[key] for rates in per_path), rel_tol=1e-9)
        # every path carries the same events, so the sum reads more than any one path's rate
        assert all(rates[key] > 0 for rates in per_path)
        assert value > max(rates[key] for rates in per_path)


def test_job_variable_offers_every_path(live: LiveStack) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    (variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "job")
    match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", variable["query"])
    assert match, variable["query"]
    metric, label = match.groups()
    values = live.prometheus.get(f"/api/v1/label/{label}/values?match[]={metric}")["data"]
    assert sorted(values) == sorted(live.jobs)
    assert variable["current"]["value"] == live.direct_job


def test_bucket_bounds_are_spelled_per_path(live: LiveStack) -> None:
    """The heatmap's `le` values: the Collector writes `10`, prometheus_client `10.0`; Prometheus 3 stores both as
    `10.0` (it normalises classic-histogram bounds at scrape), Prometheus 2 as exposed."""
    spelled = {row.path: {s["metric"]["le"] for s in live.query(f'qortex_ppr_iterations_bucket{{job="{row.job}"}}')}
               for row in live.rows}
    assert "10.0" in spelled["prometheus-client"]
    if live.major >= 3:
        assert spelled["otel-collector"] == spelled["otel-python"] == spelled["prometheus-client"]
    else:
        assert "10" in spelled["otel-collector"] and "10.0" not in spelled["otel-collector"]
        assert {float(le) for le in spelled["otel-collector"]} == {float(le) for le in spelled["prometheus-client"]}


def test_counter_without_total_fails_on_the_paths_check_predicts(
        live: LiveStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dashboard = json.loads(live.files["grafana/qortex.json"])
    broken = copy.deepcopy(dashboard)
    hits = [(title, ref) for title, ref, expr in panel_targets(broken) if "qortex_queries_total" in expr]
    assert len(hits) == 1, hits
    ((title, ref),) = hits
    for panel in broken["panels"]:
        for target in panel.get("targets", []):
            if panel["title"] == title and target["refId"] == ref:
                target["expr"] = target["expr"].replace("qortex_queries_total", "qortex_queries")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken, indent=2), encoding="utf-8")

    # the data only: a target reading no series on a row
    failing = {(title, ref, row.path) for title, ref, expr in panel_targets(broken) for row in live.rows
               if not live.query(interpolate(expr, row.job))}
    code = cli.main(["check", str(live.lc.file), str(path), "--format", "json"])
    predicted = json.loads(capsys.readouterr().out)["problems"]

    # an unknown name on every declared path: check says so once, and every row reads nothing
    assert code == 1
    assert [(p["check"], p["metric"], p["location"]) for p in predicted] == [
        ("promql/unknown-metric", "qortex_queries", f'panel "{title}" target {ref}')]
    assert failing == {(title, ref, row.path) for row in live.rows}
