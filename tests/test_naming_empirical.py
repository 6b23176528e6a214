"""`contract.naming` against the real exporters and receivers.

Every metric of the naming table and of every contract in the repository is
created in the real OpenTelemetry SDK and in prometheus_client the way the
generated module creates them, and the series names and label names that come
out must equal `expose()`'s prediction exactly, on every path:

- `prometheus-client`, `otel-python`: scraped from prometheus_client's HTTP server;
- `otel-collector`: pushed with the SDK's OTLP exporter into the real Collector
  (`tests/peers`), its `prometheus` exporter configured as generators/stack.py
  writes it, scraped both directly and by Prometheus 3 under the generated
  Collector job (whose `honor_labels` keeps the exporter's `job`/`instance`);
- `otel-collector-remote-write`: the same Collector's `prometheusremotewrite`
  exporter (default settings) into Prometheus 3's remote-write receiver, fed
  by a receiver of its own so that its series and the scraped ones (both
  under the pushing service's `job`) stay apart;
- `prometheus-otlp[:STRATEGY]`: OTLP straight into Prometheus 3, once per
  translation strategy (the config is reloaded between them).

The peers run once for the module (one Collector, one Prometheus); each metric
gets its own SDK resource, so its `service.instance.id` keeps its series apart
from another metric's that is exposed under the same name.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult, MetricsData
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric as PromFamily

from contract.loader import load_contract
from contract.model import Metric
from contract.naming import PATHS, ExpositionPath, expose, sanitize_label, sanitize_name, unit_word
from generators.stack import COLLECTOR_JOB
from generators.stack import collector as collector_config
from generators.stack import prometheus as prometheus_config
from tests.conftest import QORTEX_CONTRACT, ROOT, exposing, scrape_shapes
from tests.peer_bins import binary
from tests.prom_server import free_port, spawn, stop, wait_ready
from tests.test_naming import ROWS

Shapes = dict[str, set[frozenset[str]]]

# every contract in the repository: the qortex one, the example, the generator fixtures
CONTRACTS = (QORTEX_CONTRACT, ROOT / "examples" / "checkout" / "metrics-contract.yaml",
             *sorted((ROOT / "tests" / "fixtures").glob("*/contract.yaml")))
# Prometheus' `otlp.translation_strategy` of each Prometheus path; the bare path is Prometheus' default strategy
STRATEGIES: dict[ExpositionPath, str] = {
    "prometheus-otlp": "UnderscoreEscapingWithSuffixes",
    "prometheus-otlp:UnderscoreEscapingWithoutSuffixes": "UnderscoreEscapingWithoutSuffixes",
    "prometheus-otlp:NoUTF8EscapingWithSuffixes": "NoUTF8EscapingWithSuffixes",
    "prometheus-otlp:NoTranslation": "NoTranslation",
}
# the `service.name`, and so the `job`, of the pushes into the Collector: one per Collector pipeline
SCRAPED_SERVICE = "naming-scraped"
REMOTE_WRITE_SERVICE = "naming-remote-write"
# the series Prometheus writes for every scrape itself
SCRAPE_SERIES = ("scrape_duration_seconds", "scrape_samples_post_metric_relabeling", "scrape_samples_scraped",
                 "scrape_series_added", "up")
# the remote-write queue and the 1 s scrape deliver within seconds; past this the comparison shows what is missing
ARRIVAL_TIMEOUT = 20.0


# the contract types an OpenTelemetry instrument records; the others only prometheus_client yields
OTEL_TYPES = ("counter", "updowncounter", "gauge", "histogram")


def _metrics() -> list[Metric]:
    table = [row.values[0] for row in ROWS]
    contracts = [m for path in CONTRACTS for m in load_contract(str(path)).contract.metrics]
    return [m for m in contracts + table if m.type in OTEL_TYPES]  # type: ignore[operator]


def _record(meter: Meter, m: Metric) -> None:
    """One data point of `m`, every contract label set, as the generated module records it."""
    attrs = _label_values(m)
    if m.type == "counter":
        meter.create_counter(m.name, unit=m.unit, description=m.help).add(1, attrs)
    elif m.type == "updowncounter":
        meter.create_up_down_counter(m.name, unit=m.unit, description=m.help).add(1, attrs)
    elif m.type == "gauge":
        meter.create_gauge(m.name, unit=m.unit, description=m.help).set(1, attrs)
    else:
        meter.create_histogram(m.name, unit=m.unit, description=m.help,
                               explicit_bucket_boundaries_advisory=list(m.buckets or ())).record(1, attrs)


class _Served:
    """One HTTP server for the whole module; what it serves is swapped per metric."""

    def __init__(self) -> None:
        self.current = CollectorRegistry()

    def collect(self) -> Iterator[PromFamily]:
        return self.current.collect()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[_Served, str]]:
    target = _Served()
    with exposing(target) as url:
        yield target, url


def _scrape(served: tuple[_Served, str], registry: CollectorRegistry) -> Shapes:
    target, url = served
    target.current = registry
    return scrape_shapes(url)


def _label_values(m: Metric) -> dict[str, str]:
    return {label: "v" for label in m.label_names}


def _merge(scrapes: Iterable[Shapes]) -> Shapes:
    merged: Shapes = {}
    for scrape in scrapes:
        for name, label_sets in scrape.items():
            merged.setdefault(name, set()).update(label_sets)
    return merged


# Each metric gets its own registry: some table rows (`a` and `a_total`)
# deliberately expose the same name and would be merged or rejected together.
@pytest.fixture
def otel_scrape(served: tuple[_Served, str]) -> Shapes:
    return _merge(_otel_one(served, m) for m in _metrics())


def _otel_one(served: tuple[_Served, str], m: Metric) -> Shapes:
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    _record(provider.get_meter("empirical", "1.0"), m)
    try:
        return _scrape(served, registry)
    finally:
        provider.shutdown()


@pytest.fixture
def client_scrape(served: tuple[_Served, str]) -> Shapes:
    return _merge(_client_one(served, m) for m in _metrics())


def _client_one(served: tuple[_Served, str], m: Metric) -> Shapes:
    registry = CollectorRegistry()
    labels = [sanitize_label(n) for n in m.label_names]
    kwargs = {"labelnames": labels, "registry": registry, "unit": unit_word(m.unit)}
    values = {sanitize_label(k): v for k, v in _label_values(m).items()}
    name = sanitize_name(m.name)
    if m.type == "counter":
        c = Counter(name, m.help, **kwargs)
        (c.labels(**values) if labels else c).inc()
    elif m.type in ("gauge", "updowncounter"):
        g = Gauge(name, m.help, **kwargs)
        (g.labels(**values) if labels else g).set(1)
    else:
        h = Histogram(name, m.help, buckets=list(m.buckets or ()), **kwargs)
        (h.labels(**values) if labels else h).observe(1)
    return _scrape(served, registry)


def _predicted(path: ExpositionPath, *, scraped: bool = False) -> Shapes:
    out: Shapes = {}
    for m in _metrics():
        e = expose(m, path)
        for series in e.series:
            out.setdefault(series, set()).add(e.labels_of(series, scraped=scraped))
    return out


def _without_info(path: ExpositionPath, shapes: Shapes) -> Shapes:
    """`shapes` less the path's info series, each of which must be there."""
    info = PATHS[path].info_series
    assert set(info) <= set(shapes), f"{path}: no {info}"
    return {k: v for k, v in shapes.items() if k not in info}


