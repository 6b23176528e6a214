"""Metric types beyond OpenTelemetry's: summary, untyped (`unknown`), info, stateset, native histogram."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.catalog import Catalog
from contract.checks.registry import check_contract
from contract.loader import load_contract
from contract.naming import expose
from generators.cli import main
from tests.conftest import APP_CONTRACT, APP_HEAD
from tests.promql_util import dashboard_text, lint
from tests.subscriber_util import mypy_on_caller, tool

# a contract with one metric of each Prometheus-only type (plain data, reused by the corpus)
CONTRACT = APP_CONTRACT.replace("events: []\n", """\
  - {name: app_gc_seconds, type: summary, unit: s, help: gc pauses}
  - {name: app_pgfault, type: unknown, unit: "", help: page faults}
  - {name: app_build, type: info, unit: "", help: build, labels: [{name: version}]}
  - {name: app_mode, type: stateset, unit: "", help: mode, labels: [{name: app_mode, values: [idle, busy]}]}
  - {name: app_latency_seconds, type: native_histogram, unit: s, help: latency}
events: []
""")

# (expression, the check ids it must raise); [] where it is valid
EXPRESSIONS = [
    ("histogram_quantile(0.9, rate(app_latency_seconds[5m]))", []),
    ("histogram_quantile(0.9, sum(rate(app_latency_seconds[5m])))", []),
    ("rate(app_latency_seconds_bucket[5m])", ["promql/unknown-metric"]),
    ('app_gc_seconds{quantile="0.5"}', []),
    ("rate(app_gc_seconds_count[5m])", []),
    ("app_build_info", []),
    ('app_mode{app_mode="busy"}', []),
    ("rate(app_pgfault[5m])", []),
    ("deriv(app_pgfault[5m])", []),
]

# (contract text, the problem of the contract checks)
INVALID = [
    (CONTRACT.replace("[prometheus-client]", "[otel-python]").replace(
        "  - {name: app_pgfault", "#").replace("  - {name: app_build", "#").replace("  - {name: app_mode", "#")
     .replace("  - {name: app_latency", "#"),
     "c.yaml:9:34: error[contract/type-path]: summary `app_gc_seconds` cannot be exposed on path `otel-python`: "
     "OpenTelemetry has no summary instrument (declared paths that can: none)"),
    (CONTRACT.replace("labels: [{name: app_mode, values: [idle, busy]}]", "labels: [{name: app_mode}]"),
     "c.yaml:12:76: error[contract/stateset-states]: label `app_mode` of stateset `app_mode` needs `values`: "
     "the states"),
]


def _catalog(text: str = CONTRACT) -> Catalog:
    return Catalog.from_contract(load_contract("c.yaml", text.encode()))


def test_unknown_is_untyped_and_every_type_validates() -> None:
    lc = load_contract("c.yaml", CONTRACT.encode())
    assert [m.type for m in lc.contract.metrics] == ["counter", "gauge", "summary", "untyped", "info", "stateset",
                                                      "native_histogram"]
    assert check_contract(lc) == []


def test_series_per_type() -> None:
    lc = load_contract("c.yaml", CONTRACT.encode())
    got = {m.name: expose(m, "prometheus-client").series for m in lc.contract.metrics[2:]}
    assert got == {
        "app_gc_seconds": ("app_gc_seconds", "app_gc_seconds_count", "app_gc_seconds_created", "app_gc_seconds_sum"),
        "app_pgfault": ("app_pgfault",),
        "app_build": ("app_build_info",),
        "app_mode": ("app_mode",),
        "app_latency_seconds": ("app_latency_seconds",),
    }
    summary = expose(lc.contract.metrics[2], "prometheus-client")
    assert "quantile" in summary.labels_of("app_gc_seconds")
    assert "quantile" not in summary.labels_of("app_gc_seconds_count")


@pytest.mark.parametrize(("expr", "checks"), EXPRESSIONS)
def test_expressions(expr: str, checks: list[str]) -> None:
    problems = lint(("d.json", dashboard_text(expr)), catalog=_catalog(),
                    ignore=("promql/counter-without-rate",))
    assert [p.check for p in problems] == checks


def test_native_bucket_suggests_the_family() -> None:
    assert _catalog().suggest("app_latency_seconds_bucket") == ("app_latency_seconds",
                                                                "native_histogram app_latency_seconds")


def test_did_you_mean_prefers_total_to_created() -> None:
    assert _catalog().suggest("app_request_total") == ("app_requests_total", "counter app_requests")
    assert _catalog().suggest("app_requestz_created") == ("app_requests_created", "counter app_requests")


@pytest.mark.parametrize(("text", "problem"), INVALID)
def test_invalid(text: str, problem: str) -> None:
    from contract.problems import render
    assert render(check_contract(load_contract("c.yaml", text.encode())), "text") == problem + "\n"


def test_validate_generate_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(CONTRACT)
    assert main(["validate", "c.yaml"]) == 0
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    assert main(["check", "c.yaml", "--out", "out"]) == 0
    module = (tmp_path / "out/python/app_metrics.py").read_text()
    # what the module cannot record, it says, by name
    assert "- `app_pgfault`: untyped: neither prometheus_client nor OpenTelemetry" in module
    assert "`app_mode`" not in module.split('"""', 2)[1]   # a stateset is recorded: not listed
    assert "class AppModeStateSet(_StateSet)" in module and "class AppGcSecondsSummary" in module
    capsys.readouterr()


