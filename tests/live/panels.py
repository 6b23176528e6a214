"""What a Grafana panel's query or a recording rule becomes in Prometheus, and what it should read, for the live tests.

`expected(stack, expr, job)` computes, without PromQL, what `expr` must read
for one job at `stack.at`: counters from that job's raw samples (Prometheus'
documented extrapolation, see `increase_by_hand`), histograms from their
bucket rates, gauges from the levels one workload batch sets. It knows the
query shapes the generated dashboards and rules use and fails on any other.
"""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

import promql_parser as pp

from tests.live.conftest import SCRAPE_SECONDS, LiveStack

# Grafana never steps below the data source's scrape interval, and a dashboard
# showing the last few minutes reaches that floor
INTERVAL_SECONDS = SCRAPE_SECONDS
# Grafana's definition of $__rate_interval
RATE_INTERVAL_SECONDS = max(INTERVAL_SECONDS + SCRAPE_SECONDS, 4 * SCRAPE_SECONDS)
RANGE_SECONDS = 3600

_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\[\[(\w+)(?::\w+)?\]\]|\$(\w+)")

Key = tuple[tuple[str, str], ...]      # a result's labels, sorted, without __name__


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
        "__range": f"{RANGE_SECONDS // 3600}h",
        "__range_s": str(RANGE_SECONDS),
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


def raw_samples(stack: LiveStack, series: str, job: str, seconds: float,
                at: float | None = None) -> list[tuple[dict[str, str], list[tuple[int, float]]]]:
    """(labels, [(timestamp in ms, value)]) of `job`'s raw samples of `series` in the window ending at `at`."""
    at = stack.at if at is None else at
    params = urllib.parse.urlencode({"query": f'{series}{{job="{job}"}}[{seconds:g}s]', "time": f"{at:.3f}"})
    body = stack.prometheus.get("/api/v1/query?" + params)
    assert body["data"]["resultType"] == "matrix", body
    return [(raw["metric"], [(round(float(t) * 1000), float(v)) for t, v in raw["values"]])
            for raw in body["data"]["result"]]


def increase_by_hand(samples: list[tuple[int, float]], start_ms: int, end_ms: int, major: int) -> float | None:
    """A counter's increase over (start, end] from its raw samples, extrapolated as Prometheus documents it.

    The growth between the first and the last sample is extrapolated to a
    window end when the sample is within 1.1 average sample intervals of it,
    else by half an interval; at the start, never further back than the
    counter's zero point. Prometheus 2 caps at the zero point before the
    1.1-interval test, Prometheus 3 after it (measured: 2.42 and 3.16 differ
    on a counter born inside the window). None with fewer than two samples.
    """
    if len(samples) < 2:
        return None
    values = [v for _, v in samples]
    assert values == sorted(values), f"the workload never resets a counter: {samples}"
    (t0, v0), (t1, v1) = samples[0], samples[-1]
    # Prometheus keeps whole milliseconds and divides their differences by 1000
    to_start, to_end, sampled = (t0 - start_ms) / 1000, (end_ms - t1) / 1000, (t1 - t0) / 1000
    growth = v1 - v0
    average = sampled / (len(samples) - 1)
    threshold = average * 1.1
    to_zero = sampled * (v0 / growth) if growth > 0 and v0 >= 0 else math.inf
    if major >= 3:
        to_start = min(average / 2 if to_start >= threshold else to_start, to_zero)
    else:
        to_start = min(to_start, to_zero)
        to_start = average / 2 if to_start >= threshold else to_start
    to_end = average / 2 if to_end >= threshold else to_end
    return growth * ((sampled + to_start + to_end) / sampled)


def by_hand(stack: LiveStack, series: str, job: str, kept: tuple[str, ...],
            seconds: float = RATE_INTERVAL_SECONDS, *, rate: bool = True,
            at: float | None = None) -> dict[tuple[str, ...], float]:
    """`sum by (kept) (rate(series{job=...}[seconds]))` (or increase) at `at`, from `job`'s raw samples."""
    at = stack.at if at is None else at
    end_ms = round(at * 1000)
    start_ms = end_ms - round(seconds * 1000)
    found: dict[tuple[str, ...], float] = {}
    for labels, samples in raw_samples(stack, series, job, seconds, at):
        grown = increase_by_hand(samples, start_ms, end_ms, stack.major)
        if grown is None:   # rate() needs two samples too
            continue
        key = tuple(labels.get(label, "") for label in kept)
        found[key] = found.get(key, 0.0) + (grown / seconds if rate else grown)
    return found


