# generated from contract/qortex.yaml (sha256 8f479ebec816338c20b6630efe521023eb8b505dd3ff1a7d285e13b4ddc230ee) - do not edit
# ruff: noqa: E501
"""Metrics subscriber generated from a metrics contract: its tables, then one handler per event.

Importing it costs only the standard library; OpenTelemetry and
prometheus_client are imported by `handlers()` for the backends it is given:

    import qortex_metrics
    qortex_metrics.register(linker, meter=meter, registry=registry, tracer=tracer)

`register` subscribes one callable per event class name on a pyventus-style
linker (`linker.subscribe(name, event_callback=fn)`); `handlers` returns the
same callables as {event class name: callable} for any other event bus.

A handler never raises into the application, and never stores what would
break a scrape. Each operation reads and checks all its values and labels
before it updates either backend, so a bad value reaches neither. A value is
what `float()` makes of the field (a bool is 0 or 1); it must be finite, and
not negative for a counter or a histogram. An Enum member stands for its
`.value`. An open label value must be a plain `str` that encodes as UTF-8 (a
lone surrogate does not). An operation that fails (a missing field, a wrong
type, a bad value) is skipped, counted once in `DROPPED` by event name and
logged once per event type, and the event's other operations still run. A
label value outside its closed set is recorded as `other`, so a bad caller
cannot multiply series.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Enum
from math import isfinite
from typing import Any, NamedTuple

SERVICE = 'qortex'


# table rows; a field left at its default is not written in the tables


class Label(NamedTuple):
    name: str
    values: tuple[str, ...] | None = None  # closed value set; None when open
    guard: bool = True  # record values outside `values` as `other`


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
        name='qortex_queries',
        type='counter',
        unit='{query}',
        help='Total queries',
        prom_name='qortex_queries',
        labels=(Label(name='mode', values=('vec', 'graph')),),
        prom_labels=('mode',),
    ),
    Metric(
        name='qortex_factor_updates',
        type='counter',
        unit='{update}',
        help='Factor update events',
        prom_name='qortex_factor_updates',
        labels=(Label(name='outcome', values=('accepted', 'rejected', 'partial')),),
        prom_labels=('outcome',),
    ),
    Metric(
        name='qortex_edges_promoted',
        type='counter',
        unit='{edge}',
        help='Lifetime edge promotions',
        prom_name='qortex_edges_promoted',
    ),
    Metric(
        name='qortex_feedback',
        type='counter',
        unit='{outcome}',
        help='Feedback events',
        prom_name='qortex_feedback',
        labels=(Label(name='outcome', values=('accepted', 'rejected', 'partial')),),
        prom_labels=('outcome',),
    ),
    Metric(
        name='qortex_query_errors',
        type='counter',
        unit='{error}',
        help='Query errors',
        prom_name='qortex_query_errors',
        labels=(Label(name='stage', values=('embedding', 'vec_search', 'ppr', 'scoring')),),
        prom_labels=('stage',),
    ),
    Metric(
        name='qortex_enrichment',
        type='counter',
        unit='{run}',
        help='Enrichment runs',
        prom_name='qortex_enrichment',
        labels=(Label(name='backend_type'),),
        prom_labels=('backend_type',),
    ),
    Metric(
        name='qortex_enrichment_fallbacks',
        type='counter',
        unit='{fallback}',
        help='Enrichment fallbacks',
        prom_name='qortex_enrichment_fallbacks',
    ),
    Metric(
        name='qortex_manifests_ingested',
        type='counter',
        unit='{manifest}',
        help='Manifests ingested',
        prom_name='qortex_manifests_ingested',
        labels=(Label(name='domain'),),
        prom_labels=('domain',),
    ),
    Metric(
        name='qortex_query_duration_seconds',
        type='histogram',
        unit='s',
        help='Query latency',
        prom_name='qortex_query_duration_seconds',
        buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
        prom_unit='seconds',
    ),
    Metric(
        name='qortex_ppr_iterations',
        type='histogram',
        unit='{iteration}',
        help='PPR iterations to converge',
        prom_name='qortex_ppr_iterations',
        buckets=(1.0, 5.0, 10.0, 20.0, 50.0, 100.0),
    ),
    Metric(
        name='qortex_vec_search_duration_seconds',
        type='histogram',
        unit='s',
        help='Vec search latency',
        prom_name='qortex_vec_search_duration_seconds',
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
        prom_unit='seconds',
    ),
    Metric(
        name='qortex_enrichment_duration_seconds',
        type='histogram',
        unit='s',
        help='Enrichment latency',
        prom_name='qortex_enrichment_duration_seconds',
        buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0),
        prom_unit='seconds',
    ),
    Metric(
        name='qortex_ingest_duration_seconds',
        type='histogram',
        unit='s',
        help='Ingest latency',
        prom_name='qortex_ingest_duration_seconds',
        buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0),
        prom_unit='seconds',
    ),
    Metric(
        name='qortex_factor_mean',
        type='gauge',
        unit='{factor}',
        help='Mean teleportation factor',
        prom_name='qortex_factor_mean',
    ),
    Metric(
        name='qortex_factor_entropy',
        type='gauge',
        unit='{bit}',
        help='Factor distribution entropy',
        prom_name='qortex_factor_entropy',
    ),
    Metric(
        name='qortex_factors_active',
        type='gauge',
        unit='{factor}',
        help='Active teleportation factors',
        prom_name='qortex_factors_active',
    ),
    Metric(
        name='qortex_buffer_edges',
        type='gauge',
        unit='{edge}',
        help='Buffered online edges',
        prom_name='qortex_buffer_edges',
    ),
    Metric(
        name='qortex_kg_coverage',
        type='gauge',
        unit='{ratio}',
        help='KG coverage ratio',
        prom_name='qortex_kg_coverage',
    ),
)

# event class name -> what it does to the metrics (the handlers below spell this out)
EVENTS: dict[str, tuple[Op, ...]] = {
    'QueryCompleted': (
        Op(metric='qortex_queries', operation='add', const=1.0, labels=(LabelFrom(label='mode', field='mode'),)),
        Op(metric='qortex_query_duration_seconds', operation='record', field='latency_ms', scale=0.001),
    ),
    'QueryFailed': (
        Op(
            metric='qortex_query_errors',
            operation='add',
            const=1.0,
            labels=(LabelFrom(label='stage', field='stage'),),
        ),
    ),
    'PPRConverged': (Op(metric='qortex_ppr_iterations', operation='record', field='iterations'),),
    'PPRDiverged': (Op(metric='qortex_ppr_iterations', operation='record', field='iterations'),),
    'FactorUpdated': (
        Op(
            metric='qortex_factor_updates',
            operation='add',
            const=1.0,
            labels=(LabelFrom(label='outcome', field='outcome'),),
        ),
    ),
    'FactorDriftSnapshot': (
        Op(metric='qortex_factors_active', operation='set', field='count'),
        Op(metric='qortex_factor_mean', operation='set', field='mean'),
        Op(metric='qortex_factor_entropy', operation='set', field='entropy'),
    ),
    'OnlineEdgeRecorded': (Op(metric='qortex_buffer_edges', operation='set', field='buffer_size'),),
    'EdgePromoted': (Op(metric='qortex_edges_promoted', operation='add', const=1.0),),
    'BufferFlushed': (
        Op(
            metric='qortex_kg_coverage',
            operation='set',
            field='kg_coverage',
            when=Guard(field='kg_coverage', not_null=True),
        ),
    ),
    'VecSearchCompleted': (Op(metric='qortex_vec_search_duration_seconds', operation='record', field='latency_ms', scale=0.001),),
    'FeedbackReceived': (
        Op(
            metric='qortex_feedback',
            operation='add',
            field='accepted',
            labels=(LabelFrom(label='outcome', value='accepted'),),
            when=Guard(field='accepted', gt=0.0),
        ),
        Op(
            metric='qortex_feedback',
            operation='add',
            field='rejected',
            labels=(LabelFrom(label='outcome', value='rejected'),),
            when=Guard(field='rejected', gt=0.0),
        ),
        Op(
            metric='qortex_feedback',
            operation='add',
            field='partial',
            labels=(LabelFrom(label='outcome', value='partial'),),
            when=Guard(field='partial', gt=0.0),
        ),
    ),
    'EnrichmentCompleted': (
        Op(
            metric='qortex_enrichment',
            operation='add',
            const=1.0,
            labels=(LabelFrom(label='backend_type', field='backend_type'),),
        ),
        Op(metric='qortex_enrichment_duration_seconds', operation='record', field='latency_ms', scale=0.001),
    ),
    'EnrichmentFallback': (Op(metric='qortex_enrichment_fallbacks', operation='add', const=1.0),),
    'ManifestIngested': (
        Op(
            metric='qortex_manifests_ingested',
            operation='add',
            const=1.0,
            labels=(LabelFrom(label='domain', field='domain'),),
        ),
        Op(metric='qortex_ingest_duration_seconds', operation='record', field='latency_ms', scale=0.001),
    ),
}

SPANS: tuple[Span, ...] = (
    Span(
        name='qortex.query',
        key='query_id',
        start='QueryStarted',
        attributes=(('query.id', 'query_id'), ('query.mode', 'mode'), ('query.top_k', 'top_k')),
        end=(
            SpanEnd(
                event='QueryCompleted',
                attributes=(
                    ('result_count', 'result_count'),
                    ('seed_count', 'seed_count'),
                    ('activated_nodes', 'activated_nodes'),
                    ('latency_ms', 'latency_ms'),
                ),
            ),
            SpanEnd(
                event='QueryFailed',
                error=True,
                attributes=(('error.stage', 'stage'), ('error.message', 'error')),
            ),
        ),
        max_open=1000,
    ),
)


DROPPED: dict[str, int] = {}
_log = logging.getLogger('qortex_metrics')
_logged: set[str] = set()
_drop_lock = threading.Lock()


def _dropped(event: str, what: str) -> None:
    # called from the handlers' except blocks, so the first report of each
    # event type carries its traceback; later ones are only counted
    with _drop_lock:
        DROPPED[event] = DROPPED.get(event, 0) + 1
        first = event not in _logged
        _logged.add(event)
    if first:
        _log.warning("dropped %s for event `%s`; further failures of this event type are only counted in DROPPED",
                     what, event, exc_info=True)


def _otel_instruments(meter: Any) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for m in METRICS:
        if m.type == "counter":
            made[m.name] = meter.create_counter(m.name, unit=m.unit, description=m.help)
        elif m.type == "histogram":
            # OpenTelemetry's default boundaries are millisecond-scale
            made[m.name] = meter.create_histogram(m.name, unit=m.unit, description=m.help,
                                                  explicit_bucket_boundaries_advisory=m.buckets)
        elif m.type == "gauge":
            made[m.name] = meter.create_gauge(m.name, unit=m.unit, description=m.help)
        else:
            made[m.name] = meter.create_up_down_counter(m.name, unit=m.unit, description=m.help)
    return made


def _prom_instruments(registry: Any) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    made: dict[str, Any] = {}
    for m in METRICS:
        if m.type == "counter":
            made[m.name] = Counter(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry)
        elif m.type == "histogram":
            made[m.name] = Histogram(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry,
                                     buckets=m.buckets)
        else:
            # prometheus_client has no up-down counter; a Gauge moves both ways
            made[m.name] = Gauge(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry)
    return made


# each allowed value maps to itself, so the contract's own string is recorded even for
# a value that only compares equal to it; values outside a closed set are recorded as `other`
_CLOSED_qortex_queries__mode = {v: v for v in ('vec', 'graph')}
_CLOSED_qortex_query_errors__stage = {v: v for v in ('embedding', 'vec_search', 'ppr', 'scoring')}
_CLOSED_qortex_factor_updates__outcome = {v: v for v in ('accepted', 'rejected', 'partial')}


def handlers(*, meter: Any = None, registry: Any = None, tracer: Any = None) -> dict[str, Callable[[Any], None]]:
    """{event class name: handler} for the given backends; events with nothing to do are left out."""
    otel = meter is not None
    prom = registry is not None
    tracing = tracer is not None
    o = _otel_instruments(meter) if otel else {}
    p = _prom_instruments(registry) if prom else {}
    # bound once: o_<metric> records into OpenTelemetry, p_<metric> into prometheus_client,
    # pl_<metric> is the labels() of a prometheus_client metric with labels
    o_qortex_queries: Any = o['qortex_queries'].add if otel else None
    o_qortex_query_duration_seconds: Any = o['qortex_query_duration_seconds'].record if otel else None
    o_qortex_query_errors: Any = o['qortex_query_errors'].add if otel else None
    o_qortex_ppr_iterations: Any = o['qortex_ppr_iterations'].record if otel else None
    o_qortex_factor_updates: Any = o['qortex_factor_updates'].add if otel else None
    o_qortex_factors_active: Any = o['qortex_factors_active'].set if otel else None
    o_qortex_factor_mean: Any = o['qortex_factor_mean'].set if otel else None
    o_qortex_factor_entropy: Any = o['qortex_factor_entropy'].set if otel else None
    o_qortex_buffer_edges: Any = o['qortex_buffer_edges'].set if otel else None
    o_qortex_edges_promoted: Any = o['qortex_edges_promoted'].add if otel else None
    o_qortex_kg_coverage: Any = o['qortex_kg_coverage'].set if otel else None
    o_qortex_vec_search_duration_seconds: Any = o['qortex_vec_search_duration_seconds'].record if otel else None
    o_qortex_feedback: Any = o['qortex_feedback'].add if otel else None
    o_qortex_enrichment: Any = o['qortex_enrichment'].add if otel else None
    o_qortex_enrichment_duration_seconds: Any = o['qortex_enrichment_duration_seconds'].record if otel else None
    o_qortex_enrichment_fallbacks: Any = o['qortex_enrichment_fallbacks'].add if otel else None
    o_qortex_manifests_ingested: Any = o['qortex_manifests_ingested'].add if otel else None
    o_qortex_ingest_duration_seconds: Any = o['qortex_ingest_duration_seconds'].record if otel else None
    pl_qortex_queries: Any = p['qortex_queries'].labels if prom else None
    p_qortex_query_duration_seconds: Any = p['qortex_query_duration_seconds'].observe if prom else None
    pl_qortex_query_errors: Any = p['qortex_query_errors'].labels if prom else None
    p_qortex_ppr_iterations: Any = p['qortex_ppr_iterations'].observe if prom else None
    pl_qortex_factor_updates: Any = p['qortex_factor_updates'].labels if prom else None
    p_qortex_factors_active: Any = p['qortex_factors_active'].set if prom else None
    p_qortex_factor_mean: Any = p['qortex_factor_mean'].set if prom else None
    p_qortex_factor_entropy: Any = p['qortex_factor_entropy'].set if prom else None
    p_qortex_buffer_edges: Any = p['qortex_buffer_edges'].set if prom else None
    p_qortex_edges_promoted: Any = p['qortex_edges_promoted'].inc if prom else None
    p_qortex_kg_coverage: Any = p['qortex_kg_coverage'].set if prom else None
    p_qortex_vec_search_duration_seconds: Any = p['qortex_vec_search_duration_seconds'].observe if prom else None
    pl_qortex_feedback: Any = p['qortex_feedback'].labels if prom else None
    pl_qortex_enrichment: Any = p['qortex_enrichment'].labels if prom else None
    p_qortex_enrichment_duration_seconds: Any = p['qortex_enrichment_duration_seconds'].observe if prom else None
    p_qortex_enrichment_fallbacks: Any = p['qortex_enrichment_fallbacks'].inc if prom else None
    pl_qortex_manifests_ingested: Any = p['qortex_manifests_ingested'].labels if prom else None
    p_qortex_ingest_duration_seconds: Any = p['qortex_ingest_duration_seconds'].observe if prom else None
    # prometheus_client's labels() takes a lock and builds a tuple on every call: the
    # children's methods are kept per label values instead
    pc_qortex_queries: dict[Any, Any] = {}
    pc_qortex_query_errors: dict[Any, Any] = {}
    pc_qortex_factor_updates: dict[Any, Any] = {}
    pc_qortex_enrichment: dict[Any, Any] = {}
    pc_qortex_manifests_ingested: dict[Any, Any] = {}
    # constant label sets, built and bound once
    oa_qortex_feedback_0 = {'outcome': 'accepted'}
    pb_qortex_feedback_0: Any = pl_qortex_feedback('accepted').inc if prom else None
    oa_qortex_feedback_1 = {'outcome': 'rejected'}
    pb_qortex_feedback_1: Any = pl_qortex_feedback('rejected').inc if prom else None
    oa_qortex_feedback_2 = {'outcome': 'partial'}
    pb_qortex_feedback_2: Any = pl_qortex_feedback('partial').inc if prom else None
    # open spans by key, oldest first (dicts keep insertion order)
    spans_0: dict[Any, Any] = {}

    def on_QueryCompleted(event: Any) -> None:
        if tracing:
            try:
                span = spans_0.pop(event.query_id, None)
                if span is not None:
                    try:
                        span.set_attribute('result_count', event.result_count)
                        span.set_attribute('seed_count', event.seed_count)
                        span.set_attribute('activated_nodes', event.activated_nodes)
                        span.set_attribute('latency_ms', event.latency_ms)
                    finally:
                        span.end()
            except Exception:
                _dropped('QueryCompleted', 'span `qortex.query` end')
        try:
            lab0 = event.mode
            if type(lab0) is not str and isinstance(lab0, Enum):
                lab0 = lab0.value
            lab0 = _CLOSED_qortex_queries__mode.get(lab0, 'other')
            if otel:
                o_qortex_queries(1, {'mode': lab0})
            if prom:
                bound = pc_qortex_queries.get(lab0)
                if bound is None:
                    bound = pc_qortex_queries[lab0] = pl_qortex_queries(lab0).inc
                bound(1)
        except Exception:
            _dropped('QueryCompleted', '`add` on `qortex_queries`')
        try:
            v = float(event.latency_ms) * 0.001
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_query_duration_seconds(v)
            if prom:
                p_qortex_query_duration_seconds(v)
        except Exception:
            _dropped('QueryCompleted', '`record` on `qortex_query_duration_seconds`')

    def on_QueryFailed(event: Any) -> None:
        if tracing:
            try:
                span = spans_0.pop(event.query_id, None)
                if span is not None:
                    try:
                        span.set_attribute('error', True)
                        span.set_attribute('error.stage', event.stage)
                        span.set_attribute('error.message', event.error)
                    finally:
                        span.end()
            except Exception:
                _dropped('QueryFailed', 'span `qortex.query` end')
        try:
            lab0 = event.stage
            if type(lab0) is not str and isinstance(lab0, Enum):
                lab0 = lab0.value
            lab0 = _CLOSED_qortex_query_errors__stage.get(lab0, 'other')
            if otel:
                o_qortex_query_errors(1, {'stage': lab0})
            if prom:
                bound = pc_qortex_query_errors.get(lab0)
                if bound is None:
                    bound = pc_qortex_query_errors[lab0] = pl_qortex_query_errors(lab0).inc
                bound(1)
        except Exception:
            _dropped('QueryFailed', '`add` on `qortex_query_errors`')

    def on_PPRConverged(event: Any) -> None:
        try:
            v = float(event.iterations)
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_ppr_iterations(v)
            if prom:
                p_qortex_ppr_iterations(v)
        except Exception:
            _dropped('PPRConverged', '`record` on `qortex_ppr_iterations`')

    def on_PPRDiverged(event: Any) -> None:
        try:
            v = float(event.iterations)
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_ppr_iterations(v)
            if prom:
                p_qortex_ppr_iterations(v)
        except Exception:
            _dropped('PPRDiverged', '`record` on `qortex_ppr_iterations`')

    def on_FactorUpdated(event: Any) -> None:
        try:
            lab0 = event.outcome
            if type(lab0) is not str and isinstance(lab0, Enum):
                lab0 = lab0.value
            lab0 = _CLOSED_qortex_factor_updates__outcome.get(lab0, 'other')
            if otel:
                o_qortex_factor_updates(1, {'outcome': lab0})
            if prom:
                bound = pc_qortex_factor_updates.get(lab0)
                if bound is None:
                    bound = pc_qortex_factor_updates[lab0] = pl_qortex_factor_updates(lab0).inc
                bound(1)
        except Exception:
            _dropped('FactorUpdated', '`add` on `qortex_factor_updates`')

    def on_FactorDriftSnapshot(event: Any) -> None:
        try:
            v = float(event.count)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if otel:
                o_qortex_factors_active(v)
            if prom:
                p_qortex_factors_active(v)
        except Exception:
            _dropped('FactorDriftSnapshot', '`set` on `qortex_factors_active`')
        try:
            v = float(event.mean)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if otel:
                o_qortex_factor_mean(v)
            if prom:
                p_qortex_factor_mean(v)
        except Exception:
            _dropped('FactorDriftSnapshot', '`set` on `qortex_factor_mean`')
        try:
            v = float(event.entropy)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if otel:
                o_qortex_factor_entropy(v)
            if prom:
                p_qortex_factor_entropy(v)
        except Exception:
            _dropped('FactorDriftSnapshot', '`set` on `qortex_factor_entropy`')

    def on_OnlineEdgeRecorded(event: Any) -> None:
        try:
            v = float(event.buffer_size)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if otel:
                o_qortex_buffer_edges(v)
            if prom:
                p_qortex_buffer_edges(v)
        except Exception:
            _dropped('OnlineEdgeRecorded', '`set` on `qortex_buffer_edges`')

    def on_EdgePromoted(event: Any) -> None:
        try:
            if otel:
                o_qortex_edges_promoted(1)
            if prom:
                p_qortex_edges_promoted(1)
        except Exception:
            _dropped('EdgePromoted', '`add` on `qortex_edges_promoted`')

    def on_BufferFlushed(event: Any) -> None:
        try:
            v = event.kg_coverage
            if v is not None:
                v = float(v)
                if not isfinite(v):
                    raise ValueError('not a finite number')
                if otel:
                    o_qortex_kg_coverage(v)
                if prom:
                    p_qortex_kg_coverage(v)
        except Exception:
            _dropped('BufferFlushed', '`set` on `qortex_kg_coverage`')

    def on_VecSearchCompleted(event: Any) -> None:
        try:
            v = float(event.latency_ms) * 0.001
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_vec_search_duration_seconds(v)
            if prom:
                p_qortex_vec_search_duration_seconds(v)
        except Exception:
            _dropped('VecSearchCompleted', '`record` on `qortex_vec_search_duration_seconds`')

    def on_FeedbackReceived(event: Any) -> None:
        try:
            v = float(event.accepted)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if v > 0:
                if otel:
                    o_qortex_feedback(v, oa_qortex_feedback_0)
                if prom:
                    pb_qortex_feedback_0(v)
        except Exception:
            _dropped('FeedbackReceived', '`add` on `qortex_feedback`')
        try:
            v = float(event.rejected)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if v > 0:
                if otel:
                    o_qortex_feedback(v, oa_qortex_feedback_1)
                if prom:
                    pb_qortex_feedback_1(v)
        except Exception:
            _dropped('FeedbackReceived', '`add` on `qortex_feedback`')
        try:
            v = float(event.partial)
            if not isfinite(v):
                raise ValueError('not a finite number')
            if v > 0:
                if otel:
                    o_qortex_feedback(v, oa_qortex_feedback_2)
                if prom:
                    pb_qortex_feedback_2(v)
        except Exception:
            _dropped('FeedbackReceived', '`add` on `qortex_feedback`')

    def on_EnrichmentCompleted(event: Any) -> None:
        try:
            lab0 = event.backend_type
            if type(lab0) is not str and isinstance(lab0, Enum):
                lab0 = lab0.value
            if type(lab0) is not str:
                raise TypeError('label `backend_type` needs a string value')
            if not lab0.isascii():
                lab0.encode('utf-8')  # raises on a lone surrogate
            if otel:
                o_qortex_enrichment(1, {'backend_type': lab0})
            if prom:
                bound = pc_qortex_enrichment.get(lab0)
                if bound is None:
                    bound = pc_qortex_enrichment[lab0] = pl_qortex_enrichment(lab0).inc
                bound(1)
        except Exception:
            _dropped('EnrichmentCompleted', '`add` on `qortex_enrichment`')
        try:
            v = float(event.latency_ms) * 0.001
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_enrichment_duration_seconds(v)
            if prom:
                p_qortex_enrichment_duration_seconds(v)
        except Exception:
            _dropped('EnrichmentCompleted', '`record` on `qortex_enrichment_duration_seconds`')

    def on_EnrichmentFallback(event: Any) -> None:
        try:
            if otel:
                o_qortex_enrichment_fallbacks(1)
            if prom:
                p_qortex_enrichment_fallbacks(1)
        except Exception:
            _dropped('EnrichmentFallback', '`add` on `qortex_enrichment_fallbacks`')

    def on_ManifestIngested(event: Any) -> None:
        try:
            lab0 = event.domain
            if type(lab0) is not str and isinstance(lab0, Enum):
                lab0 = lab0.value
            if type(lab0) is not str:
                raise TypeError('label `domain` needs a string value')
            if not lab0.isascii():
                lab0.encode('utf-8')  # raises on a lone surrogate
            if otel:
                o_qortex_manifests_ingested(1, {'domain': lab0})
            if prom:
                bound = pc_qortex_manifests_ingested.get(lab0)
                if bound is None:
                    bound = pc_qortex_manifests_ingested[lab0] = pl_qortex_manifests_ingested(lab0).inc
                bound(1)
        except Exception:
            _dropped('ManifestIngested', '`add` on `qortex_manifests_ingested`')
        try:
            v = float(event.latency_ms) * 0.001
            if not isfinite(v) or v < 0:
                raise ValueError('not a finite number >= 0')
            if otel:
                o_qortex_ingest_duration_seconds(v)
            if prom:
                p_qortex_ingest_duration_seconds(v)
        except Exception:
            _dropped('ManifestIngested', '`record` on `qortex_ingest_duration_seconds`')

    def on_QueryStarted(event: Any) -> None:
        try:
            key = event.query_id
            if key in spans_0:
                # started again before it ended: its end event will end the new span
                old = spans_0.pop(key)
                old.set_attribute('evicted', True)
                old.end()
            elif len(spans_0) >= 1000:
                stale = spans_0.pop(next(iter(spans_0)))
                stale.set_attribute('evicted', True)
                stale.end()
            spans_0[key] = tracer.start_span('qortex.query', attributes={'query.id': event.query_id, 'query.mode': event.mode, 'query.top_k': event.top_k})
        except Exception:
            _dropped('QueryStarted', 'span `qortex.query` start')

    found: dict[str, Callable[[Any], None]] = {}
    if otel or prom or tracing:
        found['QueryCompleted'] = on_QueryCompleted
    if otel or prom or tracing:
        found['QueryFailed'] = on_QueryFailed
    if otel or prom:
        found['PPRConverged'] = on_PPRConverged
    if otel or prom:
        found['PPRDiverged'] = on_PPRDiverged
    if otel or prom:
        found['FactorUpdated'] = on_FactorUpdated
    if otel or prom:
        found['FactorDriftSnapshot'] = on_FactorDriftSnapshot
    if otel or prom:
        found['OnlineEdgeRecorded'] = on_OnlineEdgeRecorded
    if otel or prom:
        found['EdgePromoted'] = on_EdgePromoted
    if otel or prom:
        found['BufferFlushed'] = on_BufferFlushed
    if otel or prom:
        found['VecSearchCompleted'] = on_VecSearchCompleted
    if otel or prom:
        found['FeedbackReceived'] = on_FeedbackReceived
    if otel or prom:
        found['EnrichmentCompleted'] = on_EnrichmentCompleted
    if otel or prom:
        found['EnrichmentFallback'] = on_EnrichmentFallback
    if otel or prom:
        found['ManifestIngested'] = on_ManifestIngested
    if tracing:
        found['QueryStarted'] = on_QueryStarted
    return found


def register(linker: Any, *, meter: Any = None, registry: Any = None, tracer: Any = None) -> list[Any]:
    """Subscribe the handlers on a pyventus-style linker; returns its subscribers, for unsubscribing."""
    found = handlers(meter=meter, registry=registry, tracer=tracer)
    return [linker.subscribe(name, event_callback=handler) for name, handler in found.items()]
