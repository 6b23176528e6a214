"""The pushed paths as live rows: the qortex workload pushed into Prometheus 3, once per path (`conftest.pushed`).

`prometheus-otlp` with each translation strategy the contract model accepts,
and `otel-collector-remote-write`, each in a Prometheus 3 of its own loading
the generated rules (`conftest.pushed_receivers`). The dashboard and the
rules are the ones generated for the qortex contract, whose names are those
of the scraped paths: where a path names a series otherwise (no `_total`), a
query of it reads nothing, and `metrics-contract check` on a contract
declaring that path must say so for exactly those queries.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from contract.naming import ExpositionPath, expose
from generators import cli
from tests.conftest import QORTEX_CONTRACT
from tests.live.conftest import LIVE_BATCHES, SUMMARY, LiveStack
from tests.live.test_dashboard_live import evaluate_panels, evaluate_rules, gauge_levels

pytestmark = pytest.mark.live

EXPOSITION = "exposition: [prometheus-client, otel-collector]"
STACK = "stack: {paths: [otel-collector]}\n"


def declaring(path: str, tmp: Path) -> Path:
    """The qortex contract with `path` as its only exposition path (and its stack's only path)."""
    text = QORTEX_CONTRACT.read_text(encoding="utf-8")
    assert text.count(EXPOSITION) == 1 and text.count(STACK) == 1
    contract = tmp / "contract.yaml"
    contract.write_text(text.replace(EXPOSITION, f'exposition: ["{path}"]').replace(STACK, ""), encoding="utf-8")
    return contract


def predicted_broken(stack: LiveStack, path: str, tmp: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    """Where `check` of the dashboard and the rules against a contract declaring only `path` finds a problem."""
    sources = []
    for name in ("grafana/qortex.json", "prometheus/rules.yml"):
        sources.append(tmp / name.split("/")[1])
        sources[-1].write_text(stack.files[name], encoding="utf-8")
    code = cli.main(["check", str(declaring(path, tmp)), *map(str, sources), "--format", "json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert code == (1 if problems else 0)
    return {problem["location"] for problem in problems}


def test_every_query_reads_its_expected_value_or_nothing_where_check_says(
        pushed: LiveStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (row,) = pushed.rows
    dashboard = json.loads(pushed.files["grafana/qortex.json"])
    levels = gauge_levels(pushed, tmp_path)
    panels = evaluate_panels(pushed, dashboard, levels)
    rules = evaluate_rules(pushed, levels)
    (variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "job")
    match = re.fullmatch(r"label_values\((\w+),\s*job\)", variable["query"])
    assert match, variable["query"]
    offered = pushed.prometheus.get(f"/api/v1/label/job/values?match[]={match.group(1)}")["data"]
    assert offered in ([], [row.job]), offered

    # what reads nothing, in check's words for where it is
    empty = ({f'panel "{o.panel}" target {o.ref}' for o in panels if o.empty}
             | {f'group "{r.group}" rule "{r.record}"' for r in rules if r.empty}
             | ({f'variable "{variable["name"]}"'} if not offered else set()))
    predicted = predicted_broken(pushed, row.path, tmp_path, capsys)
    panels_ok = sum(not o.empty and not o.problems for o in panels)
    rules_ok = sum(rule.ok(row.path) for rule in rules)
    broken = [sum(location.startswith(kind) for location in predicted) for kind in ("panel ", "group ")]
    SUMMARY.append(f"{row.path} (prometheus {pushed.version}): {panels_ok}/{len(panels)} panel queries, "
                   f"{rules_ok}/{len(rules)} rules, values ok; check predicted the {broken[0]} queries and "
                   f"{broken[1]} rules that read nothing")
    assert (len(panels), len(rules)) == (24, 28)
    # every query that reads something reads its expected value ...
    assert {(o.panel, o.ref): o.problems for o in panels if o.problems} == {}
    assert {rule.record: rule.problems for rule in rules if rule.problems} == {}
    # ... and what reads nothing is exactly what check predicts on a contract declaring this path
    assert empty == predicted


def test_counters_read_the_workloads_event_counts_under_the_paths_name(pushed: LiveStack) -> None:
    """One `QueryCompleted` per batch, under the counter's name on this path (`qortex_queries` without suffixes)."""
    (batches,) = LIVE_BATCHES
    (row,) = pushed.rows
    (metric,) = (m for m in pushed.lc.contract.metrics if m.name == "qortex_queries")
    path: ExpositionPath = row.path  # type: ignore[assignment]
    (series,) = expose(metric, path).series
    shown = {s["metric"]["mode"]: float(s["value"][1])
             for s in pushed.query(f'{{__name__="{series}", job="{row.job}"}}')}
    assert shown == {"vec": float(batches)}, (row.path, series, shown)
