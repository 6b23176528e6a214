"""The generated Collector config on the real Collector: its settings, and what `job`/`instance` carry behind it.

Small stacks of their own (one Collector, at most one Prometheus, a batch or
two of events), so they take a few seconds.
"""

from __future__ import annotations

import copy
import json
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.live.exposition import fetch, parse
from contract.loader import LoadedContract
from generators.outputs import render_all
from generators.stack import COLLECTOR_JOB
from tests import prom_server
from tests.conftest import QORTEX_DASHBOARDS
from tests.live.conftest import Row, last_scrapes, running_collector, scraped_after, tail, totals, wait
from tests.live.panels import interpolate, panel_targets
from tests.qortex_events import mix
from tests.subscriber_util import import_generated

pytestmark = pytest.mark.live

# two services behind one Collector, each with its own number of completed queries
SERVICES = {("qortex", "qortex-a"): 3, ("qortex-canary", "canary-b"): 5}
# a copy of the generated Collector job without `honor_labels`, for the contrast
UNHONORED_JOB = "otel-collector-without-honor-labels"


def _pushing(stack: ExitStack, lc: LoadedContract, endpoints: list[str], service: str, instance: str,
             tmp: Path) -> tuple[Any, list[Any]]:
    """The generated module's handlers on an SDK meter of `service`/`instance` pushing to every endpoint."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    # pushed only when flushed: every Collector gets the same cumulative state
    readers = [PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=f"{e}/v1/metrics"),
                                             export_interval_millis=3_600_000) for e in endpoints]
    provider = MeterProvider(metric_readers=readers, resource=Resource.create(
        {"service.name": service, "service.instance.id": instance}))
    stack.callback(provider.shutdown)
    module = import_generated(lc, tmp)
    return module.handlers(meter=provider.get_meter(lc.contract.service)), readers


def _emit(handlers: dict[str, Any], events: list[Any]) -> None:
    for event in events:
        handler = handlers.get(type(event).__name__)
        if handler is not None:
            handler(event)


def _samples(url: str) -> set[tuple[str, frozenset[tuple[str, str]], float]]:
    return {(name, frozenset(labels.items()), value)
            for family in parse(fetch(url), url).values() for name, labels, value, _ in family.samples}


def test_current_exporter_settings_expose_what_the_deprecated_ones_did(
        qortex_contract: LoadedContract, tmp_path: Path) -> None:
    generated = render_all(qortex_contract)["stack/otel-collector/config.yaml"]
    legacy = yaml.safe_load(generated)
    exporter = legacy["exporters"]["prometheus"]
    # the settings the stack generated before v0.165 deprecated them
    assert exporter.pop("translation_strategy") == "UnderscoreEscapingWithSuffixes"
    assert exporter.pop("resource_constant_labels") == {"included": ["*"]}
    exporter.update({"add_metric_suffixes": True, "resource_to_telemetry_conversion": {"enabled": True}})
    (tmp_path / "current").mkdir()
    (tmp_path / "legacy").mkdir()
    with ExitStack() as stack:
        current = stack.enter_context(running_collector(generated, tmp_path / "current"))
        old = stack.enter_context(running_collector(yaml.safe_dump(legacy), tmp_path / "legacy"))
        handlers, readers = _pushing(stack, qortex_contract, [current.otlp_http, old.otlp_http], "qortex",
                                     "live-1", tmp_path)
        _emit(handlers, mix("a") + mix("b"))
        for reader in readers:
            assert reader.force_flush(timeout_millis=10_000)
        wait(lambda: bool(totals(current.metrics_url)) and totals(current.metrics_url) == totals(old.metrics_url),
             "both Collectors serving the export", lambda: tail(current.log) + tail(old.log))
        exposed = _samples(current.metrics_url)
        assert {name for name, _, _ in exposed} >= {"qortex_queries_total", "qortex_query_duration_seconds_bucket"}
        assert exposed == _samples(old.metrics_url)
    assert "deprecated" in old.log.read_text(encoding="utf-8")
    assert "deprecated" not in current.log.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def two_services(qortex_contract: LoadedContract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[prom_server.PromServer, float, dict[str, Any]]]:
    """Two services pushing to one Collector, scraped with the generated prometheus.yml's Collector job and a copy
    of it without `honor_labels`; yields (Prometheus, a moment after the pushes, the dashboard)."""
    tmp = tmp_path_factory.mktemp("two-services")
    files = render_all(qortex_contract, QORTEX_DASHBOARDS)
    with ExitStack() as stack:
        collector = stack.enter_context(running_collector(files["stack/otel-collector/config.yaml"], tmp))
        config = yaml.safe_load(files["stack/prometheus/prometheus.yml"])
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        config["rule_files"] = []
        target = urllib.parse.urlsplit(collector.metrics_url).netloc
        # only the Collector's job: the direct job has no application here
        config["scrape_configs"] = [{**job, "static_configs": [{"targets": [target]}]}
                                    for job in config["scrape_configs"] if job["job_name"] == COLLECTOR_JOB]
        assert config["scrape_configs"][0]["honor_labels"] is True
        config["scrape_configs"].append({**config["scrape_configs"][0], "job_name": UNHONORED_JOB,
                                         "honor_labels": False})
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        server = stack.enter_context(prom_server.prometheus_server(tmp / "prometheus.yml", tmp / "prometheus"))
        for (service, instance), completed in SERVICES.items():
            (tmp / instance).mkdir()
            handlers, (reader,) = _pushing(stack, qortex_contract, [collector.otlp_http], service, instance,
                                           tmp / instance)
            completed_events = [e for e in mix("x") if type(e).__name__ == "QueryCompleted"]
            _emit(handlers, completed_events * completed)
            assert reader.force_flush(timeout_millis=10_000)
        wait(lambda: totals(collector.metrics_url).get("qortex_queries_total") == sum(SERVICES.values()),
             "the Collector serving both services", lambda: tail(collector.log))
        pushed = time.time()
        # `up` is 1 for both scrape jobs (one target each, the same Collector)
        rows = (Row("otel-collector", "", collector.metrics_url, COLLECTOR_JOB),
                Row("otel-collector", "", collector.metrics_url, UNHONORED_JOB))
        wait(lambda: scraped_after(server, rows, pushed), "a scrape after the pushes", server.log_tail)
        yield server, max(last_scrapes(server, rows)), json.loads(files["grafana/qortex.json"])


def _query(server: prom_server.PromServer, expr: str, at: float) -> list[dict[str, Any]]:
    params = urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"})
    result: list[dict[str, Any]] = server.get("/api/v1/query?" + params)["data"]["result"]
    return result


def test_job_and_instance_are_the_services(
        two_services: tuple[prom_server.PromServer, float, dict[str, Any]]) -> None:
    """The generated Collector job keeps the exporter's `job`/`instance`: each service's `service.name` and
    `service.instance.id`; no `exported_*`. `up` keeps the scrape job's name."""
    server, at, _ = two_services
    found = {(s["metric"]["job"], s["metric"]["instance"], s["metric"]["service_name"],
              s["metric"]["service_instance_id"], any(k.startswith("exported_") for k in s["metric"]),
              float(s["value"][1]))
             for s in _query(server, f'qortex_queries_total{{job!="{UNHONORED_JOB}"}}', at)}
    assert found == {(service, instance, service, instance, False, float(n))
                     for (service, instance), n in SERVICES.items()}
    assert {s["metric"]["job"] for s in _query(server, "up", at)} == {COLLECTOR_JOB, UNHONORED_JOB}