def test_otel_python_matches_prediction(otel_scrape: Shapes) -> None:
    assert _without_info("otel-python", otel_scrape) == _predicted("otel-python")


def test_prometheus_client_matches_prediction(client_scrape: Shapes) -> None:
    assert client_scrape == _predicted("prometheus-client")


# --- the peers: one Prometheus 3 and one Collector for the module ---------------------------------------------


@dataclass
class Peers:
    prometheus: str        # Prometheus 3's base URL
    config: Path           # its config file, rewritten and reloaded per translation strategy
    exporter: str          # host:port of the Collector's prometheus exporter, which Prometheus scrapes
    scraped_otlp: str      # the Collector's OTLP/HTTP metrics URL whose pipeline ends in the prometheus exporter
    remote_write_otlp: str  # the one whose pipeline ends in the prometheusremotewrite exporter

    def get(self, path: str, **query: str) -> Any:
        url = self.prometheus + path + ("?" + urllib.parse.urlencode(query) if query else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            return json.load(resp)["data"]

    def series(self, job: str) -> list[dict[str, str]]:
        found: list[dict[str, str]] = self.get("/api/v1/series", **{"match[]": f'{{job="{job}"}}'})
        return found

    def use_strategy(self, strategy: str, promote: tuple[str, ...] = ()) -> None:
        config = _prometheus_config(self.exporter, strategy, promote)
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")
        request = urllib.request.Request(self.prometheus + "/-/reload", method="POST")
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
        loaded = self.get("/api/v1/status/config")["yaml"]
        assert f"translation_strategy: {strategy}" in loaded, loaded


def _prometheus_config(exporter: str, strategy: str, promote: tuple[str, ...] = ()) -> dict[str, Any]:
    # the Collector's exporter scraped as the generated prometheus.yml scrapes it (its job, `honor_labels`)
    (job,) = (job for job in prometheus_config(load_contract(str(QORTEX_CONTRACT)))["scrape_configs"]
              if job["job_name"] == COLLECTOR_JOB)
    otlp: dict[str, Any] = {"translation_strategy": strategy}
    if promote:
        otlp["promote_resource_attributes"] = list(promote)
    return {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [{**job, "static_configs": [{"targets": [exporter]}]}],
        "otlp": otlp,
    }


def _collector_config(scraped: str, remote: str, exporter: str, remote_write: str) -> dict[str, Any]:
    # the prometheus exporter exactly as generators/stack.py configures it, on a free loopback port; no batch
    # processor, so the exporter holds a push once the push returns. One receiver per exporter: with
    # `honor_labels` both exporters' series carry the pushing service's `job`, which tells them apart
    prometheus = dict(collector_config(load_contract(str(QORTEX_CONTRACT)))["exporters"]["prometheus"])
    prometheus["endpoint"] = exporter
    return {
        "receivers": {"otlp/scraped": {"protocols": {"http": {"endpoint": scraped}}},
                      "otlp/remote-write": {"protocols": {"http": {"endpoint": remote}}}},
        "exporters": {"prometheus": prometheus, "prometheusremotewrite": {"endpoint": remote_write}},
        "service": {
            # no internal telemetry server: its fixed default port would clash with another Collector
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {
                "metrics/scraped": {"receivers": ["otlp/scraped"], "exporters": ["prometheus"]},
                "metrics/remote-write": {"receivers": ["otlp/remote-write"], "exporters": ["prometheusremotewrite"]},
            },
        },
    }


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    prometheus_bin, otelcol_bin = binary("prometheus"), binary("otelcol")
    tmp = tmp_path_factory.mktemp("naming-peers")
    prom_port, scraped_port, remote_port, exporter_port = free_port(), free_port(), free_port(), free_port()
    exporter = f"127.0.0.1:{exporter_port}"
    running = Peers(prometheus=f"http://127.0.0.1:{prom_port}", config=tmp / "prometheus.yml", exporter=exporter,
                    scraped_otlp=f"http://127.0.0.1:{scraped_port}/v1/metrics",
                    remote_write_otlp=f"http://127.0.0.1:{remote_port}/v1/metrics")
    running.config.write_text(yaml.safe_dump(_prometheus_config(exporter, STRATEGIES["prometheus-otlp"])),
                              encoding="utf-8")
    (tmp / "collector.yaml").write_text(yaml.safe_dump(_collector_config(
        f"127.0.0.1:{scraped_port}", f"127.0.0.1:{remote_port}", exporter, f"{running.prometheus}/api/v1/write")),
        encoding="utf-8")
    processes = []
    try:
        processes.append(spawn([
            prometheus_bin, f"--config.file={running.config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom_port}", "--web.enable-otlp-receiver",
            "--web.enable-remote-write-receiver", "--web.enable-lifecycle"], tmp / "prometheus.log"))
        wait_ready(running.prometheus + "/-/ready", processes[-1], tmp / "prometheus.log")
        processes.append(spawn([otelcol_bin, f"--config={tmp / 'collector.yaml'}"], tmp / "collector.log"))
        wait_ready(f"http://{exporter}/metrics", processes[-1], tmp / "collector.log")
        yield running
    finally:
        for process in reversed(processes):
            stop(process)


def _push(endpoint: str, service: str, metrics: list[Metric]) -> set[str]:
    """Every metric through the SDK's OTLP exporter in one request, each from its own resource; their instance ids.

    Each resource is the SDK's default one (whose `service.instance.id` is one per process) with its own
    `service.instance.id`, so two metrics exposed under one name stay two series, as two processes' would.
    """
    resources = []
    instances = set()
    for i, m in enumerate(metrics):
        resource = Resource.create({"service.name": service, "service.instance.id": f"{service}-{i}"})
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader], resource=resource)
        _record(provider.get_meter("empirical", "1.0"), m)
        data = reader.get_metrics_data()
        provider.shutdown()
        assert data is not None
        resources.extend(data.resource_metrics)
        instances.add(f"{service}-{i}")
    exporter = OTLPMetricExporter(endpoint=endpoint, timeout=10)
    try:
        assert exporter.export(MetricsData(resource_metrics=resources)) is MetricExportResult.SUCCESS
    finally:
        exporter.shutdown()
    return instances


