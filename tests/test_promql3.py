"""Prometheus 3 for the PromQL checker: `le`/`quantile` spellings measured, `promql/le-normalized` and
`promql/utf8-name` (and `promql/syntax` on a bare dotted name) as they report.

The measurement runs the real Prometheus 3.16 (`tests.peer_bins`) and Debian's 2.42 against one scrape
target serving a prometheus_client histogram next to a histogram, a summary and a gauge written as
client_golang (the Collector's prometheus exporter) writes them, and pushes an OpenTelemetry histogram into
Prometheus 3's own OTLP receiver; what each stores is what `contract/promql/prometheus3.py` predicts.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from contract.catalog import Catalog, SeriesInfo
from contract.problems import Problem
from contract.promql import prometheus3
from generators.cli import main
from tests.conftest import require_binary, serving
from tests.peer_bins import binary
from tests.prom_server import free_port, spawn, stop, wait_ready
from tests.promql_util import TARGET_PREFIX, TARGETS_LINE, dashboard_text, lint

BOUNDS = (0.5, 1.0, 2.5, 1e6)
# a histogram, a summary and a gauge as client_golang writes them: Go's `%g` (`1`, `1e+06`)
GO_STYLE = """\
# HELP l3_go_seconds A histogram as client_golang writes it.
# TYPE l3_go_seconds histogram
l3_go_seconds_bucket{le="0.5"} 0
l3_go_seconds_bucket{le="1"} 1
l3_go_seconds_bucket{le="2.5"} 1
l3_go_seconds_bucket{le="1e+06"} 1
l3_go_seconds_bucket{le="+Inf"} 1
l3_go_seconds_sum 0.7
l3_go_seconds_count 1
# HELP l3_go_quantiles A summary as client_golang writes it.
# TYPE l3_go_quantiles summary
l3_go_quantiles{quantile="0.5"} 0.7
l3_go_quantiles{quantile="1"} 0.7
l3_go_quantiles_sum 0.7
l3_go_quantiles_count 1
# HELP l3_go_gauge A gauge whose label is called le.
# TYPE l3_go_gauge gauge
l3_go_gauge{le="1"} 1
"""
SERIES = '{__name__=~"l3_.*"}'
ARRIVAL_TIMEOUT = 30.0


# ── the spellings, as data ──────────────────────────────────────────────────

@pytest.mark.parametrize(("x", "openmetrics", "go_g", "go_f"), [
    (1.0, "1.0", "1", "1"),
    (0.0, "0.0", "0", "0"),
    (0.5, "0.5", "0.5", "0.5"),
    (2.5, "2.5", "2.5", "2.5"),
    (10.0, "10.0", "10", "10"),
    (123456.0, "123456.0", "123456", "123456"),
    (1e6, "1e+06", "1e+06", "1000000"),
    (1234567.0, "1.234567e+06", "1.234567e+06", "1234567"),
    (0.0001, "0.0001", "0.0001", "0.0001"),
    (1e-5, "1e-05", "1e-05", "0.00001"),
    (-1.0, "-1.0", "-1", "-1"),
])
def test_float_spellings(x: float, openmetrics: str, go_g: str, go_f: str) -> None:
    assert (prometheus3.openmetrics_float(x), prometheus3.go_shortest(x, "g"), prometheus3.go_shortest(x, "f")) \
        == (openmetrics, go_g, go_f)


def test_special_values() -> None:
    assert [prometheus3.openmetrics_float(x) for x in (float("inf"), float("-inf"), float("nan"))] == \
        ["+Inf", "-Inf", "NaN"]
    assert prometheus3.stored("prometheus-otlp", float("inf")) == "+Inf"


def test_stored_per_path() -> None:
    assert [prometheus3.stored(p, 1.0) for p in ("prometheus-client", "otel-python", "otel-collector",
                                                "prometheus-otlp", "prometheus-otlp:NoTranslation",
                                                "otel-collector-remote-write")] == \
        ["1.0", "1.0", "1.0", "1", "1", "1"]
    assert [prometheus3.stored_by_prometheus2(p, 1.0) for p in ("prometheus-client", "otel-collector")] == \
        ["1.0", "1"]


# ── measured against the real servers ───────────────────────────────────────

class _Target(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        return


def _exposition() -> bytes:
    registry = CollectorRegistry()
    histogram = Histogram("l3_py_seconds", "A prometheus_client histogram", buckets=BOUNDS, registry=registry)
    histogram.observe(0.7)
    return generate_latest(registry) + GO_STYLE.encode()


@dataclass
class Stored:
    version: str
    values: dict[str, set[str]]     # series name -> its `le` or `quantile` values as stored
    url: str

    def count(self, query: str) -> int:
        found = _get(f"{self.url}/api/v1/query?query={urllib.parse.quote(query)}")
        return len(found["data"]["result"])


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


def _push_otlp(url: str) -> None:
    """One OpenTelemetry histogram with the same bounds into Prometheus 3's OTLP receiver."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader], resource=Resource.create({"service.name": "l3-otlp"}))
    provider.get_meter("l3").create_histogram("l3_otlp", unit="s", explicit_bucket_boundaries_advisory=list(
        BOUNDS)).record(0.7)
    data = reader.get_metrics_data()
    provider.shutdown()
    assert data is not None
    exporter = OTLPMetricExporter(endpoint=f"{url}/api/v1/otlp/v1/metrics", timeout=10)
    try:
        assert exporter.export(data) is MetricExportResult.SUCCESS
    finally:
        exporter.shutdown()


