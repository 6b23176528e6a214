# generated from the metrics contract - do not edit:
#   metrics-contract.yaml
#   sha256 b620c6ebdc87229c88dbf6d28a8765948e0e2d3e537534e4028c2339bd72c15c
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

SERVICE = "checkout"


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
        name="checkout_requests",
        type="counter",
        unit="{request}",
        help="HTTP requests answered",
        prom_name="checkout_requests",
        labels=(
            Label(name="method", values=("GET", "POST", "PUT", "DELETE")),
            Label(name="status_class", values=("2xx", "3xx", "4xx", "5xx")),
        ),
        prom_labels=("method", "status_class"),
    ),
    Metric(
        name="http.server.request.duration",
        type="histogram",
        unit="s",
        help="Duration of HTTP server requests",
        prom_name="http_server_request_duration",
        labels=(Label(name="http.request.method", values=("GET", "POST", "PUT", "DELETE")), Label(name="http.route")),
        buckets=(0.005, 0.025, 0.1, 0.5, 2.5),
        prom_unit="seconds",
        prom_labels=("http_request_method", "http_route"),
    ),
    Metric(
        name="checkout_inflight_requests",
        type="gauge",
        unit="{request}",
        help="Requests being served right now",
        prom_name="checkout_inflight_requests",
    ),
    Metric(
        name="checkout_queue_size",
        type="updowncounter",
        unit="{order}",
        help="Orders waiting for fulfilment",
        prom_name="checkout_queue_size",
    ),
    Metric(
        name="checkout_orders",
        type="counter",
        unit="{order}",
        help="Orders placed",
        prom_name="checkout_orders",
        labels=(Label(name="payment_method", values=("card", "wallet", "invoice")),),
        prom_labels=("payment_method",),
    ),
    Metric(
        name="checkout_payment_errors",
        type="counter",
        unit="{error}",
        help="Payments that failed",
        prom_name="checkout_payment_errors",
        labels=(Label(name="reason", values=("declined", "timeout", "fraud")),),
        prom_labels=("reason",),
    ),
    Metric(
        name="checkout_payment_duration_seconds",
        type="histogram",
        unit="s",
        help="Time the payment provider took to answer",
        prom_name="checkout_payment_duration_seconds",
        labels=(Label(name="provider"),),
        buckets=(0.05, 0.25, 1.0, 5.0),
        prom_unit="seconds",
        prom_labels=("provider",),
    ),
)

# event class name -> what it does to the metrics (the handlers below spell this out)
EVENTS: dict[str, tuple[Op, ...]] = {
    "RequestFinished": (
        Op(
            metric="checkout_requests",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="method", field="method"), LabelFrom(label="status_class", field="status_class")),
        ),
        Op(
            metric="http.server.request.duration",
            operation="record",
            field="duration_ms",
            scale=0.001,
            labels=(
                LabelFrom(label="http.request.method", field="method"),
                LabelFrom(label="http.route", field="route"),
            ),
        ),
    ),
    "InFlightChanged": (Op(metric="checkout_inflight_requests", operation="set", field="count"),),
    "OrderPlaced": (
        Op(
            metric="checkout_orders",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="payment_method", field="payment_method"),),
        ),
        Op(metric="checkout_queue_size", operation="add", const=1.0),
    ),
    "OrderShipped": (Op(metric="checkout_queue_size", operation="add", const=-1.0),),
    "PaymentAnswered": (
        Op(
            metric="checkout_payment_duration_seconds",
            operation="record",
            field="seconds",
            labels=(LabelFrom(label="provider", field="provider"),),
        ),
    ),
    "PaymentFailed": (
        Op(
            metric="checkout_payment_errors",
            operation="add",
            const=1.0,
            labels=(LabelFrom(label="reason", field="reason"),),
        ),
    ),
}

SPANS: tuple[Span, ...] = ()


DROPPED: dict[str, int] = {}
_log = logging.getLogger("checkout_metrics")
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


