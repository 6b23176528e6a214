"""The generated subscriber module: determinism, lint, escaping, guards.

Tests that need qortex itself are in `test_subscriber_qortex.py`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
import yaml

from contract.loader import LoadedContract, load_contract
from contract.problems import InputError
from generators import subscriber
from tests.conftest import MINIMAL, ROOT, contract_from
from tests.subscriber_util import import_generated


def _generated(lc: LoadedContract) -> str:
    ((_, text),) = subscriber.generate(lc).items()
    return text


def test_starts_with_the_do_not_edit_header(in_root: Path) -> None:
    lc = load_contract("contract/qortex.yaml")
    # the path and the hash on lines of their own: no line outgrows ruff's limit, however long the path
    assert _generated(lc).splitlines()[:3] == ["# generated from the metrics contract - do not edit:",
                                               "#   contract/qortex.yaml", f"#   sha256 {lc.sha256}"]


def test_byte_identical_across_runs_and_hash_seeds(in_root: Path) -> None:
    expected = hashlib.sha256(_generated(load_contract("contract/qortex.yaml")).encode()).hexdigest()
    script = ("import hashlib, sys; from contract.loader import load_contract; from generators import subscriber; "
              "((_, t),) = subscriber.generate(load_contract('contract/qortex.yaml')).items(); "
              "sys.stdout.write(hashlib.sha256(t.encode()).hexdigest())")
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             check=True)
        assert run.stdout == expected, f"PYTHONHASHSEED={seed}"


def test_module_name_is_importable() -> None:
    assert subscriber.module_name("qortex") == "qortex_metrics"
    assert subscriber.module_name("my-api.v2") == "my_api_v2_metrics"
    assert subscriber.module_name("3d") == "_3d_metrics"


def _lint(path: Path, tmp_path: Path) -> None:
    for command in ("format", "--check"), ("check",):
        ruff = subprocess.run([sys.executable, "-m", "ruff", *command, "--config", str(ROOT / "pyproject.toml"),
                               "--no-cache", str(path)], capture_output=True, text=True, check=False)
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--cache-dir", str(tmp_path / ".mypy_cache"), str(path)],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_import_needs_only_the_standard_library(qortex: LoadedContract, tmp_path: Path) -> None:
    path = tmp_path / "qortex_metrics.py"
    path.write_text(_generated(qortex), encoding="utf-8")
    script = ("import importlib.util, sys\n"
              "before = set(sys.modules)\n"
              f"spec = importlib.util.spec_from_file_location('qortex_metrics', {str(path)!r})\n"
              "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
              "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
              "print(sorted(m for m in new if m not in sys.stdlib_module_names))\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# ── validation ──────────────────────────────────────────────────────────────

def test_event_and_field_names_that_are_not_identifiers_are_refused(tmp_path: Path) -> None:
    text = MINIMAL.replace("- event: Done", "- event: Done-Now").replace("field: ms", "field: class")
    lc = contract_from(tmp_path, text)
    with pytest.raises(InputError) as err:
        subscriber.generate(lc)
    lines = text.splitlines()
    event_line = next(i for i, line in enumerate(lines, 1) if "Done-Now" in line)
    field_line = next(i for i, line in enumerate(lines, 1) if "field: class" in line)
    found = [(p.check, p.line, p.column, p.message) for p in err.value.problems]
    assert found == [
        ("contract/event-identifier", event_line, lines[event_line - 1].index("Done-Now") + 1,
         "event `Done-Now` is not a python identifier, so no event class can carry that name"),
        ("contract/event-identifier", field_line, lines[field_line - 1].index("class") + 1,
         "field `class` of `Done-Now` is not a python identifier; the generated handler reads it as an "
         "attribute of the event"),
    ]


def test_a_contract_with_errors_is_refused(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("{metric: svc_requests,", "{metric: svc_request,"))
    with pytest.raises(InputError) as err:
        subscriber.generate(lc)
    assert [p.check for p in err.value.problems] == ["contract/event-op"]


# ── behaviour with real backends, on small contracts ────────────────────────

GUARDS = """\
contract: 1
service: svc
namespace: svc
exposition: [prometheus-client, otel-collector]
metrics:
  - name: svc_requests
    type: counter
    unit: "{request}"
    help: Requests
    labels:
      - name: code
        values: ["200", "500"]
      - name: method
        values: [get, post]
        guard: false
  - name: svc_inflight
    type: updowncounter
    unit: "{request}"
    help: In flight
