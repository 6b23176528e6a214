"""The generated module's typed API (`Metrics`), its label maps, and the module as source code.

The API records into the real OpenTelemetry SDK (read by PrometheusMetricReader) and into prometheus_client;
both are scraped over HTTP, as Prometheus would. Every fixture contract's module passes `ruff format --check`,
`ruff check` and `mypy --strict`, and mypy rejects a caller's misspelt label or value outside a closed set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum, IntEnum
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from contract.loader import LoadedContract, load_contract
from generators import subscriber
from tests.conftest import ROOT, contract_from, scrape_samples
from tests.subscriber_util import import_generated, mypy_on_caller, tool

FIXTURES = ROOT / "tests" / "fixtures"
# every contract whose module the repository generates or tests: the fixtures, qortex's, the example's
CONTRACTS = sorted(str(p.relative_to(ROOT)) for p in FIXTURES.glob("*/contract.yaml")) + [
    "contract/qortex.yaml", "examples/checkout/metrics-contract.yaml"]
SCOPE = {"otel_scope_name": "test", "otel_scope_schema_url": "", "otel_scope_version": ""}

MAPS = """\
contract: 1
service: web
namespace: web
exposition: [prometheus-client, otel-collector]
metrics:
  - name: web_requests
    type: counter
    unit: "{request}"
    help: Requests answered
    labels:
      - name: status_class
        values: [2xx, 4xx, 5xx]
        map:
          - {from: 200, to: 299, value: 2xx}
          - {from: 400, to: 499, value: 4xx}
          - {from: 500, to: 599, value: 5xx}
      - name: outcome
        values: [ok, missing, failed]
        map: {200: ok, "404": missing, "500": failed}
      - name: route
        map: {"/cart/1": "/cart/{id}", "/cart/2": "/cart/{id}"}
  - name: web_inflight
    type: updowncounter
    unit: "{request}"
    help: Requests in flight
  - name: web_queue
    type: gauge
    unit: "{item}"
    help: Items waiting
  - name: web_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1]
events:
  - event: Served
    ops:
      - metric: web_requests
        add: 1
        labels: {status_class: {field: status}, outcome: {field: status}, route: {field: route}}
  - event: Missing
    ops:
      - metric: web_requests
        add: 1
        labels: {status_class: {value: 4xx}, outcome: {value: "404"}, route: {value: /}}
