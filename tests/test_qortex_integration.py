"""qortex 0.3.0's own source tree running on the generated subscriber module, placed where qortex imports it.

In a temp copy of the source release: a `[tool.metrics-contract]` table places the module at
`src/qortex/observability/subscribers/qortex_metrics.py`, the real `metrics-contract generate` writes it,
and `otel.py` / `prometheus.py` become shims that keep qortex's function names and signatures, obtain their
meter / registry as the originals do, and hand them to the generated `register`. Then qortex's own
tests/test_observability.py runs against that tree, and the same driver (`python -m
tests.test_qortex_integration`) runs qortex's emitting code once on the hand-written subscribers and once on
the shims: every sample of the contract's metrics must be equal, but for the differences the contract
documents, each asserted as such.

Never the network: the OTLP exporters the subscribers construct are in-memory stand-ins, their periodic
metric reader is a PrometheusMetricReader on a registry of its own, and `start_http_server` binds nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from contract.loader import LoadedContract
from contract.naming import ExpositionPath, expose
from tests.conftest import QORTEX_CONTRACT, ROOT

SEED = ROOT / ".venv" / "seed" / "qortex-0.3.0"
SUBSCRIBERS = "src/qortex/observability/subscribers"
PLACED = f"{SUBSCRIBERS}/qortex_metrics.py"
# what configure() must see on both runs; the OTLP endpoint is never connected to
CONFIG = {"prometheus_enabled": True, "otel_enabled": True, "prometheus_port": 9464,
          "otel_endpoint": "http://127.0.0.1:4317", "log_level": "WARNING"}
# OpenTelemetry's default explicit bucket boundaries (opentelemetry-sdk's aggregation), which qortex's otel.py
# histograms get since it passes none
OTEL_DEFAULT_BOUNDARIES = (0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0,
                           7500.0, 10000.0)

PYPROJECT_TABLE = f"""
[tool.metrics-contract]
contract = "contract/qortex.yaml"
python = "{PLACED}"
"""

PROMETHEUS_SHIM = '''"""Prometheus subscriber: the contract's metrics (qortex_metrics.py, generated) on /metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qortex.observability.config import ObservabilityConfig


def register_prometheus_subscriber(config: ObservabilityConfig) -> None:
    """Register Prometheus metric subscribers and start /metrics server."""
    from prometheus_client import REGISTRY, start_http_server

    from qortex.observability.linker import QortexEventLinker
    from qortex.observability.subscribers import qortex_metrics

    start_http_server(config.prometheus_port)
    qortex_metrics.register(QortexEventLinker, registry=REGISTRY)
'''

OTEL_SHIM = '''"""OTel subscriber: the contract's metrics and spans (qortex_metrics.py, generated), pushed over OTLP."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qortex.observability.config import ObservabilityConfig


def register_otel_subscriber(config: ObservabilityConfig) -> None:
    """Register OTel trace + metric subscribers."""
    from opentelemetry import metrics, trace
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from qortex.observability.linker import QortexEventLinker
    from qortex.observability.subscribers import qortex_metrics

    resource = Resource.create({"service.name": config.otel_service_name})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=config.otel_endpoint)))
    trace.set_tracer_provider(provider)
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=config.otel_endpoint))
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    qortex_metrics.register(QortexEventLinker, meter=metrics.get_meter("qortex"), tracer=trace.get_tracer("qortex"))
'''

Sample = tuple[str, tuple[tuple[str, str], ...]]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of qortex 0.3.0's source release."""
    if not SEED.is_dir():
        if os.environ.get("REQUIRE_PROMETHEUS") == "1":
            pytest.fail(f"qortex 0.3.0's source release is required (REQUIRE_PROMETHEUS=1) but `{SEED}` is missing")
        pytest.skip(f"qortex 0.3.0's source release is not unpacked at `{SEED}` (`make test` does it); "
                    "set REQUIRE_PROMETHEUS=1 to make this fail")
    copy = tmp_path_factory.mktemp("qortex") / "qortex-0.3.0"
    shutil.copytree(SEED, copy)
    return copy


