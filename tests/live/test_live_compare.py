"""`contract.live.compare` on expositions built in-process: no Prometheus needed, so not marked `live`."""

from __future__ import annotations

import re
from pathlib import Path

from contract.live import compare as live
from contract.loader import LoadedContract, load_contract
from tests.conftest import MINIMAL, QORTEX_CONTRACT, contract_from
from tests.subscriber_util import import_generated


def _qortex_copy(tmp_path: Path, *, guard: bool) -> LoadedContract:
    text = QORTEX_CONTRACT.read_text(encoding="utf-8")
    closed = "        values: [vec, graph]\n"
    assert text.count(closed) == 1
    if not guard:
        text = text.replace(closed, closed + "        guard: false\n")
    path = tmp_path / "qortex.yaml"
    path.write_text(text, encoding="utf-8")
    return load_contract(str(path))


def _exposition_after_weird_mode(lc: LoadedContract, directory: Path) -> str:
    """prometheus_client's exposition after one QueryCompleted with a mode outside the closed set."""
    from prometheus_client import CollectorRegistry, generate_latest
    from qortex.observability.events import QueryCompleted

    registry = CollectorRegistry()
    found = import_generated(lc, directory).handlers(registry=registry)
    found["QueryCompleted"](QueryCompleted(query_id="q", latency_ms=5.0, seed_count=1, result_count=1,
                                           activated_nodes=1, mode="weird", timestamp="t"))
    text: str = generate_latest(registry).decode("utf-8")
    return text


def test_unguarded_value_outside_closed_set_is_label_value(tmp_path: Path) -> None:
    lc = _qortex_copy(tmp_path, guard=False)
    text = _exposition_after_weird_mode(lc, tmp_path)
    line = next(n for n, row in enumerate(text.split("\n"), 1) if row.startswith("qortex_queries_total{"))

    problems = live.compare(lc, live.from_exposition(text, "app/metrics", None))

    assert [p.text() for p in problems] == [
        f"app/metrics:{line}: error[live/label-value]: `qortex_queries_total` has `mode` value(s) `weird` "
        "outside the closed set `vec`, `graph`",
    ]


def test_guarded_value_outside_closed_set_is_recorded_as_other(tmp_path: Path) -> None:
    # also: labelled metrics without a child yet (only their `# TYPE` line) count as exposed
    lc = _qortex_copy(tmp_path, guard=True)
    text = _exposition_after_weird_mode(lc, tmp_path)
    assert re.search(r'^qortex_queries_total\{mode="other"\} 1\.0$', text, re.M)

    assert live.compare(lc, live.from_exposition(text, "app/metrics", None)) == []


def test_series_of_another_type_is_type_mismatch(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL)
    text = (
        "# TYPE svc_requests_total gauge\n"
        'svc_requests_total{code="200"} 3\n'
        "# TYPE svc_latency_seconds histogram\n"
        'svc_latency_seconds_bucket{le="0.1"} 1\n'
        'svc_latency_seconds_bucket{le="1.0"} 2\n'
        'svc_latency_seconds_bucket{le="+Inf"} 2\n'
        "svc_latency_seconds_sum 0.6\n"
        "svc_latency_seconds_count 2\n"
    )

    problems = live.compare(lc, live.from_exposition(text, "app/metrics", "prometheus-client"))

    assert [p.text() for p in problems] == [
        "app/metrics:2: error[live/type-mismatch]: `svc_requests_total` is a gauge, the contract declares a "
        "counter (counter `svc_requests`)",
    ]
