"""Hostile event values never reach /metrics: the generated module on real backends, scraped after.

Each test registers the generated module on a real OpenTelemetry MeterProvider
read by PrometheusMetricReader and on a real prometheus_client
CollectorRegistry, sends values an application can hand it by mistake, then
scrapes both with `generate_latest` (a scrape that raises would be a /metrics
that stays broken until the application restarts) and checks the values.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, IntEnum
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from contract.loader import LoadedContract
from contract.naming import ExpositionPath, expose
from tests.conftest import contract_from
from tests.subscriber_util import import_generated

HOSTILE = """\
contract: 1
service: hostile
namespace: hz
exposition: [prometheus-client, otel-collector]
metrics:
  - name: hz_requests
    type: counter
    unit: "{request}"
    help: Requests
    labels:
      - name: mode
        values: [vec, graph]
      - name: domain
  - name: hz_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.01, 0.1, 1]
  - name: hz_inflight
    type: updowncounter
    unit: "{request}"
    help: In flight
  - name: hz_level
    type: gauge
    unit: "{item}"
    help: Level
  - name: hz_sent
    type: counter
    unit: "{item}"
    help: Items sent
events:
  - event: Request
    ops:
      - {metric: hz_requests, add: 1, labels: {mode: {field: mode}, domain: {field: domain}}}
      - {metric: hz_latency_seconds, record: {field: latency_ms, scale: 0.001}}
      - {metric: hz_inflight, add: {field: delta}}
  - event: Level
    ops:
      - {metric: hz_level, set: {field: level}, when: {field: level, not_null: true}}
      - {metric: hz_sent, add: {field: sent}, when: {field: sent, gt: 0}}
"""

_SCOPE = "hostile"
_SCOPE_LABELS = {"otel_scope_name", "otel_scope_schema_url", "otel_scope_version"}
HUGE = "x" * 1_000_000
SURROGATE = b"caf\xff".decode("utf-8", "surrogateescape")  # "caf\udcff"


class StrMode(str, Enum):  # noqa: UP042 - the mixin, not StrEnum, prints as `StrMode.VEC`
    VEC = "vec"


class PlainMode(Enum):
    GRAPH = "graph"


class IntNum(IntEnum):
    TWO = 2


class BadStr:
    """An object whose __str__ and __float__ raise (its hash is the default one)."""

    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __float__(self) -> float:
        raise RuntimeError("no float")


class StrSub(str):
    """A str subclass that prints as something else."""

    def __str__(self) -> str:
        return "not what it compares equal to"


@dataclass
class Backends:
    module: ModuleType
    handlers: dict[str, Any]
    registry: Any  # prometheus_client's own instruments
    otel_registry: Any  # what PrometheusMetricReader exposes


def _backends(lc: LoadedContract, tmp_path: Path) -> Backends:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    module = import_generated(lc, tmp_path)
    otel_registry, registry = CollectorRegistry(), CollectorRegistry()
    meter = MeterProvider(metric_readers=[PrometheusMetricReader(registry=otel_registry)]).get_meter(_SCOPE)
    return Backends(module, module.handlers(meter=meter, registry=registry), registry, otel_registry)


Key = tuple[str, tuple[tuple[str, str], ...]]


def _scrape(b: Backends) -> dict[ExpositionPath, dict[Key, float]]:
    """{path: {(series, sorted labels): value}}, from the text each registry serves on /metrics."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[ExpositionPath, dict[Key, float]] = {}
    registries: list[tuple[ExpositionPath, Any]] = [("prometheus-client", b.registry),
                                                    ("otel-python", b.otel_registry)]
    for path, registry in registries:
        text = generate_latest(registry).decode("utf-8")  # raises on a value it cannot write
        found[path] = {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k not in _SCOPE_LABELS))): s.value
                       for family in text_string_to_metric_families(text) for s in family.samples}
    return found


def _family(lc: LoadedContract, metric: str, path: ExpositionPath) -> str:
    m = lc.contract.metric(metric)
    assert m is not None
    return expose(m, path).family


# ── the findings, one by one, on the qortex contract ─────────────────────────


@pytest.fixture
def qortex_backends(qortex: LoadedContract, tmp_path: Path) -> Backends:
    return _backends(qortex, tmp_path)


def _completed(mode: Any = "vec", latency_ms: Any = 40.0) -> SimpleNamespace:
    return SimpleNamespace(query_id="q", mode=mode, latency_ms=latency_ms, result_count=1, seed_count=1,
                           activated_nodes=1)


@pytest.mark.parametrize("latency_ms", [complex(1, 2), math.inf, -math.inf, math.nan, -40.0, 10**400],
                         ids=["complex", "inf", "-inf", "nan", "negative", "int-too-big"])
