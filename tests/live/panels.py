"""What a Grafana panel's query becomes in Prometheus, and what it should read, for the live tests."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import promql_parser as pp

from tests.live.conftest import SCRAPE_SECONDS, LiveStack

# Grafana never steps below the data source's scrape interval, and a dashboard
# showing the last few minutes reaches that floor
INTERVAL_SECONDS = SCRAPE_SECONDS
# Grafana's definition of $__rate_interval
RATE_INTERVAL_SECONDS = max(INTERVAL_SECONDS + SCRAPE_SECONDS, 4 * SCRAPE_SECONDS)

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")


def grafana_escape(value: str) -> str:
    """A single-valued variable's value as Grafana's Prometheus data source writes it into a query."""
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def interpolate(expr: str, job: str) -> str:
    """`expr` as Grafana sends it to Prometheus with only `job` selected."""
    values = {
        "__interval": f"{INTERVAL_SECONDS}s",
        "__interval_ms": str(INTERVAL_SECONDS * 1000),
        "__rate_interval": f"{RATE_INTERVAL_SECONDS}s",
        # the dashboard's time range; the workload is far shorter, as on a fresh deployment
        "__range": "1h",
        "__range_s": "3600",
        "job": grafana_escape(job),
    }

    def value(match: re.Match[str]) -> str:
        name = next(g for g in match.groups() if g)
        if name not in values:
            raise AssertionError(f"no test value for Grafana variable `{name}` in {expr!r}")
        return values[name]

    return _VARIABLE.sub(value, expr)


def panel_targets(dashboard: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, refId, expr) of every PromQL target, collapsed rows included."""
    found: list[tuple[str, str, str]] = []

    def walk(panels: list[dict[str, Any]]) -> None:
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                if "expr" in target:
                    found.append((panel["title"], target["refId"], target["expr"]))

    walk(dashboard["panels"])
    return found


def rate_targets(dashboard: dict[str, Any]) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(panel title, expr, series, labels kept) of every `sum [by (...)] (rate(<series>{job="$job"}[...]))`."""
    found = []
    for title, _, expr in panel_targets(dashboard):
        node = pp.parse(interpolate(expr, "job"))
        if not (isinstance(node, pp.AggregateExpr) and str(node.op) == "sum"
                and isinstance(node.expr, pp.Call) and node.expr.func.name == "rate"):
            continue
        (matrix,) = node.expr.args
        assert isinstance(matrix, pp.MatrixSelector), expr
        series = matrix.vector_selector.name
        assert series, expr
        assert [(m.name, m.op, m.value) for m in matrix.vector_selector.matchers.matchers] == [
            ("job", pp.MatchOp.Equal, "job")], expr
        found.append((title, expr, series, tuple(node.modifier.labels) if node.modifier else ()))
    return found


def by_hand(stack: LiveStack, series: str, job: str, kept: tuple[str, ...]) -> dict[tuple[str, ...], float]:
    """The per-second rate of `job`'s raw counter samples over the panel's window, summed per kept label set.

    Per series: its growth between the first and the last sample in the
    window over the time between them. Every counter of the workload grew
    through the whole window from samples one scrape apart, so Prometheus
    extrapolates `rate()` to the window's ends at that same slope.
    """
    params = urllib.parse.urlencode({"query": f'{series}{{job="{job}"}}[{RATE_INTERVAL_SECONDS}s]',
                                     "time": f"{stack.at:.3f}"})
    body = stack.prometheus.get("/api/v1/query?" + params)
    assert body["data"]["resultType"] == "matrix", body
    rates: dict[tuple[str, ...], float] = {}
    for raw in body["data"]["result"]:
        if len(raw["values"]) < 2:   # rate() needs two samples too
            continue
        (t0, v0), (t1, v1) = raw["values"][0], raw["values"][-1]
        key = tuple(raw["metric"].get(label, "") for label in kept)
        # Prometheus keeps whole milliseconds and divides their difference by
        # 1000; subtracting the API's float seconds (about 1.8e9) instead
        # loses up to 2.4e-7 s, a relative 4e-8 over a few seconds' window
        sampled = (round(float(t1) * 1000) - round(float(t0) * 1000)) / 1000
        rates[key] = rates.get(key, 0.0) + (float(v1) - float(v0)) / sampled
    return rates