def _series_shapes(found: list[dict[str, str]]) -> Shapes:
    shapes: Shapes = {}
    for labels in found:
        shapes.setdefault(labels["__name__"], set()).add(frozenset(labels) - {"__name__"})
    return shapes


def _arrived(peers: Peers, job: str, instance_label: str, instances: set[str]) -> list[dict[str, str]]:
    """The series of `job` once every pushed resource has some (asynchronous delivery); what is there at the
    timeout otherwise, for the comparison to show."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while True:
        found = peers.series(job)
        if instances <= {s.get(instance_label) for s in found} or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@dataclass
class CollectorMeasured:
    exposed: Shapes        # the prometheus exporter's /metrics, as it serves it
    scraped: Shapes        # the same once Prometheus 3 scraped it
    remote_write: Shapes   # the prometheusremotewrite exporter's series in Prometheus 3


@pytest.fixture(scope="module")
def collector_measured(peers: Peers) -> CollectorMeasured:
    instances = _push(peers.scraped_otlp, SCRAPED_SERVICE, _metrics())
    remote_instances = _push(peers.remote_write_otlp, REMOTE_WRITE_SERVICE, _metrics())
    exposed = scrape_shapes(f"http://{peers.exporter}/metrics")
    scraped = _arrived(peers, SCRAPED_SERVICE, "instance", instances)
    remote = _arrived(peers, REMOTE_WRITE_SERVICE, "instance", remote_instances)
    # Prometheus' own series of the scrape stay under the scrape job's name
    assert set(SCRAPE_SERIES) <= set(_series_shapes(peers.series(COLLECTOR_JOB))), "no scrape of the exporter"
    return CollectorMeasured(exposed, _series_shapes(scraped), _series_shapes(remote))


@pytest.fixture(scope="module")
def otlp_measured(peers: Peers) -> dict[ExpositionPath, Shapes]:
    """Each translation strategy's series: the config reloaded, every metric pushed under a job of its own."""
    measured: dict[ExpositionPath, Shapes] = {}
    for path, strategy in STRATEGIES.items():
        peers.use_strategy(strategy)
        job = f"naming-{strategy}"
        # the OTLP receiver has appended the samples when it answers
        _push(peers.prometheus + "/api/v1/otlp/v1/metrics", job, _metrics())
        measured[path] = _series_shapes(peers.series(job))
    return measured