def _stored_values(url: str, wanted: set[str]) -> dict[str, set[str]]:
    """`le`/`quantile` values per series name once every wanted name has arrived (scrapes are asynchronous)."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT
    while True:
        found = _get(f"{url}/api/v1/series?match[]={urllib.parse.quote(SERIES)}")["data"]
        values: dict[str, set[str]] = {}
        for labels in found:
            for label in ("le", "quantile"):
                if label in labels:
                    values.setdefault(labels["__name__"], set()).add(labels[label])
        if wanted <= set(values) or time.monotonic() > deadline:
            return values
        time.sleep(0.2)


@pytest.fixture(scope="module", params=["3.16", "2.42"])
def stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    version: str = request.param
    prometheus = binary("prometheus") if version == "3.16" else require_binary("prometheus")
    tmp = tmp_path_factory.mktemp(f"prometheus-{version}")
    _Target.body = _exposition()
    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Target)) as target:
        config = tmp / "prometheus.yml"
        config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}, "scrape_configs": [
            {"job_name": "l3", "static_configs": [{"targets": [target]}]}]}), encoding="utf-8")
        port = free_port()
        argv = [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}"]
        if version == "3.16":
            argv.append("--web.enable-otlp-receiver")
        log = tmp / "prometheus.log"
        process = spawn(argv, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_ready(url + "/-/ready", process, log)
            wanted = {"l3_py_seconds_bucket", "l3_go_seconds_bucket", "l3_go_quantiles", "l3_go_gauge"}
            if version == "3.16":
                _push_otlp(url)
                wanted.add("l3_otlp_seconds_bucket")
            yield Stored(version, _stored_values(url, wanted), url)
        finally:
            stop(process)


def test_le_and_quantile_as_stored(stored: Stored) -> None:
    if stored.version == "3.16":
        # scraped histograms and summaries normalised to one float form, whoever wrote them; the gauge's `le`
        # untouched; the OTLP receiver's bounds in Go's fixed-point form
        assert stored.values == {
            "l3_py_seconds_bucket": {"0.5", "1.0", "2.5", "1e+06", "+Inf"},
            "l3_go_seconds_bucket": {"0.5", "1.0", "2.5", "1e+06", "+Inf"},
            "l3_go_quantiles": {"0.5", "1.0"},
            "l3_go_gauge": {"1"},
            "l3_otlp_seconds_bucket": {"0.5", "1", "2.5", "1000000", "+Inf"},
        }
    else:
        # Prometheus 2 stores what the exporter wrote
        assert stored.values == {
            "l3_py_seconds_bucket": {"0.5", "1.0", "2.5", "1e+06", "+Inf"},
            "l3_go_seconds_bucket": {"0.5", "1", "2.5", "1e+06", "+Inf"},
            "l3_go_quantiles": {"0.5", "1"},
            "l3_go_gauge": {"1"},
        }


def test_the_prediction_is_what_is_stored(stored: Stored) -> None:
    predict = prometheus3.stored if stored.version == "3.16" else prometheus3.stored_by_prometheus2
    paths = {"l3_py_seconds_bucket": "prometheus-client", "l3_go_seconds_bucket": "otel-collector",
             "l3_otlp_seconds_bucket": "prometheus-otlp"}
    for name, path in paths.items():
        if name in stored.values:
            assert {predict(path, b) for b in (*BOUNDS, float("inf"))} == stored.values[name], name


def test_le_1_matches_nothing_on_prometheus_3(stored: Stored) -> None:
    counts = [stored.count(f'l3_go_seconds_bucket{{le="{v}"}}') for v in ("1", "1.0")]
    assert counts == ([0, 1] if stored.version == "3.16" else [1, 0])
    assert stored.count('l3_go_seconds_bucket{le=~"1\\\\.0|1"}') == 1   # the fix the check gives, on both
    if stored.version == "3.16":
        assert [stored.count(f'l3_otlp_seconds_bucket{{le="{v}"}}') for v in ("1", "1.0")] == [1, 0]


# ── promql/le-normalized ────────────────────────────────────────────────────

def catalog(*paths: str, summary: bool = False) -> Catalog:
    """A contract with one histogram `app_seconds` (and a summary `app_q`) exposed on `paths`."""
    scraped = frozenset({"instance", "job"})
    series = {
        "app_seconds_bucket": SeriesInfo("app_seconds_bucket", "app_seconds", "histogram", "bucket",
                                         scraped | {"le"}, {}),
        "app_seconds_count": SeriesInfo("app_seconds_count", "app_seconds", "histogram", "count", scraped, {}),
        "app_gauge": SeriesInfo("app_gauge", "app_gauge", "gauge", "gauge", scraped | {"le"}, {}),
    }
    if summary:
        series["app_q"] = SeriesInfo("app_q", "app_q", "summary", "quantile", scraped | {"quantile"}, {})
    return Catalog(service="app", scrape_seconds=15.0, paths=paths, series=series, metrics={}, aliases={},
                   infra_labels=scraped, all_labels=scraped | {"le", "quantile"})


def offset(p: Problem, text: str) -> int:
    """Where in the target's expression (as decoded from the JSON string) the problem points."""
    line = text.split("\n")[TARGETS_LINE - 1]
    assert p.line == TARGETS_LINE
    return len(json.loads('"' + line[len(TARGET_PREFIX):p.column - 1] + '"'))


