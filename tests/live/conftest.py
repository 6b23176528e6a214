"""One live stack for every test in tests/live: real qortex events, every exposition path, real Prometheus.

The generated subscriber module is subscribed on qortex 0.3.0's own
`QortexEventLinker` with a prometheus_client registry (the direct path) and
an OpenTelemetry SDK meter at once. The meter's provider has one reader per
OpenTelemetry path: the SDK's `PrometheusMetricReader` (`otel-python`,
scraped directly), and OTLP/HTTP exporters pushing to a real OpenTelemetry
Collector (`binary("otelcol")`) that runs the generated
`stack/otel-collector/config.yaml` (`otel-collector`, its `prometheus`
exporter scraped under the generated config's job; the same Collector also
remote-writes, `otel-collector-remote-write`) and straight into Prometheus 3's
OTLP receiver, one Prometheus 3 per translation strategy (`prometheus-otlp`,
`prometheus-otlp:<strategy>`).

Scraped paths: Debian's Prometheus 2.42 and the built Prometheus 3 scrape the
same targets with the generated prometheus.yml and rules during one
workload, so each (path, Prometheus) pair is one row: `Stacks.scraped`.
Pushed paths: each into a Prometheus 3 of its own with the generated rules
(their series would clash in one: same `job`, same names on several paths),
one row each: `Stacks.pushed`. Prometheus 2.42 has no OTLP receiver.

A scripted workload emits every handled event type for several scrape
intervals; the tests then query at a moment `at` after the workload, once
every sample up to `at` is in each TSDB, so that every rate window ending at
`at` holds moving counters and every level is the final one.
"""

from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.live.exposition import fetch, parse
from contract.loader import LoadedContract, load_contract
from contract.naming import PATHS, ExpositionPath, expose
from generators.outputs import render_all
from generators.stack import COLLECTOR_JOB
from tests import prom_server
from tests.conftest import QORTEX_CONTRACT, QORTEX_DASHBOARDS, exposing
from tests.peer_bins import binary
from tests.qortex_events import mix
from tests.subscriber_util import import_generated

SCRAPE_SECONDS = 1
WORKLOAD_SECONDS = 7.0
BATCH_EVERY = 0.25   # seconds between two `mix()` batches
HANDLED_EVENTS = 15
# the SDK pushes to the Collector this often: well inside a scrape interval
EXPORT_MILLIS = 250
# the SDK's own reader is scraped directly under this job, added by the test beside the generated two
OTEL_PYTHON_JOB = "otel-python"
# the `service.instance.id` of the application's OpenTelemetry SDK: `instance` on every path behind OTLP
INSTANCE_ID = "live-1"
# (label, Prometheus binary): Debian's 2.42 on PATH, the built 3.x peer
PROMETHEUS = ("2.42", "3.16")
# the paths pushed into a Prometheus (3.x only: 2.42 has no OTLP receiver), each into one of its own
PUSHED_PATHS: tuple[ExpositionPath, ...] = (
    "prometheus-otlp", "prometheus-otlp:UnderscoreEscapingWithoutSuffixes",
    "prometheus-otlp:NoUTF8EscapingWithSuffixes", "prometheus-otlp:NoTranslation", "otel-collector-remote-write")
# Prometheus' `otlp.translation_strategy` when the path names none
DEFAULT_STRATEGY = "UnderscoreEscapingWithSuffixes"
WAIT_SECONDS = 20.0

# one line per row, printed at the end of the run (pytest_terminal_summary below)
SUMMARY: list[str] = []


@dataclass(frozen=True)
class Exporter:
    """A /metrics endpoint on 127.0.0.1 serving one prometheus_client registry."""

    url: str
    registry: Any


@dataclass(frozen=True)
class Row:
    """One exposition path as one Prometheus sees it: the `job` the dashboard's `$job` selects it by."""

    path: str    # contract.naming's path name
    job: str     # its series' `job` label
    url: str     # the endpoint Prometheus scrapes for it, or the receiver its series are pushed to
    # the scrape job whose `up` says it was scraped (the Collector's job differs from its series' `job`, which
    # `honor_labels` keeps); None on a pushed path, which nothing scrapes
    scraped_as: str | None