def _python(tree: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """.venv's Python with `tree`'s qortex first on the path, never the installed one."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _drive(tree: Path, out: Path) -> dict[str, Any]:
    _python(tree, "-m", "tests.test_qortex_integration", str(tree), str(out), cwd=ROOT)
    return dict(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def runs(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The driver's scrapes: first on qortex's hand-written subscribers, then on the generated module."""
    work = tmp_path_factory.mktemp("scrapes")
    original = _drive(tree, work / "original.json")
    (tree / "contract").mkdir()
    shutil.copy(QORTEX_CONTRACT, tree / "contract" / "qortex.yaml")
    with (tree / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(PYPROJECT_TABLE)
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "metrics-contract"), "generate"], cwd=tree,
                          capture_output=True, text=True, check=False, timeout=120)
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stdout
    assert proc.stdout.splitlines()[-1] == f"wrote {PLACED}"
    (tree / SUBSCRIBERS / "prometheus.py").write_text(PROMETHEUS_SHIM)
    (tree / SUBSCRIBERS / "otel.py").write_text(OTEL_SHIM)
    return {"original": original, "generated": _drive(tree, work / "generated.json")}


def test_generated_module_is_placed_and_owned(tree: Path, runs: dict[str, dict[str, Any]], qortex: LoadedContract
                                              ) -> None:
    from generators.outputs import render_all

    # the same contract, under the same name: the module this repository generates into out/python/
    assert (tree / PLACED).read_text() == render_all(qortex)["python/qortex_metrics.py"]
    assert not (tree / "out" / "python").exists()
    listed = json.loads((tree / "out" / ".metrics-contract-manifest.json").read_text())["placed"]
    assert list(listed) == [PLACED]
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "metrics-contract"), "check"], cwd=tree,
                          capture_output=True, text=True, check=False, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_qortex_own_observability_tests_pass_on_the_shims(tree: Path, runs: dict[str, dict[str, Any]]) -> None:
    # in the tests' own process: the copy's qortex, its shims, and the generated module took qortex's events
    script = f"""
import sys
import pytest
import qortex
assert qortex.__file__.startswith({str(tree / "src")!r} + "/"), qortex.__file__
code = pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_observability.py"])
from prometheus_client import REGISTRY
import qortex.observability.subscribers.prometheus as shim
assert shim.__file__ == {str(tree / SUBSCRIBERS / "prometheus.py")!r}, shim.__file__
# test_prometheus_subscriber_registers_and_emits_without_error emitted these through the shim
print("hybrid", REGISTRY.get_sample_value("qortex_queries_total", {{"mode": "other"}}))
print("embedding", REGISTRY.get_sample_value("qortex_query_errors_total", {{"stage": "embedding"}}))
sys.exit(code)
"""
    proc = _python(tree, "-c", script, cwd=tree)
    lines = proc.stdout.splitlines()
    assert "58 passed" in lines[-3], proc.stdout[-2000:]
    assert lines[-2:] == ["hybrid 1.0", "embedding 1.0"]


def _samples(rows: list[list[Any]]) -> dict[Sample, float]:
    """The contract's samples (every metric is `qortex_...`), by name and labels; `_created` samples hold the
    creation time of their series, which is the same only in name and labels."""
    found: dict[Sample, float] = {}
    for name, labels, value in rows:
        if name.startswith("qortex_"):
            key = (name, tuple(sorted((k, v) for k, v in labels)))
            found[key] = 0.0 if name.endswith("_created") else value
    return found


def _families(samples: dict[Sample, float], path: ExpositionPath) -> set[str]:
    """The contract metrics (by their families on `path`) that `samples` hold a series of."""
    from contract.loader import load_contract

    lc = load_contract(str(QORTEX_CONTRACT))
    families = {expose(m, path).family: m.name for m in lc.contract.metrics}
    found = set()
    for name, _ in samples:
        for suffix in ("_total", "_created", "_bucket", "_count", "_sum", ""):
            if name.endswith(suffix) and name.removesuffix(suffix) in families:
                found.add(families[name.removesuffix(suffix)])
    return found


def _closed_sets() -> dict[str, tuple[str, tuple[str, ...]]]:
    from contract.loader import load_contract

    lc = load_contract(str(QORTEX_CONTRACT))
    return {m.name: (label.name, tuple(label.values)) for m in lc.contract.metrics for label in m.labels
            if label.values is not None}


