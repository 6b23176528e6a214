"""The generated module inside real qortex 0.3.0: its events, its linker, its emitter machinery.

Metrics go through a real OpenTelemetry MeterProvider read by
PrometheusMetricReader and through prometheus_client, and both are scraped
over HTTP the way Prometheus would.
"""

from __future__ import annotations

import logging
import math
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from contract.loader import LoadedContract
from contract.model import Metric
from contract.naming import ExpositionPath, expose
from tests.conftest import ROOT, scrape_samples
from tests.qortex_events import mix
from tests.seed_names import seed_series
from tests.subscriber_util import import_generated

_SCOPE = "qortex"


@dataclass
class Stack:
    module: ModuleType
    registry: Any  # prometheus_client's own instruments
    otel_registry: Any  # what PrometheusMetricReader exposes
    spans: Any  # InMemorySpanExporter
    emit: Any


@pytest.fixture
def stack(qortex: LoadedContract, tmp_path: Path) -> Iterator[Stack]:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from prometheus_client import CollectorRegistry
    from pyventus.core.processing.asyncio import AsyncIOProcessingService
    from pyventus.events import EventEmitter
    from qortex.observability.linker import QortexEventLinker

    module = import_generated(qortex, tmp_path)
    otel_registry, registry = CollectorRegistry(), CollectorRegistry()
    meter = MeterProvider(metric_readers=[PrometheusMetricReader(registry=otel_registry)]).get_meter(_SCOPE)
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    subscribers = module.register(QortexEventLinker, meter=meter, registry=registry,
                                  tracer=tracer_provider.get_tracer(_SCOPE))
    # qortex's emitter is this pair; with no running event loop the AsyncIO
    # service runs each emission to completion before emit() returns
    emitter = EventEmitter(event_linker=QortexEventLinker, event_processor=AsyncIOProcessingService())
    try:
        yield Stack(module, registry, otel_registry, spans, emitter.emit)
    finally:
        # QortexEventLinker is a class-level registry shared by every test
        for subscriber in subscribers:
            QortexEventLinker.remove_subscriber(subscriber)


def _implied(lc: LoadedContract, events: list[Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]:
    """What the contract says the events do, worked out from the contract itself.

    {(metric, sorted labels): values}: every value added or observed, or the
    last value set. An independent reading of `events:` to check the
    generated straight-line code against.
    """
    found: dict[tuple[str, tuple[tuple[str, str], ...]], list[float]] = defaultdict(list)
    for event in events:
        for e in lc.contract.events:
            if e.event != type(event).__name__:
                continue
            for op in e.ops:
                if op.when is not None:
                    g = getattr(event, op.when.field)
                    if (op.when.not_null and g is None) or (op.when.gt is not None and not g > op.when.gt):
                        continue
                spec = op.value
                value = spec.const if spec.const is not None else getattr(event, str(spec.field)) * (spec.scale or 1)
                m = lc.contract.metric(op.metric)
                assert m is not None
                labels = []
                for name, src in op.labels.items():
                    v = src.value if src.value is not None else getattr(event, str(src.field))
                    allowed = m.label(name).values  # type: ignore[union-attr]
                    labels.append((name, v if allowed is None or v in allowed else "other"))
                key = (m.name, tuple(sorted(labels)))
                if m.type == "gauge":
                    found[key] = [value]
                else:
                    found[key].append(value)
    return found


def _values(samples: list[Any], path: ExpositionPath) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    drop = {"otel_scope_name", "otel_scope_schema_url", "otel_scope_version"} if path == "otel-python" else set()
    return {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k not in drop))): s.value for s in samples}


def _check_values(lc: LoadedContract, metric: Metric, observed: list[float], labels: tuple[tuple[str, str], ...],
                  values: dict[tuple[str, tuple[tuple[str, str], ...]], float], path: ExpositionPath) -> None:
    family = expose(metric, path).family
    if metric.type == "counter":
        assert values[(family + "_total", labels)] == pytest.approx(sum(observed)), (path, family, labels)
    elif metric.type in ("gauge", "updowncounter"):
        expected = observed[-1] if metric.type == "gauge" else sum(observed)
        assert values[(family, labels)] == pytest.approx(expected), (path, family, labels)
    else:
        assert values[(family + "_count", labels)] == len(observed), (path, family)
        assert values[(family + "_sum", labels)] == pytest.approx(sum(observed)), (path, family)
        assert metric.buckets
        for bound in (*metric.buckets, math.inf):
            le = "+Inf" if bound == math.inf else repr(float(bound))
            below = sum(1 for v in observed if v <= bound)
            assert values[(family + "_bucket", tuple(sorted((*labels, ("le", le)))))] == below, (path, family, le)