"""


@dataclass
class Scraped:
    module: ModuleType
    metrics: Any  # the module's Metrics
    registry: Any  # prometheus_client's own instruments
    otel_registry: Any  # what PrometheusMetricReader exposes

    def samples(self) -> dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
        """{path: {(series, sorted labels): value}} as each registry serves it over HTTP; OpenTelemetry's scope
        labels are checked and left out."""
        found = {}
        for path, registry in (("prometheus-client", self.registry), ("otel-python", self.otel_registry)):
            values = {}
            for s in scrape_samples(registry):
                labels = dict(s.labels)
                if path == "otel-python" and s.name != "target_info":
                    assert {k: labels.pop(k) for k in SCOPE} == SCOPE, s
                values[(s.name, tuple(sorted(labels.items())))] = s.value
            found[path] = values
        return found


def _backends(module: ModuleType) -> Scraped:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    otel_registry, registry = CollectorRegistry(), CollectorRegistry()
    meter = MeterProvider(metric_readers=[PrometheusMetricReader(registry=otel_registry)]).get_meter("test")
    return Scraped(module, module.Metrics(meter=meter, registry=registry), registry, otel_registry)


@pytest.fixture
def maps(tmp_path: Path) -> Scraped:
    return _backends(import_generated(contract_from(tmp_path, MAPS), tmp_path))


# ── a contract without events: the API is what the application calls ─────────


def test_a_contract_without_events_records_through_metrics(tmp_path: Path) -> None:
    lc = load_contract("tests/fixtures/no-events/contract.yaml", (FIXTURES / "no-events/contract.yaml").read_bytes())
    b = _backends(import_generated(lc, tmp_path))
    m = b.metrics
    m.batch_items.add(stage="load")
    m.batch_items.add(2.5, stage="transform")
    m.batch_items.add(4, stage="load")
    m.batch_step_duration_seconds.record(0.5)
    m.batch_step_duration_seconds.record(12)
    m.batch_backlog.set(7)
    m.batch_backlog.set(3)
    assert b.module.handlers(metrics=m) == {}
    assert b.module.DROPPED == {}

    expected = {
        ("batch_items_total", (("stage", "load"),)): 5.0,
        ("batch_items_total", (("stage", "transform"),)): 2.5,
        ("batch_step_duration_seconds_bucket", (("le", "1.0"),)): 1.0,
        ("batch_step_duration_seconds_bucket", (("le", "5.0"),)): 1.0,
        ("batch_step_duration_seconds_bucket", (("le", "30.0"),)): 2.0,
        ("batch_step_duration_seconds_bucket", (("le", "+Inf"),)): 2.0,
        ("batch_step_duration_seconds_count", ()): 2.0,
        ("batch_step_duration_seconds_sum", ()): 12.5,
        ("batch_backlog", ()): 3.0,
    }
    scraped = b.samples()
    # prometheus_client adds a `_created` series per counter and histogram, OpenTelemetry a `target_info`
    created = {k for k in scraped["prometheus-client"] if k[0].endswith("_created")}
    assert {k[0] for k in created} == {"batch_items_created", "batch_step_duration_seconds_created"}
    assert {k: v for k, v in scraped["prometheus-client"].items() if k not in created} == expected
    info = {k for k in scraped["otel-python"] if k[0] == "target_info"}
    assert len(info) == 1
    assert {k: v for k, v in scraped["otel-python"].items() if k not in info} == expected


def test_a_bad_value_is_dropped_counted_by_metric_and_never_raised(maps: Scraped) -> None:
    m = maps.metrics
    m.web_requests.add(-1, status_class="2xx", outcome="ok", route="/")  # a counter does not go down
    m.web_latency_seconds.record(float("nan"))
    m.web_queue.set(float("inf"))
    m.web_queue.set("many")
    m.web_requests.add(route=None, status_class="2xx", outcome="ok")
    m.web_requests.add(route="caf\udcff", status_class="2xx", outcome="ok")  # a lone surrogate breaks scrapes
    m.web_inflight.add(-3)  # an updowncounter does
    m.web_queue.set("2.5")  # what float() makes of it
    assert maps.module.DROPPED == {"web_requests": 3, "web_latency_seconds": 1, "web_queue": 2}
    for path, values in maps.samples().items():
        assert values[("web_inflight", ())] == -3, path
        assert values[("web_queue", ())] == 2.5, path
        assert [k for k in values if k[0] in ("web_requests_total", "web_latency_seconds_count")] == (
            [("web_latency_seconds_count", ())] if path == "prometheus-client" else []), path


# ── label maps, applied by the API and by the handlers alike ─────────────────


class Status(IntEnum):
    OK = 200
    NOT_FOUND = 404


class Route(Enum):
    CART = "/cart/1"


def test_maps_turn_values_before_the_closed_set_guard(maps: Scraped) -> None:
    m = maps.metrics
    m.web_requests.add(status_class=200, outcome=200, route="/cart/1")
    m.web_requests.add(status_class=503, outcome="500", route="/cart/2")
    m.web_requests.add(status_class=Status.NOT_FOUND, outcome=Status.NOT_FOUND, route=Route.CART)
    m.web_requests.add(status_class=404.0, outcome="404", route="/")
    # outside every range, or not a number: the closed set records `other`; unmapped open values stay
    m.web_requests.add(status_class=100, outcome=302, route="/about")
    m.web_requests.add(status_class="5xx", outcome="ok", route="/about")
    m.web_requests.add(status_class=True, outcome=True, route="/about")
    assert maps.module.DROPPED == {}
    expected = {
        (("outcome", "ok"), ("route", "/cart/{id}"), ("status_class", "2xx")): 1,
        (("outcome", "failed"), ("route", "/cart/{id}"), ("status_class", "5xx")): 1,
        (("outcome", "missing"), ("route", "/cart/{id}"), ("status_class", "4xx")): 1,
        (("outcome", "missing"), ("route", "/"), ("status_class", "4xx")): 1,
        (("outcome", "other"), ("route", "/about"), ("status_class", "other")): 2,
        (("outcome", "ok"), ("route", "/about"), ("status_class", "5xx")): 1,
    }
    for path, values in maps.samples().items():
        assert {labels: v for (name, labels), v in values.items() if name == "web_requests_total"} == expected, path


def test_handlers_apply_the_same_maps_and_share_one_metrics(maps: Scraped) -> None:
    found = maps.module.handlers(metrics=maps.metrics)
    assert list(found) == ["Served", "Missing"]
    found["Served"](SimpleNamespace(status=200, route="/cart/2"))
    found["Served"](SimpleNamespace(status=Status.NOT_FOUND, route="/cart/1"))
    found["Missing"](SimpleNamespace())
    found["Served"](SimpleNamespace(status=200))  # no route: dropped, counted under the event
    maps.metrics.web_requests.add(status_class=200, outcome=200, route="/cart/1")  # the same series, directly
    assert maps.module.DROPPED == {"Served": 1}
    expected = {
        (("outcome", "ok"), ("route", "/cart/{id}"), ("status_class", "2xx")): 2,
        (("outcome", "missing"), ("route", "/cart/{id}"), ("status_class", "4xx")): 1,
        # `Missing` records constants, mapped like any value: `404` is `missing`
        (("outcome", "missing"), ("route", "/"), ("status_class", "4xx")): 1,
    }
    for path, values in maps.samples().items():
        assert {labels: v for (name, labels), v in values.items() if name == "web_requests_total"} == expected, path


def test_constant_label_series_start_at_zero_in_prometheus_client(maps: Scraped) -> None:
    maps.module.handlers(metrics=maps.metrics)
    values = maps.samples()["prometheus-client"]
    assert values[("web_requests_total", (("outcome", "missing"), ("route", "/"), ("status_class", "4xx")))] == 0


def test_a_registry_takes_each_metric_once_so_handlers_share_metrics(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    module = import_generated(contract_from(tmp_path, MAPS), tmp_path)
    registry = CollectorRegistry()
    metrics = module.Metrics(registry=registry)
    assert list(module.handlers(metrics=metrics)) == ["Served", "Missing"]
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        module.handlers(registry=registry)
    with pytest.raises(TypeError, match="^give `metrics` or a meter and a registry, not both$"):
        module.handlers(metrics=metrics, registry=CollectorRegistry())


# ── names ────────────────────────────────────────────────────────────────────

NAMES = """\
contract: 1
service: names
namespace: names
exposition: [prometheus-client, otel-collector]
metrics:
  - name: recording
    semconv: true
    type: counter
    unit: "{thing}"
    help: A metric named like an attribute of Metrics
    labels:
      - name: class
      - name: class_
      - name: value
        values: [a, b]
      - name: http.request.method
  - name: names.import
    type: gauge
    unit: "{thing}"
    help: Dotted, a Python keyword after the dot
