"""House style and contract-checked query helpers for dashboards as code: the public dashboard API.

The only module that imports grafanalib. A dashboard file only composes, and
names contract metrics, never series:

    from dashboards import lib

    DASHBOARD = lib.dashboard(
        "Checkout", uid="checkout", tags=("checkout",), job_metric="checkout_requests",
        rows=(
            lib.row("Traffic",
                    (lib.timeseries("Requests", lib.rate("checkout_requests", by=("method",))),
                     lib.timeseries("Latency", *lib.quantiles("checkout_request_duration_seconds", 0.5, 0.99)))),
        ),
    )

Composition (plain frozen data; each constructor records the file and line
that called it, where a bad reference is reported):
- `dashboard(title, uid=, tags=, job_metric=, rows=)`: `job_metric` fills the
  job picker; `row(title, *lines)`: each line is a tuple of panels that share
  the 24 columns evenly (1, 2, 3, 4, 6, 8, 12 or 24 of them); `layout(panels)`
  splits panels into such lines, up to 3 each.
- panels: `timeseries`, `stat`, `gauge_panel` (Grafana's gauge visual, with
  `min`/`max`) and `heatmap`; each takes `unit=` (a Grafana unit id; default:
  derived from the metric's unit, see `unit_of`) and `description=` (default:
  the `help` of the contract metrics it shows).
- queries: `rate` (per-second rate of a counter), `increase` (a counter's
  growth over a window), `gauge` (a gauge's or updowncounter's value,
  aggregated), `quantiles` (one query per quantile of a histogram) and
  `buckets` (a histogram's buckets, for a heatmap). `by=` keeps labels,
  `legend=` names the series (`{{label}}` only of kept labels).
- SLO queries, by the name of one of the contract's `slos:`, read the series
  its rules in `prometheus/alerts.yml` record: `sli` (the share of good
  events over 5m), `budget_remaining` (over 30 days) and `burn_rates` (one
  query per alert window: 1h, 6h, 1d, 3d).

`render(dashboard, contract, description=, job=)` resolves every reference
against the contract and spells each series the way `contract.naming` says
every declared exposition path exposes it (a name PromQL cannot write bare,
kept dotted by a UTF-8 path, quoted as Prometheus 3 reads it:
`{"a.b_total"}`, `sum by ("http.method")`). It reports every bad reference at
once as one `InputError`: an unknown metric (with a suggestion) or label, a
query kind the metric's type cannot answer, a series or label spelled
differently on two declared paths, a legend naming a label the query drops, a
unit it cannot map, mixed units on one panel, a line that does not split the
grid evenly. The declarative form of the same dashboards (a contract's
`dashboards:` section or a YAML file) is built on this module by
`dashboards/spec.py`; docs/dashboards.md describes both.

The JSON is Grafana 11's current model, reduced to what this house style
sets: grafanalib builds the objects and `_clean` drops what grafanalib adds
around them (null defaults, keys Grafana no longer reads, its copy of the
defaults Grafana's panel plugins fill in themselves). tests/test_dashboard_schema.py
loads every generated dashboard with grafana-foundation-sdk, Grafana's own
typed model, and fails on any key it does not know.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from grafanalib import core as g  # type: ignore[import-untyped]

from contract import alerting
from contract.model import Contract, Metric
from contract.naming import PATHS, Exposure, expose
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
_SLUG_INVALID = re.compile(r"[^a-z0-9]+")
# panels per line that `layout` puts side by side: three keep a panel's plot readable
PANELS_PER_LINE = 3
# the series a query reads of a family with several: a histogram's buckets, a summary's `_count` (its rate is
# that of observations); every other family has one (`_queried`)
_SERIES_SUFFIX = {"histogram": "_bucket", "summary": "_count"}

QueryKind = Literal["rate", "increase", "gauge", "quantile", "buckets", "sli", "budget", "burn"]
# SLO queries: `metric` names an SLO, whose recorded series they read (`contract.alerting.SloNames`)
_SLO_KINDS = ("sli", "budget", "burn")
SLI_WINDOW = alerting.WINDOWS[0]
BURN_WINDOWS = tuple(rule.long for rule in alerting.BURN_RULES)
PanelKind = Literal["timeseries", "stat", "gauge", "heatmap"]
# the Prometheus type each query needs
_NEEDS: dict[str, str] = {"rate": "counter", "increase": "counter", "gauge": "gauge",
                                "quantile": "histogram", "buckets": "histogram"}
# other Prometheus types a query also reads: the rate of a summary's observations, the value of an untyped,
# info or stateset series, the quantiles of a native histogram
_ALSO: dict[str, tuple[str, ...]] = {"rate": ("summary",), "increase": ("summary",),
                                     "gauge": ("untyped", "info", "stateset"), "quantile": ("native_histogram",)}


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
    column: int = 0   # where the panel is declared, when known (a YAML node); 0 for a Python call


@dataclass(frozen=True)
class Row:
    title: str
    lines: tuple[tuple[Panel, ...], ...]
    file: str
    line: int
    column: int = 0


@dataclass(frozen=True)
class Dashboard:
    title: str
    uid: str
    tags: tuple[str, ...]
    job_metric: str
    rows: tuple[Row, ...]
    file: str
    line: int
    column: int = 0


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


def sli(slo: str) -> Query:
    """The SLI of the contract's SLO `slo`: the share of good events over the last 5 minutes."""
    return Query(slo, "sli", window=SLI_WINDOW, legend=f"SLI ({SLI_WINDOW})")