def test_otel_collector_exposes_prediction(collector_measured: CollectorMeasured) -> None:
    assert _without_info("otel-collector", collector_measured.exposed) == _predicted("otel-collector")


def test_otel_collector_scraped_matches_prediction(collector_measured: CollectorMeasured) -> None:
    assert _without_info("otel-collector", collector_measured.scraped) == _predicted("otel-collector", scraped=True)


def test_otel_collector_remote_write_matches_prediction(collector_measured: CollectorMeasured) -> None:
    path: ExpositionPath = "otel-collector-remote-write"
    assert _without_info(path, collector_measured.remote_write) == _predicted(path, scraped=True)


@pytest.mark.parametrize("path", list(STRATEGIES))
def test_prometheus_otlp_matches_prediction(otlp_measured: dict[ExpositionPath, Shapes], path: ExpositionPath) -> None:
    assert _without_info(path, otlp_measured[path]) == _predicted(path, scraped=True)


def test_a_promoted_resource_attribute_is_one_more_label(peers: Peers) -> None:
    """The Prometheus paths' facts assume nothing promoted; each attribute promoted is one label more on every
    series (as README says), the series names unchanged."""
    path: ExpositionPath = "prometheus-otlp"
    peers.use_strategy(STRATEGIES[path], promote=("telemetry.sdk.language",))
    job = "naming-promoted"
    table = [row.values[0] for row in ROWS]
    _push(peers.prometheus + "/api/v1/otlp/v1/metrics", job, table)  # type: ignore[arg-type]
    predicted: Shapes = {}
    for m in table:
        e = expose(m, path)  # type: ignore[arg-type]
        for series in e.series:
            predicted.setdefault(series, set()).add(e.labels_of(series) | {"telemetry_sdk_language"})
    assert _without_info(path, _series_shapes(peers.series(job))) == predicted
