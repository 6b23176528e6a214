"""Estimated series counts: what a metric costs in Prometheus.

Per path, one series per combination of closed label values (guarded labels
count `other` too) times the series a combination produces on that path
(`naming.expose`), a classic histogram's `_bucket` counting one per bound
plus `+Inf`. A label without a closed
value set makes the estimate unbounded (None).
"""

from __future__ import annotations

from math import prod

from contract.model import Metric
from contract.naming import ExpositionPath, expose


def series_per_combination(metric: Metric, path: ExpositionPath) -> int:
    exposure = expose(metric, path)
    if exposure.prom_type == "histogram":   # `_bucket` is one series per bound, plus `+Inf`
        return len(exposure.series) - 1 + len(metric.buckets or ()) + 1
    return len(exposure.series)


def label_combinations(metric: Metric) -> int | None:
    sizes = []
    for label in metric.labels:
        values = label.allowed_values()
        if values is None:
            return None
        sizes.append(len(values))
    return prod(sizes)


def estimate(metric: Metric, paths: tuple[ExpositionPath, ...]) -> int | None:
    combos = label_combinations(metric)
    if combos is None:
        return None
    return sum(combos * series_per_combination(metric, p) for p in paths)