class CheckoutRequestsCounter(_Instrument):
    """The counter `checkout_requests`: HTTP requests answered."""

    __slots__ = ()
    row = METRICS[0]

    def add(
        self,
        value: float = 1,
        *,
        method: Literal["GET", "POST", "PUT", "DELETE", "other"],
        status_class: Literal["2xx", "3xx", "4xx", "5xx", "other"],
    ) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, method, status_class)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, method: Any, status_class: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get((method, status_class))
        if series is None:
            series = self.series_of(method, status_class)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class HttpServerRequestDurationHistogram(_Instrument):
    """The histogram `http.server.request.duration`: Duration of HTTP server requests."""

    __slots__ = ()
    row = METRICS[1]

    def record(
        self,
        value: float,
        *,
        http_request_method: Literal["GET", "POST", "PUT", "DELETE", "other"],
        http_route: str,
    ) -> None:
        """Record `value` (finite, >= 0) in the series of these label values; never raises."""
        try:
            self.record_or_raise(value, http_request_method, http_route)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any, http_request_method: Any, http_route: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get((http_request_method, http_route))
        # the value of a label without a guarded closed set counts as seen only when it is a plain str (a str
        # subclass may print as something else)
        if type(http_route) is not str:
            series = None
        if series is None:
            series = self.series_of(http_request_method, http_route)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class CheckoutInflightRequestsGauge(_Instrument):
    """The gauge `checkout_inflight_requests`: Requests being served right now."""

    __slots__ = ()
    row = METRICS[2]

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


class CheckoutQueueSizeUpDownCounter(_Instrument):
    """The updowncounter `checkout_queue_size`: Orders waiting for fulfilment."""

    __slots__ = ()
    row = METRICS[3]

    def add(self, value: float) -> None:
        """Add `value` (finite, may be negative) to the metric; never raises."""
        try:
            self.add_or_raise(value)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not -inf < value < inf:  # NaN compares false
            raise ValueError("not a finite number")
        if self.otel_record is not None:
            self.otel_record(value)
        if self.prom_record is not None:
            self.prom_record(value)