def bucket_quantile(q: float, buckets: dict[float, float]) -> float:
    """`histogram_quantile` of cumulative bucket counts by upper bound: linear within the bucket the rank is in.

    The first bucket starts at 0 (its bound being positive); a rank in the
    +Inf bucket reads the highest finite bound.
    """
    bounds = sorted(buckets)
    assert bounds[-1] == math.inf, buckets
    rank = q * buckets[math.inf]
    index = next(i for i, bound in enumerate(bounds) if buckets[bound] >= rank)
    if bounds[index] == math.inf:
        return bounds[-2]
    low, below = (0.0, 0.0) if index == 0 else (bounds[index - 1], buckets[bounds[index - 1]])
    return low + (bounds[index] - low) * (rank - below) / (buckets[bounds[index]] - below)


def _labels(names: tuple[str, ...], values: tuple[str, ...]) -> Key:
    return tuple(sorted((n, v) for n, v in zip(names, values, strict=True) if v != ""))


def _range_seconds(matrix: Any) -> float:
    return float(matrix.range.total_seconds())


def expected(stack: LiveStack, expr: str, job: str, levels: Callable[[str], dict[Key, float]]) -> dict[Key, float]:
    """What `expr` (interpolated for `job`, or a rule's expression) must read for `job` at `stack.at`.

    `levels(series)`: a gauge's value per label set after any number of
    workload batches. Results are keyed by their labels without __name__;
    `le` is compared by value, so `1` and `1.0` are one key (`le_key`).
    """
    node = pp.parse(interpolate(expr, job))
    return _expected(stack, node, job, levels)


def _counter_sum(stack: LiveStack, node: Any, job: str, kept: tuple[str, ...]) -> dict[Key, float]:
    assert isinstance(node, pp.Call) and node.func.name in ("rate", "increase"), node
    (matrix,) = node.args
    series = matrix.vector_selector.name
    found = by_hand(stack, series, job, kept, _range_seconds(matrix), rate=node.func.name == "rate")
    assert found, f"no samples of {series} for job {job}"
    return {_labels(kept, key): value for key, value in found.items()}


def _expected(stack: LiveStack, node: Any, job: str, levels: Callable[[str], dict[Key, float]]) -> dict[Key, float]:
    if isinstance(node, pp.ParenExpr):
        return _expected(stack, node.expr, job, levels)
    if isinstance(node, pp.BinaryExpr):
        assert str(node.op) == "/", node
        lhs, rhs = _expected(stack, node.lhs, job, levels), _expected(stack, node.rhs, job, levels)
        assert lhs.keys() == rhs.keys(), (lhs, rhs)
        return {key: lhs[key] / rhs[key] for key in lhs}
    if isinstance(node, pp.Call) and node.func.name == "histogram_quantile":
        q = float(str(node.args[0]))
        inner = node.args[1]
        assert isinstance(inner, pp.AggregateExpr) and str(inner.op) == "sum" and inner.modifier, inner
        kept = tuple(inner.modifier.labels)
        assert "le" in kept, inner
        per_le = _counter_sum(stack, inner.expr, job, kept)
        grouped: dict[Key, dict[float, float]] = {}
        for key, value in per_le.items():
            le = float(dict(key)["le"])
            grouped.setdefault(tuple(kv for kv in key if kv[0] != "le"), {})[le] = value
        return {key: bucket_quantile(q, buckets) for key, buckets in grouped.items()}
    assert isinstance(node, pp.AggregateExpr), node
    kept = tuple(node.modifier.labels) if node.modifier else ()
    op = str(node.op)
    if isinstance(node.expr, pp.Call):
        assert op == "sum", node
        return _counter_sum(stack, node.expr, job, kept)
    assert isinstance(node.expr, pp.VectorSelector) and op in ("sum", "avg"), node
    assert set(kept) <= {"job"}, node
    assert node.expr.name, node
    values = list(levels(node.expr.name).values())
    assert values, node.expr.name
    level = sum(values) if op == "sum" else sum(values) / len(values)
    return {_labels(kept, tuple(job for _ in kept)): level}


def le_key(labels: dict[str, str], dropped: frozenset[str]) -> Key:
    """A result's labels as `expected` keys them: without __name__ and `dropped`, `le` read as a number."""
    return tuple(sorted((k, str(float(v)) if k == "le" else v) for k, v in labels.items()
                        if k != "__name__" and k not in dropped))


def normalised(found: dict[Key, float], dropped: frozenset[str]) -> dict[Key, float]:
    """`expected`'s keys as `le_key` makes them."""
    return {le_key(dict(key), dropped): value for key, value in found.items()}