def _as_contract_records(samples: dict[Sample, float]) -> tuple[dict[Sample, float], set[Sample]]:
    """The original's samples with a label value outside the contract's closed set recorded as `other` (the
    generated module's documented behaviour), and the samples that changed so."""
    closed = _closed_sets()
    mapped: dict[Sample, float] = defaultdict(float)
    changed = set()
    for (name, labels), value in samples.items():
        metric = next((m for m in closed if name.startswith(m + "_")), None)
        if metric is not None:
            label, values = closed[metric]
            new = tuple((k, "other" if k == label and v not in values else v) for k, v in labels)
            if new != labels:
                changed.add((name, labels))
            labels = new
        mapped[(name, labels)] += value
    return dict(mapped), changed


def test_prometheus_client_samples_equal(runs: dict[str, dict[str, Any]]) -> None:
    original = _samples(runs["original"]["prometheus"])
    generated = _samples(runs["generated"]["prometheus"])
    assert len(_families(generated, "prometheus-client")) == 18   # every metric of the contract is recorded
    mapped, changed = _as_contract_records(original)
    # the one difference: qortex's own smoke event (mode `hybrid`) is outside the closed set [vec, graph]
    assert sorted(changed) == [("qortex_queries_created", (("mode", "hybrid"),)),
                               ("qortex_queries_total", (("mode", "hybrid"),))]
    assert generated[("qortex_queries_total", (("mode", "other"),))] == 1.0
    assert generated == mapped


def _otel_parts(samples: dict[Sample, float]) -> tuple[dict[Sample, float], dict[str, dict[str, float]]]:
    """The samples but histogram buckets, and the buckets by histogram (`le` -> cumulative count)."""
    rest: dict[Sample, float] = {}
    buckets: dict[str, dict[str, float]] = defaultdict(dict)
    for (name, labels), value in samples.items():
        if name.endswith("_bucket"):
            le = dict(labels)["le"]
            assert all(k.startswith("otel_scope_") for k, _ in labels if k != "le"), labels
            buckets[name.removesuffix("_bucket")][le] = value
        else:
            rest[(name, labels)] = value
    return rest, dict(buckets)


def test_otel_samples_equal(runs: dict[str, dict[str, Any]]) -> None:
    original, original_buckets = _otel_parts(_samples(runs["original"]["otel"]))
    generated, generated_buckets = _otel_parts(_samples(runs["generated"]["otel"]))
    assert len(_families(generated, "otel-python")) == 18
    mapped, changed = _as_contract_records(original)
    scope = (("otel_scope_name", "qortex"), ("otel_scope_schema_url", ""), ("otel_scope_version", ""))
    assert sorted(changed) == [("qortex_queries_total", (("mode", "hybrid"), *scope))]
    assert generated == mapped   # every count, sum, gauge and counter: the same values
    # the other difference: qortex's otel.py gives no bucket boundaries, so its histograms have OpenTelemetry's
    # millisecond-scale defaults; the generated module gives the contract's, which prometheus_client has too
    prometheus_buckets: dict[str, dict[str, float]] = defaultdict(dict)
    for (name, labels), value in _samples(runs["generated"]["prometheus"]).items():
        if name.endswith("_bucket"):
            prometheus_buckets[name.removesuffix("_bucket")][dict(labels)["le"]] = value
    assert sorted(generated_buckets) == sorted(original_buckets) == sorted(prometheus_buckets)
    for name, counts in original_buckets.items():
        assert sorted(map(float, counts)) == [*OTEL_DEFAULT_BOUNDARIES, float("inf")], name
        assert {float(le): v for le, v in generated_buckets[name].items()} == \
            {float(le): v for le, v in prometheus_buckets[name].items()}, name
        assert counts["+Inf"] == generated_buckets[name]["+Inf"], name


def test_spans_equal(runs: dict[str, dict[str, Any]]) -> None:
    original, generated = runs["original"]["spans"], runs["generated"]["spans"]
    assert len(generated) == 4
    assert generated == original


# ── the driver, run in a subprocess per tree: `python -m tests.test_qortex_integration TREE OUT` ──────────

class _Clock:
    """`time` for qortex's modules: perf_counter advances 12.5 ms a call, so latencies repeat run to run."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._now = 0.0

    def perf_counter(self) -> float:
        self._now += 0.0125
        return self._now

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Embeddings:
    """A deterministic embedding model: a fixed vector per text."""

    VECTORS = {"graph": [1.0, 0.0, 0.2], "vec": [0.9, 0.1, 0.0]}

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.VECTORS[t] for t in texts]


class _Index:
    """A brute-force cosine index over the backend's embeddings."""

    def __init__(self, vectors: dict[str, list[float]]) -> None:
        self.vectors = vectors

    def search(self, query: list[float], top_k: int = 10, threshold: float = 0.0) -> list[tuple[str, float]]:
        def cos(a: list[float], b: list[float]) -> float:
            dot = sum(x * y for x, y in zip(a, b, strict=True))
            return float(dot / ((sum(x * x for x in a) * sum(y * y for y in b)) ** 0.5))

        scored = sorted(((nid, cos(query, v)) for nid, v in self.vectors.items()), key=lambda p: (-p[1], p[0]))
        return [(nid, s) for nid, s in scored if s >= threshold][:top_k]