@dataclass(frozen=True)
class LiveStack:
    lc: LoadedContract
    files: dict[str, str]          # render_all(lc): the dashboard and rules under test
    prometheus: prom_server.PromServer
    version: str                   # which Prometheus: an entry of PROMETHEUS
    rows: tuple[Row, ...]
    at: float                      # evaluation time of every query: after the workload, every sample in

    @property
    def jobs(self) -> tuple[str, ...]:
        return tuple(row.job for row in self.rows)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def row(self, path: str) -> Row:
        (found,) = (row for row in self.rows if row.path == path)
        return found

    @property
    def direct_job(self) -> str:
        return self.row("prometheus-client").job

    @property
    def has_direct(self) -> bool:
        return any(row.path == "prometheus-client" for row in self.rows)

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """The instant vector `expr` at `at` (default: the end of the workload)."""
        params = urllib.parse.urlencode({"query": expr, "time": f"{self.at if at is None else at:.3f}"})
        body = self.prometheus.get("/api/v1/query?" + params)
        assert body["status"] == "success", body
        assert body["data"]["resultType"] == "vector", (expr, body["data"]["resultType"])
        result: list[dict[str, Any]] = body["data"]["result"]
        return result


@dataclass(frozen=True)
class Stacks:
    """The package's stacks, one workload: per Prometheus the scraped rows; per pushed path its own Prometheus 3."""

    scraped: dict[str, LiveStack]           # by entry of PROMETHEUS
    pushed: dict[str, LiveStack]            # by path of PUSHED_PATHS


@dataclass(frozen=True)
class Collector:
    """A running Collector: where to push OTLP/HTTP and where its `prometheus` exporter serves."""

    otlp_http: str          # http://127.0.0.1:<port>
    metrics_url: str
    log: Path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SUMMARY:
        terminalreporter.section("live paths")
        for line in SUMMARY:
            terminalreporter.write_line(line)


def prometheus_binary(version: str) -> str:
    """Debian's Prometheus for "2.42", the built peer for the 3.x row (skips without it)."""
    from tests.conftest import require_binary

    return require_binary("prometheus") if version == "2.42" else binary("prometheus")