def budget_remaining(slo: str) -> Query:
    """The share of the SLO's error budget left over its 30-day period."""
    return Query(slo, "budget", window=alerting.PERIOD, legend=f"budget left ({alerting.PERIOD})")


def burn_rates(slo: str) -> tuple[Query, ...]:
    """How fast the SLO burns its error budget (1: it lasts exactly the period), over each alert window."""
    return tuple(Query(slo, "burn", window=w, legend=w) for w in BURN_WINDOWS)


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


def layout(panels: tuple[Panel, ...]) -> tuple[tuple[Panel, ...], ...]:
    """`panels` as lines of at most PANELS_PER_LINE, as even as they can be, fuller lines first.

    Four panels make two lines of two rather than three and a lone full-width one.
    """
    count = -(-len(panels) // PANELS_PER_LINE)   # lines needed
    lines: list[tuple[Panel, ...]] = []
    start = 0
    for i in range(count):
        size = len(panels) // count + (i < len(panels) % count)
        lines.append(panels[start:start + size])
        start += size
    return tuple(lines)


def slug(text: str) -> str:
    """A file name and uid from a title: lowercase letters and digits, other runs as one `-`."""
    return _SLUG_INVALID.sub("-", text.lower()).strip("-") or "dashboard"


def unit_of(kind: QueryKind, unit: str) -> str | None:
    """The Grafana unit of a query of `kind` on a metric in OpenTelemetry `unit`; None when there is no mapping."""
    base = _ANNOTATION.sub("", unit) or "1"
    return (RATE_UNITS if kind == "rate" else VALUE_UNITS).get(base)


def _caller() -> tuple[str, int]:
    """The dashboard source line that called into this module, its file relative to the working directory."""
    frame = inspect.currentframe()
    here = Path(__file__).resolve()
    while frame is not None and frame.f_back is not None and Path(frame.f_code.co_filename).resolve() == here:
        frame = frame.f_back
    assert frame is not None   # this function always has a caller
    path = Path(frame.f_code.co_filename).resolve()
    cwd = Path.cwd()
    shown = path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else str(path)
    return shown, frame.f_lineno


# ── rendering ──

@dataclass(frozen=True)
class _Target:
    expr: str
    legend: str
    format: str | None   # None: a time series, the Prometheus query's default
    unit: str | None
    help: str            # of the queried metric


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
        return _clean(json.loads(json.dumps(board, default=_grafanalib_json)))

    def fail(self, at: Panel | Row | Dashboard, check: str, message: str, metric: str = "") -> None:
        self.problems.append(Problem(file=at.file, line=at.line, column=at.column, check=check, message=message,
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
        if q.kind in _SLO_KINDS:
            return self.slo_target(p, q)
        what = _what(p)
        metric = self.metric(p, q.metric)
        if metric is None:
            return None
        prom_type = expose(metric, self.paths[0]).prom_type
        if prom_type != _NEEDS[q.kind] and prom_type not in _ALSO.get(q.kind, ()):
            self.fail(p, "dashboard/metric-type", f"{what} asks for the {q.kind} of `{metric.name}`, a {metric.type}; "
                      f"that needs a {_NEEDS[q.kind]}", metric.name)
            return None
        series = self.series(p, metric)
        by = self.labels(p, metric, q.by)
        if series is None or by is None:
            return None
        expr, kept = _expr(q, series, by, native=prom_type == "native_histogram")
        legend = q.legend if q.legend is not None else (" ".join(f"{{{{{k}}}}}" for k in kept) or metric.help)
        for label in _LEGEND_LABEL.findall(legend):
            if label not in kept:
                self.fail(p, "dashboard/legend-label", f"{what} legend `{legend}` names `{label}`, which the query "
                          f"on `{metric.name}` does not keep (it keeps: {', '.join(kept) or 'no labels'})", metric.name)
        unit = None if p.unit is not None else self.unit(p, q, metric)
        return _Target(expr, legend, "heatmap" if q.kind == "buckets" else None, unit, metric.help)

    def slo_target(self, p: Panel, q: Query) -> _Target | None:
        """A query of the series the rules of an SLO record (generators/alerts.py), on the selected job."""
        slo = next((s for s in self.contract.slos if s.name == q.metric), None)
        names = alerting.slo_names(self.contract, slo) if slo is not None else None
        if slo is None or names is None:
            close = difflib.get_close_matches(q.metric, [s.name for s in self.contract.slos], n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            message = f"{_what(p)} shows SLO `{q.metric}`, which is not in the contract's `slos:`{hint}"
            if not any(known.message == message and known.line == p.line for known in self.problems):
                self.fail(p, "dashboard/unknown-slo", message)   # once for the panel's several burn rates
            return None
        selector = f'{{job="${JOB_VARIABLE}", slo={alerting.quote(slo.name)}}}'
        if q.kind == "sli":
            expr, unit = f"1 - {names.error_ratio(q.window)}{selector}", "percentunit"
        elif q.kind == "budget":
            expr, unit = f"{names.budget_remaining}{selector}", "percentunit"
        else:
            expr, unit = f"{names.burn_rate(q.window)}{selector}", "short"
        described = slo.description or f"SLO {slo.name}: {slo.objective:g}% of events good"
        return _Target(expr, q.legend or slo.name, None, None if p.unit is not None else unit, described)

    def metric(self, at: Panel | Dashboard, name: str) -> Metric | None:
        metric = self.contract.metric(name)
        if metric is None:
            self.fail(at, "dashboard/unknown-metric",
                      f"{_what(at)} references `{name}`, which is not in the contract"
                      f"{alerting.suggest(self.contract, name)}", name)
        return metric

    def series(self, at: Panel | Dashboard, metric: Metric) -> str | None:
        """The queried series, which must be spelled the same on every declared path."""
        spelled = {p: expose(metric, p) for p in self.paths}
        names = {p: _queried(e) for p, e in spelled.items()}
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
        unit = unit_of(q.kind, metric.unit)
        if unit is None:
            self.fail(p, "dashboard/unit", f"{_what(p)}: no Grafana unit for the {q.kind} of `{metric.name}` "
                      f"(unit `{metric.unit}`); pass `unit=` to the panel", metric.name)
        return unit


def _what(at: Panel | Row | Dashboard) -> str:
    if isinstance(at, Panel):
        return f"panel \"{at.title}\""
    if isinstance(at, Row):
        return f"row \"{at.title}\""
    return f"dashboard \"{at.title}\" (job variable)"


def _expr(q: Query, series: str, by: tuple[str, ...], *, native: bool = False) -> tuple[str, tuple[str, ...]]:
    """The PromQL and the labels its result keeps."""
    # one job, matched exactly: Grafana writes a single-valued variable's value
    # unescaped, so a regex match would read `.` in a job name as any character
    selector = alerting.series_selector(series, (f'job="${JOB_VARIABLE}"',))
    if q.kind == "gauge":
        return _aggregate(q.agg, by, selector), by
    if q.kind == "increase":
        return _aggregate("sum", by, f"increase({selector}[{q.window}])"), by
    per_second = f"rate({selector}[{q.window}])"
    if q.kind == "quantile" and native:
        # a native histogram's series hold whole histograms: no `le` to keep
        return f"histogram_quantile({q.quantile:g}, {_aggregate('sum', (), per_second)})", ()
    if q.kind == "quantile":
        # summing by `le` first keeps one quantile when several jobs expose the histogram
        return f"histogram_quantile({q.quantile:g}, {_aggregate('sum', ('le',), per_second)})", ()
    return _aggregate("sum", by, per_second), by


def _queried(e: Exposure) -> str:
    """The series a query reads: `_bucket` or `_count` of a family with several, else the family's one series (a
    counter's `_total`, or the family alone on a path without suffixes)."""
    if e.prom_type in _SERIES_SUFFIX:
        return e.family + _SERIES_SUFFIX[e.prom_type]
    (series,) = e.core_series
    return series


def _aggregate(op: str, by: tuple[str, ...], inner: str) -> str:
    grouping = ", ".join(alerting.label_name(label) for label in by)
    return f"{op} by ({grouping}) ({inner})" if by else f"{op}({inner})"


def _uid(uid: str) -> str:
    return _UID_INVALID.sub("-", uid).strip("-")[:_UID_MAX]


def _panel(p: Panel, targets: list[_Target], unit: str | None, pos: Any, panel_id: int) -> Any:
    common: dict[str, Any] = {
        "title": p.title, "id": panel_id, "gridPos": pos, "dataSource": DATASOURCE,
        # what a reader sees behind the panel's (i): the metrics' own words unless the panel has its own
        "description": p.description or "; ".join(dict.fromkeys(t.help for t in targets)),
        # the base step only: Grafana reads its value as -Infinity whatever the JSON says
        "thresholds": [{"color": BASE_COLOUR}],
        "targets": [
            g.Target(expr=t.expr, legendFormat=t.legend, refId=string.ascii_uppercase[i], format=t.format,
                     datasource=DATASOURCE)
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
        return g.GaugePanel(**common, format=shown_unit, min=p.min, max=p.max, extraJson={
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "showThresholdLabels": False, "showThresholdMarkers": True},
        })
    # Grafana's heatmap since 9.0: the options below replace grafanalib's `cards`, `dataFormat`, `xAxis`, ...
    # which `_clean` drops
    return g.Heatmap(**common, extraJson={
        "fieldConfig": {"defaults": {"unit": shown_unit}},
        # buckets come pre-computed from Prometheus (each row up to its `le`): Grafana must not re-bucket them
        "options": {"calculate": False, "rowsFrame": {"layout": "le"}, "yAxis": {"unit": shown_unit, "decimals": 0},
                    "color": {"mode": "scheme", "scheme": HEATMAP_SCHEME, "steps": 64},
                    "cellValues": {"unit": RATE_UNITS["1"]}},
    })


def _datasource_variable() -> Any:
    return g.Template(name=DATASOURCE_VARIABLE, label="Data source", type="datasource", query="prometheus",
                      default=PROVISIONED_DATASOURCE_UID)


def _job_variable(series: str, default: str) -> Any:
    # One job at a time, starting on `default` (the service's). A job is a
    # service: its series carry its name as `job` on every path, the
    # Collector's too (`honor_labels`), so the picker lists the services
    # behind the Collector apart. A single value keeps every `sum` within one
    # service, so each panel reads what a user computes by hand from that
    # service's counters. It cannot keep two paths of one service apart: an
    # application exposes through one path at a time, and one exposing
    # through two at once would be read twice (tests/test_dashboard.py).
    query = f"label_values({alerting.series_selector(series)}, job)"
    return g.Template(name=JOB_VARIABLE, label="Job", type="query", query=query,
                      dataSource=DATASOURCE, default=default, includeAll=False, multi=False,
                      refresh=g.REFRESH_ON_TIME_RANGE_CHANGE)


# ── Grafana's current JSON model ──
#
# grafanalib writes every attribute it knows: null defaults, keys Grafana no
# longer reads (`rows`, `style`, a panel's `span` and `height`, a target's
# `step` and `query`, the heatmap's pre-9.0 `cards` and `xAxis`), and its
# copy of the defaults Grafana's panel plugins fill in themselves. `_clean`
# keeps, of each object, the keys of its shape below: what this house style
# sets, as Grafana 11 reads it. A shape maps a key to the shape of its value;
# None keeps the value whole; a list's shape is its items'. A null is dropped
# everywhere: Grafana reads a missing key as its default. Left out on
# purpose: `maxDataPoints` (Grafana picks the resolution from the panel's
# width), `timepicker` and `links` (Grafana's defaults), `id` and `version`
# (Grafana's own, per instance).

_Shape: TypeAlias = Mapping[str, "_Shape | None"]

_TARGET: _Shape = dict.fromkeys(("refId", "expr", "legendFormat", "format", "instant", "datasource"))
_PANEL: _Shape = {**dict.fromkeys(("type", "id", "title", "description", "datasource", "gridPos")), "targets": _TARGET}
_FIELD_DEFAULTS: _Shape = dict.fromkeys(("unit", "thresholds"))
_SHAPES: dict[str, _Shape] = {
    # a row is a header: no query, no field options; `panels` holds its panels only while it is collapsed
    "row": dict.fromkeys(("type", "id", "title", "collapsed", "gridPos", "panels")),
    "timeseries": {**_PANEL, "fieldConfig": {"defaults": {**_FIELD_DEFAULTS, "custom": {"fillOpacity": None}},
                                             "overrides": None},
                   "options": {"tooltip": {"mode": None}}},
    # `noValue`: an empty stat reads "none" (grafanalib's choice, which the panel has always shown)
    "stat": {**_PANEL, "fieldConfig": {"defaults": {**_FIELD_DEFAULTS, "noValue": None}},
             "options": {"reduceOptions": None}},
    "gauge": {**_PANEL, "fieldConfig": {"defaults": {**_FIELD_DEFAULTS, "min": None, "max": None}}, "options": None},
    "heatmap": {**_PANEL, "fieldConfig": {"defaults": _FIELD_DEFAULTS}, "options": None},
}
_VARIABLE: _Shape = {**dict.fromkeys(("type", "name", "label", "query", "datasource", "multi", "includeAll",
                                     "refresh", "sort")),
                    "current": dict.fromkeys(("text", "value"))}
_DASHBOARD: _Shape = {**dict.fromkeys(("title", "uid", "description", "tags", "editable", "graphTooltip", "time",
                                      "timezone", "refresh", "schemaVersion", "annotations")),
                     "templating": {"list": _VARIABLE}}


def _grafanalib_json(obj: Any) -> Any:
    """How `json.dumps` writes a grafanalib object: as its own JSON form."""
    return obj.to_json_data()


def _clean(board: dict[str, Any]) -> dict[str, Any]:
    """grafanalib's dashboard JSON in Grafana's current model (see the shapes above)."""
    clean: dict[str, Any] = _pick(board, _DASHBOARD)
    # each panel by the shape of its type
    clean["panels"] = [_pick(panel, _SHAPES[panel["type"]]) for panel in board["panels"]]
    for panel in clean["panels"]:
        for target in panel.get("targets", ()):
            # grafanalib writes the legacy `instant: false` alone; Grafana's query editor names the query's kind
            instant = target.pop("instant")
            target["instant" if instant else "range"] = True
    return clean


def _pick(value: Any, shape: _Shape | None) -> Any:
    """`value` without nulls, its objects reduced to the keys of `shape` (None: all of them)."""
    if isinstance(value, list):
        return [_pick(item, shape) for item in value]
    if isinstance(value, dict):
        return {key: _pick(item, None if shape is None else shape[key]) for key, item in value.items()
                if item is not None and (shape is None or key in shape)}
    return value
