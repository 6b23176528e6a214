"""One live stack for every test in tests/live: real qortex events, two exposition paths, a real Prometheus.

The generated subscriber module is subscribed on qortex 0.3.0's own
`QortexEventLinker` with a prometheus_client registry (the direct path) and
an OpenTelemetry SDK meter at once. The OpenTelemetry side is read by the
SDK's `PrometheusMetricReader`, standing in for the Collector's `prometheus`
exporter: no Collector can run here. It is scraped as the Collector would be,
under the generated config's `otel-collector` job, but it names series the
`otel-python` way; the `live` fixture asserts that those are the Collector's
names for every metric of the contract. Its extra labels differ (scope
labels, no resource labels), which is what the label comparisons ignore.

A scripted workload emits every handled event type for several scrape
intervals; the tests then query Prometheus at the workload's last moment,
so every rate is taken over a window in which the counters moved.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.loader import LoadedContract, load_contract
from contract.naming import expose
from generators.outputs import render_all
from tests import prom_server
from tests.conftest import QORTEX_CONTRACT, QORTEX_DASHBOARDS, exposing
from tests.qortex_events import mix
from tests.subscriber_util import import_generated

SCRAPE_SECONDS = 1
WORKLOAD_SECONDS = 7.0
BATCH_EVERY = 0.25   # seconds between two `mix()` batches
COLLECTOR_JOB = "otel-collector"
HANDLED_EVENTS = 15


@dataclass(frozen=True)
class Exporter:
    """A /metrics endpoint on 127.0.0.1 serving one prometheus_client registry."""

    url: str
    registry: Any


@dataclass(frozen=True)
class LiveStack:
    lc: LoadedContract
    files: dict[str, str]          # render_all(lc): the dashboard and rules under test
    prometheus: prom_server.PromServer
    direct: Exporter
    collector_stand_in: Exporter
    direct_job: str
    at: float                      # evaluation time of every query: the end of the workload

    @property
    def jobs(self) -> tuple[str, str]:
        return (self.direct_job, COLLECTOR_JOB)

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """The instant vector `expr` at `at` (default: the end of the workload)."""
        params = urllib.parse.urlencode({"query": expr, "time": f"{self.at if at is None else at:.3f}"})
        body = self.prometheus.get("/api/v1/query?" + params)
        assert body["status"] == "success", body
        assert body["data"]["resultType"] == "vector", (expr, body["data"]["resultType"])
        result: list[dict[str, Any]] = body["data"]["result"]
        return result


@contextmanager
def serve(registry: Any) -> Iterator[Exporter]:
    with exposing(registry) as url:
        yield Exporter(url=url, registry=registry)


@pytest.fixture(scope="package")
def qortex_contract() -> LoadedContract:
    return load_contract(str(QORTEX_CONTRACT))


@pytest.fixture(scope="package")
def direct_exporter() -> Iterator[Exporter]:
    """prometheus_client's own registry and HTTP server: the application's direct path."""
    from prometheus_client import CollectorRegistry

    with serve(CollectorRegistry()) as exporter:
        yield exporter


@pytest.fixture(scope="package")
def collector_stand_in() -> Iterator[tuple[Any, Exporter]]:
    """The OpenTelemetry SDK read by `PrometheusMetricReader` on its own registry, standing in
    for the Collector's `prometheus` exporter (which cannot run here); yields (meter, exporter)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    try:
        with serve(registry) as exporter:
            yield provider.get_meter("qortex"), exporter
    finally:
        provider.shutdown()