class CheckoutOrdersCounter(_Instrument):
    """The counter `checkout_orders`: Orders placed."""

    __slots__ = ()
    row = METRICS[4]

    def add(self, value: float = 1, *, payment_method: Literal["card", "wallet", "invoice", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, payment_method)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, payment_method: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(payment_method)
        if series is None:
            series = self.series_of(payment_method)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class CheckoutPaymentErrorsCounter(_Instrument):
    """The counter `checkout_payment_errors`: Payments that failed."""

    __slots__ = ()
    row = METRICS[5]

    def add(self, value: float = 1, *, reason: Literal["declined", "timeout", "fraud", "other"]) -> None:
        """Add `value` (finite, >= 0) to the series of these label values; never raises."""
        try:
            self.add_or_raise(value, reason)
        except Exception:
            _dropped(self.row.name, "`add`")

    def add_or_raise(self, value: Any, reason: Any) -> None:
        """`add`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(reason)
        if series is None:
            series = self.series_of(reason)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class CheckoutPaymentDurationSecondsHistogram(_Instrument):
    """The histogram `checkout_payment_duration_seconds`: Time the payment provider took to answer."""

    __slots__ = ()
    row = METRICS[6]

    def record(self, value: float, *, provider: str) -> None:
        """Record `value` (finite, >= 0) in the series of these label values; never raises."""
        try:
            self.record_or_raise(value, provider)
        except Exception:
            _dropped(self.row.name, "`record`")

    def record_or_raise(self, value: Any, provider: Any) -> None:
        """`record`, raising what it cannot record: the event handlers count it by event."""
        value = float(value)
        if not 0.0 <= value < inf:  # NaN compares false
            raise ValueError("not a finite number >= 0")
        series = self.series.get(provider)
        # the value of a label without a guarded closed set counts as seen only when it is a plain str (a str
        # subclass may print as something else)
        if type(provider) is not str:
            series = None
        if series is None:
            series = self.series_of(provider)
        attributes, prom_record = series
        if self.otel_record is not None:
            self.otel_record(value, attributes)
        if prom_record is not None:
            prom_record(value)


class Metrics:
    """The contract's metrics, one attribute each, recording into the backends given (either may be None)."""

    def __init__(self, *, meter: Any = None, registry: Any = None) -> None:
        # without either backend the handlers leave out the events that only record metrics
        self.recording = meter is not None or registry is not None
        self.checkout_requests = CheckoutRequestsCounter(meter, registry)
        self.http_server_request_duration = HttpServerRequestDurationHistogram(meter, registry)
        self.checkout_inflight_requests = CheckoutInflightRequestsGauge(meter, registry)
        self.checkout_queue_size = CheckoutQueueSizeUpDownCounter(meter, registry)
        self.checkout_orders = CheckoutOrdersCounter(meter, registry)
        self.checkout_payment_errors = CheckoutPaymentErrorsCounter(meter, registry)
        self.checkout_payment_duration_seconds = CheckoutPaymentDurationSecondsHistogram(meter, registry)


def handlers(
    *, meter: Any = None, registry: Any = None, tracer: Any = None, metrics: Metrics | None = None
) -> dict[str, Callable[[Any], None]]:
    """{event class name: handler}, recording into `metrics` (else into a new `Metrics` of `meter` and
    `registry`) and tracing with `tracer`; events with nothing to do are left out."""
    if metrics is None:
        metrics = Metrics(meter=meter, registry=registry)
    elif meter is not None or registry is not None:
        raise TypeError("give `metrics` or a meter and a registry, not both")
    # the methods the operations call, bound once
    add_checkout_requests = metrics.checkout_requests.add_or_raise
    record_http_server_request_duration = metrics.http_server_request_duration.record_or_raise
    set_checkout_inflight_requests = metrics.checkout_inflight_requests.set_or_raise
    add_checkout_orders = metrics.checkout_orders.add_or_raise
    add_checkout_queue_size = metrics.checkout_queue_size.add_or_raise
    record_checkout_payment_duration_seconds = metrics.checkout_payment_duration_seconds.record_or_raise
    add_checkout_payment_errors = metrics.checkout_payment_errors.add_or_raise

    def on_request_finished(event: Any) -> None:
        try:
            add_checkout_requests(1, event.method, event.status_class)
        except Exception:
            _dropped("RequestFinished", "`add` on `checkout_requests`")
        try:
            record_http_server_request_duration(float(event.duration_ms) * 0.001, event.method, event.route)
        except Exception:
            _dropped("RequestFinished", "`record` on `http.server.request.duration`")

    def on_in_flight_changed(event: Any) -> None:
        try:
            set_checkout_inflight_requests(event.count)
        except Exception:
            _dropped("InFlightChanged", "`set` on `checkout_inflight_requests`")

    def on_order_placed(event: Any) -> None:
        try:
            add_checkout_orders(1, event.payment_method)
        except Exception:
            _dropped("OrderPlaced", "`add` on `checkout_orders`")
        try:
            add_checkout_queue_size(1)
        except Exception:
            _dropped("OrderPlaced", "`add` on `checkout_queue_size`")

    def on_order_shipped(event: Any) -> None:
        try:
            add_checkout_queue_size(-1)
        except Exception:
            _dropped("OrderShipped", "`add` on `checkout_queue_size`")

    def on_payment_answered(event: Any) -> None:
        try:
            record_checkout_payment_duration_seconds(event.seconds, event.provider)
        except Exception:
            _dropped("PaymentAnswered", "`record` on `checkout_payment_duration_seconds`")

    def on_payment_failed(event: Any) -> None:
        try:
            add_checkout_payment_errors(1, event.reason)
        except Exception:
            _dropped("PaymentFailed", "`add` on `checkout_payment_errors`")

    recorded: dict[str, Callable[[Any], None]] = {
        "RequestFinished": on_request_finished,
        "InFlightChanged": on_in_flight_changed,
        "OrderPlaced": on_order_placed,
        "OrderShipped": on_order_shipped,
        "PaymentAnswered": on_payment_answered,
        "PaymentFailed": on_payment_failed,
    }
    return recorded if metrics.recording else {}


def register(
    linker: Any, *, meter: Any = None, registry: Any = None, tracer: Any = None, metrics: Metrics | None = None
) -> list[Any]:
    """Subscribe the handlers on a pyventus-style linker; returns its subscribers, for unsubscribing."""
    found = handlers(meter=meter, registry=registry, tracer=tracer, metrics=metrics)
    return [linker.subscribe(name, event_callback=handler) for name, handler in found.items()]