def _stand_ins() -> tuple[list[Any], Any]:
    """In-memory OTLP exporters, and PeriodicExportingMetricReader replaced by a PrometheusMetricReader on a
    registry of its own: the subscribers construct them exactly as they would the real ones."""
    import types

    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import export as metric_export
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from prometheus_client import CollectorRegistry

    span_exporters: list[Any] = []
    registry = CollectorRegistry()

    class SpanExporter(InMemorySpanExporter):
        def __init__(self, endpoint: str | None = None, **_: Any) -> None:
            super().__init__()
            span_exporters.append(self)

    class NoMetricExporter(MetricExporter):
        def __init__(self, endpoint: str | None = None, **_: Any) -> None:
            super().__init__()

        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **_: Any) -> MetricExportResult:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
            return None

    base = "opentelemetry.exporter.otlp"
    for name in (base, f"{base}.proto", f"{base}.proto.grpc"):
        package = types.ModuleType(name)
        package.__path__ = []
        sys.modules[name] = package
    trace_module = types.ModuleType(f"{base}.proto.grpc.trace_exporter")
    trace_module.OTLPSpanExporter = SpanExporter   # type: ignore[attr-defined]
    metric_module = types.ModuleType(f"{base}.proto.grpc.metric_exporter")
    metric_module.OTLPMetricExporter = NoMetricExporter   # type: ignore[attr-defined]
    sys.modules[trace_module.__name__] = trace_module
    sys.modules[metric_module.__name__] = metric_module
    metric_export.PeriodicExportingMetricReader = lambda exporter, *a, **k: PrometheusMetricReader(  # type: ignore
        registry=registry)
    return span_exporters, registry


