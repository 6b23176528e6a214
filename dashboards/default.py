"""The default dashboard: what a contract gets when neither it nor the configuration names a dashboard.

One row per metric group, in order of first appearance: a metric's `group`,
else the first segment of its name after the namespace prefix
(`checkout_http_requests` -> `http`), else, for a name outside the namespace
(a semantic-convention name such as `http.server.request.duration`), the
first segment of the name split on `.` or `_`. One panel per metric, titled
with its name and described by its help:

- counter: its per-second rate, summed by its closed-set labels (those with `values`);
- histogram: p50, p95 and p99;
- gauge: its value, `avg by (job)`;
- updowncounter: its value, summed by its closed-set labels.

A closed set bounds the lines a panel draws; an open label could draw one per
user id. Where `lib` has no Grafana unit for a metric's unit, the panel shows
plain numbers (`short`) rather than failing. Every panel and row is located at
its metric in the contract.

A contract with `slos:` gets a last row, "SLOs": per SLO its SLI, the error
budget left and the burn rates its alerts watch, located at the SLO.
"""

from __future__ import annotations

import re

from contract.loader import LoadedContract
from contract.model import Metric
from dashboards import lib

QUANTILES = (0.5, 0.95, 0.99)
FALLBACK_UNIT = "short"
_SEGMENT = re.compile(r"[._]")


def name_of(lc: LoadedContract) -> str:
    """The output name (`grafana/<name>.json`): the service's slug."""
    return lib.slug(lc.contract.service)


def default_dashboard(lc: LoadedContract) -> lib.Dashboard:
    c = lc.contract
    groups: dict[str, list[lib.Panel]] = {}
    where: dict[str, tuple[int, int]] = {}   # a row's position: its first metric's
    for i, m in enumerate(c.metrics):
        line, column = lc.source.locate(("metrics", i))
        group = group_of(m, c.namespace)
        where.setdefault(group, (line, column))
        groups.setdefault(group, []).append(_panel(m, lc.file, line, column))
    rows = tuple(lib.Row(title, lib.layout(tuple(panels)), lc.file, *where[title]) for title, panels in groups.items())
    if c.slos:
        rows += (slo_row(lc),)
    line, column = lc.source.locate(("metrics", 0))
    return lib.Dashboard(c.service, name_of(lc), (c.service,), c.metrics[0].name, rows, lc.file, line, column)


def group_of(metric: Metric, namespace: str) -> str:
    """The row a metric's panel sits in."""
    if metric.group:
        return metric.group
    name = metric.name
    for separator in ("_", "."):
        if name.startswith(namespace + separator):
            name = name[len(namespace) + 1:]
            break
    return next((s for s in _SEGMENT.split(name) if s), metric.name)


def slo_row(lc: LoadedContract) -> lib.Row:
    """Three panels per SLO, each located at the SLO in the contract."""
    lines = []
    for i, slo in enumerate(lc.contract.slos):
        line, column = lc.source.locate(("slos", i))
        lines.append((
            lib.Panel("timeseries", f"{slo.name}: SLI", (lib.sli(slo.name),), lc.file, line, column=column),
            lib.Panel("stat", f"{slo.name}: error budget left", (lib.budget_remaining(slo.name),), lc.file, line,
                      column=column),
            lib.Panel("timeseries", f"{slo.name}: burn rate", lib.burn_rates(slo.name), lc.file, line,
                      column=column),
        ))
    line, column = lc.source.locate(("slos",))
    return lib.Row("SLOs", tuple(lines), lc.file, line, column)


def _panel(m: Metric, file: str, line: int, column: int) -> lib.Panel:
    closed = tuple(label.name for label in m.labels if label.values is not None)
    if m.type == "counter":
        queries: tuple[lib.Query, ...] = (lib.rate(m.name, by=closed),)
    elif m.type in ("histogram", "native_histogram"):
        queries = lib.quantiles(m.name, *QUANTILES)
    elif m.type == "summary":
        # prometheus_client's summaries carry no quantiles: the rate of observations is what every one has
        queries = (lib.rate(m.name, by=closed),)
    elif m.type in ("gauge", "untyped", "info"):
        queries = (lib.gauge(m.name),)
    elif m.type == "stateset":
        # 1 for the current state: the state each job is in, over time
        queries = (lib.gauge(m.name, agg="max", by=("job", m.name)),)
    else:
        queries = (lib.gauge(m.name, agg="sum", by=closed),)
    # None: the unit `render` derives from the metric
    unit = None if lib.unit_of(queries[0].kind, m.unit) is not None else FALLBACK_UNIT
    if m.type == "summary":
        unit = "ops"   # observations per second, whatever the unit of what is observed
    return lib.Panel("timeseries", m.name, queries, file, line, unit=unit, description=m.help, column=column)
