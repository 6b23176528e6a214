"""The declarative dashboards: a contract's `dashboards:` section and YAML dashboard files, as `lib` dashboards.

Each `DashboardSpec` (contract/model.py) becomes the `lib.Dashboard` a Python
dashboard file would compose, so both forms render, and are checked, by the
same `lib.render`. Every panel, row and dashboard is located at its YAML node
(`SourceMap`), so a bad reference that `render` finds is reported at the
panel's line in the contract or the dashboard file.

Per kind: `rate` is a per-second rate of a counter; `increase` its growth over
`window` (default 1h); `quantiles` one line per quantile of a histogram
(default p50, p95, p99); `gauge` the value of a gauge or updowncounter,
aggregated by `agg` (default: `avg` for a gauge, `sum` for an updowncounter)
per `by` (default: `job`); `heatmap` a histogram's buckets; `stat` one
number: a counter's increase over the dashboard's range, else the value as
`gauge` shows it. Panels are laid out by `lib.layout`.
"""

from __future__ import annotations

from contract.loader import Path, SourceMap
from contract.model import Contract, DashboardSpec, Metric, PanelSpec
from dashboards import default, lib

DEFAULT_WINDOW = "1h"
# the whole time range the dashboard shows: a stat of a counter counts what happened in it
RANGE = "$__range"


def name_of(spec: DashboardSpec) -> str:
    """The output name (`grafana/<name>.json`) of a dashboard of the contract's section."""
    return spec.name or lib.slug(spec.title)


def from_spec(spec: DashboardSpec, contract: Contract, source: SourceMap, at: Path, name: str) -> lib.Dashboard:
    """The dashboard `spec`, found at `at` in the document `source` maps, as `lib` composes it."""
    rows = []
    for r, row in enumerate(spec.rows):
        panels = tuple(_panel(p, contract, source, (*at, "rows", r, "panels", i)) for i, p in enumerate(row.panels))
        line, column = source.locate((*at, "rows", r))
        rows.append(lib.Row(row.title, lib.layout(panels), source.file, line, column))
    job_metric = spec.job_metric or contract.metrics[0].name
    # a bad job metric is reported at its own value, else at the dashboard
    line, column = source.locate((*at, "job_metric") if spec.job_metric else at)
    return lib.Dashboard(spec.title, spec.uid or name, spec.tags, job_metric, tuple(rows), source.file, line, column)


def _panel(p: PanelSpec, contract: Contract, source: SourceMap, at: Path) -> lib.Panel:
    metric = contract.metric(p.metric)
    line, column = source.locate(at)
    kind: lib.PanelKind = "heatmap" if p.kind == "heatmap" else "stat" if p.kind == "stat" else "timeseries"
    description = p.description if p.description is not None else (metric.help if metric is not None else "")
    return lib.Panel(kind, p.title, _queries(p, metric), source.file, line, unit=p.unit, description=description,
                     column=column)


def _queries(p: PanelSpec, metric: Metric | None) -> tuple[lib.Query, ...]:
    # `metric` is None for a name the contract lacks: any query will do, `render` reports the name
    if p.kind == "rate":
        return (lib.rate(p.metric, by=p.by, legend=p.legend),)
    if p.kind == "increase":
        return (lib.increase(p.metric, p.window or DEFAULT_WINDOW, by=p.by, legend=p.legend),)
    if p.kind == "quantiles":
        return lib.quantiles(p.metric, *(p.quantiles or default.QUANTILES))
    if p.kind == "heatmap":
        return (lib.buckets(p.metric),)
    if p.kind == "stat" and metric is not None and metric.type == "counter":
        return (lib.increase(p.metric, RANGE, by=p.by, legend=p.legend),)
    agg = p.agg or ("sum" if metric is not None and metric.type == "updowncounter" else "avg")
    return (lib.gauge(p.metric, agg=agg, by=p.by or ("job",), legend=p.legend),)