"""


def test_names_are_identifiers_and_collisions_resolve_in_contract_order(tmp_path: Path) -> None:
    import inspect

    module = import_generated(contract_from(tmp_path, NAMES), tmp_path)
    metrics = module.Metrics()
    assert [n for n in vars(metrics)] == ["recording", "recording_2", "names_import"]
    params = list(inspect.signature(metrics.recording_2.add).parameters)
    assert params == ["value", "class_", "class__2", "value_", "http_request_method"]
    metrics.recording_2.add(class_="x", class__2="y", value_="c", http_request_method="GET")
    assert module.DROPPED == {}


# ── the module as source code ───────────────────────────────────────────────


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_module_passes_ruff_format_ruff_check_and_mypy_strict(contract: str, tmp_path: Path) -> None:
    ((rel, text),) = subscriber.generate(load_contract(contract, (ROOT / contract).read_bytes())).items()
    assert "noqa" not in text
    path = tmp_path / Path(rel).name
    path.write_text(text, encoding="utf-8")
    config = str(ROOT / "pyproject.toml")
    for run in (tool("ruff", "format", "--check", "--config", config, "--no-cache", path.name, cwd=tmp_path),
                tool("ruff", "check", "--config", config, "--no-cache", path.name, cwd=tmp_path),
                tool("mypy", "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), path.name,
                      cwd=tmp_path)):
        assert run.returncode == 0, run.args[:3] + [run.stdout + run.stderr]


def test_mypy_rejects_a_misspelt_label_and_a_value_outside_a_closed_set(tmp_path: Path) -> None:
    lc = load_contract("tests/fixtures/no-events/contract.yaml", (FIXTURES / "no-events/contract.yaml").read_bytes())
    caller = (
        "import batch_metrics\n"
        "\n"
        "metrics = batch_metrics.Metrics()\n"
        'metrics.batch_items.add(2, stage="load")\n'
        'metrics.batch_items.add(2, stgae="load")\n'
        'metrics.batch_items.add(2, stage="unload")\n'
        "metrics.batch_backlog.set(3)\n")
    _, errors, output = mypy_on_caller(lc, caller, tmp_path)
    # exactly these two errors (mypy adds a note on where `add` is defined)
    assert errors == [
        'caller.py:5: error: Unexpected keyword argument "stgae" for "add" of "BatchItemsCounter"; did you mean '
        '"stage"?  [call-arg]',
        'caller.py:6: error: Argument "stage" to "add" of "BatchItemsCounter" has incompatible type '
        '"Literal[\'unload\']"; expected "Literal[\'load\', \'transform\', \'other\']"  [arg-type]',
    ], output


def test_byte_identical_across_hash_seeds_with_maps(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(MAPS, encoding="utf-8")
    script = ("import hashlib, sys; from contract.loader import load_contract; from generators import subscriber; "
              f"((_, t),) = subscriber.generate(load_contract({str(tmp_path / 'c.yaml')!r})).items(); "
              "sys.stdout.write(hashlib.sha256(t.encode()).hexdigest())")
    digests = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
        digests.add(run.stdout)
    assert len(digests) == 1


LONG = "a help text that goes on " * 8


@pytest.fixture
def long_strings(tmp_path: Path) -> Iterator[LoadedContract]:
    """Strings longer than a line wherever a contract can put them (help, label values, constants), and long
    names: the module breaks them as ruff would."""
    yield contract_from(tmp_path, f"""\
        contract: 1
        service: svc
        namespace: svc
        exposition: [prometheus-client]
        metrics:
          - name: svc_{"x" * 60}
            type: counter
            unit: "{{thing}}"
            help: "{LONG}"
            labels:
              - name: kind
                values: ["{LONG}", "名前{"長" * 80}"]
        events:
          - event: {"Happened" * 5}
            ops:
              - {{metric: svc_{"x" * 60}, add: 1, labels: {{kind: {{value: "{LONG}"}}}}}}
        """)


def test_long_contract_strings_are_split_as_ruff_splits_them(long_strings: LoadedContract, tmp_path: Path) -> None:
    ((rel, text),) = subscriber.generate(long_strings).items()
    path = tmp_path / "out" / Path(rel).name
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    config = str(ROOT / "pyproject.toml")
    for run in (tool("ruff", "format", "--check", "--config", config, "--no-cache", path.name, cwd=path.parent),
                tool("ruff", "check", "--config", config, "--no-cache", path.name, cwd=path.parent)):
        assert run.returncode == 0, run.stdout + run.stderr
    module = import_generated(long_strings, tmp_path)
    assert module.METRICS[0].help == LONG
    assert module.METRICS[0].labels[0].values == (LONG, "名前" + "長" * 80)
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    module.handlers(registry=registry)["Happened" * 5](SimpleNamespace())
    assert module.DROPPED == {}
    assert registry.get_sample_value(f"svc_{'x' * 60}_total", {"kind": LONG}) == 1