GO_EXPOSITION = """\
# HELP app_reads Reads.
# TYPE app_reads counter
app_reads_total 3
# HELP app_pgfault Page faults.
# TYPE app_pgfault untyped
app_pgfault 12
# HELP app_gc_seconds GC pauses.
# TYPE app_gc_seconds summary
app_gc_seconds{quantile="0.5"} 0.01
app_gc_seconds_sum 0.5
app_gc_seconds_count 40
# HELP app_alloc_bytes Allocated now.
# TYPE app_alloc_bytes gauge
app_alloc_bytes 100
# HELP app_alloc_bytes_total Allocated ever.
# TYPE app_alloc_bytes_total counter
app_alloc_bytes_total 1000
# HELP process_cpu_seconds_total CPU.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1
"""


def test_import_keeps_every_type_and_names_what_it_leaves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(GO_EXPOSITION)
    assert main(["import", "--metrics-file", "e.prom", "--namespace", "app", "--output", "c.yaml"]) == 0
    assert capsys.readouterr().err == (
        "e.prom: no `_created` series, but a metric OpenTelemetry cannot yield: taking path `prometheus-client`, "
        "which also accepts `_created` names this exporter does not expose\n"
        "e.prom:15: left out `app_alloc_bytes_total`: counter `app_alloc_bytes` would have the contract name of "
        "gauge `app_alloc_bytes` (line 12)\n"
        "e.prom:18: left out 1 family outside namespace `app`: `process_cpu_seconds_total`\n")
    lc = load_contract("c.yaml")
    assert [(m.name, m.type) for m in lc.contract.metrics] == [
        ("app_reads", "counter"), ("app_pgfault", "untyped"), ("app_gc_seconds", "summary"),
        ("app_alloc_bytes", "gauge")]
    assert check_contract(lc) == []


def test_import_without_created_takes_a_path_without_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text("# TYPE app_reads counter\napp_reads_total 3\n")
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    capsys.readouterr()
    catalog = Catalog.from_contract(load_contract("c.yaml"))
    assert "app_reads_created" not in catalog.series and "app_reads_total" in catalog.series


def test_import_stateset_writes_its_states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text('# TYPE app_mode stateset\napp_mode{app_mode="idle"} 0\n'
                                     'app_mode{app_mode="busy"} 1\n# TYPE app_build info\n'
                                     'app_build_info{version="1.2"} 1\n')
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    capsys.readouterr()
    lc = load_contract("c.yaml")
    assert [(m.name, m.type, m.label_names) for m in lc.contract.metrics] == [
        ("app_mode", "stateset", ("app_mode",)), ("app_build", "info", ("version",))]
    assert lc.contract.metrics[0].labels[0].values == ("busy", "idle")
    assert check_contract(lc) == []


# ── the generated module's API for info and stateset (prometheus_client's Info and Enum) ──────────

