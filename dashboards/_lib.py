"""House style and contract-checked query helpers for dashboards as code.

The only module that imports grafanalib. A dashboard file only composes:
`dashboard(rows=(row(title, (panel, ...), ...), ...))` with panels from
`timeseries`, `stat`, `gauge_panel` and `heatmap`, and queries from `rate`,
`increase`, `total`, `gauge`, `quantiles` and `buckets`. Queries name contract
metrics, never series: `render` resolves them against a contract and spells
each series the way `contract.naming` says every declared exposition path
exposes it. A bad reference is reported at the line of the panel that made it.
"""

from __future__ import annotations

import difflib
import json
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from grafanalib import core as g  # type: ignore[import-untyped]
from grafanalib._gen import DashboardEncoder  # type: ignore[import-untyped]

from contract.model import Contract, Metric
from contract.naming import PATHS, expose
from contract.problems import InputError, Problem

# ── house style: every dashboard looks the same; change it here only ──

GRID_COLUMNS = 24
ROW_HEIGHT = 1
PANEL_HEIGHT = 8
# the seed's version: an older one makes Grafana run its migrations over this JSON
SCHEMA_VERSION = 39
REFRESH = "30s"
TIME_RANGE = ("now-1h", "now")
TIMEZONE = "browser"
FILL_OPACITY = 10
BASE_COLOUR = "green"
HEATMAP_SCHEME = "Oranges"
# a static legend gets the same colour on every panel, so p99 always reads as the bad one
SERIES_COLOURS = {"p50": "green", "p90": "yellow", "p95": "orange", "p99": "red"}

DATASOURCE_VARIABLE = "datasource"
JOB_VARIABLE = "job"
DATASOURCE = {"type": "prometheus", "uid": "${" + DATASOURCE_VARIABLE + "}"}
# what generators/grafana.py provisions; the data source variable starts on it
PROVISIONED_DATASOURCE_NAME = "Prometheus"
PROVISIONED_DATASOURCE_UID = "prometheus"
# at least four scrape intervals (Grafana computes it), so a rate always spans two samples
RATE_WINDOW = "$__rate_interval"

# OpenTelemetry unit -> Grafana unit, of the value itself and of its per-second
# rate; an annotation such as `{query}` counts things, like "1"
VALUE_UNITS = {"1": "short", "s": "s", "ms": "ms", "us": "µs", "ns": "ns", "By": "bytes", "%": "percent",
               "By/s": "Bps"}
RATE_UNITS = {"1": "cps", "By": "Bps"}

_ANNOTATION = re.compile(r"\{[^}]*\}")
_LEGEND_LABEL = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")
_UID_INVALID = re.compile(r"[^A-Za-z0-9_-]+")
_UID_MAX = 40   # Grafana rejects longer uids
_ROOT = Path(__file__).resolve().parent.parent
_SERIES_SUFFIX = {"counter": "_total", "histogram": "_bucket", "gauge": ""}

QueryKind = Literal["rate", "increase", "gauge", "quantile", "buckets"]
PanelKind = Literal["timeseries", "stat", "gauge", "heatmap"]
# the Prometheus type each query needs
_NEEDS: dict[QueryKind, str] = {"rate": "counter", "increase": "counter", "gauge": "gauge",
                                "quantile": "histogram", "buckets": "histogram"}


# ── composition: plain data, resolved against a contract by `render` ──

@dataclass(frozen=True)
class Query:
    metric: str
    kind: QueryKind
    by: tuple[str, ...] = ()
    agg: str = "sum"
    window: str = RATE_WINDOW
    quantile: float = 0.0
    legend: str | None = None


@dataclass(frozen=True)
class Panel:
    kind: PanelKind
    title: str
    queries: tuple[Query, ...]
    file: str
    line: int
    unit: str | None = None
    description: str = ""
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Row:
    title: str
    lines: tuple[tuple[Panel, ...], ...]
    file: str
    line: int


@dataclass(frozen=True)
class Dashboard:
    title: str
    uid: str
    tags: tuple[str, ...]
    job_metric: str
    rows: tuple[Row, ...]
    file: str
    line: int


def rate(metric: str, *, by: tuple[str, ...] = (), legend: str | None = None) -> Query:
    """Per-second rate of a counter, summed over the selected job's instances."""
    return Query(metric, "rate", by=by, legend=legend)


def increase(metric: str, window: str, *, by: tuple[str, ...] = (), legend: str | None = None) -> Query:
    """How much a counter grew over the trailing `window` (a count, not a rate)."""
    return Query(metric, "increase", by=by, window=window, legend=legend)


def gauge(metric: str, *, agg: str = "avg", by: tuple[str, ...] = ("job",), legend: str | None = None) -> Query:
    """A gauge per job: summing levels such as a mean across processes would be meaningless."""
    return Query(metric, "gauge", by=by, agg=agg, legend=legend)