@pytest.fixture(scope="package")
def subscribed(qortex_contract: LoadedContract, direct_exporter: Exporter,
               collector_stand_in: tuple[Any, Exporter], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The generated module subscribed on qortex's linker for both paths; yields the module."""
    from opentelemetry.sdk.trace import TracerProvider
    from qortex.observability.linker import QortexEventLinker

    module = import_generated(qortex_contract, tmp_path_factory.mktemp("live-module"))
    meter, _ = collector_stand_in
    # a tracer too, so that span-only events (QueryStarted) are subscribed as well
    tracer = TracerProvider().get_tracer("qortex")
    subscribers = module.register(QortexEventLinker, meter=meter, registry=direct_exporter.registry, tracer=tracer)
    try:
        assert len(subscribers) == HANDLED_EVENTS
        yield module
    finally:
        for subscriber in subscribers:
            QortexEventLinker.remove_subscriber(subscriber)


def _prometheus_config(files: dict[str, str], direct: Exporter, stand_in: Exporter,
                       rules: list[Path]) -> tuple[str, str]:
    """The generated prometheus.yml aimed at the test's exporters; returns (config text, direct job)."""
    config = yaml.safe_load(files["stack/prometheus/prometheus.yml"])
    config["global"]["scrape_interval"] = f"{SCRAPE_SECONDS}s"
    config["global"]["evaluation_interval"] = f"{SCRAPE_SECONDS}s"
    config["rule_files"] = [str(path) for path in rules]
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert COLLECTOR_JOB in jobs and len(jobs) == 2, jobs
    (direct_job,) = (j for j in jobs if j != COLLECTOR_JOB)
    for job in config["scrape_configs"]:
        target = stand_in if job["job_name"] == COLLECTOR_JOB else direct
        job["static_configs"] = [{"targets": [urllib.parse.urlsplit(target.url).netloc]}]
    return yaml.safe_dump(config, sort_keys=False), direct_job


def _wait(condition: Callable[[], bool], what: str, server: prom_server.PromServer, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s\n{server.log_tail()}")
        time.sleep(0.1)


def _emit_workload(emit: Callable[[Any], None]) -> float:
    """Batches of every handled event, spread over several scrapes; returns the last emission's time."""
    start = time.monotonic()
    batch = 0
    while time.monotonic() - start < WORKLOAD_SECONDS:
        for event in mix(f"live{batch}"):
            emit(event)
        batch += 1
        time.sleep(BATCH_EVERY)
    return time.time()


@contextmanager
def running_stack(lc: LoadedContract, direct: Exporter, stand_in: Exporter, workload: Callable[[], float],
                  tmp: Path, dashboards: tuple[str, ...] = ()) -> Iterator[LiveStack]:
    """A real Prometheus scraping both exporters with the generated config and rules, after `workload` ran.

    `workload` emits events and returns the time of its last emission; every
    query then defaults to that moment, once a later scrape of each target
    has put every sample up to it into the TSDB.
    """
    for m in lc.contract.metrics:
        assert expose(m, "otel-python").series == expose(m, "otel-collector").series, \
            f"`{m.name}`: PrometheusMetricReader names it unlike the Collector; it cannot stand in for it here"
    files = render_all(lc, dashboards)
    rules = []
    for name in ("rules.yml", "alerts.yml"):   # alerts.yml: only for a contract with alerts or SLOs
        if f"prometheus/{name}" in files:
            rules.append(tmp / name)
            rules[-1].write_text(files[f"prometheus/{name}"], encoding="utf-8")
    config_text, direct_job = _prometheus_config(files, direct, stand_in, rules)
    config = tmp / "prometheus.yml"
    config.write_text(config_text, encoding="utf-8")

    with prom_server.prometheus_server(config, tmp) as server:
        def targets_up() -> bool:
            active = server.get("/api/v1/targets")["data"]["activeTargets"]
            return len(active) == 2 and all(t["health"] == "up" for t in active)

        _wait(targets_up, "both scrape targets up", server)
        at = workload()
        stack = LiveStack(lc=lc, files=files, prometheus=server, direct=direct, collector_stand_in=stand_in,
                          direct_job=direct_job, at=at)

        def scraped_after_workload() -> bool:
            now = time.time()
            seen = stack.query(f"timestamp(up{{job=~\"{direct_job}|{COLLECTOR_JOB}\"}})", at=now)
            return len(seen) == 2 and all(float(r["value"][1]) > at for r in seen)

        _wait(scraped_after_workload, "a scrape of both targets after the workload", server)
        yield stack


@pytest.fixture(scope="package")
def live(qortex_contract: LoadedContract, direct_exporter: Exporter, collector_stand_in: tuple[Any, Exporter],
         subscribed: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    from pyventus.core.processing.asyncio import AsyncIOProcessingService
    from pyventus.events import EventEmitter
    from qortex.observability.linker import QortexEventLinker

    # qortex's own configure() uses this processing service; without a
    # running event loop it runs each emission to completion before returning
    emitter = EventEmitter(event_linker=QortexEventLinker, event_processor=AsyncIOProcessingService())

    def workload() -> float:
        at = _emit_workload(emitter.emit)
        assert subscribed.DROPPED == {}, f"handlers failed: {subscribed.DROPPED}"
        return at

    _, stand_in = collector_stand_in
    with running_stack(qortex_contract, direct_exporter, stand_in, workload,
                       tmp_path_factory.mktemp("live-prometheus"), QORTEX_DASHBOARDS) as stack:
        yield stack
