# generated from the metrics contract - do not edit:
#   contract/qortex.yaml
#   sha256 ae2658bbe3ab6fc9f370491548631b834c79899ead01ab13c747c81f3486a9d5
"""Metrics of a service, generated from its metrics contract: the contract's tables, a typed API that records
into OpenTelemetry and prometheus_client, and event handlers built on that API.

Importing this module costs only the standard library: OpenTelemetry and prometheus_client are imported for the
backends a `Metrics` is given. Record directly:

    metrics = Metrics(meter=meter, registry=registry)  # either may be None
    metrics.some_counter.add(2, some_label="a value")  # `record` for a histogram, `set` for a gauge

or subscribe the event handlers on a pyventus-style linker (`linker.subscribe(name, event_callback=fn)`):

    register(linker, meter=meter, registry=registry, tracer=tracer)

`handlers()` returns the same callables as {event class name: callable}, for any other event bus. Both take
`metrics=` in place of a meter and a registry, to share one `Metrics` with direct recording (a registry holds
each metric once).

Names: `Metrics` has one attribute per contract metric, the metric's name with every character that cannot be
part of a Python identifier replaced by `_` (`http.server.request.duration` -> `http_server_request_duration`),
and each method takes the label values as keyword arguments named the same way (`http.request.method` ->
`http_request_method`). A name that is a Python keyword, or a label named like an argument or a variable of the
methods (`self`, `value`, `series`, `attributes`, `prom_record`), takes a trailing `_` (`class_`); a name
still taken (by `Metrics.recording`, an earlier metric, or an earlier label of the same metric) takes `_2`, `_3`,
... in contract order.

Methods: a counter has `add(value=1, *, <labels>)`, an updowncounter `add(value, *, <labels>)`, a gauge
`set(value, *, <labels>)` and a histogram `record(value, *, <labels>)`. A label with a closed set is typed
`Literal[...]` of its values (with `other` when guarded), an open one `str`; a label with a `map:` also takes
what its map covers (an int or a str for a table, an int or a float for ranges).

Neither a method nor a handler raises into the application, or stores what would break a scrape: each recording
reads and checks its value and all its label values before it updates either backend, so a bad one reaches
neither. A value is what `float()` makes of it (a bool is 0 or 1); it must be finite, and not negative for a
counter or a histogram. An Enum member stands for its `.value`. A label's `map:` applies next: a table by key
(an int by its digits), ranges to an int or a float from `from` to `to`, both included; a value it does not
cover is kept. A value outside a guarded closed set is then recorded as `other`, so a bad caller cannot multiply
series; any other label value must be a plain `str` that encodes as UTF-8 (a lone surrogate does not). What
fails is skipped, counted once in `DROPPED` (by event class name for a handler's operation, by metric name for a
call of `Metrics`) and logged once per name, and a handler's other operations still run.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Enum
from math import inf
from typing import Any, ClassVar, Literal, NamedTuple

SERVICE = "qortex"


# table rows; a field left at its default is not written in the tables


class Range(NamedTuple):
    low: float  # `from`, included
    high: float  # `to`, included
    value: str  # recorded for an int or a float from `low` to `high`


class Label(NamedTuple):
    name: str
    values: tuple[str, ...] | None = None  # closed value set; None when open
    guard: bool = True  # record values outside `values` as `other`
    table: tuple[tuple[str, str], ...] = ()  # a `map:` table: (label value, recorded value)
    ranges: tuple[Range, ...] = ()  # a `map:` of number ranges


class Metric(NamedTuple):
    name: str
    type: str  # counter | updowncounter | gauge | histogram
    unit: str
    help: str
    # how prometheus_client is given the metric: contract/naming.py predicts
    # the exposed series names from exactly these
    prom_name: str
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] = ()  # histograms only
    prom_unit: str = ""
    prom_labels: tuple[str, ...] = ()


class Guard(NamedTuple):
    field: str
    not_null: bool = False
    gt: float | None = None


class LabelFrom(NamedTuple):
    label: str
    field: str | None = None
    value: str | None = None


class Op(NamedTuple):
    metric: str
    operation: str  # add | record | set
    const: float | None = None
    field: str | None = None
    scale: float | None = None
    labels: tuple[LabelFrom, ...] = ()
    when: Guard | None = None


class SpanEnd(NamedTuple):
    event: str
    error: bool = False
    attributes: tuple[tuple[str, str], ...] = ()  # (span attribute, event field)


class Span(NamedTuple):
    name: str
    key: str
    start: str
    attributes: tuple[tuple[str, str], ...]
    end: tuple[SpanEnd, ...]
    max_open: int


METRICS: tuple[Metric, ...] = (
    Metric(
        name="qortex_queries",
        type="counter",
        unit="{query}",
        help="Total queries",
        prom_name="qortex_queries",
        labels=(Label(name="mode", values=("vec", "graph")),),
        prom_labels=("mode",),
    ),
    Metric(
        name="qortex_factor_updates",
        type="counter",
        unit="{update}",
        help="Factor update events",
        prom_name="qortex_factor_updates",
        labels=(Label(name="outcome", values=("accepted", "rejected", "partial")),),
        prom_labels=("outcome",),
    ),
    Metric(
        name="qortex_edges_promoted",
        type="counter",
        unit="{edge}",
        help="Lifetime edge promotions",
        prom_name="qortex_edges_promoted",
    ),
    Metric(
        name="qortex_feedback",
        type="counter",
        unit="{outcome}",
        help="Feedback events",
        prom_name="qortex_feedback",
        labels=(Label(name="outcome", values=("accepted", "rejected", "partial")),),
        prom_labels=("outcome",),
    ),
    Metric(
        name="qortex_query_errors",
        type="counter",
        unit="{error}",
        help="Query errors",
        prom_name="qortex_query_errors",
        labels=(Label(name="stage", values=("embedding", "vec_search", "ppr", "scoring")),),
        prom_labels=("stage",),
    ),
    Metric(
        name="qortex_enrichment",
        type="counter",
        unit="{run}",
        help="Enrichment runs",
        prom_name="qortex_enrichment",
        labels=(Label(name="backend_type"),),
        prom_labels=("backend_type",),
    ),
    Metric(
        name="qortex_enrichment_fallbacks",
        type="counter",
        unit="{fallback}",
        help="Enrichment fallbacks",
        prom_name="qortex_enrichment_fallbacks",
    ),
    Metric(
        name="qortex_manifests_ingested",
        type="counter",
        unit="{manifest}",
        help="Manifests ingested",
        prom_name="qortex_manifests_ingested",
        labels=(Label(name="domain"),),
        prom_labels=("domain",),
    ),
    Metric(
        name="qortex_query_duration_seconds",
        type="histogram",
        unit="s",
        help="Query latency",
        prom_name="qortex_query_duration_seconds",
        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        prom_unit="seconds",
    ),
    Metric(
        name="qortex_ppr_iterations",
        type="histogram",
        unit="{iteration}",
        help="PPR iterations to converge",
        prom_name="qortex_ppr_iterations",
        buckets=(1.0, 5.0, 10.0, 20.0, 50.0, 100.0),
    ),
    Metric(
        name="qortex_vec_search_duration_seconds",
        type="histogram",
        unit="s",
        help="Vec search latency",
        prom_name="qortex_vec_search_duration_seconds",
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
        prom_unit="seconds",
    ),
    Metric(
        name="qortex_enrichment_duration_seconds",
        type="histogram",
        unit="s",
        help="Enrichment latency",
        prom_name="qortex_enrichment_duration_seconds",
        buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0),
        prom_unit="seconds",
    ),
    Metric(
        name="qortex_ingest_duration_seconds",
        type="histogram",
        unit="s",
        help="Ingest latency",
        prom_name="qortex_ingest_duration_seconds",
        buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0),
        prom_unit="seconds",
    ),
    Metric(
        name="qortex_factor_mean",
        type="gauge",
        unit="{factor}",
        help="Mean teleportation factor",
        prom_name="qortex_factor_mean",
    ),
    Metric(
        name="qortex_factor_entropy",
        type="gauge",
        unit="{bit}",
        help="Factor distribution entropy",
        prom_name="qortex_factor_entropy",
    ),
    Metric(
        name="qortex_factors_active",
        type="gauge",
        unit="{factor}",
        help="Active teleportation factors",
        prom_name="qortex_factors_active",
    ),
    Metric(
        name="qortex_buffer_edges",
        type="gauge",
        unit="{edge}",
        help="Buffered online edges",
        prom_name="qortex_buffer_edges",
    ),
    Metric(
        name="qortex_kg_coverage",
        type="gauge",
        unit="{ratio}",
        help="KG coverage ratio",
        prom_name="qortex_kg_coverage",
    ),
)

# event class name -> what it does to the metrics (the handlers below spell this out)
EVENTS: dict[str, tuple[Op, ...]] = {
    "QueryCompleted": (
        Op(metric="qortex_queries", operation="add", const=1.0, labels=(LabelFrom(label="mode", field="mode"),)),
        Op(metric="qortex_query_duration_seconds", operation="record", field="latency_ms", scale=0.001),
    ),
    "QueryFailed": (
        Op(metric="qortex_query_errors", operation="add", const=1.0, labels=(LabelFrom(label="stage", field="stage"),)),
    ),
    "PPRConverged": (Op(metric="qortex_ppr_iterations", operation="record", field="iterations"),),
    "PPRDiverged": (Op(metric="qortex_ppr_iterations", operation="record", field="iterations"),),
    "FactorUpdated": (
        Op(
            metric="qortex_factor_updates",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="outcome", field="outcome"),),
        ),
    ),
    "FactorDriftSnapshot": (
        Op(metric="qortex_factors_active", operation="set", field="count"),
        Op(metric="qortex_factor_mean", operation="set", field="mean"),
        Op(metric="qortex_factor_entropy", operation="set", field="entropy"),
    ),
    "OnlineEdgeRecorded": (Op(metric="qortex_buffer_edges", operation="set", field="buffer_size"),),
    "EdgePromoted": (Op(metric="qortex_edges_promoted", operation="add", const=1.0),),
    "BufferFlushed": (
        Op(
            metric="qortex_kg_coverage",
            operation="set",
            field="kg_coverage",
            when=Guard(field="kg_coverage", not_null=True),
        ),
    ),
    "VecSearchCompleted": (
        Op(metric="qortex_vec_search_duration_seconds", operation="record", field="latency_ms", scale=0.001),
    ),
    "FeedbackReceived": (
        Op(
            metric="qortex_feedback",
            operation="add",
            field="accepted",
            labels=(LabelFrom(label="outcome", value="accepted"),),
            when=Guard(field="accepted", gt=0.0),
        ),
        Op(
            metric="qortex_feedback",
            operation="add",
            field="rejected",
            labels=(LabelFrom(label="outcome", value="rejected"),),
            when=Guard(field="rejected", gt=0.0),
        ),
        Op(
            metric="qortex_feedback",
            operation="add",
            field="partial",
            labels=(LabelFrom(label="outcome", value="partial"),),
            when=Guard(field="partial", gt=0.0),
        ),
    ),
    "EnrichmentCompleted": (
        Op(
            metric="qortex_enrichment",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="backend_type", field="backend_type"),),
        ),
        Op(metric="qortex_enrichment_duration_seconds", operation="record", field="latency_ms", scale=0.001),
    ),
    "EnrichmentFallback": (Op(metric="qortex_enrichment_fallbacks", operation="add", const=1.0),),
    "ManifestIngested": (
        Op(
            metric="qortex_manifests_ingested",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="domain", field="domain"),),
        ),
        Op(metric="qortex_ingest_duration_seconds", operation="record", field="latency_ms", scale=0.001),
    ),
}

SPANS: tuple[Span, ...] = (
    Span(
        name="qortex.query",
        key="query_id",
        start="QueryStarted",
        attributes=(("query.id", "query_id"), ("query.mode", "mode"), ("query.top_k", "top_k")),
        end=(
            SpanEnd(
                event="QueryCompleted",
                attributes=(
                    ("result_count", "result_count"),
                    ("seed_count", "seed_count"),
                    ("activated_nodes", "activated_nodes"),
                    ("latency_ms", "latency_ms"),
                ),
            ),
            SpanEnd(event="QueryFailed", error=True, attributes=(("error.stage", "stage"), ("error.message", "error"))),
        ),
        max_open=1000,
    ),
)


DROPPED: dict[str, int] = {}
_log = logging.getLogger("qortex_metrics")
_logged: set[str] = set()
_drop_lock = threading.Lock()


def _dropped(name: str, what: str) -> None:
    """Count a failed operation under `name` (an event class or a metric); log the first failure of each name."""
    # called from an except block, so the first report of each name carries its traceback
    with _drop_lock:
        DROPPED[name] = DROPPED.get(name, 0) + 1
        first = name not in _logged
        _logged.add(name)
    if first:
        _log.warning(
            "dropped %s for `%s`; further failures there are only counted in DROPPED", what, name, exc_info=True
        )


def _recorded(label: Label) -> dict[Any, str]:
    """What a label value is recorded as, by value: a closed set's values as themselves, a `map:` table's keys as
    their values. The contract's own string is recorded even for a value that only compares equal to it."""
    return {**{value: value for value in label.values or ()}, **dict(label.table)}