@contextmanager
def serve(registry: Any) -> Iterator[Exporter]:
    with exposing(registry) as url:
        yield Exporter(url=url, registry=registry)


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait(condition: Callable[[], bool], what: str, log: Callable[[], str], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s\n{log()}")
        time.sleep(0.1)


def tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def collector_config(generated: str, remote_write: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The generated Collector config as generated, but for what cannot run here; returns (config, addresses).

    Changed: every listening port becomes a free loopback port, and the
    `debug` exporter stands in for the Jaeger exporter (no Jaeger runs here),
    in the exporters and in every pipeline. The Collector's own telemetry is
    switched off: by default it listens on port 8888, which two Collectors
    (or another test's) would share.

    `remote_write`: a Prometheus remote-write URL; a `prometheusremotewrite`
    exporter (default settings, as contract.naming's path assumes) is then one
    more exporter of the generated metrics pipeline. That shape, not a second
    pipeline, is what a user adding remote write to the generated stack
    writes, and it feeds both paths the very batches that passed the same
    `memory_limiter` and `batch`, from one push of the application.
    """
    config = yaml.safe_load(generated)
    free = prom_server.free_port
    addresses = {"grpc": f"127.0.0.1:{free()}", "http": f"127.0.0.1:{free()}",
                 "prometheus": f"127.0.0.1:{free()}", "health": f"127.0.0.1:{free()}"}
    protocols = config["receivers"]["otlp"]["protocols"]
    assert set(protocols) == {"grpc", "http"}, protocols
    for protocol in protocols:
        protocols[protocol]["endpoint"] = addresses[protocol]
    config["exporters"]["prometheus"]["endpoint"] = addresses["prometheus"]
    config["extensions"]["health_check"]["endpoint"] = addresses["health"]
    jaeger = [name for name in config["exporters"] if name.startswith("otlp/jaeger")]
    assert jaeger == ["otlp/jaeger"], list(config["exporters"])
    del config["exporters"]["otlp/jaeger"]
    config["exporters"]["debug"] = {}    # the stand-in for Jaeger
    for pipeline in config["service"]["pipelines"].values():
        pipeline["exporters"] = ["debug" if e == "otlp/jaeger" else e for e in pipeline["exporters"]]
    config["service"]["telemetry"] = {"metrics": {"level": "none"}}
    if remote_write is not None:
        config["exporters"]["prometheusremotewrite"] = {"endpoint": remote_write}
        config["service"]["pipelines"]["metrics"]["exporters"].append("prometheusremotewrite")
    return config, addresses


@contextmanager
def running_collector(generated: str, tmp: Path, remote_write: str | None = None) -> Iterator[Collector]:
    """The real Collector on the generated config (see `collector_config`), validated first, healthy when yielded."""
    otelcol = binary("otelcol")
    config, addresses = collector_config(generated, remote_write)
    path = tmp / "collector.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    validated = subprocess.run([otelcol, "validate", f"--config={path}"], capture_output=True, text=True,
                               timeout=60)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    log = tmp / "collector.log"
    process = prom_server.spawn([otelcol, f"--config={path}"], log)
    try:
        def healthy() -> bool:
            assert process.poll() is None, f"the Collector exited with {process.returncode}:\n{tail(log)}"
            return _http_ok(f"http://{addresses['health']}/")

        wait(healthy, "the Collector's health_check answering 200", lambda: tail(log))
        yield Collector(otlp_http=f"http://{addresses['http']}", metrics_url=f"http://{addresses['prometheus']}/metrics",
                        log=log)
    finally:
        prom_server.stop(process)


@dataclass
class Application:
    """The application side: the generated module's outputs and the OpenTelemetry SDK behind all but one of them."""

    direct: Exporter               # prometheus_client
    otel_python: Exporter          # PrometheusMetricReader's registry
    collector: Collector
    provider: Any                  # the SDK MeterProvider (every OpenTelemetry reader)
    # path -> its OTLP reader: `otel-collector` pushes to the Collector (which also remote-writes, when asked),
    # each `prometheus-otlp[:strategy]` straight to its Prometheus 3
    pushers: dict[str, Any]
    service: str                   # the SDK resource's `service.name`: `job` on every path behind OTLP
    tracer: Any
    flushed_at: float | None = None   # set by `flush`: every pushed sample is stamped at or before it

    def meter(self, name: str) -> Any:
        return self.provider.get_meter(name)

    def flush(self) -> float:
        """Push everything recorded so far, stop pushing, and wait until the Collector's exporter serves it.

        Each OTLP reader makes its last export and stops (the SDK reader's
        own shutdown), so that no push is in flight when the tests query:
        a pushed sample carries the moment it was collected, and one arriving
        later with an earlier stamp would change what a query had read. The
        Collector's batch processor passes the last export on shortly after
        it accepted it, so the exporter's totals are awaited until they equal
        those the SDK's own reader shows. Returns the moment after the last
        export, and keeps it as `flushed_at`.
        """
        # these readers only: flushing the provider would also queue a snapshot in PrometheusMetricReader, and
        # its next scrape would expose every family twice (opentelemetry-exporter-prometheus 0.66b2, measured).
        # The provider's shutdown at the end then skips them, logging that they already are.
        for reader in self.pushers.values():
            reader.shutdown(timeout_millis=10_000)
        self.flushed_at = time.time()
        wait(lambda: totals(self.collector.metrics_url) == totals(self.otel_python.url),
             "the Collector serving the SDK's last export", lambda: tail(self.collector.log))
        return self.flushed_at


def totals(url: str) -> dict[str, float]:
    """Every counter's and histogram count's samples summed per name: equal on two paths that got the same events."""
    totals: dict[str, float] = {}
    for family in parse(fetch(url), url).values():
        for name, _, value, _ in family.samples:
            if name.endswith(("_total", "_count")):
                totals[name] = totals.get(name, 0.0) + value
    return totals


def pushed_service(lc: LoadedContract) -> str:
    """The SDK's `service.name`: not the direct scrape job's name (the service's), so no row sums another's series."""
    return f"{lc.contract.service}-otlp"


def otlp_receiver(url: str) -> str:
    """The OTLP/HTTP metrics endpoint of a Prometheus 3 started with `--web.enable-otlp-receiver`."""
    return f"{url}/api/v1/otlp/v1/metrics"


def remote_write_receiver(url: str) -> str:
    """The remote-write endpoint of a Prometheus started with `--web.enable-remote-write-receiver`."""
    return f"{url}/api/v1/write"


@contextmanager
def application(lc: LoadedContract, tmp: Path, receivers: dict[str, prom_server.PromServer] | None = None) -> Iterator[
        Application]:
    """prometheus_client and the OpenTelemetry SDK (all readers) for `lc`, and the Collector the SDK pushes to.

    `receivers`: path of PUSHED_PATHS -> the running Prometheus 3 that path pushes into (none by default).
    """
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from prometheus_client import CollectorRegistry

    receivers = receivers or {}
    remote = receivers.get("otel-collector-remote-write")
    with ExitStack() as stack:
        collector = stack.enter_context(running_collector(
            render_all(lc)["stack/otel-collector/config.yaml"], tmp,
            None if remote is None else remote_write_receiver(remote.url)))
        through_otel = CollectorRegistry()
        service = pushed_service(lc)
        resource = Resource.create({"service.name": service, "service.instance.id": INSTANCE_ID})
        endpoints = {"otel-collector": f"{collector.otlp_http}/v1/metrics"}
        endpoints.update({path: otlp_receiver(server.url) for path, server in receivers.items()
                          if path.startswith("prometheus-otlp")})
        pushers = {path: PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint),
                                                       export_interval_millis=EXPORT_MILLIS)
                   for path, endpoint in endpoints.items()}
        provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=through_otel), *pushers.values()],
                                 resource=resource)
        stack.callback(provider.shutdown)
        # spans through the Collector's traces pipeline too, into the debug exporter standing in for Jaeger
        tracers = TracerProvider(resource=resource)
        tracers.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{collector.otlp_http}/v1/traces")))
        stack.callback(tracers.shutdown)
        direct = stack.enter_context(serve(CollectorRegistry()))
        otel_python = stack.enter_context(serve(through_otel))
        yield Application(direct=direct, otel_python=otel_python, collector=collector, provider=provider,
                          pushers=pushers, service=service, tracer=tracers.get_tracer(lc.contract.service))