def every_problem(expr: str, cat: Catalog) -> list[tuple[str, str, int, str]]:
    text = dashboard_text(expr)
    found = lint(("d.json", text), catalog=cat)
    return [(p.check, p.severity, offset(p, text), p.message.removeprefix('panel "P" target A: ')) for p in found]


def problems(expr: str, cat: Catalog) -> list[tuple[str, int, str]]:
    return [(severity, at, message) for check, severity, at, message in every_problem(expr, cat)
            if check == "promql/le-normalized"]


@pytest.mark.parametrize(("paths", "expr", "expected"), [
    # scraped paths, Prometheus 2 or 3: the float form, and the Collector's `%g` in the fix for Prometheus 2
    (("prometheus-client",), 'sum(rate(app_seconds_bucket{le="1.0"}[5m]))', []),
    (("prometheus-client",), 'sum(rate(app_seconds_bucket{le="1"}[5m]))', [
        ("warning", 32, '`le="1"` matches no series on Prometheus 3, which stores this value as `1.0`; write '
                        '`le="1.0"`')]),
    (("prometheus-client", "otel-collector"), 'sum(rate(app_seconds_bucket{le="1"}[5m]))', [
        ("warning", 32, '`le="1"` matches no series on Prometheus 3, which stores this value as `1.0`; write '
                        '`le=~"1\\\\.0|1"` to cover every spelling of it')]),
    (("otel-collector",), 'sum(rate(app_seconds_bucket{le="2.5"}[5m]))', []),
    (("otel-collector",), 'sum(rate(app_seconds_bucket{le="1e6"}[5m]))', [
        ("warning", 32, '`le="1e6"` matches no series on Prometheus 3, which stores this value as `1e+06`; '
                        'write `le="1e+06"`')]),
    (("otel-collector",), 'sum(rate(app_seconds_bucket{le="+Inf"}[5m]))', []),
    # a path only Prometheus 3 holds: an error, and OTLP keeps Go's fixed-point form
    (("prometheus-otlp",), 'sum(rate(app_seconds_bucket{le="1"}[5m]))', []),
    (("prometheus-otlp",), 'sum(rate(app_seconds_bucket{le="1.0"}[5m]))', [
        ("error", 32, '`le="1.0"` matches no series on Prometheus 3, which stores this value as `1`; write '
                      '`le="1"`')]),
    (("prometheus-otlp",), 'sum(rate(app_seconds_bucket{le!="1e+06"}[5m]))', [
        ("error", 33, '`le!="1e+06"` excludes no series on Prometheus 3, which stores this value as '
                      '`1000000`; write `le!="1000000"`')]),
    # scraped and OTLP paths together: no one spelling matches both
    (("prometheus-client", "prometheus-otlp"), 'sum(rate(app_seconds_bucket{le="1.0"}[5m]))', [
        ("error", 32, '`le="1.0"` misses the series Prometheus 3 stores with another spelling '
                      '(`prometheus-otlp` as `1`); write `le=~"1\\\\.0|1"` to cover every spelling of it')]),
    (("prometheus-client", "prometheus-otlp"), 'sum(rate(app_seconds_bucket{le=~"1\\\\.0|1"}[5m]))', []),
    # recorded from buckets: still buckets
    (("prometheus-client",), 'sum by (le) (rate(app_seconds_bucket[5m]))', []),
    # not judged: regexes, non-numbers, Grafana variables, a gauge's `le`, series without `le`
    (("prometheus-client",), 'app_seconds_bucket{le=~"1|2"}', []),
    (("prometheus-client",), 'app_gauge{le="1"}', []),
    (("prometheus-client",), 'app_seconds_bucket{le="one"}', []),
    (("prometheus-client",), 'app_seconds_bucket{le="1e400"}', []),   # out of range: Prometheus keeps it
])
def test_le_normalized(paths: tuple[str, ...], expr: str, expected: list[tuple[str, int, str]]) -> None:
    assert problems(expr, catalog(*paths)) == expected