def _exercise() -> None:
    """qortex's emitting code paths, as its test_observability.py integration tests drive them, and the
    events no code path of 0.3.0 emits (QueryFailed, a BufferFlushed with coverage) through its `emit`."""
    import time

    from qortex.core.memory import InMemoryBackend
    from qortex.core.models import (
        ConceptEdge,
        ConceptNode,
        ExplicitRule,
        IngestionManifest,
        RelationType,
        Rule,
        SourceMetadata,
    )
    from qortex.enrichment.pipeline import EnrichmentPipeline
    from qortex.hippocampus.adapter import GraphRAGAdapter, VecOnlyAdapter
    from qortex.hippocampus.buffer import EdgePromotionBuffer
    from qortex.hippocampus.factors import TeleportationFactors
    from qortex.observability import emit
    from qortex.observability.events import BufferFlushed, FactorUpdated, QueryCompleted, QueryFailed, QueryStarted

    clock = _Clock(time)   # once every module that measures a latency is imported
    for name, module in list(sys.modules.items()):
        if name.startswith("qortex.") and getattr(module, "time", None) is time:
            module.time = clock   # type: ignore[attr-defined]
    factors = TeleportationFactors()
    factors.update("q1", {"n1": "accepted", "n2": "rejected"})
    factors.update("q2", {"n1": "partial", "n3": "accepted"})

    backend = InMemoryBackend()
    backend.connect()
    backend.create_domain("test")
    vectors = {f"n{i}": [1.0, 0.1 * i, 0.05 * i * i] for i in range(5)}
    for i in range(5):
        backend.add_node(ConceptNode(id=f"n{i}", name=f"Node {i}", description=f"Test node {i}", domain="test",
                                     source_id="test"))
        backend.add_embedding(f"n{i}", vectors[f"n{i}"])
    for i in range(4):
        backend.add_edge(ConceptEdge(source_id=f"n{i}", target_id=f"n{i + 1}", relation_type=RelationType.REQUIRES,
                                     confidence=0.9))
    backend.personalized_pagerank(source_nodes=["n0", "n1"], damping_factor=0.85, max_iterations=100)
    backend.personalized_pagerank(source_nodes=["n0"], extra_edges=[("n0", "n4", 0.8)])
    backend.personalized_pagerank(source_nodes=["n0"], max_iterations=2)   # diverges

    buffer = EdgePromotionBuffer()
    for _ in range(5):
        buffer.record("a", "b", 0.9)
    buffer.record("c", "d", 0.5)
    buffer.flush(backend, min_hits=3, min_avg_score=0.7)

    rules = [Rule(id=f"r{i}", text=f"Rule {i}", domain="test", derivation="explicit", source_concepts=[],
                  confidence=1.0) for i in range(3)]
    EnrichmentPipeline().enrich(rules, domain="test")

    class FailingBackend:
        def enrich_batch(self, rules: list[Any], domain: str) -> list[Any]:
            raise RuntimeError("backend exploded")

    EnrichmentPipeline(backend=FailingBackend()).enrich(rules[:2], domain="test")

    backend.ingest_manifest(IngestionManifest(
        source=SourceMetadata(id="src1", name="test", source_type="text", path_or_url="/test"),
        domain="test_domain",
        concepts=[ConceptNode(id=f"m{i}", name=f"M {i}", description="", domain="test_domain", source_id="src1")
                  for i in range(2)],
        edges=[ConceptEdge(source_id="m0", target_id="m1", relation_type=RelationType.REQUIRES, confidence=0.9)],
        rules=[ExplicitRule(id="r1", text="Rule 1", domain="test_domain", source_id="src1", confidence=1.0)],
    ))

    index = _Index(vectors)
    VecOnlyAdapter(index, backend, _Embeddings()).retrieve("vec", top_k=3)
    graph = GraphRAGAdapter(index, backend, _Embeddings(), edge_buffer=buffer)
    result = graph.retrieve("graph", top_k=4)
    graph.feedback(result.query_id, {result.items[0].id: "accepted", result.items[1].id: "rejected",
                                     result.items[2].id: "partial"})
    graph.retrieve("graph", domains=["test"], top_k=2)

    # qortex's own smoke test's events (its mode `hybrid` is outside the contract's closed set)
    emit(QueryCompleted(query_id="smoke-1", mode="hybrid", result_count=5, latency_ms=42.0, seed_count=3,
                        activated_nodes=10, timestamp="ts"))
    emit(QueryFailed(query_id="smoke-2", error="test", stage="embedding", timestamp="ts"))
    emit(FactorUpdated(node_id="n1", query_id="q1", outcome="accepted", old_factor=1.0, new_factor=1.1, delta=0.1,
                       clamped=False))
    emit(QueryStarted(query_id="failing", query_text="x", domains=None, mode="vec", top_k=3, timestamp="ts"))
    emit(QueryFailed(query_id="failing", error="no index", stage="vec_search", timestamp="ts"))
    emit(BufferFlushed(promoted=0, remaining=1, total_promoted_lifetime=1, kg_coverage=0.4, timestamp="ts"))


def _rows(registry: Any) -> list[list[Any]]:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    text = generate_latest(registry).decode("utf-8")   # what a scrape of the registry reads
    return [[s.name, sorted(s.labels.items()), s.value] for family in text_string_to_metric_families(text)
            for s in family.samples]


def main(tree: str, out: str) -> None:
    from unittest import mock

    import qortex

    assert qortex.__file__ is not None and qortex.__file__.startswith(os.path.join(tree, "src", "")), qortex.__file__
    span_exporters, otel_registry = _stand_ins()
    from opentelemetry import trace
    from prometheus_client import REGISTRY
    from qortex.observability.config import ObservabilityConfig
    from qortex.observability.emitter import configure

    with mock.patch("prometheus_client.start_http_server") as server:
        configure(ObservabilityConfig(**CONFIG))   # type: ignore[arg-type]
    # both subscribers registered (configure() would only log an ImportError)
    server.assert_called_once_with(CONFIG["prometheus_port"])
    assert len(span_exporters) == 1
    _exercise()
    trace.get_tracer_provider().force_flush()   # type: ignore[attr-defined]
    spans = [{"name": s.name, "attributes": {k: v for k, v in sorted(s.attributes.items()) if k != "query.id"}}
             for s in span_exporters[0].get_finished_spans()]
    Path(out).write_text(json.dumps({"prometheus": _rows(REGISTRY), "otel": _rows(otel_registry), "spans": spans}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