def _scraping_every_path(lc: LoadedContract) -> LoadedContract:
    """`lc` deployed every way at once: `stack.paths` names each declared path the stack scrapes, so the generated
    prometheus.yml has the direct job and the Collector's, as for a service that serves /metrics and pushes."""
    c = lc.contract
    scraped = tuple(path for path in c.exposition if PATHS[path].scraped != "pushed")
    return replace(lc, contract=c.model_copy(update={"stack": c.stack.model_copy(update={"paths": scraped})}))


def _prometheus_config(files: dict[str, str], app: Application, rules: list[Path]) -> tuple[str, tuple[Row, ...]]:
    """The generated prometheus.yml aimed at the test's endpoints, plus a job for `otel-python`; (text, rows).

    The Collector's job keeps the exporter's `job` (`honor_labels`), the SDK's `service.name`, which is
    neither the direct job's nor `otel-python`: each row's series are its own.
    """
    config = yaml.safe_load(files["stack/prometheus/prometheus.yml"])
    config["global"]["scrape_interval"] = f"{SCRAPE_SECONDS}s"
    config["global"]["evaluation_interval"] = f"{SCRAPE_SECONDS}s"
    config["rule_files"] = [str(path) for path in rules]
    jobs = [job["job_name"] for job in config["scrape_configs"]]
    assert COLLECTOR_JOB in jobs and len(jobs) == 2, jobs
    (direct_job,) = (j for j in jobs if j != COLLECTOR_JOB)
    assert app.service not in (direct_job, OTEL_PYTHON_JOB), app.service
    rows = (Row("prometheus-client", direct_job, app.direct.url, direct_job),
            Row("otel-collector", app.service, app.collector.metrics_url, COLLECTOR_JOB),
            Row("otel-python", OTEL_PYTHON_JOB, app.otel_python.url, OTEL_PYTHON_JOB))
    (direct,) = (job for job in config["scrape_configs"] if job["job_name"] == direct_job)
    config["scrape_configs"].append({**direct, "job_name": OTEL_PYTHON_JOB})
    for job in config["scrape_configs"]:
        (row,) = (r for r in rows if r.scraped_as == job["job_name"])
        job["static_configs"] = [{"targets": [urllib.parse.urlsplit(row.url).netloc]}]
    return yaml.safe_dump(config, sort_keys=False), rows