def _from_ranges(value: Any, ranges: tuple[Range, ...]) -> Any:
    """The value of the first range that holds an int or a float; anything else as it is."""
    if type(value) is int or type(value) is float:
        for low, high, recorded in ranges:
            if low <= value <= high:
                return recorded
    return value


# the method that records a measurement, by metric type; prometheus_client has no up-down counter: a Gauge
# moves both ways
_OTEL_METHODS = {"counter": "add", "updowncounter": "add", "gauge": "set", "histogram": "record"}
_PROM_METHODS = {"counter": "inc", "updowncounter": "inc", "gauge": "set", "histogram": "observe"}


def _otel_instrument(meter: Any, row: Metric) -> Any:
    if row.type == "counter":
        return meter.create_counter(row.name, unit=row.unit, description=row.help)
    if row.type == "histogram":
        # OpenTelemetry's default boundaries are millisecond-scale
        return meter.create_histogram(
            row.name, unit=row.unit, description=row.help, explicit_bucket_boundaries_advisory=row.buckets
        )
    if row.type == "gauge":
        return meter.create_gauge(row.name, unit=row.unit, description=row.help)
    return meter.create_up_down_counter(row.name, unit=row.unit, description=row.help)


def _prom_metric(registry: Any, row: Metric) -> Any:
    from prometheus_client import Counter, Gauge, Histogram

    if row.type == "counter":
        return Counter(row.prom_name, row.help, row.prom_labels, unit=row.prom_unit, registry=registry)
    if row.type == "histogram":
        return Histogram(
            row.prom_name, row.help, row.prom_labels, unit=row.prom_unit, registry=registry, buckets=row.buckets
        )
    return Gauge(row.prom_name, row.help, row.prom_labels, unit=row.prom_unit, registry=registry)