def test_qortex_events_reach_both_registries_as_the_contract_says(qortex: LoadedContract, stack: Stack) -> None:
    events = mix()
    handled = {type(e).__name__ for e in events}
    assert len(handled) == 15
    for event in events:
        stack.emit(event)
    assert stack.module.DROPPED == {}

    scraped: dict[ExpositionPath, list[Any]] = {
        "prometheus-client": scrape_samples(stack.registry),
        "otel-python": scrape_samples(stack.otel_registry),
    }
    implied = _implied(qortex, events)
    assert {metric for metric, _ in implied} == {m.name for m in qortex.contract.metrics}

    for path, samples in scraped.items():
        names = {s.name for s in samples} - {"target_info"}
        exposed = set()
        for m in qortex.contract.metrics:
            e = expose(m, path)
            exposed.update(e.series)
            for series in e.series:
                carrying = [s for s in samples if s.name == series]
                assert carrying, f"{path}: `{series}` of `{m.name}` is missing"
                for s in carrying:
                    assert set(s.labels) == e.labels_of(series, scraped=False), (path, series, s.labels)
        assert names == exposed, path

        values = _values(samples, path)
        for (metric, labels), observed in implied.items():
            m = qortex.contract.metric(metric)
            assert m is not None
            _check_values(qortex, m, observed, labels, values, path)
        # histogram boundaries are the contract's on both paths (OTel's own are millisecond-scale)
        for m in qortex.contract.metrics:
            if m.buckets:
                family = expose(m, path).family
                les = {s.labels["le"] for s in samples if s.name == family + "_bucket"}
                assert les == {repr(float(b)) for b in m.buckets} | {"+Inf"}, (path, m.name)

    assert {s.name for s in scraped["prometheus-client"]} == seed_series()
    assert {s.name for s in scraped["otel-python"]} - {"target_info"} == {
        n for n in seed_series() if not n.endswith("_created")}

    # the two spans of the mix, ended by QueryCompleted and QueryFailed
    ended = {s.attributes["query.id"]: s for s in stack.spans.get_finished_spans()}
    assert set(ended) == {"qa", "qb"}
    assert ended["qa"].attributes["result_count"] == 10 and "error" not in ended["qa"].attributes
    assert ended["qb"].attributes["error"] is True and ended["qb"].attributes["error.stage"] == "ppr"


def test_prometheus_client_starts_constant_label_series_at_zero(stack: Stack) -> None:
    # bound at register time, so they exist before any event: rate() sees 0, not a gap
    values = _values(scrape_samples(stack.registry), "prometheus-client")
    for outcome in ("accepted", "rejected", "partial"):
        assert values[("qortex_feedback_total", (("outcome", outcome),))] == 0


# ── spans ───────────────────────────────────────────────────────────────────

@pytest.fixture
def traced(qortex: LoadedContract, tmp_path: Path) -> tuple[dict[str, Any], Any]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return import_generated(qortex, tmp_path).handlers(tracer=provider.get_tracer(_SCOPE)), exporter


def _started(i: int) -> Any:
    from qortex.observability.events import QueryStarted

    return QueryStarted(query_id=f"q{i}", query_text="t", domains=None, mode="vec", top_k=3, timestamp="t")