def test_quantile_of_a_summary() -> None:
    cat = catalog("prometheus-client", summary=True)
    assert problems('app_q{quantile="0.99"}', cat) == []
    assert problems('app_q{quantile="1"}', cat) == [
        ("warning", 16, '`quantile="1"` matches no series on Prometheus 3, which stores this value as `1.0`; '
                        'write `quantile="1.0"`')]


def test_a_grafana_variable_is_not_judged() -> None:
    text = dashboard_text('sum(rate(app_seconds_bucket{le="$le"}[5m]))', variables=("le",))
    assert [p for p in lint(("d.json", text), catalog=catalog("prometheus-client"))
            if p.check == "promql/le-normalized"] == []


def test_rule_file_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A warning in a rule file: located at the value, exit 0, and 1 with `--strict`."""
    contract = Path(__file__).parent / "fixtures" / "semconv" / "contract.yaml"
    rules = tmp_path / "rules.yml"
    rules.write_text("groups:\n  - name: g\n    rules:\n      - record: job:x:rate5m\n        expr: "
                     'sum by (job) (rate(http_server_request_duration_seconds_bucket{le="1"}[5m]))\n',
                     encoding="utf-8")
    assert main(["check", str(contract), str(rules)]) == 0
    out = capsys.readouterr().out
    assert f'{rules}:5:82: warning[promql/le-normalized]: group "g" rule "job:x:rate5m": `le="1"` matches no ' \
           'series on Prometheus 3, which stores this value as `1.0`; write `le=~"1\\\\.0|1"` to cover every ' \
           'spelling of it' in out
    assert main(["check", "--strict", str(contract), str(rules)]) == 1


# ── quoted UTF-8 names ──────────────────────────────────────────────────────

def dotted_catalog(*paths: str) -> Catalog:
    """A histogram exposed under its dotted OpenTelemetry name (Prometheus 3's OTLP receiver without escaping)."""
    labels = frozenset({"instance", "job", "http.route"})
    series = {
        "http.server.request.duration_bucket": SeriesInfo(
            "http.server.request.duration_bucket", "http.server.request.duration", "histogram", "bucket",
            labels | {"le"}, {}),
        "http.server.request.duration_count": SeriesInfo(
            "http.server.request.duration_count", "http.server.request.duration", "histogram", "count", labels, {}),
    }
    return Catalog(service="shop", scrape_seconds=15.0, paths=paths, series=series, metrics={}, aliases={},
                   infra_labels=frozenset({"instance", "job"}), all_labels=labels | {"le"})


def test_a_quoted_name_resolves_against_the_contract() -> None:
    expr = ('histogram_quantile(0.9, sum by (le, "http.route") '
            '(rate({"http.server.request.duration_bucket", "http.route"="/", le="1"}[5m])))')
    # known metric, known labels, `le` as the OTLP receiver stores it: nothing to report on Prometheus 3
    assert every_problem(expr, dotted_catalog("prometheus-otlp:NoUTF8EscapingWithSuffixes")) == []


def test_a_quoted_name_the_contract_lacks() -> None:
    assert every_problem('rate({"http.server.request.duration_total"}[5m])',
                         dotted_catalog("prometheus-otlp")) == [
        ("promql/unknown-metric", "error", 5,
         "`http.server.request.duration_total` is not in the contract; did you mean "
         "`http.server.request.duration_count` (histogram http.server.request.duration)?")]


def test_a_quoted_label_the_series_lacks() -> None:
    assert every_problem('rate({"http.server.request.duration_count", "http.method"="GET"}[5m])',
                         dotted_catalog("prometheus-otlp")) == [
        ("promql/unknown-label", "error", 44,
         "`http.server.request.duration_count` has no label `http.method`; its labels: `http.route`")]


def test_quoted_names_warn_without_a_prometheus_3_path() -> None:
    assert every_problem('sum by ("http.route") (rate({"http.server.request.duration_count"}[5m]))',
                         dotted_catalog("otel-collector")) == [
        ("promql/utf8-name", "warning", 8, "label name `http.route` is quoted, which only Prometheus 3 parses; "
                                           "Prometheus 2 rejects the whole expression"),
        ("promql/utf8-name", "warning", 29, "metric name `http.server.request.duration_count` is quoted, which "
                                            "only Prometheus 3 parses; Prometheus 2 rejects the whole expression")]


def test_a_bare_dotted_name_is_located() -> None:
    assert every_problem('sum(rate(http.server.request.duration_count[5m]))',
                         dotted_catalog("prometheus-otlp")) == [
        ("promql/syntax", "error", 9, 'invalid PromQL: `http.server.request.duration_count` has a dot, so it must '
                                      'be quoted, which only Prometheus 3 reads: '
                                      '`{"http.server.request.duration_count"}` as a metric, '
                                      '`"http.server.request.duration_count"` as a label')]


def test_quoted_names_as_promtool_3_reads_them(tmp_path: Path) -> None:
    """What the checker accepts quoted, Prometheus 3 parses and Prometheus 2.42 rejects (so the warning)."""
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [{
        "record": "job:http_server_request_duration:rate5m",
        "expr": 'sum by (job, "http.route") (rate({"http.server.request.duration_count"}[5m]))'}]}]}),
        encoding="utf-8")
    three = subprocess.run([binary("promtool"), "check", "rules", str(rules)], capture_output=True, text=True,
                           timeout=60)
    two = subprocess.run([require_binary("promtool"), "check", "rules", str(rules)], capture_output=True,
                         text=True, timeout=60)
    assert (three.returncode, two.returncode) == (0, 1), three.stdout + three.stderr + two.stdout + two.stderr
    assert "parse error" in two.stdout + two.stderr


