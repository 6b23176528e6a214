"""OpenTelemetry names (`http.server.request.duration`, `http.request.method`) through the real components.

The `semconv` fixture's generated subscriber module is driven with events
into the real OpenTelemetry SDK (read by `PrometheusMetricReader`) and into
prometheus_client; each is scraped over HTTP, and the series and label names
must be exactly what `contract.naming.expose` predicts for the path. Then a
real Prometheus scrapes the module's prometheus_client registry next to
foreign series, and `live-check`'s selection of the service's series must
take the `semconv` metric (outside the namespace) and leave the others.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, Counter

from contract.live.compare import compare, from_prometheus, own_names
from contract.loader import LoadedContract, load_contract
from contract.naming import ExpositionPath, expose
from tests import prom_server
from tests.conftest import ROOT, exposing, scrape_shapes
from tests.subscriber_util import import_generated

FIXTURE = ROOT / "tests" / "fixtures" / "semconv" / "contract.yaml"

EVENTS = {
    "RequestHandled": [SimpleNamespace(method="GET", route="/orders/{id}", elapsed_ms=12.5),
                       SimpleNamespace(method="PATCH", route="/orders", elapsed_ms=250.0)],   # PATCH -> other
    "OrderPlaced": [SimpleNamespace(payment_method="card")],
}


@pytest.fixture(scope="module")
def lc() -> LoadedContract:
    return load_contract(str(FIXTURE))


@pytest.fixture
def served() -> Iterator[tuple[CollectorRegistry, str]]:
    """A registry served over HTTP, as Prometheus would scrape it; yields it and its /metrics URL."""
    registry = CollectorRegistry()
    with exposing(registry) as url:
        yield registry, url


def _drive(lc: LoadedContract, tmp_path: Path, **backends: Any) -> None:
    module = import_generated(lc, tmp_path)
    handlers = module.handlers(**backends)
    for event, instances in EVENTS.items():
        for instance in instances:
            handlers[event](instance)


def _predicted(lc: LoadedContract, path: ExpositionPath) -> dict[str, set[frozenset[str]]]:
    out: dict[str, set[frozenset[str]]] = {}
    for m in lc.contract.metrics:
        e = expose(m, path)
        for series in e.series:
            out.setdefault(series, set()).add(e.labels_of(series, scraped=False))
    return out


def test_names_are_dotted_in_the_contract(lc: LoadedContract) -> None:
    # what the rest of this file is about: the fixture spells OpenTelemetry names, not Prometheus ones
    assert [(m.name, m.label_names) for m in lc.contract.metrics] == [
        ("http.server.request.duration", ("http.request.method", "http.route")),
        ("shop.orders.placed", ("payment.method",)),
    ]


def test_opentelemetry_sdk_exposes_the_predicted_names(lc: LoadedContract, tmp_path: Path,
                                                        served: tuple[CollectorRegistry, str]) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider

    registry, url = served
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    try:
        _drive(lc, tmp_path, meter=provider.get_meter("semconv", "1.0"))
        scraped = scrape_shapes(url)
    finally:
        provider.shutdown()
    assert "target_info" in scraped
    assert {k: v for k, v in scraped.items() if k != "target_info"} == _predicted(lc, "otel-python")


def test_prometheus_client_exposes_the_predicted_names(lc: LoadedContract, tmp_path: Path,
                                                       served: tuple[CollectorRegistry, str]) -> None:
    registry, url = served
    _drive(lc, tmp_path, registry=registry)
    assert scrape_shapes(url) == _predicted(lc, "prometheus-client")


def test_collector_and_direct_paths_agree_on_the_fixture(lc: LoadedContract) -> None:
    # the Collector cannot run here; its translation rules are pinned in test_naming.py, and for these
    # names they give what the Python exporters give
    for m in lc.contract.metrics:
        assert expose(m, "otel-collector").core_series == expose(m, "otel-python").core_series
        assert expose(m, "otel-collector").labels == expose(m, "prometheus-client").labels


def test_live_check_selects_semconv_series_outside_the_namespace(lc: LoadedContract) -> None:
    assert own_names(lc.contract, "prometheus-client") == (
        "shop_.+|http_server_request_duration_seconds_bucket|http_server_request_duration_seconds_count|"
        "http_server_request_duration_seconds_created|http_server_request_duration_seconds_sum")
    assert own_names(lc.contract, None) == (   # every declared path, while the path is still to be guessed
        "shop_.+|http_server_request_duration_seconds_bucket|http_server_request_duration_seconds_count|"
        "http_server_request_duration_seconds_created|http_server_request_duration_seconds_sum")


def test_live_check_selects_a_dotted_namespace_as_exposed(lc: LoadedContract) -> None:
    dotted = lc.contract.model_copy(update={"namespace": "shop.api", "metrics": lc.contract.metrics[1:]})
    assert own_names(dotted, "otel-collector") == "shop_api_.+"


def test_live_check_against_prometheus(lc: LoadedContract, tmp_path: Path,
                                       served: tuple[CollectorRegistry, str]) -> None:
    registry, url = served
    _drive(lc, tmp_path, registry=registry)
    # series a live-check of this service must not take for its own
    Counter("http_client_requests", "a semconv-like series the contract does not declare", registry=registry).inc()
    Counter("other_requests", "another service's series", registry=registry).inc()
    config = tmp_path / "prometheus.yml"
    config.write_text(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: shop\n"
                      f"    static_configs: [{{targets: ['{urllib.parse.urlsplit(url).netloc}']}}]\n", encoding="utf-8")
    expected = {s for m in lc.contract.metrics for s in expose(m, "prometheus-client").series}
    with prom_server.prometheus_server(config, tmp_path / "prometheus") as server:
        prom_server.wait_for_series(server.url, "shop",
                                    expected | {"http_client_requests_total", "other_requests_total"})
        target = from_prometheus(server.url, "shop", lc.contract, None)
    assert target.path == "prometheus-client"
    assert set(target.series) == expected
    assert compare(lc, target) == []