def test_at_most_max_open_spans_oldest_evicted_first(traced: tuple[dict[str, Any], Any]) -> None:
    from qortex.observability.events import QueryCompleted, QueryFailed

    handlers, exporter = traced
    for i in range(5000):
        handlers["QueryStarted"](_started(i))
    evicted = exporter.get_finished_spans()
    assert [s.attributes["query.id"] for s in evicted] == [f"q{i}" for i in range(4000)]
    assert all(s.attributes["evicted"] is True and s.name == "qortex.query" for s in evicted)
    exporter.clear()

    # 1000 are open: every one of them can still be ended, none of the evicted can
    handlers["QueryCompleted"](QueryCompleted(query_id="q4999", latency_ms=12.5, seed_count=2, result_count=7,
                                              activated_nodes=40, mode="vec", timestamp="t"))
    handlers["QueryFailed"](QueryFailed(query_id="q4000", error="boom", stage="embedding", timestamp="t"))
    handlers["QueryFailed"](QueryFailed(query_id="q0", error="late", stage="ppr", timestamp="t"))
    done, failed = exporter.get_finished_spans()
    assert dict(done.attributes) == {"query.id": "q4999", "query.mode": "vec", "query.top_k": 3, "result_count": 7,
                                     "seed_count": 2, "activated_nodes": 40, "latency_ms": 12.5}
    assert dict(failed.attributes) == {"query.id": "q4000", "query.mode": "vec", "query.top_k": 3, "error": True,
                                       "error.stage": "embedding", "error.message": "boom"}
    exporter.clear()

    for i in range(5000, 5003):  # 998 open: two fit, the third evicts the oldest left (q4001)
        handlers["QueryStarted"](_started(i))
    (third,) = exporter.get_finished_spans()
    assert third.attributes["query.id"] == "q4001" and third.attributes["evicted"] is True


def test_a_restarted_key_ends_the_earlier_span(traced: tuple[dict[str, Any], Any]) -> None:
    handlers, exporter = traced
    handlers["QueryStarted"](_started(1))
    handlers["QueryStarted"](_started(1))
    (first,) = exporter.get_finished_spans()
    assert first.attributes["evicted"] is True


# ── faults never reach the application ─────────────────────────────────────

def test_bad_events_are_dropped_per_op_counted_and_logged_once(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    from qortex.observability.events import FactorDriftSnapshot, QueryCompleted

    @dataclass(frozen=True)
    class ManifestIngested:  # pyventus routes by class name: this one lacks `latency_ms`
        domain: str

    caplog.set_level(logging.WARNING, logger="qortex_metrics")
    bad = QueryCompleted(query_id="x", latency_ms=None, seed_count=1, result_count=1, activated_nodes=1,
                         mode=123, timestamp="t")
    drift = FactorDriftSnapshot(count="many", mean=None, min_val=0.0, max_val=1.0, boosted=0, penalized=0,
                                entropy=1.5)
    for event in (bad, bad, drift, ManifestIngested(domain="docs")):
        stack.emit(event)
    handlers = stack.module.handlers()  # no backends, no handlers: nothing to call, nothing raised
    assert handlers == {}

    values = {path: _values(scrape_samples(reg), path)
              for path, reg in (("prometheus-client", stack.registry), ("otel-python", stack.otel_registry))}
    for path, v in values.items():
        # the op that could run did: mode 123 is outside the closed set and counted as `other`
        assert v[("qortex_queries_total", (("mode", "other"),))] == 2, path
        assert v[("qortex_factor_entropy", ())] == 1.5, path
        assert v[("qortex_manifests_ingested_total", (("domain", "docs"),))] == 1, path
        # the ops that failed left nothing; prometheus_client shows an unlabelled
        # metric from its creation, at 0, OpenTelemetry only once recorded
        untouched = 0 if path == "prometheus-client" else None
        for series in ("qortex_query_duration_seconds_count", "qortex_factors_active", "qortex_factor_mean",
                       "qortex_ingest_duration_seconds_count"):
            assert v.get((series, ())) == untouched, (path, series)
    # each failed op counts once: it is checked before either backend sees it
    assert stack.module.DROPPED == {"QueryCompleted": 2, "FactorDriftSnapshot": 2, "ManifestIngested": 1}
    logged = [r for r in caplog.records if r.name == "qortex_metrics"]
    assert [r.getMessage().split("`")[-2] for r in logged] == ["QueryCompleted", "FactorDriftSnapshot",
                                                              "ManifestIngested"]
    assert all(r.exc_info for r in logged)


def test_handlers_called_directly_do_not_raise(qortex: LoadedContract, tmp_path: Path) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    module = import_generated(qortex, tmp_path)
    handlers = module.handlers(meter=MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter(_SCOPE))
    for handler in handlers.values():
        handler(object())  # every field is missing
    assert set(module.DROPPED) == set(handlers) - {"EdgePromoted", "EnrichmentFallback"}  # these read no field


def test_benchmark_runs() -> None:
    # a small run, so the benchmark cannot rot unnoticed between `make bench` runs
    script = "import tests.benchmarks.bench_subscriber as b; b.main(events=1600, rounds=1)"
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "time ratio generated/qortex" in run.stdout