def test_a_value_that_is_not_a_finite_number_is_dropped_and_counted(qortex_backends: Backends,
                                                                     latency_ms: Any) -> None:
    b = qortex_backends
    b.handlers["QueryCompleted"](_completed(latency_ms=latency_ms))
    b.handlers["QueryCompleted"](_completed(latency_ms=40.0))
    assert b.module.DROPPED == {"QueryCompleted": 1}
    for values in _scrape(b).values():
        assert values[("qortex_query_duration_seconds_count", ())] == 1
        assert values[("qortex_query_duration_seconds_sum", ())] == 0.04
        # the other operation of the event still ran, both times
        assert values[("qortex_queries_total", (("mode", "vec"),))] == 2


def test_a_lone_surrogate_in_an_open_label_is_dropped_and_scrapes_keep_working(qortex_backends: Backends) -> None:
    b = qortex_backends
    for domain in (SURROGATE, "docs", "ünïcødé ✓"):
        b.handlers["ManifestIngested"](SimpleNamespace(domain=domain, latency_ms=120.0))
    assert b.module.DROPPED == {"ManifestIngested": 1}
    for values in _scrape(b).values():
        assert values[("qortex_manifests_ingested_total", (("domain", "docs"),))] == 1
        assert values[("qortex_manifests_ingested_total", (("domain", "ünïcødé ✓"),))] == 1
        assert values[("qortex_ingest_duration_seconds_count", ())] == 3
        assert [k for k in values if k[0] == "qortex_manifests_ingested_total"] == [
            ("qortex_manifests_ingested_total", (("domain", "docs"),)),
            ("qortex_manifests_ingested_total", (("domain", "ünïcødé ✓"),))]


def test_an_enum_member_is_recorded_as_its_value(qortex_backends: Backends) -> None:
    b = qortex_backends
    for mode in (StrMode.VEC, PlainMode.GRAPH, IntNum.TWO, StrSub("vec")):
        b.handlers["QueryCompleted"](_completed(mode=mode))
    assert b.module.DROPPED == {}
    for values in _scrape(b).values():
        modes = {dict(labels)["mode"]: v for (name, labels), v in values.items() if name == "qortex_queries_total"}
        # IntNum.TWO is 2, outside the closed set; StrSub("vec") is recorded as the contract's "vec"
        assert modes == {"vec": 2, "graph": 1, "other": 1}


def test_a_bool_is_a_number(qortex_backends: Backends) -> None:
    b = qortex_backends
    b.handlers["FeedbackReceived"](SimpleNamespace(accepted=True, rejected=False, partial=2))
    assert b.module.DROPPED == {}
    for path, values in _scrape(b).items():
        got = {dict(labels)["outcome"]: v for (name, labels), v in values.items() if name == "qortex_feedback_total"}
        # prometheus_client shows its constant label sets from the start, OpenTelemetry once recorded
        assert got == ({"accepted": 1, "rejected": 0, "partial": 2} if path == "prometheus-client"
                       else {"accepted": 1, "partial": 2}), path


def test_a_guarded_value_that_is_not_finite_is_dropped(qortex_backends: Backends) -> None:
    b = qortex_backends
    b.handlers["FeedbackReceived"](SimpleNamespace(accepted=math.nan, rejected=-1, partial=math.inf))
    # NaN and inf are dropped, not compared with the `gt: 0` guard; -1 fails it and is skipped, not counted
    assert b.module.DROPPED == {"FeedbackReceived": 2}
    values = _scrape(b)
    assert {v for (name, _), v in values["prometheus-client"].items() if name == "qortex_feedback_total"} == {0}
    assert [k for k in values["otel-python"] if k[0] == "qortex_feedback_total"] == []


# ── 10,000 hostile events from 8 threads ─────────────────────────────────────

# (what the event carries, what is recorded); None: the operation is dropped.
# PLAIN_* are what a well-behaved caller sends, HOSTILE_* everything else.
PLAIN_NUMBERS: list[tuple[Any, float | None]] = [(3, 3.0), (250.0, 250.0), (0.5, 0.5), (1200, 1200.0)]
HOSTILE_NUMBERS: list[tuple[Any, float | None]] = [
    (True, 1.0), (False, 0.0), (IntNum.TWO, 2.0), ("2.5", 2.5), (Decimal("7.25"), 7.25), (-4.0, -4.0),
    (complex(1, 2), None), (math.inf, None), (-math.inf, None), (math.nan, None), (None, None), (HUGE, None),
    (BadStr(), None), (StrMode.VEC, None), (b"\xff", None), (10**400, None),
]
# the closed `mode` label
PLAIN_MODES: list[tuple[Any, str | None]] = [("vec", "vec"), ("graph", "graph"), ("hybrid", "other")]
HOSTILE_MODES: list[tuple[Any, str | None]] = [
    (StrMode.VEC, "vec"), (PlainMode.GRAPH, "graph"), (StrSub("graph"), "graph"), (IntNum.TWO, "other"),
    (SURROGATE, "other"), (None, "other"), (HUGE, "other"), (BadStr(), "other"), (True, "other"), (["vec"], None),
]
# the open `domain` label
PLAIN_DOMAINS: list[tuple[Any, str | None]] = [("docs", "docs"), ("ünïcødé ✓", "ünïcødé ✓")]
HOSTILE_DOMAINS: list[tuple[Any, str | None]] = [
    (StrMode.VEC, "vec"), (PlainMode.GRAPH, "graph"), (HUGE, HUGE), (SURROGATE, None), ("ok\udc80ok", None),
    (None, None), (IntNum.TWO, None), (BadStr(), None), (True, None), (b"docs", None), (StrSub("docs"), None),
]