def quantiles(metric: str, *qs: float) -> tuple[Query, ...]:
    """One query per quantile of a histogram, legends `p50`, `p95`, ..."""
    return tuple(Query(metric, "quantile", quantile=q, legend=f"p{q * 100:g}") for q in qs)


def buckets(metric: str) -> Query:
    """A histogram's buckets as a heatmap."""
    return Query(metric, "buckets", by=("le",), legend="{{le}}")


def timeseries(title: str, *queries: Query, unit: str | None = None, description: str = "") -> Panel:
    file, line = _caller()
    return Panel("timeseries", title, queries, file, line, unit=unit, description=description)


def stat(title: str, *queries: Query, unit: str | None = None, description: str = "") -> Panel:
    file, line = _caller()
    return Panel("stat", title, queries, file, line, unit=unit, description=description)


def gauge_panel(title: str, *queries: Query, unit: str | None = None, description: str = "",
                min: float | None = None, max: float | None = None) -> Panel:
    file, line = _caller()
    return Panel("gauge", title, queries, file, line, unit=unit, description=description, min=min, max=max)


def heatmap(title: str, query: Query, *, unit: str | None = None, description: str = "") -> Panel:
    file, line = _caller()
    return Panel("heatmap", title, (query,), file, line, unit=unit, description=description)


def row(title: str, *lines: tuple[Panel, ...]) -> Row:
    """A row of panels; each line shares the 24 columns equally."""
    file, line = _caller()
    return Row(title, lines, file, line)


def dashboard(title: str, *, uid: str, tags: tuple[str, ...], job_metric: str, rows: tuple[Row, ...]) -> Dashboard:
    """`job_metric`: a contract metric every scrape job of the service exposes; it fills the job picker."""
    file, line = _caller()
    return Dashboard(title, uid, tags, job_metric, rows, file, line)


def _caller() -> tuple[str, int]:
    """The dashboard source line that called into this module."""
    frame = sys._getframe(1)
    here = Path(__file__).resolve()
    while frame.f_back is not None and Path(frame.f_code.co_filename).resolve() == here:
        frame = frame.f_back
    path = Path(frame.f_code.co_filename).resolve()
    shown = path.relative_to(_ROOT).as_posix() if path.is_relative_to(_ROOT) else str(path)
    return shown, frame.f_lineno


# ── rendering ──

@dataclass(frozen=True)
class _Target:
    expr: str
    legend: str
    format: str
    unit: str | None


def render(spec: Dashboard, contract: Contract, *, description: str, job: str) -> dict[str, Any]:
    """The dashboard as Grafana JSON, the job picker on `job`; every bad reference at once as an `InputError`."""
    return _Renderer(contract).dashboard(spec, description, job)


