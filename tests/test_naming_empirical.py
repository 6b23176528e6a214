"""`contract.naming` against the real exporters, scraped over HTTP.

Every metric of the qortex contract and of the naming table is created in the
real OpenTelemetry SDK (read by `PrometheusMetricReader`) and in
prometheus_client the way the generated module creates them; the scraped
series names and label names must equal the prediction. The Collector path
cannot run here (no Collector binary); its rows are pinned in test_naming.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric as PromFamily

from contract.model import Metric
from contract.naming import expose, sanitize_label, sanitize_name, unit_word
from tests.conftest import QORTEX_CONTRACT, exposing, scrape_shapes
from tests.test_naming import ROWS


def _metrics() -> list[Metric]:
    from contract.loader import load_contract

    table = [row.values[0] for row in ROWS]
    return list(load_contract(str(QORTEX_CONTRACT)).contract.metrics) + table  # type: ignore[operator]


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


def _scrape(served: tuple[_Served, str], registry: CollectorRegistry) -> dict[str, set[frozenset[str]]]:
    target, url = served
    target.current = registry
    return scrape_shapes(url)


def _label_values(m: Metric) -> dict[str, str]:
    return {label: "v" for label in m.label_names}


def _merge(scrapes: Iterable[dict[str, set[frozenset[str]]]]) -> dict[str, set[frozenset[str]]]:
    merged: dict[str, set[frozenset[str]]] = {}
    for scrape in scrapes:
        for name, label_sets in scrape.items():
            merged.setdefault(name, set()).update(label_sets)
    return merged


# Each metric gets its own registry: some table rows (`a` and `a_total`)
# deliberately expose the same name and would be merged or rejected together.
@pytest.fixture
def otel_scrape(served: tuple[_Served, str]) -> dict[str, set[frozenset[str]]]:
    return _merge(_otel_one(served, m) for m in _metrics())


def _otel_one(served: tuple[_Served, str], m: Metric) -> dict[str, set[frozenset[str]]]:
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("empirical", "1.0")
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
    try:
        return _scrape(served, registry)
    finally:
        provider.shutdown()


@pytest.fixture
def client_scrape(served: tuple[_Served, str]) -> dict[str, set[frozenset[str]]]:
    return _merge(_client_one(served, m) for m in _metrics())


def _client_one(served: tuple[_Served, str], m: Metric) -> dict[str, set[frozenset[str]]]:
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


def _predicted(path: str) -> dict[str, set[frozenset[str]]]:
    out: dict[str, set[frozenset[str]]] = {}
    for m in _metrics():
        e = expose(m, path)  # type: ignore[arg-type]
        for series in e.series:
            out.setdefault(series, set()).add(e.labels_of(series, scraped=False))
    return out


def test_otel_python_matches_prediction(otel_scrape: dict[str, set[frozenset[str]]]) -> None:
    exposed = {k: v for k, v in otel_scrape.items() if k != "target_info"}
    assert "target_info" in otel_scrape
    assert exposed == _predicted("otel-python")


def test_prometheus_client_matches_prediction(client_scrape: dict[str, set[frozenset[str]]]) -> None:
    assert client_scrape == _predicted("prometheus-client")