@dataclass
class Request:
    mode: Any
    domain: Any
    latency_ms: Any
    delta: Any


@dataclass
class Level:
    level: Any
    sent: Any


@dataclass
class Expected:
    requests: Counter[tuple[str, str]]
    latencies: list[float]
    inflight: float
    sent: float
    dropped: Counter[str]


def _events(rng: random.Random, hostile: int) -> tuple[list[Request | Level], Expected]:
    """`hostile` events carrying at least one hostile value, mixed with plain ones, and what they make."""
    events: list[Request | Level] = []
    exp = Expected(Counter(), [], 0.0, 0.0, Counter())
    while hostile:
        picked = 0

        def pick(plain: list[Any], bad: list[Any]) -> Any:
            nonlocal picked
            if rng.random() < 0.15:
                picked += 1
                return rng.choice(bad)
            return rng.choice(plain)

        if rng.random() < 0.6:
            (mode, m), (domain, d) = pick(PLAIN_MODES, HOSTILE_MODES), pick(PLAIN_DOMAINS, HOSTILE_DOMAINS)
            (latency, lat), (delta, dl) = pick(PLAIN_NUMBERS, HOSTILE_NUMBERS), pick(PLAIN_NUMBERS, HOSTILE_NUMBERS)
            events.append(Request(mode, domain, latency, delta))
            if m is None or d is None:
                exp.dropped["Request"] += 1
            else:
                exp.requests[(m, d)] += 1
            if lat is None or lat < 0:  # a histogram takes no negative value
                exp.dropped["Request"] += 1
            else:
                exp.latencies.append(lat * 0.001)
            if dl is None:
                exp.dropped["Request"] += 1
            else:
                exp.inflight += dl
        else:
            (level, lv), (sent, s) = pick(PLAIN_NUMBERS, HOSTILE_NUMBERS), pick(PLAIN_NUMBERS, HOSTILE_NUMBERS)
            events.append(Level(level, sent))
            if level is not None and lv is None:  # None fails `not_null` and is skipped
                exp.dropped["Level"] += 1
            if s is None:
                exp.dropped["Level"] += 1
            elif s > 0:  # others fail `gt: 0` and are skipped
                exp.sent += s
        hostile -= picked > 0
    return events, exp


def test_ten_thousand_hostile_events_from_eight_threads(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, HOSTILE)
    b = _backends(lc, tmp_path)
    events, exp = _events(random.Random(20240611), hostile=10_000)
    assert len(events) > 10_000 and exp.requests and exp.latencies and sum(exp.dropped.values()) > 1000

    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def run(part: list[Request | Level]) -> None:
        try:
            start.wait()
            for event in part:
                b.handlers[type(event).__name__](event)
        except BaseException as e:  # a handler that raises fails the test below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(events[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    b.handlers["Level"](Level(level=7.5, sent=0))  # the gauge's last value, whatever the threads' order

    assert b.module.DROPPED == dict(exp.dropped)
    for path, values in _scrape(b).items():
        requests = _family(lc, "hz_requests", path) + "_total"
        got = {(dict(labels)["mode"], dict(labels)["domain"]): v for (name, labels), v in values.items()
               if name == requests}
        assert got == dict(exp.requests), path

        latency = _family(lc, "hz_latency_seconds", path)
        assert values[(latency + "_count", ())] == len(exp.latencies), path
        assert values[(latency + "_sum", ())] == pytest.approx(sum(exp.latencies), rel=1e-9), path
        for le in (0.01, 0.1, 1.0):
            below = sum(1 for v in exp.latencies if v <= le)
            assert values[(latency + "_bucket", (("le", repr(le)),))] == below, (path, le)
        assert values[(latency + "_bucket", (("le", "+Inf"),))] == len(exp.latencies), path

        assert values[(_family(lc, "hz_inflight", path), ())] == pytest.approx(exp.inflight, rel=1e-9), path
        assert values[(_family(lc, "hz_level", path), ())] == 7.5, path
        assert values[(_family(lc, "hz_sent", path) + "_total", ())] == pytest.approx(exp.sent, rel=1e-9), path