class _Renderer:
    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.problems: list[Problem] = []
        self.paths = contract.exposition
        self.scrape_labels = set.intersection(*(set(PATHS[p].scrape_labels) for p in self.paths))

    def dashboard(self, spec: Dashboard, description: str, job: str) -> dict[str, Any]:
        for r in spec.rows:
            for line in r.lines:
                if not line or GRID_COLUMNS % len(line):
                    self.fail(r, "dashboard/layout", f"{_what(r)} has a line of {len(line)} panels; "
                              f"the panels of a line split {GRID_COLUMNS} columns evenly")
        resolved = {p: self.panel(p) for r in spec.rows for line in r.lines for p in line}
        job_series = self.job_series(spec)
        if self.problems:
            raise InputError.many(self.problems)
        assert job_series is not None
        panels: list[Any] = []
        y = 0
        for r in spec.rows:
            panels.append(g.RowPanel(title=r.title, id=len(panels) + 1, collapsed=False,
                                     gridPos=g.GridPos(h=ROW_HEIGHT, w=GRID_COLUMNS, x=0, y=y)))
            y += ROW_HEIGHT
            for line in r.lines:
                width = GRID_COLUMNS // len(line)
                for i, p in enumerate(line):
                    targets, unit = resolved[p]
                    pos = g.GridPos(h=PANEL_HEIGHT, w=width, x=i * width, y=y)
                    panels.append(_panel(p, targets, unit, pos, len(panels) + 1))
                y += PANEL_HEIGHT
        board = g.Dashboard(
            title=spec.title, uid=_uid(spec.uid), description=description, tags=list(spec.tags), panels=panels,
            templating=g.Templating([_datasource_variable(), _job_variable(job_series, job)]),
            time=g.Time(*TIME_RANGE), timezone=TIMEZONE, refresh=REFRESH, schemaVersion=SCHEMA_VERSION,
            graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR,
            # provisioned from a generated file: a UI edit could not be saved back
            editable=False,
        )
        data: dict[str, Any] = json.loads(json.dumps(board.to_json_data(), cls=DashboardEncoder))
        return data

    def fail(self, at: Panel | Row | Dashboard, check: str, message: str, metric: str = "") -> None:
        self.problems.append(Problem(file=at.file, line=at.line, column=0, check=check, message=message,
                                     location=_what(at), metric=metric))

    def job_series(self, spec: Dashboard) -> str | None:
        metric = self.metric(spec, spec.job_metric)
        return None if metric is None else self.series(spec, metric)

    def panel(self, p: Panel) -> tuple[list[_Target], str | None]:
        what = _what(p)
        targets = [t for t in (self.target(p, q) for q in p.queries) if t is not None]
        if len(targets) < len(p.queries):
            return targets, None
        if p.unit is not None:
            return targets, p.unit
        units = sorted({t.unit for t in targets if t.unit is not None})
        if len(units) > 1:
            self.fail(p, "dashboard/mixed-units", f"{what} mixes units {', '.join(units)}; pass `unit=` to the panel")
        return targets, units[0] if units else None

    def target(self, p: Panel, q: Query) -> _Target | None:
        what = _what(p)
        metric = self.metric(p, q.metric)
        if metric is None:
            return None
        prom_type = expose(metric, self.paths[0]).prom_type
        if prom_type != _NEEDS[q.kind]:
            self.fail(p, "dashboard/metric-type", f"{what} asks for the {q.kind} of `{metric.name}`, a {metric.type}; "
                      f"that needs a {_NEEDS[q.kind]}", metric.name)
            return None
        series = self.series(p, metric)
        by = self.labels(p, metric, q.by)
        if series is None or by is None:
            return None
        expr, kept = _expr(q, series, by)
        legend = q.legend if q.legend is not None else (" ".join(f"{{{{{k}}}}}" for k in kept) or metric.help)
        for label in _LEGEND_LABEL.findall(legend):
            if label not in kept:
                self.fail(p, "dashboard/legend-label", f"{what} legend `{legend}` names `{label}`, which the query "
                          f"on `{metric.name}` does not keep (it keeps: {', '.join(kept) or 'no labels'})", metric.name)
        unit = None if p.unit is not None else self.unit(p, q, metric)
        return _Target(expr, legend, "heatmap" if q.kind == "buckets" else "time_series", unit)

    def metric(self, at: Panel | Dashboard, name: str) -> Metric | None:
        metric = self.contract.metric(name)
        if metric is None:
            self.fail(at, "dashboard/unknown-metric",
                      f"{_what(at)} references `{name}`, which is not in the contract{self.suggest(name)}", name)
        return metric

    def suggest(self, name: str) -> str:
        renamed = next((m.name for m in self.contract.metrics if m.renamed_from == name), None)
        if renamed:
            return f"; it was renamed to `{renamed}`"
        for m in self.contract.metrics:
            if any(name in expose(m, p).series for p in self.paths):
                return f"; did you mean `{m.name}` (its series `{name}` is spelled by the exporter)?"
        close = difflib.get_close_matches(name, [m.name for m in self.contract.metrics], n=1)
        return f"; did you mean `{close[0]}`?" if close else ""

    def series(self, at: Panel | Dashboard, metric: Metric) -> str | None:
        """The queried series, which must be spelled the same on every declared path."""
        spelled = {p: expose(metric, p) for p in self.paths}
        names = {p: e.family + _SERIES_SUFFIX[e.prom_type] for p, e in spelled.items()}
        first = names[self.paths[0]]
        for path, name in names.items():
            if name != first:
                self.fail(at, "dashboard/path-divergence", f"{_what(at)} queries `{metric.name}`, exposed as `{first}` "
                          f"on {self.paths[0]} but `{name}` on {path}", metric.name)
                return None
        return first

    def labels(self, p: Panel, metric: Metric, wanted: tuple[str, ...]) -> tuple[str, ...] | None:
        what = _what(p)
        out: list[str] = []
        for name in wanted:
            if name in self.scrape_labels or (name == "le" and metric.type == "histogram"):
                out.append(name)
                continue
            if name not in metric.label_names:
                known = ", ".join(f"`{n}`" for n in metric.label_names) or "none"
                self.fail(p, "dashboard/unknown-label", f"{what} groups `{metric.name}` by `{name}`, which is not "
                          f"one of its labels ({known})", metric.name)
                return None
            index = metric.label_names.index(name)
            exposed = {expose(metric, path).labels[index] for path in self.paths}
            if len(exposed) > 1:
                self.fail(p, "dashboard/path-divergence", f"{what} groups `{metric.name}` by `{name}`, which the "
                          f"exposition paths spell differently ({', '.join(sorted(exposed))})", metric.name)
                return None
            out.append(exposed.pop())
        return tuple(out)

    def unit(self, p: Panel, q: Query, metric: Metric) -> str | None:
        base = _ANNOTATION.sub("", metric.unit) or "1"
        table = RATE_UNITS if q.kind == "rate" else VALUE_UNITS
        if base not in table:
            self.fail(p, "dashboard/unit", f"{_what(p)}: no Grafana unit for the {q.kind} of `{metric.name}` "
                      f"(unit `{metric.unit}`); pass `unit=` to the panel", metric.name)
            return None
        return table[base]