@pytest.mark.parametrize("expr", ["sum(rate(" + "a." * 30_000 + "b[5m]))",
                                  'sum(rate({"' + "a." * 30_000 + 'b"}[5m]))'], ids=["bare", "quoted"])
def test_a_huge_dotted_name_in_a_subprocess(expr: str, tmp_path: Path) -> None:
    """A dotted name of 60,000 characters: one short, located problem of each kind, no crash."""
    dashboard = tmp_path / "d.json"
    dashboard.write_text(dashboard_text(expr), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "generators", "check", "--format", "json", str(Path(
        __file__).parent / "fixtures" / "semconv" / "contract.yaml"), str(dashboard)], capture_output=True,
        text=True, check=False, timeout=120)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    found = json.loads(done.stdout)["problems"]
    name = "a." * 38 + "a..."   # the first 77 characters, then an ellipsis
    if expr.startswith("sum(rate(a."):
        assert [(p["check"], p["line"], p["column"]) for p in found] == [("promql/syntax", TARGETS_LINE, 42)]
        assert f"`{name}` has a dot" in found[0]["message"]
    else:
        assert sorted((p["check"], p["line"]) for p in found) == [("promql/unknown-metric", TARGETS_LINE),
                                                                 ("promql/utf8-name", TARGETS_LINE)]
        utf8 = next(p for p in found if p["check"] == "promql/utf8-name")
        assert utf8["message"].endswith(f"metric name `{name}` is quoted, which only Prometheus 3 parses; "
                                        "Prometheus 2 rejects the whole expression")
