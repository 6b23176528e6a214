"""One row per fact of the naming table (README "Names per exposition path")."""

from __future__ import annotations

import pytest

from contract.model import Label, Metric
from contract.naming import expose, sanitize_label, unit_word


def metric(name: str, type_: str, unit: str = "{x}", labels: tuple[str, ...] = ()) -> Metric:
    return Metric(name=name, type=type_, unit=unit, help="h",  # type: ignore[arg-type]
                  labels=tuple(Label(name=n) for n in labels),
                  buckets=(1.0,) if type_ == "histogram" else None)


# (metric, {path: series names})
ROWS = [
    pytest.param(metric("a", "counter"), {
        "prometheus-client": ("a_created", "a_total"),
        "otel-python": ("a_total",),
        "otel-collector": ("a_total",),
    }, id="counter-a"),
    pytest.param(metric("a_total", "counter"), {
        "prometheus-client": ("a_created", "a_total"),
        "otel-python": ("a_total",),
        "otel-collector": ("a_total",),
    }, id="counter-a_total"),
    pytest.param(metric("d_seconds", "histogram", "s"), {
        "prometheus-client": ("d_seconds_bucket", "d_seconds_count", "d_seconds_created", "d_seconds_sum"),
        "otel-python": ("d_seconds_bucket", "d_seconds_count", "d_seconds_sum"),
        "otel-collector": ("d_seconds_bucket", "d_seconds_count", "d_seconds_sum"),
    }, id="histogram-d_seconds-unit-s"),
    pytest.param(metric("d", "histogram", "s"), {
        # the generated module passes unit="seconds" to prometheus_client
        "prometheus-client": ("d_seconds_bucket", "d_seconds_count", "d_seconds_created", "d_seconds_sum"),
        "otel-python": ("d_seconds_bucket", "d_seconds_count", "d_seconds_sum"),
        "otel-collector": ("d_seconds_bucket", "d_seconds_count", "d_seconds_sum"),
    }, id="histogram-d-unit-s"),
    pytest.param(metric("g", "gauge", "1"), {
        "prometheus-client": ("g",),
        "otel-python": ("g",),
        "otel-collector": ("g_ratio",),
    }, id="gauge-unit-1"),
    pytest.param(metric("u", "updowncounter"), {
        "prometheus-client": ("u",),
        "otel-python": ("u",),
        "otel-collector": ("u",),
    }, id="updowncounter"),
    pytest.param(metric("a.b", "counter", labels=("arm.id",)), {
        "prometheus-client": ("a_b_created", "a_b_total"),
        "otel-python": ("a_b_total",),
        "otel-collector": ("a_b_total",),
    }, id="dotted-name"),
    pytest.param(metric("http.server.duration", "histogram", "s", labels=("http.request.method",)), {
        "prometheus-client": ("http_server_duration_seconds_bucket", "http_server_duration_seconds_count",
                              "http_server_duration_seconds_created", "http_server_duration_seconds_sum"),
        "otel-python": ("http_server_duration_seconds_bucket", "http_server_duration_seconds_count",
                        "http_server_duration_seconds_sum"),
        "otel-collector": ("http_server_duration_seconds_bucket", "http_server_duration_seconds_count",
                           "http_server_duration_seconds_sum"),
    }, id="dotted-histogram-unit-s"),
    # the OpenTelemetry SDK lowercases instrument names (not attribute names); prometheus_client keeps the case
    pytest.param(metric("Svc.Hits", "counter", labels=("Http.Method",)), {
        "prometheus-client": ("Svc_Hits_created", "Svc_Hits_total"),
        "otel-python": ("svc_hits_total",),
        "otel-collector": ("svc_hits_total",),
    }, id="upper-case-name"),
    pytest.param(metric("c", "counter", "By"), {
        "prometheus-client": ("c_bytes_created", "c_bytes_total"),
        "otel-python": ("c_bytes_total",),
        "otel-collector": ("c_bytes_total",),
    }, id="counter-unit-By"),
    pytest.param(metric("t_seconds_spent", "gauge", "s"), {
        "prometheus-client": ("t_seconds_spent_seconds",),
        "otel-python": ("t_seconds_spent_seconds",),
        # the Collector appends a unit only if no name token equals it
        "otel-collector": ("t_seconds_spent",),
    }, id="unit-word-inside-name"),
    pytest.param(metric("r", "gauge", "By/s"), {
        "prometheus-client": ("r_bytes_per_second",),
        "otel-python": ("r_bytes_per_second",),
        "otel-collector": ("r_bytes_per_second",),
    }, id="per-unit"),
]


@pytest.mark.parametrize(("m", "expected"), ROWS)
def test_series_names(m: Metric, expected: dict[str, tuple[str, ...]]) -> None:
    for path, series in expected.items():
        assert expose(m, path).series == series, path  # type: ignore[arg-type]


def test_dotted_attribute_becomes_underscore_label() -> None:
    m = metric("a.b", "counter", labels=("arm.id",))
    assert {expose(m, p).labels for p in ("prometheus-client", "otel-python", "otel-collector")} == {("arm_id",)}
    assert sanitize_label("1x", "otel-python") == "_x"
    assert sanitize_label("1x", "otel-collector") == "key_1x"


def test_label_sets_per_path() -> None:
    h = metric("d_seconds", "histogram", "s", labels=("mode",))
    direct = expose(h, "prometheus-client")
    assert direct.labels_of("d_seconds_bucket") == {"mode", "le", "job", "instance"}
    assert direct.labels_of("d_seconds_sum", scraped=False) == {"mode"}
    otel = expose(h, "otel-python")
    assert otel.labels_of("d_seconds_count", scraped=False) == {
        "mode", "otel_scope_name", "otel_scope_schema_url", "otel_scope_version"}
    collector = expose(h, "otel-collector")
    assert {"job", "instance", "exported_job", "exported_instance", "service_name"} <= collector.labels_of(
        "d_seconds_sum")


@pytest.mark.parametrize(("unit", "word"), [
    ("s", "seconds"), ("ms", "milliseconds"), ("By", "bytes"), ("1", ""), ("%", "percent"),
    ("{query}", ""), ("By/s", "bytes_per_second"), ("1/s", "per_second"), ("widgets", "widgets"),
])
def test_unit_words(unit: str, word: str) -> None:
    assert unit_word(unit) == word