def _what(at: Panel | Row | Dashboard) -> str:
    if isinstance(at, Panel):
        return f"panel \"{at.title}\""
    if isinstance(at, Row):
        return f"row \"{at.title}\""
    return f"dashboard \"{at.title}\" (job variable)"


def _expr(q: Query, series: str, by: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The PromQL and the labels its result keeps."""
    # one job, matched exactly: Grafana writes a single-valued variable's value
    # unescaped, so a regex match would read `.` in a job name as any character
    selector = f'{series}{{job="${JOB_VARIABLE}"}}'
    if q.kind == "gauge":
        return _aggregate(q.agg, by, selector), by
    if q.kind == "increase":
        return _aggregate("sum", by, f"increase({selector}[{q.window}])"), by
    per_second = f"rate({selector}[{q.window}])"
    if q.kind == "quantile":
        # summing by `le` first keeps one quantile when several jobs expose the histogram
        return f"histogram_quantile({q.quantile:g}, {_aggregate('sum', ('le',), per_second)})", ()
    return _aggregate("sum", by, per_second), by


def _aggregate(op: str, by: tuple[str, ...], inner: str) -> str:
    return f"{op} by ({', '.join(by)}) ({inner})" if by else f"{op}({inner})"


def _uid(uid: str) -> str:
    return _UID_INVALID.sub("-", uid).strip("-")[:_UID_MAX]


def _panel(p: Panel, targets: list[_Target], unit: str | None, pos: Any, panel_id: int) -> Any:
    common: dict[str, Any] = {
        "title": p.title, "id": panel_id, "gridPos": pos, "dataSource": DATASOURCE,
        "description": p.description or None,
        # Grafana then picks the resolution from the panel's width
        "maxDataPoints": None,
        "thresholds": [{"color": BASE_COLOUR, "value": None}],
        "targets": [
            g.Target(expr=t.expr, legendFormat=t.legend, refId=string.ascii_uppercase[i], format=t.format,
                     datasource=DATASOURCE, intervalFactor=1)
            for i, t in enumerate(targets)
        ],
    }
    shown_unit = unit or ""
    if p.kind == "timeseries":
        overrides = [
            {"matcher": {"id": "byName", "options": t.legend},
             "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": SERIES_COLOURS[t.legend]}}]}
            for t in targets if t.legend in SERIES_COLOURS
        ]
        return g.TimeSeries(**common, unit=shown_unit, fillOpacity=FILL_OPACITY, tooltipMode="multi",
                            overrides=overrides)
    if p.kind == "stat":
        return g.Stat(**common, format=shown_unit, reduceCalc="lastNotNull")
    if p.kind == "gauge":
        return g.GaugePanel(**common, format=shown_unit, calc="lastNotNull", min=p.min, max=p.max, extraJson={
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "showThresholdLabels": False, "showThresholdMarkers": True},
        })
    return g.Heatmap(**common, dataFormat="tsbuckets", yBucketBound="upper",
                     yAxis=g.YAxis(format=shown_unit, decimals=0), extraJson={
        "fieldConfig": {"defaults": {"unit": shown_unit}},
        # buckets come pre-computed from Prometheus: Grafana must not re-bucket them
        "options": {"calculate": False, "yAxis": {"unit": shown_unit, "decimals": 0},
                    "color": {"mode": "scheme", "scheme": HEATMAP_SCHEME, "steps": 64},
                    "cellValues": {"unit": RATE_UNITS["1"]}},
    })


def _datasource_variable() -> Any:
    return g.Template(name=DATASOURCE_VARIABLE, label="Data source", type="datasource", query="prometheus",
                      default=PROVISIONED_DATASOURCE_UID)


def _job_variable(series: str, default: str) -> Any:
    # One job at a time, starting on `default`. The direct path and the
    # Collector path are separate scrape jobs that carry the same events: a
    # panel summing over both (All) would show every rate twice. A single
    # value keeps every `sum` within one path, so each panel reads what a user
    # computes by hand; comparing the paths means switching the picker.
    return g.Template(name=JOB_VARIABLE, label="Job", type="query", query=f"label_values({series}, job)",
                      dataSource=DATASOURCE, default=default, includeAll=False, multi=False,
                      refresh=g.REFRESH_ON_TIME_RANGE_CHANGE)