def test_without_honor_labels_job_is_the_collector_and_exported_job_the_service(
        two_services: tuple[prom_server.PromServer, float, dict[str, Any]]) -> None:
    server, at, _ = two_services
    found = {(s["metric"]["job"], s["metric"]["instance"].split(":")[0], s["metric"]["exported_job"],
              s["metric"]["exported_instance"], s["metric"]["service_name"], s["metric"]["service_instance_id"],
              float(s["value"][1]))
             for s in _query(server, f'qortex_queries_total{{job="{UNHONORED_JOB}"}}', at)}
    # job/instance name the scrape target (the Collector); the service's own service.name/service.instance.id
    # are exported_job/exported_instance, and service_name/service_instance_id
    assert found == {(UNHONORED_JOB, "127.0.0.1", service, instance, service, instance, float(n))
                     for (service, instance), n in SERVICES.items()}


def test_job_picker_tells_two_services_behind_one_collector_apart(
        two_services: tuple[prom_server.PromServer, float, dict[str, Any]]) -> None:
    """The dashboard's `$job` on the generated scrape config: one value per service behind the Collector, and the
    Query Rate panel's series read that service's own count; the copy without `honor_labels` offers one value that
    adds the services up."""
    server, at, dashboard = two_services
    (variable,) = (v for v in dashboard["templating"]["list"] if v["name"] == "job")
    metric = variable["query"].removeprefix("label_values(").split(",")[0]
    offered = server.get(f"/api/v1/label/job/values?match[]={metric}")["data"]
    assert sorted(offered) == sorted([UNHONORED_JOB, *(service for service, _ in SERVICES)])
    ((_, _, expr),) = [t for t in panel_targets(dashboard) if t[0] == "Query Rate"]
    # the panel's series, summed without rate(): each service's count is known exactly
    counted = expr.split("rate(")[1].split("[")[0]
    shown = {job: sum(float(s["value"][1]) for s in _query(server, interpolate(counted, job), at))
             for job in offered}
    assert shown == {**{service: float(n) for (service, _), n in SERVICES.items()},
                     UNHONORED_JOB: float(sum(SERVICES.values()))}


def test_the_collector_config_is_the_generated_one_but_ports_and_jaeger(qortex_contract: LoadedContract) -> None:
    from tests.live.conftest import collector_config

    generated = yaml.safe_load(render_all(qortex_contract)["stack/otel-collector/config.yaml"])
    rewritten, addresses = collector_config(render_all(qortex_contract)["stack/otel-collector/config.yaml"])
    undo = copy.deepcopy(rewritten)
    assert undo["exporters"].pop("debug") == {}
    undo["exporters"]["otlp/jaeger"] = generated["exporters"]["otlp/jaeger"]
    undo["service"]["pipelines"]["traces"]["exporters"] = ["otlp/jaeger"]
    assert undo["service"].pop("telemetry") == {"metrics": {"level": "none"}}
    for name, protocol in undo["receivers"]["otlp"]["protocols"].items():
        assert protocol["endpoint"] == addresses[name]
        protocol["endpoint"] = generated["receivers"]["otlp"]["protocols"][name]["endpoint"]
    for section, name, key in (("exporters", "prometheus", "prometheus"), ("extensions", "health_check", "health")):
        assert undo[section][name]["endpoint"] == addresses[key]
        undo[section][name]["endpoint"] = generated[section][name]["endpoint"]
    assert undo == generated
    assert all(address.startswith("127.0.0.1:") for address in addresses.values())
