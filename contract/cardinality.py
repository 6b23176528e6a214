"""Estimated series counts: what a metric costs in Prometheus.

Per path, one series per combination of closed label values (guarded labels
count `other` too) times the series a combination produces: 1 for gauges,
`_total` (+ `_created`) for counters, and for histograms one `_bucket` per
bound plus `+Inf`, `_sum`, `_count` (+ `_created`). A label without a closed
value set makes the estimate unbounded (None).
"""

from __future__ import annotations

from math import prod

from contract.model import Metric
from contract.naming import PATHS, PROM_TYPES, ExpositionPath


def series_per_combination(metric: Metric, path: ExpositionPath) -> int:
    prom_type = PROM_TYPES[metric.type]
    created = 1 if prom_type in PATHS[path].created_series else 0
    if prom_type == "histogram":
        return len(metric.buckets or ()) + 1 + 2 + created
    return 1 + (created if prom_type == "counter" else 0)


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