def last_scrapes(server: prom_server.PromServer, rows: tuple[Row, ...]) -> list[float]:
    """When Prometheus last scraped each row's target, if every one is up (else nothing)."""
    scraped = sorted({row.scraped_as for row in rows if row.scraped_as is not None})
    jobs = "|".join(scraped)
    now = f"{time.time():.3f}"
    # `timestamp()` of the selector itself: of an expression such as `up == 1` it is the evaluation time
    stamps = server.get("/api/v1/query?" + urllib.parse.urlencode(
        {"query": f'timestamp(up{{job=~"{jobs}"}})', "time": now}))["data"]["result"]
    down = server.get("/api/v1/query?" + urllib.parse.urlencode(
        {"query": f'up{{job=~"{jobs}"}} != 1', "time": now}))["data"]["result"]
    return [float(r["value"][1]) for r in stamps] if len(stamps) == len(scraped) and not down else []


def scraped_after(server: prom_server.PromServer, rows: tuple[Row, ...], moment: float) -> bool:
    """Every row's target up, and scraped since `moment`."""
    return min(last_scrapes(server, rows) or [0.0]) > moment


def _emit_workload(emit: Callable[[Any], None]) -> int:
    """Batches of every handled event, spread over several scrapes; returns the number of batches."""
    start = time.monotonic()
    batch = 0
    while time.monotonic() - start < WORKLOAD_SECONDS:
        for event in mix(f"live{batch}"):
            emit(event)
        batch += 1
        time.sleep(BATCH_EVERY)
    return batch


@contextmanager
def running_stack(lc: LoadedContract, app: Application, workload: Callable[[], None], tmp: Path,
                  dashboards: tuple[str, ...] = ()) -> Iterator[dict[str, LiveStack]]:
    """Every Prometheus of PROMETHEUS that is here, scraping every row with the generated config and rules.

    `workload` emits events; then the Collector is flushed and every
    Prometheus has scraped every target once more, and `at` is the last
    moment up to which each has every sample.
    """
    files = render_all(_scraping_every_path(lc), dashboards)
    rules = []
    for name in ("rules.yml", "alerts.yml"):   # alerts.yml: only for a contract with alerts or SLOs
        if f"prometheus/{name}" in files:
            rules.append(tmp / name)
            rules[-1].write_text(files[f"prometheus/{name}"], encoding="utf-8")
    config_text, rows = _prometheus_config(files, app, rules)
    config = tmp / "prometheus.yml"
    config.write_text(config_text, encoding="utf-8")

    with ExitStack() as stack:
        servers: dict[str, prom_server.PromServer] = {}
        for version in PROMETHEUS:
            try:
                found = prometheus_binary(version)
            except pytest.skip.Exception:
                continue          # the row's tests skip with the reason (the `live` fixture)
            servers[version] = stack.enter_context(
                prom_server.prometheus_server(config, tmp / version, found))
        for server in servers.values():
            wait(partial(scraped_after, server, rows, 0.0), "every scrape target up", server.log_tail)
        workload()
        app.flush()
        flushed = time.time()
        at = {}
        for version, server in servers.items():
            wait(partial(scraped_after, server, rows, flushed), "a scrape of every target after the workload",
                 server.log_tail)
            # the newest of the newest scrapes: each target's latest sample up to it came after the flush,
            # and its next scrape, one interval after its latest, starts after this moment
            at[version] = max(last_scrapes(server, rows))
        yield {version: LiveStack(lc=lc, files=files, prometheus=server, version=version, rows=rows, at=at[version])
               for version, server in servers.items()}