API = APP_HEAD + """\
  - {name: app_requests, type: counter, unit: "1", help: r}
  - {name: app_gc_seconds, type: summary, unit: s, help: gc pauses}
  - {name: app_build, type: info, unit: "", help: build, labels: [{name: version}, {name: tier, values: [a, b]}]}
  - {name: app_mode, type: stateset, unit: "", help: mode,
     labels: [{name: region}, {name: app_mode, values: [idle, busy]}]}
  - {name: app_power, type: stateset, unit: "", help: power,
     labels: [{name: app_power, values: ["on", "off"], map: {1: "on", 0: "off"}}]}
events: []
"""


def _prom_samples(registry: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample but `_created` as scraped over HTTP: {(name, sorted labels): value}."""
    from tests.conftest import scrape_samples

    return {(s.name, tuple(sorted(s.labels.items()))): s.value for s in scrape_samples(registry)
            if not s.name.endswith("_created")}


def test_info_and_stateset_record_through_metrics_and_drop_what_is_bad(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from tests.conftest import contract_from
    from tests.subscriber_util import import_generated

    module = import_generated(contract_from(tmp_path, API), tmp_path)
    registry = CollectorRegistry()
    m = module.Metrics(registry=registry)
    m.app_build.info(version="1.2", tier="a")
    m.app_build.info(version="1.3", tier="c")   # outside the guarded closed set: `other`, replacing 1.2
    m.app_build.info(version="caf\udcff", tier="a")   # a lone surrogate breaks scrapes: dropped
    m.app_mode.state("busy", region="eu")
    m.app_mode.state("idle", region="us")
    m.app_mode.state("sleeping", region="eu")   # no state, even though the set is guarded: dropped
    m.app_mode.state("other", region="eu")
    m.app_mode.state("busy", region=None)   # an open label takes a str
    m.app_power.state(0)   # through the label's map
    m.app_gc_seconds.record(0.25)
    m.app_gc_seconds.record(-1)
    assert module.DROPPED == {"app_build": 1, "app_mode": 3, "app_gc_seconds": 1}
    assert _prom_samples(registry) == {
        ("app_build_info", (("tier", "other"), ("version", "1.3"))): 1.0,
        ("app_mode", (("app_mode", "idle"), ("region", "eu"))): 0.0,
        ("app_mode", (("app_mode", "busy"), ("region", "eu"))): 1.0,
        ("app_mode", (("app_mode", "idle"), ("region", "us"))): 1.0,
        ("app_mode", (("app_mode", "busy"), ("region", "us"))): 0.0,
        ("app_power", (("app_power", "on"),)): 0.0,
        ("app_power", (("app_power", "off"),)): 1.0,
        ("app_gc_seconds_count", ()): 1.0,
        ("app_gc_seconds_sum", ()): 0.25,
        ("app_requests_total", ()): 0.0,
    }
    # what the module wrote is what the contract's catalog predicts
    catalog = Catalog.from_contract(load_contract("c.yaml", API.encode()))
    assert {name for name, _ in _prom_samples(registry)} <= set(catalog.series)


def test_a_stateset_without_other_labels_starts_in_its_first_state(tmp_path: Path) -> None:
    from prometheus_client import CollectorRegistry

    from tests.conftest import contract_from
    from tests.subscriber_util import import_generated

    module = import_generated(contract_from(tmp_path, CONTRACT), tmp_path)
    registry = CollectorRegistry()
    m = module.Metrics(registry=registry)
    samples = _prom_samples(registry)
    assert samples[("app_mode", (("app_mode", "idle"),))] == 1.0
    # prometheus_client shows an info without labels until it is given its values
    assert samples[("app_build_info", ())] == 1.0
    m.app_mode.state("busy")
    m.app_build.info(version="1.2")
    samples = _prom_samples(registry)
    assert samples[("app_mode", (("app_mode", "busy"),))] == 1.0
    assert [(k, v) for k, v in samples.items() if k[0] == "app_build_info"] == [
        (("app_build_info", (("version", "1.2"),)), 1.0)]
    assert module.DROPPED == {}


def test_only_prometheus_client_records_them_so_a_meter_alone_is_refused(tmp_path: Path) -> None:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import CollectorRegistry

    from tests.conftest import contract_from
    from tests.subscriber_util import import_generated

    module = import_generated(contract_from(tmp_path, API), tmp_path)
    otel_registry, registry = CollectorRegistry(), CollectorRegistry()
    meter = MeterProvider(metric_readers=[PrometheusMetricReader(registry=otel_registry)]).get_meter("test")
    with pytest.raises(TypeError, match="^OpenTelemetry has no summary instrument: give `Metrics` a registry$"):
        module.Metrics(meter=meter)
    stateset_only = API.replace("  - {name: app_gc_seconds", "#").replace("  - {name: app_build", "#")
    (tmp_path / "s").mkdir()
    only = import_generated(contract_from(tmp_path / "s", stateset_only), tmp_path / "s")
    with pytest.raises(TypeError, match="^OpenTelemetry has no stateset instrument: give `Metrics` a registry$"):
        only.Metrics(meter=meter)
    # given both, the counter goes to both, the others to the registry alone
    m = module.Metrics(meter=meter, registry=registry)
    m.app_requests.add(2)
    m.app_build.info(version="1.2", tier="b")
    m.app_mode.state("busy", region="eu")
    assert module.DROPPED == {}
    assert _prom_samples(registry)[("app_build_info", (("tier", "b"), ("version", "1.2")))] == 1.0
    otel = {name for name, _ in _prom_samples(otel_registry)}
    assert otel == {"app_requests_total", "target_info"}


def test_mypy_types_the_info_and_state_methods(tmp_path: Path) -> None:
    caller = (
        "import app_metrics\n"
        "\n"
        "metrics = app_metrics.Metrics()\n"
        'metrics.app_mode.state("busy", region="eu")\n'
        'metrics.app_mode.state("sleeping", region="eu")\n'
        'metrics.app_build.info(version="1.2", tier="a")\n'
        'metrics.app_build.info(versoin="1.2", tier="a")\n'
        'metrics.app_build.info("1.2", tier="a")\n'
        "metrics.app_power.state(1)\n")
    module, errors, output = mypy_on_caller(load_contract("c.yaml", API.encode()), caller, tmp_path)
    # exactly these three: a state outside the states, a misspelt label, a label given by position
    assert errors == [
        'caller.py:5: error: Argument 1 to "state" of "AppModeStateSet" has incompatible type "Literal[\'sleeping\']"; '
        'expected "Literal[\'idle\', \'busy\']"  [arg-type]',
        'caller.py:7: error: Unexpected keyword argument "versoin" for "info" of "AppBuildInfo"; did you mean '
        '"version"?  [call-arg]',
        'caller.py:8: error: Too many positional arguments for "info" of "AppBuildInfo"  [call-arg]',
    ], output
    # and the module itself is formatted and clean as ruff sees it (mypy reported nothing in it above)
    config = str(Path(__file__).parent.parent / "pyproject.toml")
    for args in (["format", "--check"], ["check"]):
        ruff = tool("ruff", *args, "--config", config, "--no-cache", module, cwd=tmp_path)
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr


def test_check_reports_an_imported_contract_made_invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`check CONTRACT FILE...` never judges files against a contract that fails its own checks."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(GO_EXPOSITION)
    assert main(["import", "--metrics-file", "e.prom", "--namespace", "app", "--output", "c.yaml"]) == 0
    # the user moves the service to OpenTelemetry, which has no summary instrument
    text = (tmp_path / "c.yaml").read_text()
    (tmp_path / "c.yaml").write_text(text.replace("exposition: [prometheus-client]", "exposition: [otel-python]"))
    (tmp_path / "d.json").write_text(dashboard_text("rate(app_reads_total[5m])"))
    capsys.readouterr()
    assert main(["check", "c.yaml", "d.json"]) == 1
    assert capsys.readouterr().out == (
        "c.yaml:13:11: error[contract/type-path]: untyped `app_pgfault` cannot be exposed on path `otel-python`: "
        "OpenTelemetry has no untyped instrument (declared paths that can: none)\n"
        "c.yaml:17:11: error[contract/type-path]: summary `app_gc_seconds` cannot be exposed on path `otel-python`: "
        "OpenTelemetry has no summary instrument (declared paths that can: none)\n")
