"""The contract as pydantic models (shape documented in README "The contract").

Only structure and local value rules live here; everything that relates two
parts of the contract (an op naming a metric, two metrics colliding) is a
check under `contract/checks/`, so it is reported as a located problem
rather than a validation failure.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo, field_validator, model_validator

from contract import duration
from contract.naming import PATH_ALIASES, ExpositionPath

# OpenTelemetry's instruments, then Prometheus' and OpenMetrics' own types (what each path can yield:
# `contract.naming.TYPE_PATHS`); `unknown`, OpenMetrics' word for untyped, is read as `untyped`
MetricType = Literal["counter", "updowncounter", "gauge", "histogram", "summary", "untyped", "info", "stateset",
                     "native_histogram"]

def duration_seconds(text: str) -> float:
    """The seconds of a duration as Prometheus writes it (`contract.duration`)."""
    found = duration.seconds(text)
    if found is None:
        raise ValueError(f"`{text}` is not a duration like 15s, 500ms, 1m or 1h30m")
    return found


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelRange(_Model):
    """`{from: 500, to: 599, value: 5xx}`: a number from `from` to `to` (both included) is recorded as `value`."""

    from_: float = Field(alias="from")
    to: float
    value: str

    @model_validator(mode="after")
    def _ordered(self) -> LabelRange:
        if not (math.isfinite(self.from_) and math.isfinite(self.to)):
            raise ValueError("`from` and `to` must be finite numbers")
        if self.from_ > self.to:
            raise ValueError(f"`from` ({self.from_:g}) must not be more than `to` ({self.to:g})")
        return self


def _map_shape(raw: object) -> str | None:
    """Which form of `map:` a document holds: a table is a mapping, ranges a list (anything else: neither)."""
    if isinstance(raw, dict):
        return "table"
    return "ranges" if isinstance(raw, (list, tuple)) else None


# A label's `map:`, applied to a label value before it is recorded (by the generated module's API and its event
# handlers alike): a table `{"200": ok, "404": missing}` (string keys; an int value is looked up by its digits),
# or ranges of numbers `[{from: 500, to: 599, value: 5xx}]`. A value the map does not cover is recorded as it
# is, so the closed set (if any) still turns it into `other`.
LabelMap = Annotated[
    Annotated[dict[str, str], Tag("table")] | Annotated[tuple[LabelRange, ...], Tag("ranges")],
    Discriminator(_map_shape, custom_error_type="label_map",
                  custom_error_message="neither a table like `{\"200\": ok}` nor a list of ranges like "
                                       "`[{from: 500, to: 599, value: 5xx}]`"),
]


class Label(_Model):
    name: str
    values: tuple[str, ...] | None = None
    # With a closed `values` set, anything else is recorded as `other` so a
    # bad caller cannot explode cardinality; `guard: false` records it as is.
    guard: bool = True
    help: str = ""
    map: LabelMap | None = None

    @field_validator("values")
    @classmethod
    def _non_empty(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and not v:
            raise ValueError("a closed value set needs at least one value")
        if v is not None and len(set(v)) != len(v):
            raise ValueError("values repeat")
        return v

    def __hash__(self) -> int:
        # a frozen model hashes its fields, and a table is a dict: hashed by its items instead (metrics are
        # hashed, e.g. by `naming.expose`'s cache)
        return hash((self.name, self.values, self.guard, self.help, tuple(self.table.items()), self.ranges))

    @field_validator("map", mode="before")
    @classmethod
    def _digit_keys(cls, v: object) -> object:
        if isinstance(v, (dict, list)) and not v:
            raise ValueError("a map needs at least one entry")
        # YAML reads `200: ok` with an int key; a table's keys are strings, and an int value is looked up by
        # its digits anyway, so `200` and `"200"` mean one key
        if not isinstance(v, dict):
            return v
        table: dict[object, object] = {}
        for key, value in v.items():
            if isinstance(key, bool):
                raise ValueError(f"key `{str(key).lower()}` is read as a boolean; quote it")
            text = str(key) if isinstance(key, int) else key
            if text in table:
                raise ValueError(f"key `{text}` appears twice (a number key is its digits)")
            table[text] = value
        return table

    def allowed_values(self) -> tuple[str, ...] | None:
        """Values a series may carry: the closed set, plus `other` when guarded."""
        if self.values is None:
            return None
        if self.guard and "other" not in self.values:
            return self.values + ("other",)
        return self.values

    @property
    def table(self) -> dict[str, str]:
        """The `map:` table; empty when there is none (or the map is ranges)."""
        return self.map if isinstance(self.map, dict) else {}

    @property
    def ranges(self) -> tuple[LabelRange, ...]:
        """The `map:` ranges; empty when there are none (or the map is a table)."""
        return self.map if isinstance(self.map, tuple) else ()

    def mapped(self, value: str) -> str:
        """What the map makes of a constant label value (a string: only a table can cover it)."""
        return self.table.get(value, value)


class Metric(_Model):
    name: str
    type: MetricType
    unit: str
    help: str
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] | None = None
    renamed_from: str | None = None
    max_series: int | None = Field(default=None, ge=1)
    # the row of the default dashboard; else the name's first segment after the namespace
    group: str | None = Field(default=None, min_length=1)
    # an OpenTelemetry semantic-convention metric (`http.server.request.duration`): its
    # name is the convention's, so it may sit outside the contract's namespace
    semconv: bool = False
    # watched by the metrics-stopped alert (`alerts:`); when no metric says so, every counter an event feeds is
    required: bool = False

    @field_validator("type", mode="before")
    @classmethod
    def _one_word_for_untyped(cls, v: object) -> object:
        return "untyped" if v == "unknown" else v

    @property
    def label_names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.labels)

    def label(self, name: str) -> Label | None:
        return next((label for label in self.labels if label.name == name), None)


class ValueSpec(_Model):
    """A number, or an event field optionally multiplied by `scale`."""

    # a NaN or infinite constant or scale would make every event of the op a dropped operation
    const: float | None = Field(default=None, allow_inf_nan=False)
    field: str | None = None
    scale: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _from_number(cls, data: object) -> object:
        if isinstance(data, bool):
            raise ValueError("expected a number or {field, scale}, got a boolean")
        if isinstance(data, (int, float)):
            return {"const": data}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ValueSpec:
        if (self.const is None) == (self.field is None):
            raise ValueError("give either a number or `field`")
        if self.scale is not None and self.field is None:
            raise ValueError("`scale` applies to a `field` value only")
        return self


class LabelSource(_Model):
    field: str | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> LabelSource:
        if (self.field is None) == (self.value is None):
            raise ValueError("a label takes exactly one of `field` or `value`")
        return self


class Guard(_Model):
    field: str
    not_null: bool = False
    gt: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _has_test(self) -> Guard:
        if not self.not_null and self.gt is None:
            raise ValueError("a `when` guard needs `not_null: true` or `gt`")
        return self


class Op(_Model):
    metric: str
    add: ValueSpec | None = None
    record: ValueSpec | None = None
    set: ValueSpec | None = None
    labels: dict[str, LabelSource] = {}
    when: Guard | None = None

    @model_validator(mode="after")
    def _one_operation(self) -> Op:
        given = [k for k in ("add", "record", "set") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an op takes exactly one of `add`, `record` or `set`")
        return self

    @property
    def operation(self) -> Literal["add", "record", "set"]:
        return "add" if self.add is not None else "record" if self.record is not None else "set"

    @property
    def value(self) -> ValueSpec:
        spec = self.add or self.record or self.set
        assert spec is not None  # guaranteed by _one_operation
        return spec


class Event(_Model):
    event: str
    ops: tuple[Op, ...] = Field(min_length=1)


class SpanStart(_Model):
    event: str
    attributes: dict[str, str] = {}


class SpanEnd(_Model):
    event: str
    error: bool = False
    attributes: dict[str, str] = {}


class Span(_Model):
    name: str
    key: str
    start: SpanStart
    end: tuple[SpanEnd, ...] = Field(min_length=1)
    max_open: int = Field(default=1000, ge=1)


class Rule(_Model):
    record: str | None = None
    alert: str | None = None
    expr: str
    for_: str | None = Field(default=None, alias="for")
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _kind(self) -> Rule:
        if (self.record is None) == (self.alert is None):
            raise ValueError("a rule takes exactly one of `record` or `alert`")
        if self.for_ is not None:
            if self.record is not None:
                raise ValueError("`for` applies to alerting rules only")
            duration_seconds(self.for_)
        return self


def canonical_paths(v: object) -> object:
    """A list of exposition paths with each alias replaced in place, so an error about any item points at it."""
    if isinstance(v, list | tuple):
        return [PATH_ALIASES.get(p, p) if isinstance(p, str) else p for p in v]
    return v


def unique_paths(v: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(v)) != len(v):
        raise ValueError("exposition paths repeat")
    return v


class Stack(_Model):
    """Ports and host names of the generated observability stack (seed defaults)."""

    app_host: str = "host.docker.internal"
    app_metrics_port: int = Field(default=9090, ge=1, le=65535)
    otlp_grpc_port: int = Field(default=4317, ge=1, le=65535)
    otlp_http_port: int = Field(default=4318, ge=1, le=65535)
    collector_metrics_port: int = Field(default=8889, ge=1, le=65535)
    prometheus_port: int = Field(default=9091, ge=1, le=65535)
    grafana_port: int = Field(default=3010, ge=1, le=65535)
    jaeger_ui_port: int = Field(default=16686, ge=1, le=65535)
    # the declared exposition paths whose series this stack collects (empty: every declared one). An application
    # exposes through one path at a time, so a stack scraping the targets of two paths finds one of them down.
    paths: tuple[ExpositionPath, ...] = ()

    @field_validator("paths", mode="before")
    @classmethod
    def _canonical_paths(cls, v: object) -> object:
        return canonical_paths(v)

    @field_validator("paths")
    @classmethod
    def _unique_paths(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return unique_paths(v)


_TARGET_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _target_labels_shape(raw: object) -> str | None:
    """Which form of `target_labels:` a document holds: per path is a mapping, every path a list."""
    if isinstance(raw, dict):
        return "paths"
    return "every" if isinstance(raw, (list, tuple)) else None


# `target_labels: [cluster]` (every path) or `target_labels: {all: [cluster], otel-collector: [k8s_pod_name]}`
TargetLabels = Annotated[
    Annotated[tuple[str, ...], Tag("every")]
    | Annotated[dict[str, tuple[str, ...]], Tag("paths")],
    Discriminator(_target_labels_shape, custom_error_type="target_labels",
                  custom_error_message="neither a list of label names like `[cluster]` nor a mapping of paths to "
                                       "lists like `{all: [cluster]}`"),
]


class Contract(_Model):
    contract: Literal[1]
    service: str = Field(min_length=1)
    namespace: str = Field(min_length=1)
    scrape_interval: str = "15s"
    exposition: tuple[ExpositionPath, ...] = Field(min_length=1)
    metrics: tuple[Metric, ...] = Field(min_length=1)
    events: tuple[Event, ...] = ()
    spans: tuple[Span, ...] = ()
    rules: tuple[Rule, ...] = ()
    stack: Stack = Stack()
    # budget for the estimated series of all metrics on all declared paths
    max_series: int | None = Field(default=None, ge=1)
    # declarative dashboards (DashboardSpec, below); none here and none configured: a default one
    dashboards: tuple[DashboardSpec, ...] = ()
    # alerting rules and SLOs (Alerts and Slo, below), written to prometheus/alerts.yml with their promtool tests
    alerts: Alerts | None = None
    slos: tuple[Slo, ...] = ()
    # labels the scrape or relabelling adds to every series (`cluster`, `namespace`): a list for every path, or
    # a mapping of `all` and path names to lists
    target_labels: TargetLabels = ()

    @field_validator("target_labels")
    @classmethod
    def _target_labels(cls, v: tuple[str, ...] | dict[str, tuple[str, ...]], info: ValidationInfo) -> object:
        # `exposition` is validated before this field (it is declared first); absent when it failed itself
        declared = info.data.get("exposition", ())
        for key in v if isinstance(v, dict) else ():
            if key != "all" and key not in declared:
                known = ", ".join(("all", *declared))
                raise ValueError(f"`{key}` is neither `all` nor a declared exposition path (known: {known})")
        for names in (v.values() if isinstance(v, dict) else (v,)):
            for name in names:
                if not _TARGET_LABEL.fullmatch(name) or name.startswith("__"):
                    raise ValueError(f"`{name}` is not a Prometheus label name (letters, digits, `_`; not "
                                     f"starting with `__`)")
            if len(set(names)) != len(names):
                raise ValueError("target labels repeat")
        return v

    def target_labels_of(self, path: str) -> tuple[str, ...]:
        """The target labels series of `path` carry: those of every path, then the path's own."""
        if not isinstance(self.target_labels, dict):
            return self.target_labels
        return self.target_labels.get("all", ()) + self.target_labels.get(path, ())

    @field_validator("scrape_interval")
    @classmethod
    def _duration(cls, v: str) -> str:
        # Prometheus reads a zero interval as "unset" and scrapes every minute
        # instead; the rule windows and Grafana's $__rate_interval would then
        # be computed from an interval nobody scrapes at. Milliseconds are
        # fine: Prometheus accepts them.
        if duration_seconds(v) <= 0:
            raise ValueError(f"`{v}` must be longer than zero")
        return v

    @field_validator("exposition", mode="before")
    @classmethod
    def _canonical_paths(cls, v: object) -> object:
        return canonical_paths(v)

    @field_validator("exposition")
    @classmethod
    def _unique_paths(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return unique_paths(v)

    @property
    def stack_paths(self) -> tuple[ExpositionPath, ...]:
        """The paths whose series the generated stack collects: `stack.paths`, else every declared one."""
        return self.stack.paths or self.exposition

    @property
    def scrape_seconds(self) -> float:
        return duration_seconds(self.scrape_interval)

    def metric(self, name: str) -> Metric | None:
        return self.metric_index.get(name)

    @cached_property
    def metric_index(self) -> dict[str, Metric]:
        # first declaration wins; duplicates are reported by a check
        index: dict[str, Metric] = {}
        for m in self.metrics:
            index.setdefault(m.name, m)
        return index


# ── dashboards: the declarative form (`dashboards:` in a contract, or a YAML dashboard file) ──
#
# Only shape and local value rules live here; what a panel references (a metric, a label, the kind a
# metric's type can answer) is resolved by `dashboards/lib.py` when the dashboard renders, and reported
# at the panel's line. `dashboards/spec.py` turns these into `dashboards.lib` dashboards.

PanelKind = Literal["rate", "increase", "quantiles", "gauge", "heatmap", "stat"]
Aggregation = Literal["sum", "avg", "min", "max"]

# the kind-specific fields each kind takes (title, kind, metric, unit and description: every kind)
PANEL_FIELDS: dict[str, tuple[str, ...]] = {
    "rate": ("by", "legend"),
    "increase": ("by", "legend", "window"),
    "quantiles": ("quantiles",),
    "gauge": ("by", "legend", "agg"),
    "heatmap": (),
    "stat": ("by", "legend"),
}
# a PromQL duration (`90s`, `1h30m`) or a Grafana range variable
_WINDOW = re.compile(r"^(?:(?:\d+(?:ms|s|m|h|d|w|y))+|\$__(?:range|interval|rate_interval))$")
# the output file `grafana/<name>.json`: one plain file name
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# what Grafana accepts as a dashboard uid
_GRAFANA_UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class PanelSpec(_Model):
    title: str = Field(min_length=1)
    kind: PanelKind
    metric: str = Field(min_length=1)
    by: tuple[str, ...] = ()
    legend: str | None = None
    unit: str | None = Field(default=None, min_length=1)   # a Grafana unit id; default: from the metric's unit
    description: str | None = None                         # default: the metric's help
    quantiles: tuple[float, ...] | None = Field(default=None, min_length=1)
    window: str | None = None
    agg: Aggregation | None = None

    @field_validator("by", "legend", "quantiles", "window", "agg")
    @classmethod
    def _of_kind(cls, v: object, info: ValidationInfo) -> object:
        kind = info.data.get("kind")   # absent when `kind` itself is invalid: reported there
        if kind is not None and v not in (None, ()) and info.field_name not in PANEL_FIELDS[kind]:
            takes = ", ".join(f"`{f}`" for f in PANEL_FIELDS[kind]) or "none"
            raise ValueError(f"a `{kind}` panel takes no `{info.field_name}` (its own fields: {takes})")
        return v

    @field_validator("quantiles")
    @classmethod
    def _quantiles(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and not all(0 < q < 1 for q in v):
            raise ValueError("quantiles lie strictly between 0 and 1, like 0.5 or 0.99")
        if v is not None and len(set(v)) != len(v):
            raise ValueError("quantiles repeat")
        return v

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | None) -> str | None:
        if v is not None and not _WINDOW.match(v):
            raise ValueError(f"`{v}` is not a PromQL duration like 5m or 1h, nor `$__range`")
        return v


class RowSpec(_Model):
    title: str = Field(min_length=1)
    panels: tuple[PanelSpec, ...] = Field(min_length=1)


class DashboardSpec(_Model):
    title: str = Field(min_length=1)
    name: str | None = None        # output `grafana/<name>.json`; default: the slug of the title
    uid: str | None = None         # default: the name
    tags: tuple[str, ...] = ()
    job_metric: str | None = None  # fills the job picker; default: the contract's first metric
    rows: tuple[RowSpec, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _file_name(cls, v: str | None) -> str | None:
        if v is not None and not _FILE_NAME.match(v):
            raise ValueError(f"`{v}` is not a file name of letters, digits, `.`, `_` and `-` (at most 100)")
        return v

    @field_validator("uid")
    @classmethod
    def _uid(cls, v: str | None) -> str | None:
        if v is not None and not _GRAFANA_UID.match(v):
            raise ValueError(f"`{v}` is not a Grafana uid: at most 40 letters, digits, `_` and `-`")
        return v


# ── alerts and SLOs: `alerts:` and `slos:` ──
#
# Only shape and local value rules live here; what a selection names (a metric, a label, a value, a bucket bound),
# whether an alert can fire and whether names clash is judged by `contract/checks/alerts.py` and
# `contract/checks/slos.py`, at the line that names it. `contract/alerting.py` says what they mean in PromQL.

# an SLO's name: a label value and part of a rule group's name
_SLO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


# the longest alert window or `for`: the generated promtool tests feed a series minute by minute across it
_LONGEST_ALERT_DURATION = 7 * 24 * 3600


def _alert_duration(v: str) -> float:
    seconds = duration_seconds(v)
    if seconds > _LONGEST_ALERT_DURATION:
        raise ValueError(f"`{v}` is longer than a week (168h), the longest alert window or `for` here")
    return seconds


def _positive_duration(v: str) -> str:
    if _alert_duration(v) <= 0:
        raise ValueError(f"`{v}` must be longer than zero")
    return v


def _duration_or_zero(v: str | None) -> str | None:
    if v is not None:
        _alert_duration(v)
    return v


def _match_values(v: dict[str, str | tuple[str, ...]]) -> dict[str, str | tuple[str, ...]]:
    for label, values in v.items():
        if isinstance(values, tuple) and not values:
            raise ValueError(f"label `{label}` needs at least one value to match")
        if "" in ((values,) if isinstance(values, str) else values):
            raise ValueError(f"label `{label}` cannot match an empty value (a series without the label)")
        if isinstance(values, tuple) and len(set(values)) != len(values):
            raise ValueError(f"the values of label `{label}` repeat")
    return v


class Selection(_Model):
    """Series of one contract metric, optionally narrowed to label values: `{metric: m, match: {label: v}}`.

    `match` names the metric's labels by their contract names; a list of values matches any of them.
    """

    metric: str = Field(min_length=1)
    match: dict[str, str | tuple[str, ...]] = {}

    _match = field_validator("match")(_match_values)

    def values(self, label: str) -> tuple[str, ...] | None:
        """The values `match` allows for `label`, None when it does not narrow it."""
        given = self.match.get(label)
        return (given,) if isinstance(given, str) else given


class AlertText(_Model):
    """Labels and annotations of an alert: text, and `{{ $labels.<name> }}` of a label the alert carries."""

    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


class TargetDown(AlertText):
    for_: str = Field(default="5m", alias="for")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _for = field_validator("for_")(_duration_or_zero)


class MetricsStopped(AlertText):
    # how long a job that is up must go without a series of the metric
    window: str = "10m"
    for_: str = Field(default="5m", alias="for")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _window = field_validator("window")(_positive_duration)
    _for = field_validator("for_")(_duration_or_zero)


AlertQuery = Literal["rate", "ratio", "quantile"]


class ThresholdAlert(AlertText):
    """`alert` fires when the `query` of `metric` (narrowed by `match`) stays `above` or `below` a value for `for`."""

    alert: str = Field(min_length=1)
    query: AlertQuery
    metric: str = Field(min_length=1)
    match: dict[str, str | tuple[str, ...]] = {}
    of: Selection | None = None           # ratio: the denominator; default: `metric` without `match`
    quantile: float | None = None         # quantile: which one, strictly between 0 and 1
    by: tuple[str, ...] = ()              # contract labels kept apart, besides `job`
    window: str | None = None             # default: the recording rules' rate window
    above: float | None = Field(default=None, allow_inf_nan=False)
    below: float | None = Field(default=None, allow_inf_nan=False)
    for_: str | None = Field(default=None, alias="for")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _match = field_validator("match")(_match_values)
    _for = field_validator("for_")(_duration_or_zero)

    @field_validator("window")
    @classmethod
    def _window(cls, v: str | None) -> str | None:
        return v if v is None else _positive_duration(v)

    @model_validator(mode="after")
    def _shape(self) -> ThresholdAlert:
        if (self.above is None) == (self.below is None):
            raise ValueError("a threshold alert takes exactly one of `above` or `below`")
        if self.of is not None and self.query != "ratio":
            raise ValueError("`of` applies to `query: ratio` only")
        if (self.quantile is None) != (self.query != "quantile"):
            raise ValueError("`quantile` is required by `query: quantile`, and applies to it only")
        if self.quantile is not None and not 0 < self.quantile < 1:
            raise ValueError("`quantile` lies strictly between 0 and 1, like 0.99")
        if len(set(self.by)) != len(self.by):
            raise ValueError("`by` labels repeat")
        return self

    @property
    def selection(self) -> Selection:
        return Selection(metric=self.metric, match=self.match)

    @property
    def denominator(self) -> Selection:
        return self.of if self.of is not None else Selection(metric=self.metric)

    @property
    def threshold(self) -> float:
        value = self.above if self.above is not None else self.below
        assert value is not None   # guaranteed by _shape
        return value


class Alerts(_Model):
    """Per service: target down and metrics stopped; and the threshold alerts the contract declares."""

    target_down: TargetDown = TargetDown()
    metrics_stopped: MetricsStopped = MetricsStopped()
    thresholds: tuple[ThresholdAlert, ...] = ()


class SliEvents(_Model):
    """An SLI from two counters: the error events and all events (Sloth's `error_query` and `total_query`)."""

    error_query: Selection
    total_query: Selection


class SliLatency(_Model):
    """An SLI from a histogram: observations above the bucket bound `threshold` are errors."""

    metric: str = Field(min_length=1)
    match: dict[str, str | tuple[str, ...]] = {}
    threshold: float = Field(allow_inf_nan=False)

    _match = field_validator("match")(_match_values)

    @property
    def selection(self) -> Selection:
        return Selection(metric=self.metric, match=self.match)


class Sli(_Model):
    events: SliEvents | None = None
    latency: SliLatency | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Sli:
        if (self.events is None) == (self.latency is None):
            raise ValueError("an SLI takes exactly one of `events` or `latency`")
        return self


class SloAlert(AlertText):
    """The page or the ticket alert of an SLO: what it adds to `alerting`'s labels and annotations."""


class SloAlerting(AlertText):
    name: str | None = Field(default=None, min_length=1)   # default: the SLO's name in CamelCase + `BudgetBurn`
    page_alert: SloAlert = SloAlert()
    ticket_alert: SloAlert = SloAlert()


class Slo(_Model):
    """A service level objective over the SLI `sli`, as Sloth users write it; `objective` is a percentage."""

    name: str
    objective: float = Field(gt=0, lt=100, allow_inf_nan=False)
    description: str = ""
    sli: Sli
    alerting: SloAlerting = SloAlerting()

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _SLO_NAME.match(v):
            raise ValueError(f"`{v}` is not an SLO name: letters, digits, `_`, `.` and `-`, at most 63, starting "
                             "with a letter or digit")
        return v


# Contract names DashboardSpec, Alerts and Slo before they are defined
Contract.model_rebuild()