def strategy(path: str) -> str:
    """Prometheus' `otlp.translation_strategy` for a `prometheus-otlp[:strategy]` path."""
    return path.partition(":")[2] or DEFAULT_STRATEGY


@contextmanager
def pushed_receivers(files: dict[str, str], tmp: Path) -> Iterator[dict[str, prom_server.PromServer]]:
    """One running Prometheus 3 per path of PUSHED_PATHS with the generated rules; none without the built peer.

    Nothing is scraped: the OTLP paths get the receiver with the path's
    translation strategy (a setting of the whole server, hence one server
    each), remote write gets the remote-write receiver. Each server alone
    holds its path's series: the default strategy and remote write name them
    alike, under the same `job`.
    """
    try:
        found = binary("prometheus")
    except pytest.skip.Exception:
        yield {}          # the pushed rows' tests skip with the reason (the `pushed` fixture)
        return
    with ExitStack() as stack:
        servers: dict[str, prom_server.PromServer] = {}
        for path in PUSHED_PATHS:
            where = tmp / path.replace(":", "-")
            where.mkdir()
            rules = []
            for name in ("rules.yml", "alerts.yml"):
                if f"prometheus/{name}" in files:
                    rules.append(str(where / name))
                    (where / name).write_text(files[f"prometheus/{name}"], encoding="utf-8")
            config: dict[str, Any] = {"global": {"evaluation_interval": f"{SCRAPE_SECONDS}s"}, "rule_files": rules}
            if path == "otel-collector-remote-write":
                flags = ("--web.enable-remote-write-receiver",)
            else:
                config["otlp"] = {"translation_strategy": strategy(path)}
                flags = ("--web.enable-otlp-receiver",)
            (where / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
            servers[path] = stack.enter_context(
                prom_server.prometheus_server(where / "prometheus.yml", where, found, flags))
        yield servers


def _count_series(m: Any, path: ExpositionPath) -> str | None:
    """The series of `m` that `totals` sums on `path`: a counter's, a histogram's `_count`; None for the others."""
    e = expose(m, path)
    if e.prom_type == "counter":
        (series,) = e.series
        return series
    return e.family + "_count" if e.prom_type == "histogram" else None


def pushed_totals(stack: LiveStack) -> dict[str, float]:
    """`totals` as the pushed row's Prometheus holds them at `stack.at`, under their names on that path."""
    (row,) = stack.rows
    names = {s for m in stack.lc.contract.metrics if (s := _count_series(m, row.path)) is not None}
    pattern = "|".join(re.escape(name) for name in sorted(names))
    found = stack.query(f'sum by (__name__) ({{__name__=~"{pattern}", job="{row.job}"}})')
    return {s["metric"]["__name__"]: float(s["value"][1]) for s in found}


def _holds(stack: LiveStack, want: dict[str, float]) -> bool:
    return pushed_totals(stack) == want


def pushed_stacks(lc: LoadedContract, files: dict[str, str], app: Application,
                  receivers: dict[str, prom_server.PromServer]) -> dict[str, LiveStack]:
    """A row per pushed path, queried at the application's last export once every pushed sample is in.

    The last export carries the final totals, which the SDK's own reader
    shows; the Collector's remote write delivers after its batch processor
    and queue, so its arrival is awaited (the OTLP receiver has appended a
    push when it answers).
    """
    assert app.flushed_at is not None, "the workload's pushes are flushed first"
    final = totals(app.otel_python.url)
    stacks = {}
    for path, server in receivers.items():
        row = Row(path, app.service, server.url, None)
        stack = LiveStack(lc=lc, files=files, prometheus=server, version=PROMETHEUS[-1], rows=(row,),
                          at=app.flushed_at)
        # the SDK's totals under the path's names
        want = {s: final[py] for m in lc.contract.metrics
                if (py := _count_series(m, "otel-python")) in final and (s := _count_series(m, path)) is not None}
        wait(partial(_holds, stack, want), f"{path}: the last export's totals in Prometheus", server.log_tail)
        stacks[path] = stack
    return stacks


@pytest.fixture(scope="package")
def qortex_contract() -> LoadedContract:
    return load_contract(str(QORTEX_CONTRACT))


@pytest.fixture(scope="package")
def live_stacks(qortex_contract: LoadedContract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stacks]:
    from pyventus.core.processing.asyncio import AsyncIOProcessingService
    from pyventus.events import EventEmitter
    from qortex.observability.linker import QortexEventLinker

    for m in qortex_contract.contract.metrics:
        # the rows name series as contract.naming says; the SDK reader and the Collector agree on this contract
        assert expose(m, "otel-python").series == expose(m, "otel-collector").series, m.name
    tmp = tmp_path_factory.mktemp("live")
    module = import_generated(qortex_contract, tmp_path_factory.mktemp("live-module"))
    files = render_all(qortex_contract, QORTEX_DASHBOARDS)
    with pushed_receivers(files, tmp) as receivers, application(qortex_contract, tmp, receivers) as app:
        subscribers = module.register(QortexEventLinker, meter=app.meter("qortex"), registry=app.direct.registry,
                                      tracer=app.tracer)
        try:
            assert len(subscribers) == HANDLED_EVENTS
            # qortex's own configure() uses this processing service; without a
            # running event loop it runs each emission to completion before returning
            emitter = EventEmitter(event_linker=QortexEventLinker, event_processor=AsyncIOProcessingService())

            def workload() -> None:
                LIVE_BATCHES.append(_emit_workload(emitter.emit))
                assert module.DROPPED == {}, f"handlers failed: {module.DROPPED}"

            with running_stack(qortex_contract, app, workload, tmp, QORTEX_DASHBOARDS) as scraped:
                yield Stacks(scraped=scraped, pushed=pushed_stacks(qortex_contract, files, app, receivers))
        finally:
            for subscriber in subscribers:
                QortexEventLinker.remove_subscriber(subscriber)


# the number of `mix()` batches the package's workload emitted (one entry once it ran)
LIVE_BATCHES: list[int] = []


@pytest.fixture(scope="package", params=PROMETHEUS)
def live(request: pytest.FixtureRequest, live_stacks: Stacks) -> LiveStack:
    """The package's scraped rows as one Prometheus sees them: each test runs once per Prometheus."""
    version: str = request.param
    if version not in live_stacks.scraped:
        prometheus_binary(version)   # skips (or fails under REQUIRE_PEERS=1) with the reason
    return live_stacks.scraped[version]


@pytest.fixture(scope="package", params=PUSHED_PATHS)
def pushed(request: pytest.FixtureRequest, live_stacks: Stacks) -> LiveStack:
    """One pushed path's row in its Prometheus 3: each test runs once per pushed path."""
    path: str = request.param
    if path not in live_stacks.pushed:
        binary("prometheus")   # skips (or fails under REQUIRE_PEERS=1) with the reason
    return live_stacks.pushed[path]