class _Instrument:
    """What the class of every contract metric has: its row of METRICS, its instruments, and its series."""

    __slots__ = ("otel_record", "prom_metric", "prom_record", "lookups", "series")
    row: ClassVar[Metric]

    def __init__(self, meter: Any, registry: Any) -> None:
        # the OpenTelemetry instrument's add, record or set, bound once
        self.otel_record: Any = None
        if meter is not None:
            self.otel_record = getattr(_otel_instrument(meter, self.row), _OTEL_METHODS[self.row.type])
        self.prom_metric: Any = None if registry is None else _prom_metric(registry, self.row)
        # prometheus_client's inc, observe or set of a metric without labels (one with labels has a child per
        # series)
        self.prom_record: Any = None
        if self.prom_metric is not None and not self.row.labels:
            self.prom_record = getattr(self.prom_metric, _PROM_METHODS[self.row.type])
        self.lookups = tuple(_recorded(label) for label in self.row.labels)
        # label values as given (one value stands for itself) -> (OpenTelemetry attributes, the prometheus_client
        # child's method), so that values seen before cost one lookup: prometheus_client's labels() takes a lock
        # and builds a tuple on every call. Only plain strings are kept (see `series_of`).
        self.series: dict[Any, tuple[dict[str, str], Any]] = {}

    def series_of(self, *given: Any) -> tuple[dict[str, str], Any]:
        """The series of label values that `series` does not hold: each value is checked and turned into what is
        recorded (see the module docstring). The series is kept under the values as given when they are plain
        strings, and those of a guarded closed set are in it (not `other`): so `series` holds no more entries than
        there are series."""
        recorded = []
        keep = True
        for label, lookup, value in zip(self.row.labels, self.lookups, given, strict=True):
            keep = keep and type(value) is str
            if type(value) is not str and isinstance(value, Enum):
                value = value.value
            if label.table and type(value) is int:
                value = str(value)
            if label.ranges:
                value = _from_ranges(value, label.ranges)
            if label.values is not None and label.guard:
                found = lookup.get(value)
                keep = keep and found is not None
                value = "other" if found is None else found
            else:
                value = lookup.get(value, value)
                if type(value) is not str:
                    raise TypeError(f"label `{label.name}` needs a string value")
            recorded.append(value)
        series = self.bind(*recorded)
        if keep:
            self.series[given[0] if len(given) == 1 else given] = series
        return series

    def bind(self, *recorded: str) -> tuple[dict[str, str], Any]:
        """The series of these recorded label values: its OpenTelemetry attributes and its prometheus_client child
        (created now, so that prometheus_client shows it from now on)."""
        for value in recorded:
            if not value.isascii():
                value.encode("utf-8")  # raises on a lone surrogate: every later scrape would fail
        attributes = {label.name: value for label, value in zip(self.row.labels, recorded, strict=True)}
        return attributes, None if self.prom_metric is None else self.prom_call(recorded)

    def prom_call(self, recorded: tuple[str, ...]) -> Any:
        """What records into prometheus_client for these recorded label values: the method of their child."""
        return getattr(self.prom_metric.labels(*recorded), _PROM_METHODS[self.row.type])