events:
  - event: Done
    ops:
      - {metric: svc_requests, add: 1, labels: {code: {field: code}, method: {field: method}}}
      - {metric: svc_inflight, add: -1}
  - event: Began
    ops:
      - {metric: svc_inflight, add: {field: n}}
"""


@dataclass
class Backends:
    meter: Any
    registry: Any
    otel_registry: Any


@pytest.fixture
def backends() -> Backends:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    otel_registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=otel_registry)])
    return Backends(provider.get_meter("test"), CollectorRegistry(), otel_registry)


def _value(registry: Any, name: str, labels: dict[str, str] | None = None, *, otel: bool = False) -> float | None:
    if otel and labels is not None:
        labels = {**labels, "otel_scope_name": "test", "otel_scope_schema_url": "", "otel_scope_version": ""}
    elif otel:
        labels = {"otel_scope_name": "test", "otel_scope_schema_url": "", "otel_scope_version": ""}
    value: float | None = registry.get_sample_value(name, labels or {})
    return value


def _module(tmp_path: Path, text: str) -> ModuleType:
    return import_generated(contract_from(tmp_path, text), tmp_path)


def test_closed_set_guard_records_other_unless_guard_false(tmp_path: Path, backends: Backends) -> None:
    module = _module(tmp_path, GUARDS)
    found = module.handlers(meter=backends.meter, registry=backends.registry)
    for code, method in (("200", "get"), ("418", "patch"), ("418", "patch"), (None, "get")):
        found["Done"](SimpleNamespace(code=code, method=method))
    for registry, otel in ((backends.registry, False), (backends.otel_registry, True)):
        assert _value(registry, "svc_requests_total", {"code": "200", "method": "get"}, otel=otel) == 1
        # `code` is guarded: 418 and None become `other`; `method` has guard: false and keeps `patch`
        assert _value(registry, "svc_requests_total", {"code": "other", "method": "patch"}, otel=otel) == 2
        assert _value(registry, "svc_requests_total", {"code": "other", "method": "get"}, otel=otel) == 1
        assert _value(registry, "svc_inflight", otel=otel) == -4
    assert module.DROPPED == {}


def test_unguarded_label_values_must_be_strings(tmp_path: Path, backends: Backends) -> None:
    module = _module(tmp_path, GUARDS)
    found = module.handlers(meter=backends.meter, registry=backends.registry)
    found["Done"](SimpleNamespace(code="200", method=None))
    # None would be `None` on one exporter and `null` on the other: dropped instead, once, from both
    assert module.DROPPED == {"Done": 1}
    for registry in (backends.registry, backends.otel_registry):
        assert [s for m in registry.collect() for s in m.samples if s.name == "svc_requests_total"] == []
    assert _value(backends.registry, "svc_inflight") == -1


def test_updowncounter_adds_event_values(tmp_path: Path, backends: Backends) -> None:
    module = _module(tmp_path, GUARDS)
    found = module.handlers(meter=backends.meter, registry=backends.registry)
    found["Began"](SimpleNamespace(n=5))
    found["Done"](SimpleNamespace(code="500", method="post"))
    assert _value(backends.registry, "svc_inflight") == 4
    assert _value(backends.otel_registry, "svc_inflight", otel=True) == 4


def test_handlers_only_for_what_the_backends_can_do(qortex: LoadedContract, tmp_path: Path) -> None:
    module = import_generated(qortex, tmp_path)

    class Tracer:
        def start_span(self, name: str, attributes: dict[str, Any]) -> None:
            raise AssertionError("not called")

    assert module.handlers() == {}
    assert list(module.handlers(tracer=Tracer())) == ["QueryCompleted", "QueryFailed", "QueryStarted"]


def test_register_subscribes_one_callable_per_event(qortex: LoadedContract, tmp_path: Path,
                                                    backends: Backends) -> None:
    module = import_generated(qortex, tmp_path)

    class Linker:
        calls: list[tuple[tuple[str, ...], Any]] = []

        @classmethod
        def subscribe(cls, *events: str, event_callback: Any) -> str:
            cls.calls.append((events, event_callback))
            return f"subscriber of {events[0]}"

    subscribers = module.register(Linker, meter=backends.meter)
    names = [events for events, _ in Linker.calls]
    assert names == [(e,) for e in module.EVENTS]
    assert subscribers == [f"subscriber of {e}" for e in module.EVENTS]
    assert all(callable(fn) for _, fn in Linker.calls)


# ── contract strings are data ───────────────────────────────────────────────

NASTY = ["it's \"quoted\"", "back\\slash \\n not a newline", '"""triple""" and \'\'\'single\'\'\'',
         "new\nline and\r\nwindows", "ünïcødé ✓ 名前", "{braces} %s %(x)s", "'; import os; os.system('x') #"]


def _nasty_contract() -> dict[str, Any]:
    return {
        "contract": 1, "service": "svc", "namespace": "svc", "exposition": ["prometheus-client", "otel-collector"],
        "metrics": [
            {"name": "svc_things", "type": "counter", "unit": "{thing}", "help": NASTY[0] + NASTY[3],
             "labels": [{"name": "kind", "values": NASTY, "help": NASTY[2]}]},
            {"name": "svc_wait_seconds", "type": "histogram", "unit": "s", "help": NASTY[2] + NASTY[4],
             "buckets": [0.5, 1, 2.5]},
        ],
        "events": [{"event": "Thing", "ops": [
            {"metric": "svc_things", "add": 1, "labels": {"kind": {"value": v}}} for v in NASTY
        ] + [{"metric": "svc_wait_seconds", "record": {"field": "ms", "scale": 0.001}}]}],
        "spans": [{"name": NASTY[1], "key": "id", "start": {"event": "Thing", "attributes": {NASTY[5]: "ms"}},
                   "end": [{"event": "Gone", "error": True, "attributes": {NASTY[6]: "id"}}]}],
    }


def test_strings_with_quotes_newlines_and_unicode_round_trip(tmp_path: Path, backends: Backends) -> None:
    path = tmp_path / "nasty.yaml"
    path.write_text(yaml.safe_dump(_nasty_contract(), allow_unicode=True), encoding="utf-8")
    lc = load_contract(str(path))
    module = import_generated(lc, tmp_path)

    rows = [(m.name, m.type, m.unit, m.help, [(lb.name, lb.values, lb.guard) for lb in m.labels], m.buckets)
            for m in module.METRICS]
    assert rows == [(m.name, m.type, m.unit, m.help, [(lb.name, lb.values, lb.guard) for lb in m.labels],
                     m.buckets or ()) for m in lc.contract.metrics]
    assert [op.labels[0].value for op in module.EVENTS["Thing"][:-1]] == NASTY
    (span,) = module.SPANS
    assert (span.name, span.attributes, span.end[0].attributes) == (NASTY[1], ((NASTY[5], "ms"),), ((NASTY[6], "id"),))

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    found = module.handlers(meter=backends.meter, registry=backends.registry,
                            tracer=tracer_provider.get_tracer("test"))
    found["Thing"](SimpleNamespace(ms=700, id=1))
    found["Gone"](SimpleNamespace(id=1))
    (ended,) = spans.get_finished_spans()
    assert ended.name == NASTY[1]
    assert dict(ended.attributes or {}) == {NASTY[5]: 700, "error": True, NASTY[6]: 1}
    for value in NASTY:
        assert _value(backends.registry, "svc_things_total", {"kind": value}) == 1
        assert _value(backends.otel_registry, "svc_things_total", {"kind": value}, otel=True) == 1
    assert _value(backends.registry, "svc_wait_seconds_bucket", {"le": "1.0"}) == 1

    generated = tmp_path / Path(subscriber.module_name("svc")).with_suffix(".py").name
    _lint(generated, tmp_path)
