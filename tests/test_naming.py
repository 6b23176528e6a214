"""One row per fact of the naming table (README "Names per exposition path")."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.checks.registry import check_contract
from contract.model import Label, Metric
from contract.naming import EXPOSITION_PATHS, expose, sanitize_label, unit_word
from generators.cli import main
from tests.conftest import MINIMAL, contract_from


def metric(name: str, type_: str, unit: str = "{x}", labels: tuple[str, ...] = ()) -> Metric:
    return Metric(name=name, type=type_, unit=unit, help="h",  # type: ignore[arg-type]
                  labels=tuple(Label(name=n) for n in labels),
                  buckets=(1.0,) if type_ == "histogram" else None)


CLIENT, PYTHON = "prometheus-client", "otel-python"
COLLECTOR, REMOTE_WRITE = "otel-collector", "otel-collector-remote-write"
# Prometheus 3's OTLP receiver per translation strategy: the default, then the other three
OTLP, OTLP_BARE = "prometheus-otlp", "prometheus-otlp:UnderscoreEscapingWithoutSuffixes"
OTLP_UTF8, OTLP_RAW = "prometheus-otlp:NoUTF8EscapingWithSuffixes", "prometheus-otlp:NoTranslation"


def hist(family: str, *, created: bool = False) -> tuple[str, ...]:
    """A classic histogram's series (and prometheus_client's `_created`), sorted."""
    return tuple(sorted((family + "_bucket", family + "_count", family + "_sum")
                        + ((family + "_created",) if created else ())))


# (metric, {path: series names})
ROWS = [
    pytest.param(metric("a", "counter"), {
        CLIENT: ("a_created", "a_total"), PYTHON: ("a_total",), COLLECTOR: ("a_total",), REMOTE_WRITE: ("a_total",),
        OTLP: ("a_total",), OTLP_BARE: ("a",), OTLP_UTF8: ("a_total",), OTLP_RAW: ("a",),
    }, id="counter-a"),
    # without suffixes a name keeps the `_total` it was given, and gets none
    pytest.param(metric("a_total", "counter"), {
        CLIENT: ("a_created", "a_total"), PYTHON: ("a_total",), COLLECTOR: ("a_total",), REMOTE_WRITE: ("a_total",),
        OTLP: ("a_total",), OTLP_BARE: ("a_total",), OTLP_UTF8: ("a_total",), OTLP_RAW: ("a_total",),
    }, id="counter-a_total"),
    pytest.param(metric("d_seconds", "histogram", "s"), {
        CLIENT: hist("d_seconds", created=True), PYTHON: hist("d_seconds"), COLLECTOR: hist("d_seconds"),
        REMOTE_WRITE: hist("d_seconds"), OTLP: hist("d_seconds"), OTLP_BARE: hist("d_seconds"),
        OTLP_UTF8: hist("d_seconds"), OTLP_RAW: hist("d_seconds"),
    }, id="histogram-d_seconds-unit-s"),
    pytest.param(metric("d", "histogram", "s"), {
        # the generated module passes unit="seconds" to prometheus_client
        CLIENT: hist("d_seconds", created=True), PYTHON: hist("d_seconds"), COLLECTOR: hist("d_seconds"),
        REMOTE_WRITE: hist("d_seconds"), OTLP: hist("d_seconds"), OTLP_BARE: hist("d"),
        OTLP_UTF8: hist("d_seconds"), OTLP_RAW: hist("d"),
    }, id="histogram-d-unit-s"),
    pytest.param(metric("g", "gauge", "1"), {
        CLIENT: ("g",), PYTHON: ("g",), COLLECTOR: ("g_ratio",), REMOTE_WRITE: ("g_ratio",),
        OTLP: ("g_ratio",), OTLP_BARE: ("g",), OTLP_UTF8: ("g_ratio",), OTLP_RAW: ("g",),
    }, id="gauge-unit-1"),
    pytest.param(metric("u", "updowncounter"), {
        CLIENT: ("u",), PYTHON: ("u",), COLLECTOR: ("u",), REMOTE_WRITE: ("u",),
        OTLP: ("u",), OTLP_BARE: ("u",), OTLP_UTF8: ("u",), OTLP_RAW: ("u",),
    }, id="updowncounter"),
    pytest.param(metric("a.b", "counter", labels=("arm.id",)), {
        CLIENT: ("a_b_created", "a_b_total"), PYTHON: ("a_b_total",), COLLECTOR: ("a_b_total",),
        REMOTE_WRITE: ("a_b_total",), OTLP: ("a_b_total",), OTLP_BARE: ("a_b",),
        OTLP_UTF8: ("a.b_total",), OTLP_RAW: ("a.b",),
    }, id="dotted-name"),
    pytest.param(metric("http.server.duration", "histogram", "s", labels=("http.request.method",)), {
        CLIENT: hist("http_server_duration_seconds", created=True), PYTHON: hist("http_server_duration_seconds"),
        COLLECTOR: hist("http_server_duration_seconds"), REMOTE_WRITE: hist("http_server_duration_seconds"),
        OTLP: hist("http_server_duration_seconds"), OTLP_BARE: hist("http_server_duration"),
        OTLP_UTF8: hist("http.server.duration_seconds"), OTLP_RAW: hist("http.server.duration"),
    }, id="dotted-histogram-unit-s"),
    # the OpenTelemetry SDK lowercases instrument names (not attribute names); prometheus_client keeps the case
    pytest.param(metric("Svc.Hits", "counter", labels=("Http.Method",)), {
        CLIENT: ("Svc_Hits_created", "Svc_Hits_total"), PYTHON: ("svc_hits_total",), COLLECTOR: ("svc_hits_total",),
        REMOTE_WRITE: ("svc_hits_total",), OTLP: ("svc_hits_total",), OTLP_BARE: ("svc_hits",),
        OTLP_UTF8: ("svc.hits_total",), OTLP_RAW: ("svc.hits",),
    }, id="upper-case-name"),
    pytest.param(metric("c", "counter", "By"), {
        CLIENT: ("c_bytes_created", "c_bytes_total"), PYTHON: ("c_bytes_total",), COLLECTOR: ("c_bytes_total",),
        REMOTE_WRITE: ("c_bytes_total",), OTLP: ("c_bytes_total",), OTLP_BARE: ("c",),
        OTLP_UTF8: ("c_bytes_total",), OTLP_RAW: ("c",),
    }, id="counter-unit-By"),
    pytest.param(metric("t_seconds_spent", "gauge", "s"), {
        CLIENT: ("t_seconds_spent_seconds",), PYTHON: ("t_seconds_spent_seconds",),
        # the Collector appends a unit only if no name token equals it
        COLLECTOR: ("t_seconds_spent",), REMOTE_WRITE: ("t_seconds_spent",), OTLP: ("t_seconds_spent",),
        OTLP_BARE: ("t_seconds_spent",),
        # with UTF-8 names, unless the name ends with it
        OTLP_UTF8: ("t_seconds_spent_seconds",), OTLP_RAW: ("t_seconds_spent",),
    }, id="unit-word-inside-name"),
    pytest.param(metric("xseconds", "gauge", "s"), {
        CLIENT: ("xseconds_seconds",), PYTHON: ("xseconds_seconds",), COLLECTOR: ("xseconds_seconds",),
        REMOTE_WRITE: ("xseconds_seconds",), OTLP: ("xseconds_seconds",), OTLP_BARE: ("xseconds",),
        # "ends with it" needs no `_` before the unit word
        OTLP_UTF8: ("xseconds",), OTLP_RAW: ("xseconds",),
    }, id="unit-word-glued"),
    pytest.param(metric("r", "gauge", "By/s"), {
        CLIENT: ("r_bytes_per_second",), PYTHON: ("r_bytes_per_second",), COLLECTOR: ("r_bytes_per_second",),
        REMOTE_WRITE: ("r_bytes_per_second",), OTLP: ("r_bytes_per_second",), OTLP_BARE: ("r",),
        OTLP_UTF8: ("r_bytes_per_second",), OTLP_RAW: ("r",),
    }, id="per-unit"),
    # the Collector's `per_<unit>` is one token, never found among the name's: appended even after `_per_second`
    pytest.param(metric("x_per_second", "gauge", "1/s"), {
        CLIENT: ("x_per_second",), PYTHON: ("x_per_second",), COLLECTOR: ("x_per_second_per_second",),
        REMOTE_WRITE: ("x_per_second_per_second",), OTLP: ("x_per_second_per_second",), OTLP_BARE: ("x_per_second",),
        OTLP_UTF8: ("x_per_second",), OTLP_RAW: ("x_per_second",),
    }, id="per-unit-in-name"),
    # the Python exporters drop the annotation and read `By`; the translator reads no unit in `By{packet}`
    pytest.param(metric("w", "gauge", "By{packet}"), {
        CLIENT: ("w_bytes",), PYTHON: ("w_bytes",), COLLECTOR: ("w",), REMOTE_WRITE: ("w",),
        OTLP: ("w",), OTLP_BARE: ("w",), OTLP_UTF8: ("w",), OTLP_RAW: ("w",),
    }, id="annotated-unit"),
    # a gauge of unit `1`: a `ratio` anywhere in the name moves to the end on the translator's escaped paths
    pytest.param(metric("ratio_x", "gauge", "1"), {
        CLIENT: ("ratio_x",), PYTHON: ("ratio_x",), COLLECTOR: ("x_ratio",), REMOTE_WRITE: ("x_ratio",),
        OTLP: ("x_ratio",), OTLP_BARE: ("ratio_x",), OTLP_UTF8: ("ratio_x_ratio",), OTLP_RAW: ("ratio_x",),
    }, id="ratio-first"),
    # with UTF-8 names a trailing `total` and the character before it give way to `_total`
    pytest.param(metric("hits.total", "counter"), {
        CLIENT: ("hits_created", "hits_total"), PYTHON: ("hits_total",), COLLECTOR: ("hits_total",),
        REMOTE_WRITE: ("hits_total",), OTLP: ("hits_total",), OTLP_BARE: ("hits_total",),
        OTLP_UTF8: ("hits_total",), OTLP_RAW: ("hits.total",),
    }, id="dotted-total"),
    pytest.param(metric("load.ratio", "gauge", "1"), {
        CLIENT: ("load_ratio",), PYTHON: ("load_ratio",), COLLECTOR: ("load_ratio",), REMOTE_WRITE: ("load_ratio",),
        OTLP: ("load_ratio",), OTLP_BARE: ("load_ratio",), OTLP_UTF8: ("load_ratio",), OTLP_RAW: ("load.ratio",),
    }, id="ratio-in-name"),
    pytest.param(metric("q..r", "counter", labels=("1x", "_y", "s..t")), {
        CLIENT: ("q_r_created", "q_r_total"), PYTHON: ("q_r_total",), COLLECTOR: ("q_r_total",),
        REMOTE_WRITE: ("q_r_total",), OTLP: ("q_r_total",), OTLP_BARE: ("q_r",),
        OTLP_UTF8: ("q..r_total",), OTLP_RAW: ("q..r",),
    }, id="odd-characters"),
    # without suffixes (the strategy's simple case) underscores are no separators: `a__b` stays
    pytest.param(metric("a__b.c", "gauge", labels=("k__v.w",)), {
        CLIENT: ("a_b_c",), PYTHON: ("a_b_c",), COLLECTOR: ("a_b_c",), REMOTE_WRITE: ("a_b_c",),
        OTLP: ("a_b_c",), OTLP_BARE: ("a__b_c",), OTLP_UTF8: ("a__b.c",), OTLP_RAW: ("a__b.c",),
    }, id="double-underscore"),
]


@pytest.mark.parametrize(("m", "expected"), ROWS)
def test_series_names(m: Metric, expected: dict[str, tuple[str, ...]]) -> None:
    for path, series in expected.items():
        assert expose(m, path).series == series, path  # type: ignore[arg-type]


def test_every_path_has_a_row() -> None:
    assert all(set(row.values[1]) == set(EXPOSITION_PATHS) for row in ROWS)  # type: ignore[arg-type]


def test_dotted_attribute_becomes_underscore_label() -> None:
    m = metric("a.b", "counter", labels=("arm.id",))
    escaped = (CLIENT, PYTHON, COLLECTOR, REMOTE_WRITE, OTLP, OTLP_BARE)
    assert {expose(m, p).labels for p in escaped} == {("arm_id",)}
    # a path that keeps UTF-8 names keeps the attribute's dots too
    assert {expose(m, p).labels for p in (OTLP_UTF8, OTLP_RAW)} == {("arm.id",)}
    assert sanitize_label("1x", "otel-python") == "_x"
    assert sanitize_label("1x", "otel-collector") == "key_1x"


@pytest.mark.parametrize(("path", "labels"), [
    (CLIENT, ("_x", "_y", "s_t")), (PYTHON, ("_x", "_y", "s_t")),
    # the Collector's exporters: each character apart, `key_` before a digit, a leading `_` kept
    (COLLECTOR, ("key_1x", "_y", "s__t")), (REMOTE_WRITE, ("key_1x", "_y", "s__t")),
    # Prometheus' receiver also puts `key` before a leading `_` (label_name_underscore_sanitization)
    (OTLP, ("key_1x", "key_y", "s__t")), (OTLP_BARE, ("key_1x", "key_y", "s__t")),
    (OTLP_UTF8, ("1x", "_y", "s..t")), (OTLP_RAW, ("1x", "_y", "s..t")),
])
def test_odd_attribute_names(path: str, labels: tuple[str, ...]) -> None:
    assert expose(metric("q", "counter", labels=("1x", "_y", "s..t")), path).labels == labels  # type: ignore[arg-type]


def test_label_sets_per_path() -> None:
    h = metric("d_seconds", "histogram", "s", labels=("mode",))
    direct = expose(h, "prometheus-client")
    assert direct.labels_of("d_seconds_bucket") == {"mode", "le", "job", "instance"}
    assert direct.labels_of("d_seconds_sum", scraped=False) == {"mode"}
    otel = expose(h, "otel-python")
    assert otel.labels_of("d_seconds_count", scraped=False) == {
        "mode", "otel_scope_name", "otel_scope_schema_url", "otel_scope_version"}
    collector = expose(h, "otel-collector")
    assert {"job", "instance", "service_name"} <= collector.labels_of("d_seconds_sum")
    # the exporter writes the empty schema URL and its own job/instance; Prometheus drops the one and keeps the
    # others (`honor_labels`): no `exported_*`
    assert collector.labels_of("d_seconds_sum", scraped=False) == {
        "mode", "instance", "job", "otel_scope_name", "otel_scope_schema_url", "otel_scope_version",
        "service_instance_id", "service_name", "telemetry_sdk_language", "telemetry_sdk_name",
        "telemetry_sdk_version"}
    assert collector.labels_of("d_seconds_sum") == {
        "mode", "instance", "job", "otel_scope_name", "otel_scope_version",
        "service_instance_id", "service_name", "telemetry_sdk_language", "telemetry_sdk_name",
        "telemetry_sdk_version"}
    # pushed: job/instance from the resource; the remote-write exporter adds the scope, Prometheus' receiver nothing
    assert expose(h, REMOTE_WRITE).labels_of("d_seconds_bucket") == {
        "mode", "le", "instance", "job", "otel_scope_name", "otel_scope_version"}
    for path in (OTLP, OTLP_BARE, OTLP_UTF8, OTLP_RAW):
        assert expose(h, path).labels_of("d_seconds_count") == {"mode", "instance", "job"}, path  # type: ignore[arg-type]


@pytest.mark.parametrize(("unit", "word"), [
    ("s", "seconds"), ("ms", "milliseconds"), ("By", "bytes"), ("1", ""), ("%", "percent"),
    ("{query}", ""), ("By/s", "bytes_per_second"), ("1/s", "per_second"), ("widgets", "widgets"),
])
def test_unit_words(unit: str, word: str) -> None:
    assert unit_word(unit) == word


@pytest.mark.parametrize(("unit", "words"), [
    ("s", ("seconds", "")), ("By/s", ("bytes", "second")), ("{req}/s", ("", "second")), ("1", ("", "")),
    # an annotation beside a unit leaves no unit to the translator, where the Python exporter reads `By`
    ("By{packet}", ("", "")), ("widgets", ("widgets", "")),
])
def test_translator_units(unit: str, words: tuple[str, str]) -> None:
    from contract.naming import translator_unit

    assert translator_unit(unit) == words


# --- the paths in the contract checks and the CLI --------------------------------------------------------------

BARE = MINIMAL[: MINIMAL.index("events:")]
GAUGE = "  - name: {name}\n    type: gauge\n    unit: \"{unit}\"\n    help: Gauge\n  - name: svc_latency_seconds\n"


def _problems(tmp_path: Path, paths: str, gauge: tuple[str, str] | None = None) -> list[str]:
    text = BARE.replace("exposition: [prometheus-client, otel-collector]", f"exposition: {paths}")
    if gauge:
        text = text.replace("  - name: svc_latency_seconds\n", GAUGE.format(name=gauge[0], unit=gauge[1]))
    return sorted(p.text().removeprefix(f"{tmp_path}/") for p in check_contract(contract_from(tmp_path, text)))


def test_a_counter_diverges_on_a_path_without_suffixes(tmp_path: Path) -> None:
    # the histogram's name holds its unit, so only the counter's `_total` differs
    assert _problems(tmp_path, '[otel-collector, "prometheus-otlp:NoTranslation"]') == [
        "c.yaml:6:11: error[contract/path-divergence]: `svc_requests` is exposed as `svc_requests_total` on "
        "otel-collector but as `svc_requests` on prometheus-otlp:NoTranslation"]


def test_a_unit_diverges_on_a_path_without_suffixes(tmp_path: Path) -> None:
    assert _problems(tmp_path, '[prometheus-client, "prometheus-otlp:UnderscoreEscapingWithoutSuffixes"]',
                     ("svc_queue_wait", "s")) == [
        "c.yaml:13:11: error[contract/path-divergence]: `svc_queue_wait` is exposed as `svc_queue_wait_seconds` on "
        "prometheus-client but as `svc_queue_wait` on prometheus-otlp:UnderscoreEscapingWithoutSuffixes; name it "
        "`svc_queue_wait_seconds` (exposed as `svc_queue_wait_seconds` everywhere)",
        "c.yaml:13:11: warning[contract/unit-suffix]: `svc_queue_wait` has unit `s` and is exposed as "
        "`svc_queue_wait_seconds`; name it `svc_queue_wait_seconds`",
        "c.yaml:6:11: error[contract/path-divergence]: `svc_requests` is exposed as `svc_requests_total` on "
        "prometheus-client but as `svc_requests` on prometheus-otlp:UnderscoreEscapingWithoutSuffixes"]


def test_a_dotted_name_diverges_on_a_utf8_path(tmp_path: Path) -> None:
    # inside the namespace on both paths: `svc_queue_depth` on one, `svc.queue.depth` on the other
    assert _problems(tmp_path, '[prometheus-client, "prometheus-otlp:NoUTF8EscapingWithSuffixes"]',
                     ("svc.queue.depth", "{item}")) == [
        "c.yaml:13:11: error[contract/path-divergence]: `svc.queue.depth` is exposed as `svc_queue_depth` on "
        "prometheus-client but as `svc.queue.depth` on prometheus-otlp:NoUTF8EscapingWithSuffixes; name it "
        "`svc_queue_depth` (exposed as `svc_queue_depth` everywhere)"]
    assert _problems(tmp_path, '["prometheus-otlp:NoTranslation"]', ("svc.queue.depth", "{item}")) == []


def test_the_ratio_hint_names_who_appends(tmp_path: Path) -> None:
    assert _problems(tmp_path, "[prometheus-client, prometheus-otlp]", ("svc_up", "1")) == [
        "c.yaml:13:11: error[contract/path-divergence]: `svc_up` is exposed as `svc_up` on prometheus-client but "
        "as `svc_up_ratio` on prometheus-otlp; Prometheus' OTLP receiver appends `_ratio` to gauges of unit `1`: "
        "name it `svc_up_ratio` (exposed as `svc_up_ratio` everywhere) or declare unit `{ratio}` (exposed as "
        "`svc_up` everywhere)"]
    assert _problems(tmp_path, "[otel-collector, otel-collector-remote-write, prometheus-otlp]",
                     ("svc_up", "1")) == []


def test_a_collision_on_a_path_without_suffixes(tmp_path: Path) -> None:
    # only without suffixes does the counter lose its `_total`; a strategy other than the default is a choice of
    # the Prometheus configuration, checked once the contract declares it
    assert _problems(tmp_path, "[prometheus-client, otel-collector]", ("svc.requests", "{request}")) == []
    declared = "[prometheus-client, prometheus-otlp:UnderscoreEscapingWithoutSuffixes]"
    assert "c.yaml:13:11: error[contract/collision]: `svc.requests` and `svc_requests` both yield series " \
        "`svc_requests` on prometheus-otlp:UnderscoreEscapingWithoutSuffixes" in _problems(
            tmp_path, declared, ("svc.requests", "{request}"))


def test_prometheus_default_strategy_spelled_out_is_the_bare_path(tmp_path: Path) -> None:
    text = BARE.replace("exposition: [prometheus-client, otel-collector]",
                        'exposition: ["prometheus-otlp:UnderscoreEscapingWithSuffixes", otel-collector]')
    assert contract_from(tmp_path, text).contract.exposition == ("prometheus-otlp", "otel-collector")


def test_names_on_a_utf8_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(BARE.replace("  - name: svc_latency_seconds\n", GAUGE.format(name="svc.queue.depth",
                                                                                  unit="{item}")))
    assert main(["names", "--path", "prometheus-otlp:NoUTF8EscapingWithSuffixes", str(path)]) == 0
    assert capsys.readouterr().out == (
        "svc_requests         counter        prometheus-otlp:NoUTF8EscapingWithSuffixes  svc_requests_total\n"
        "                                                                                labels: code, instance, job\n"
        "svc.queue.depth      gauge          prometheus-otlp:NoUTF8EscapingWithSuffixes  svc.queue.depth\n"
        "                                                                                labels: instance, job\n"
        "svc_latency_seconds  histogram      prometheus-otlp:NoUTF8EscapingWithSuffixes  svc_latency_seconds_bucket "
        "svc_latency_seconds_count svc_latency_seconds_sum\n"
        "                                                                                labels: instance, job, le\n")
    # Prometheus' default strategy spelled out, as `exposition:` reads it
    assert main(["names", "--path", "prometheus-otlp:UnderscoreEscapingWithSuffixes", "--format", "json",
                 str(path)]) == 0
    assert '"path": "prometheus-otlp",' in capsys.readouterr().out