class QortexQueriesCounter(_Instrument):
    """The counter `qortex_queries`: Total queries."""

    __slots__ = ()
    row = METRICS[0]

    def add(self, value: float = 1, *, mode: Literal["vec", "graph", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, mode)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, mode: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(mode)
        if series is None:
            series = self.series_of(mode)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexFactorUpdatesCounter(_Instrument):
    """The counter `qortex_factor_updates`: Factor update events."""

    __slots__ = ()
    row = METRICS[1]

    def add(self, value: float = 1, *, outcome: Literal["accepted", "rejected", "partial", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, outcome)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, outcome: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(outcome)
        if series is None:
            series = self.series_of(outcome)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexEdgesPromotedCounter(_Instrument):
    """The counter `qortex_edges_promoted`: Lifetime edge promotions."""

    __slots__ = ()
    row = METRICS[2]

    def add(self, value: float = 1) -> None:
        """Add `value` (finite, >= 0) to the metric; never raises."""
        try:
            self.add_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexFeedbackCounter(_Instrument):
    """The counter `qortex_feedback`: Feedback events."""

    __slots__ = ()
    row = METRICS[3]

    def add(self, value: float = 1, *, outcome: Literal["accepted", "rejected", "partial", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, outcome)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, outcome: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(outcome)
        if series is None:
            series = self.series_of(outcome)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexQueryErrorsCounter(_Instrument):
    """The counter `qortex_query_errors`: Query errors."""

    __slots__ = ()
    row = METRICS[4]

    def add(self, value: float = 1, *, stage: Literal["embedding", "vec_search", "ppr", "scoring", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, stage)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, stage: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(stage)
        if series is None:
            series = self.series_of(stage)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexEnrichmentCounter(_Instrument):
    """The counter `qortex_enrichment`: Enrichment runs."""

    __slots__ = ()
    row = METRICS[5]

    def add(self, value: float = 1, *, backend_type: str) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, backend_type)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, backend_type: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(backend_type)
        # the value of a label without a guarded closed set counts as seen only when it is a plain str (a str
        # subclass may print as something else)
        if type(backend_type) is not str:
            series = None
        if series is None:
            series = self.series_of(backend_type)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexEnrichmentFallbacksCounter(_Instrument):
    """The counter `qortex_enrichment_fallbacks`: Enrichment fallbacks."""

    __slots__ = ()
    row = METRICS[6]

    def add(self, value: float = 1) -> None:
        """Add `value` (finite, >= 0) to the metric; never raises."""
        try:
            self.add_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexManifestsIngestedCounter(_Instrument):
    """The counter `qortex_manifests_ingested`: Manifests ingested."""

    __slots__ = ()
    row = METRICS[7]

    def add(self, value: float = 1, *, domain: str) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, domain)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, domain: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(domain)
        # the value of a label without a guarded closed set counts as seen only when it is a plain str (a str
        # subclass may print as something else)
        if type(domain) is not str:
            series = None
        if series is None:
            series = self.series_of(domain)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class QortexQueryDurationSecondsHistogram(_Instrument):
    """The histogram `qortex_query_duration_seconds`: Query latency."""

    __slots__ = ()
    row = METRICS[8]

    def record(self, value: float) -> None:
        """Record `value` (finite, >= 0) in the metric; never raises."""
        try:
            self.record_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexPprIterationsHistogram(_Instrument):
    """The histogram `qortex_ppr_iterations`: PPR iterations to converge."""

    __slots__ = ()
    row = METRICS[9]

    def record(self, value: float) -> None:
        """Record `value` (finite, >= 0) in the metric; never raises."""
        try:
            self.record_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexVecSearchDurationSecondsHistogram(_Instrument):
    """The histogram `qortex_vec_search_duration_seconds`: Vec search latency."""

    __slots__ = ()
    row = METRICS[10]

    def record(self, value: float) -> None:
        """Record `value` (finite, >= 0) in the metric; never raises."""
        try:
            self.record_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexEnrichmentDurationSecondsHistogram(_Instrument):
    """The histogram `qortex_enrichment_duration_seconds`: Enrichment latency."""

    __slots__ = ()
    row = METRICS[11]

    def record(self, value: float) -> None:
        """Record `value` (finite, >= 0) in the metric; never raises."""
        try:
            self.record_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexIngestDurationSecondsHistogram(_Instrument):
    """The histogram `qortex_ingest_duration_seconds`: Ingest latency."""

    __slots__ = ()
    row = METRICS[12]

    def record(self, value: float) -> None:
        """Record `value` (finite, >= 0) in the metric; never raises."""
        try:
            self.record_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexFactorMeanGauge(_Instrument):
    """The gauge `qortex_factor_mean`: Mean teleportation factor."""

    __slots__ = ()
    row = METRICS[13]

    def set(self, value: float) -> None:
        """Set the metric to `value` (finite); never raises."""
        try:
            self.set_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`set`")

    def set_or_raise(self, value: Any) -> None:
        """`set`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexFactorEntropyGauge(_Instrument):
    """The gauge `qortex_factor_entropy`: Factor distribution entropy."""

    __slots__ = ()
    row = METRICS[14]

    def set(self, value: float) -> None:
        """Set the metric to `value` (finite); never raises."""
        try:
            self.set_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`set`")

    def set_or_raise(self, value: Any) -> None:
        """`set`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexFactorsActiveGauge(_Instrument):
    """The gauge `qortex_factors_active`: Active teleportation factors."""

    __slots__ = ()
    row = METRICS[15]

    def set(self, value: float) -> None:
        """Set the metric to `value` (finite); never raises."""
        try:
            self.set_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`set`")

    def set_or_raise(self, value: Any) -> None:
        """`set`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexBufferEdgesGauge(_Instrument):
    """The gauge `qortex_buffer_edges`: Buffered online edges."""

    __slots__ = ()
    row = METRICS[16]

    def set(self, value: float) -> None:
        """Set the metric to `value` (finite); never raises."""
        try:
            self.set_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`set`")

    def set_or_raise(self, value: Any) -> None:
        """`set`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class QortexKgCoverageGauge(_Instrument):
    """The gauge `qortex_kg_coverage`: KG coverage ratio."""

    __slots__ = ()
    row = METRICS[17]

    def set(self, value: float) -> None:
        """Set the metric to `value` (finite); never raises."""
        try:
            self.set_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`set`")

    def set_or_raise(self, value: Any) -> None:
        """`set`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class Metrics:
    """The contract's metrics, one attribute each, recording into the backends given (either may be None)."""

    def __init__(self, *, meter: Any = None, registry: Any = None) -> None:
        # without either backend the handlers leave out the events that only record metrics
        self.recording = meter is not None or registry is not None
        self.qortex_queries = QortexQueriesCounter(meter, registry)
        self.qortex_factor_updates = QortexFactorUpdatesCounter(meter, registry)
        self.qortex_edges_promoted = QortexEdgesPromotedCounter(meter, registry)
        self.qortex_feedback = QortexFeedbackCounter(meter, registry)
        self.qortex_query_errors = QortexQueryErrorsCounter(meter, registry)
        self.qortex_enrichment = QortexEnrichmentCounter(meter, registry)
        self.qortex_enrichment_fallbacks = QortexEnrichmentFallbacksCounter(meter, registry)
        self.qortex_manifests_ingested = QortexManifestsIngestedCounter(meter, registry)
        self.qortex_query_duration_seconds = QortexQueryDurationSecondsHistogram(meter, registry)
        self.qortex_ppr_iterations = QortexPprIterationsHistogram(meter, registry)
        self.qortex_vec_search_duration_seconds = QortexVecSearchDurationSecondsHistogram(meter, registry)
        self.qortex_enrichment_duration_seconds = QortexEnrichmentDurationSecondsHistogram(meter, registry)
        self.qortex_ingest_duration_seconds = QortexIngestDurationSecondsHistogram(meter, registry)
        self.qortex_factor_mean = QortexFactorMeanGauge(meter, registry)
        self.qortex_factor_entropy = QortexFactorEntropyGauge(meter, registry)
        self.qortex_factors_active = QortexFactorsActiveGauge(meter, registry)
        self.qortex_buffer_edges = QortexBufferEdgesGauge(meter, registry)
        self.qortex_kg_coverage = QortexKgCoverageGauge(meter, registry)


def handlers(
    *, meter: Any = None, registry: Any = None, tracer: Any = None, metrics: Metrics | None = None
) -> dict[str, Callable[[Any], None]]:
    """{event class name: handler}, recording into `metrics` (else into a new `Metrics` of `meter` and
    `registry`) and tracing with `tracer`; events with nothing to do are left out."""
    if metrics is None:
        metrics = Metrics(meter=meter, registry=registry)
    elif meter is not None or registry is not None:
        raise TypeError("give `metrics` or a meter and a registry, not both")
    tracing = tracer is not None
    # the methods the operations call, bound once
    add_qortex_queries = metrics.qortex_queries.add_or_raise
    record_qortex_query_duration_seconds = metrics.qortex_query_duration_seconds.record_or_raise
    add_qortex_query_errors = metrics.qortex_query_errors.add_or_raise
    record_qortex_ppr_iterations = metrics.qortex_ppr_iterations.record_or_raise
    add_qortex_factor_updates = metrics.qortex_factor_updates.add_or_raise
    set_qortex_factors_active = metrics.qortex_factors_active.set_or_raise
    set_qortex_factor_mean = metrics.qortex_factor_mean.set_or_raise
    set_qortex_factor_entropy = metrics.qortex_factor_entropy.set_or_raise
    set_qortex_buffer_edges = metrics.qortex_buffer_edges.set_or_raise
    add_qortex_edges_promoted = metrics.qortex_edges_promoted.add_or_raise
    set_qortex_kg_coverage = metrics.qortex_kg_coverage.set_or_raise
    record_qortex_vec_search_duration_seconds = metrics.qortex_vec_search_duration_seconds.record_or_raise
    add_qortex_feedback = metrics.qortex_feedback.add_or_raise
    add_qortex_enrichment = metrics.qortex_enrichment.add_or_raise
    record_qortex_enrichment_duration_seconds = metrics.qortex_enrichment_duration_seconds.record_or_raise
    add_qortex_enrichment_fallbacks = metrics.qortex_enrichment_fallbacks.add_or_raise
    add_qortex_manifests_ingested = metrics.qortex_manifests_ingested.add_or_raise
    record_qortex_ingest_duration_seconds = metrics.qortex_ingest_duration_seconds.record_or_raise
    # the series of constant label values exist from the start: prometheus_client shows them at 0 before an event
    metrics.qortex_feedback.bind("accepted")
    metrics.qortex_feedback.bind("rejected")
    metrics.qortex_feedback.bind("partial")
    # spans open by key, the oldest first (dicts keep insertion order), at most `max_open` of each
    qortex_query_name = SPANS[0].name
    qortex_query_max_open = SPANS[0].max_open
    open_qortex_query: dict[Any, Any] = {}

    def on_query_completed(event: Any) -> None:
        if tracing:
            try:
                span = open_qortex_query.pop(event.query_id, None)
                if span is not None:
                    try:
                        span.set_attributes(
                            {
                                "result_count": event.result_count,
                                "seed_count": event.seed_count,
                                "activated_nodes": event.activated_nodes,
                                "latency_ms": event.latency_ms,
                            },
                        )
                    finally:
                        span.end()
            except Exception:
                _dropped("QueryCompleted", "span `qortex.query` end")
        try:
            add_qortex_queries(1, event.mode)
        except Exception:
            _dropped("QueryCompleted", "`add` on `qortex_queries`")
        try:
            record_qortex_query_duration_seconds(float(event.latency_ms) * 0.001)
        except Exception:
            _dropped("QueryCompleted", "`record` on `qortex_query_duration_seconds`")

    def on_query_failed(event: Any) -> None:
        if tracing:
            try:
                span = open_qortex_query.pop(event.query_id, None)
                if span is not None:
                    try:
                        span.set_attributes({"error": True, "error.stage": event.stage, "error.message": event.error})
                    finally:
                        span.end()
            except Exception:
                _dropped("QueryFailed", "span `qortex.query` end")
        try:
            add_qortex_query_errors(1, event.stage)
        except Exception:
            _dropped("QueryFailed", "`add` on `qortex_query_errors`")

    def on_ppr_converged(event: Any) -> None:
        try:
            record_qortex_ppr_iterations(event.iterations)
        except Exception:
            _dropped("PPRConverged", "`record` on `qortex_ppr_iterations`")

    def on_ppr_diverged(event: Any) -> None:
        try:
            record_qortex_ppr_iterations(event.iterations)
        except Exception:
            _dropped("PPRDiverged", "`record` on `qortex_ppr_iterations`")

    def on_factor_updated(event: Any) -> None:
        try:
            add_qortex_factor_updates(1, event.outcome)
        except Exception:
            _dropped("FactorUpdated", "`add` on `qortex_factor_updates`")

    def on_factor_drift_snapshot(event: Any) -> None:
        try:
            set_qortex_factors_active(event.count)
        except Exception:
            _dropped("FactorDriftSnapshot", "`set` on `qortex_factors_active`")
        try:
            set_qortex_factor_mean(event.mean)
        except Exception:
            _dropped("FactorDriftSnapshot", "`set` on `qortex_factor_mean`")
        try:
            set_qortex_factor_entropy(event.entropy)
        except Exception:
            _dropped("FactorDriftSnapshot", "`set` on `qortex_factor_entropy`")

    def on_online_edge_recorded(event: Any) -> None:
        try:
            set_qortex_buffer_edges(event.buffer_size)
        except Exception:
            _dropped("OnlineEdgeRecorded", "`set` on `qortex_buffer_edges`")

    def on_edge_promoted(event: Any) -> None:
        try:
            add_qortex_edges_promoted(1)
        except Exception:
            _dropped("EdgePromoted", "`add` on `qortex_edges_promoted`")

    def on_buffer_flushed(event: Any) -> None:
        try:
            value = event.kg_coverage
            if value is not None:
                set_qortex_kg_coverage(value)
        except Exception:
            _dropped("BufferFlushed", "`set` on `qortex_kg_coverage`")

    def on_vec_search_completed(event: Any) -> None:
        try:
            record_qortex_vec_search_duration_seconds(float(event.latency_ms) * 0.001)
        except Exception:
            _dropped("VecSearchCompleted", "`record` on `qortex_vec_search_duration_seconds`")

    def on_feedback_received(event: Any) -> None:
        try:
            value = float(event.accepted)
            if not -inf < value < inf:  # NaN compares false
                raise ValueError("not a finite number")
            if value > 0:
                add_qortex_feedback(value, "accepted")
        except Exception:
            _dropped("FeedbackReceived", "`add` on `qortex_feedback`")
        try:
            value = float(event.rejected)
            if not -inf < value < inf:  # NaN compares false
                raise ValueError("not a finite number")
            if value > 0:
                add_qortex_feedback(value, "rejected")
        except Exception:
            _dropped("FeedbackReceived", "`add` on `qortex_feedback`")
        try:
            value = float(event.partial)
            if not -inf < value < inf:  # NaN compares false
                raise ValueError("not a finite number")
            if value > 0:
                add_qortex_feedback(value, "partial")
        except Exception:
            _dropped("FeedbackReceived", "`add` on `qortex_feedback`")

    def on_enrichment_completed(event: Any) -> None:
        try:
            add_qortex_enrichment(1, event.backend_type)
        except Exception:
            _dropped("EnrichmentCompleted", "`add` on `qortex_enrichment`")
        try:
            record_qortex_enrichment_duration_seconds(float(event.latency_ms) * 0.001)
        except Exception:
            _dropped("EnrichmentCompleted", "`record` on `qortex_enrichment_duration_seconds`")

    def on_enrichment_fallback(event: Any) -> None:
        try:
            add_qortex_enrichment_fallbacks(1)
        except Exception:
            _dropped("EnrichmentFallback", "`add` on `qortex_enrichment_fallbacks`")

    def on_manifest_ingested(event: Any) -> None:
        try:
            add_qortex_manifests_ingested(1, event.domain)
        except Exception:
            _dropped("ManifestIngested", "`add` on `qortex_manifests_ingested`")
        try:
            record_qortex_ingest_duration_seconds(float(event.latency_ms) * 0.001)
        except Exception:
            _dropped("ManifestIngested", "`record` on `qortex_ingest_duration_seconds`")

    def on_query_started(event: Any) -> None:
        if tracing:
            try:
                key = event.query_id
                if key in open_qortex_query:
                    # started again before it ended: its end event will end the new span
                    old = open_qortex_query.pop(key)
                    old.set_attribute("evicted", True)
                    old.end()
                elif len(open_qortex_query) >= qortex_query_max_open:
                    stale = open_qortex_query.pop(next(iter(open_qortex_query)))
                    stale.set_attribute("evicted", True)
                    stale.end()
                open_qortex_query[key] = tracer.start_span(
                    qortex_query_name,
                    attributes={"query.id": event.query_id, "query.mode": event.mode, "query.top_k": event.top_k},
                )
            except Exception:
                _dropped("QueryStarted", "span `qortex.query` start")

    recorded: dict[str, Callable[[Any], None]] = {
        "QueryCompleted": on_query_completed,
        "QueryFailed": on_query_failed,
        "PPRConverged": on_ppr_converged,
        "PPRDiverged": on_ppr_diverged,
        "FactorUpdated": on_factor_updated,
        "FactorDriftSnapshot": on_factor_drift_snapshot,
        "OnlineEdgeRecorded": on_online_edge_recorded,
        "EdgePromoted": on_edge_promoted,
        "BufferFlushed": on_buffer_flushed,
        "VecSearchCompleted": on_vec_search_completed,
        "FeedbackReceived": on_feedback_received,
        "EnrichmentCompleted": on_enrichment_completed,
        "EnrichmentFallback": on_enrichment_fallback,
        "ManifestIngested": on_manifest_ingested,
    }
    traced: dict[str, Callable[[Any], None]] = {
        "QueryCompleted": on_query_completed,
        "QueryFailed": on_query_failed,
        "QueryStarted": on_query_started,
    }
    return {**(recorded if metrics.recording else {}), **(traced if tracing else {})}


def register(
    linker: Any, *, meter: Any = None, registry: Any = None, tracer: Any = None, metrics: Metrics | None = None
) -> list[Any]:
    """Subscribe the handlers on a pyventus-style linker; returns its subscribers, for unsubscribing."""
    found = handlers(meter=meter, registry=registry, tracer=tracer, metrics=metrics)
    return [linker.subscribe(name, event_callback=handler) for name, handler in found.items()]
