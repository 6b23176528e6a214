"""Where dashboards come from: configured Python and YAML files, the contract's section, the default dashboard."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from contract.loader import load_contract
from contract.problems import InputError
from dashboards import lib
from generators import grafana
from generators.cli import main
from generators.stack import series_job
from tests.conftest import MINIMAL, ROOT, contract_from
from tests.test_fixtures import CASES, FIXTURES

PROVISIONING = ["grafana/provisioning/datasources/prometheus.yml"]


def panels(board: dict[str, Any]) -> list[tuple[str, str, list[tuple[str, str]], str | None]]:
    """(type, title, [(expr, legend)], unit) of every panel, rows included, in order."""
    return [(p["type"], p["title"], [(t["expr"], t["legendFormat"]) for t in p.get("targets", [])],
             p.get("fieldConfig", {}).get("defaults", {}).get("unit")) for p in board["panels"]]


def quantile_targets(series: str, *qs: str) -> list[tuple[str, str]]:
    return [(f'histogram_quantile({q}, sum by (le) (rate({series}{{job="$job"}}[$__rate_interval])))',
             f"p{round(float(q) * 100)}") for q in qs]


def board_of(files: dict[str, str], name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files[f"grafana/{name}.json"])
    return data


def dashboard_files(files: dict[str, str]) -> list[str]:
    return sorted(rel for rel in files if rel.startswith("grafana/") and "/provisioning/" not in rel)


# ── the default dashboard ───────────────────────────────────────────────────

EVERY_TYPE = """\
    contract: 1
    service: Shop Front
    namespace: shop
    exposition: [prometheus-client, otel-collector]
    metrics:
      - name: shop_http_requests
        type: counter
        unit: "{request}"
        help: Requests answered
        labels:
          - {name: code, values: ["200", "500"]}
          - {name: path}
      - name: shop_cache_fill_ratio
        type: gauge
        unit: "{ratio}"
        help: Cache fill
      - name: shop_http_request_duration_seconds
        type: histogram
        unit: s
        help: Latency
        buckets: [0.1, 1]
      - name: shop_queue_depth
        type: updowncounter
        unit: "{job}"
        help: Jobs waiting
        group: backlog
        labels:
          - {name: priority, values: [high, low]}
      - name: http.server.request.duration
        type: histogram
        unit: s
        help: Server request duration
        semconv: true
        buckets: [0.1, 1]
      - name: shop_busy_time
        type: counter
        unit: s
        help: Time spent busy
    """


def test_default_dashboard_has_a_row_per_group_and_a_panel_per_metric(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, EVERY_TYPE)
    files = grafana.generate(lc)
    assert dashboard_files(files) == ["grafana/shop-front.json"]
    board = board_of(files, "shop-front")
    assert (board["title"], board["uid"], board["tags"]) == ("Shop Front", "shop-front", ["Shop Front"])
    assert panels(board) == [
        ("row", "http", [], None),
        ("timeseries", "shop_http_requests",
         [('sum by (code) (rate(shop_http_requests_total{job="$job"}[$__rate_interval]))', "{{code}}")], "cps"),
        ("timeseries", "shop_http_request_duration_seconds",
         quantile_targets("shop_http_request_duration_seconds_bucket", "0.5", "0.95", "0.99"), "s"),
        # outside the namespace: the first segment of the dotted name
        ("timeseries", "http.server.request.duration",
         quantile_targets("http_server_request_duration_seconds_bucket", "0.5", "0.95", "0.99"), "s"),
        ("row", "cache", [], None),
        ("timeseries", "shop_cache_fill_ratio",
         [('avg by (job) (shop_cache_fill_ratio{job="$job"})', "{{job}}")], "short"),
        ("row", "backlog", [], None),
        ("timeseries", "shop_queue_depth", [('sum by (priority) (shop_queue_depth{job="$job"})', "{{priority}}")],
         "short"),
        ("row", "busy", [], None),
        # seconds per second has no Grafana unit of its own: plain numbers
        ("timeseries", "shop_busy_time",
         [('sum(rate(shop_busy_time_seconds_total{job="$job"}[$__rate_interval]))', "Time spent busy")], "short"),
    ]
    assert [p.get("description") for p in board["panels"] if p["type"] != "row"] == [
        "Requests answered", "Latency", "Server request duration", "Cache fill", "Jobs waiting", "Time spent busy"]
    assert [(p["gridPos"]["x"], p["gridPos"]["y"], p["gridPos"]["w"]) for p in board["panels"]] == [
        (0, 0, 24), (0, 1, 8), (8, 1, 8), (16, 1, 8), (0, 9, 24), (0, 10, 24), (0, 18, 24), (0, 19, 24),
        (0, 27, 24), (0, 28, 24)]
    (job,) = (v for v in board["templating"]["list"] if v["name"] == "job")
    assert job["query"] == "label_values(shop_http_requests_total, job)"
    assert job["current"]["value"] == series_job(lc.contract) == "Shop Front"


def test_a_reference_error_of_the_default_dashboard_is_located_at_its_metric(tmp_path: Path) -> None:
    # a counter whose only label the two paths spell differently (`k_ind`, `k__ind`): the contract check reports it too,
    # but rendering never reaches a line that is not in the contract
    lc = contract_from(tmp_path, """\
        contract: 1
        service: svc
        namespace: svc
        exposition: [prometheus-client, otel-collector]
        metrics:
          - {name: svc_ok, type: counter, unit: "{x}", help: Fine}
          - name: svc_jobs
            type: counter
            unit: "{job}"
            help: Jobs
            labels: [{name: "k..ind", values: [a]}]
        """)
    with pytest.raises(InputError) as caught:
        grafana.generate(lc)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column, problem.check) == (
        str(tmp_path / "c.yaml"), 7, 5, "dashboard/path-divergence")


# ── layout ─────────────────────────────────────────────────────────────────

LAYOUTS = {   # panels in a row -> (x, y, w) of each, the row at y 0
    1: [(0, 1, 24)],
    2: [(0, 1, 12), (12, 1, 12)],
    3: [(0, 1, 8), (8, 1, 8), (16, 1, 8)],
    4: [(0, 1, 12), (12, 1, 12), (0, 9, 12), (12, 9, 12)],
    5: [(0, 1, 8), (8, 1, 8), (16, 1, 8), (0, 9, 12), (12, 9, 12)],
    6: [(0, 1, 8), (8, 1, 8), (16, 1, 8), (0, 9, 8), (8, 9, 8), (16, 9, 8)],
    7: [(0, 1, 8), (8, 1, 8), (16, 1, 8), (0, 9, 12), (12, 9, 12), (0, 17, 12), (12, 17, 12)],
}


@pytest.mark.parametrize("count", sorted(LAYOUTS))
def test_layout_of_a_row(count: int, tmp_path: Path) -> None:
    listed = "".join(f"          - {{title: P{i}, kind: rate, metric: svc_requests}}\n" for i in range(count))
    lc = contract_from(tmp_path, MINIMAL + "dashboards:\n  - title: L\n    rows:\n      - title: R\n        panels:\n"
                       + listed)
    board = board_of(grafana.generate(lc), "l")
    assert [p["title"] for p in board["panels"]] == ["R", *(f"P{i}" for i in range(count))]
    assert [(p["gridPos"]["x"], p["gridPos"]["y"], p["gridPos"]["w"]) for p in board["panels"][1:]] == LAYOUTS[count]


# ── the contract's section ─────────────────────────────────────────────────

def test_contract_section_every_kind() -> None:
    lc = load_contract("tests/fixtures/yaml-dashboards/contract.yaml",
                       (FIXTURES / "yaml-dashboards" / "contract.yaml").read_bytes())
    files = grafana.generate(lc)
    # the section replaces the default dashboard
    assert dashboard_files(files) == ["grafana/carts.json", "grafana/checkout-overview.json"]
    overview = board_of(files, "checkout-overview")
    assert (overview["title"], overview["uid"], overview["tags"]) == ("Checkout Overview", "checkout-overview",
                                                                      ["checkout"])
    assert panels(overview) == [
        ("row", "Traffic", [], None),
        ("timeseries", "Requests",
         [('sum by (method) (rate(checkout_requests_total{job="$job"}[$__rate_interval]))', "{{method}}")], "cps"),
        ("timeseries", "Latency", quantile_targets("checkout_request_duration_seconds_bucket", "0.5", "0.99"), "s"),
        ("timeseries", "In flight", [('sum by (job) (checkout_inflight_requests{job="$job"})', "{{job}}")], "short"),
        ("stat", "Orders today",
         [('sum(increase(checkout_orders_total{job="$job"}[$__range]))', "Orders placed")], "short"),
        ("row", "Errors", [], None),
        ("heatmap", "Latency buckets",
         [('sum by (le) (rate(checkout_request_duration_seconds_bucket{job="$job"}[$__rate_interval]))', "{{le}}")],
         "s"),
        ("timeseries", "Errors last hour",
         [('sum(increase(checkout_errors_total{job="$job"}[1h]))', "Requests that failed")], "short"),
    ]
    assert [p.get("description") for p in overview["panels"] if p["type"] != "row"] == [
        "HTTP requests answered", "Request latency", "Requests being served", "Orders placed", "Request latency",
        "Failed requests in the trailing hour"]
    (job,) = (v for v in overview["templating"]["list"] if v["name"] == "job")
    assert job["query"] == "label_values(checkout_requests_total, job)"   # the first metric

    carts = board_of(files, "carts")
    assert (carts["title"], carts["uid"], carts["tags"]) == ("Checkout Carts", "checkout-carts", [])
    assert panels(carts) == [
        ("row", "Carts", [], None),
        ("timeseries", "Cart fill", [('avg by (job) (checkout_cart_fill_ratio{job="$job"})', "{{job}}")], "short"),
        ("stat", "Requests in flight", [('sum by (job) (checkout_inflight_requests{job="$job"})', "{{job}}")],
         "short"),
    ]
    (job,) = (v for v in carts["templating"]["list"] if v["name"] == "job")
    assert job["query"] == "label_values(checkout_orders_total, job)"


# ── configured sources, through the CLI ────────────────────────────────────

MAIN_PY = """\
from dashboards import lib

DASHBOARD = lib.dashboard(
    "Main", uid="svc-main", tags=("svc",), job_metric="svc_requests",
    rows=(lib.row("R", (lib.timeseries("Rate", lib.rate("svc_requests", by=("code",))),)),),
)
"""
EXTRA_YAML = """\
title: Extra
rows:
  - title: Latency
    panels:
      - {title: P99, kind: quantiles, metric: svc_latency_seconds, quantiles: [0.99]}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "c.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "main.py").write_text(MAIN_PY, encoding="utf-8")
    (tmp_path / "boards" / "extra.yaml").write_text(EXTRA_YAML, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\nout = "out"\n'
                                             'dashboards = ["boards/main.py", "boards/extra.yaml"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_configured_python_and_yaml_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    written = sorted(p.relative_to(project / "out").as_posix() for p in (project / "out" / "grafana").glob("*.json"))
    # the configured files replace the default dashboard (`grafana/svc.json`)
    assert written == ["grafana/extra.json", "grafana/main.json"]
    main_board = json.loads((project / "out" / "grafana" / "main.json").read_text())
    assert (main_board["title"], main_board["uid"]) == ("Main", "svc-main")
    assert panels(main_board) == [
        ("row", "R", [], None),
        ("timeseries", "Rate", [('sum by (code) (rate(svc_requests_total{job="$job"}[$__rate_interval]))', "{{code}}")],
         "cps")]
    extra = json.loads((project / "out" / "grafana" / "extra.json").read_text())
    assert (extra["title"], extra["uid"]) == ("Extra", "extra")
    assert panels(extra) == [("row", "Latency", [], None),
                             ("timeseries", "P99", quantile_targets("svc_latency_seconds_bucket", "0.99"), "s")]
    # loading the Python file left nothing beside it
    assert sorted(p.name for p in (project / "boards").iterdir()) == ["extra.yaml", "main.py"]
    capsys.readouterr()
    assert main(["check"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["docs", "--output", "-"]) == 0
    assert '- used by: panel "P99" (extra.json), rule' in capsys.readouterr().out


def test_check_sees_an_edited_dashboard_file_through_its_cache(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate"]) == 0
    assert main(["check"]) == 0   # the rendered outputs are now in the cache entry of the unchanged contract
    capsys.readouterr()
    extra = project / "boards" / "extra.yaml"
    extra.write_text(extra.read_text().replace("[0.99]", "[0.9]"), encoding="utf-8")
    assert main(["check"]) == 1
    assert capsys.readouterr().out == (
        "out/.metrics-contract-manifest.json:5: error[check/stale-output]: `out/.metrics-contract-manifest.json` "
        "differs from what `metrics-contract generate` writes; regenerate it, never edit it\n"
        "out/grafana/extra.json:47: error[check/stale-output]: `out/grafana/extra.json` differs from what "
        "`metrics-contract generate` writes; regenerate it, never edit it\n")


# ── the examples of docs/dashboards.md ─────────────────────────────────────

def docs_block(language: str) -> str:
    text = (ROOT / "docs" / "dashboards.md").read_text(encoding="utf-8")
    (block,) = re.findall(rf"```{language}\n(.*?)```", text, re.DOTALL)
    return str(block)


def test_the_documented_examples_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fixture = (FIXTURES / "yaml-dashboards" / "contract.yaml").read_text(encoding="utf-8")
    contract = fixture.split("\ndashboards:\n")[0] + "\n" + docs_block("yaml")
    (tmp_path / "c.yaml").write_text(contract, encoding="utf-8")
    (tmp_path / "example.py").write_text(docs_block("python"), encoding="utf-8")
    files = grafana.generate(load_contract("c.yaml"), ("example.py",))
    assert dashboard_files(files) == ["grafana/checkout.json", "grafana/example.json"]
    assert [p["title"] for p in board_of(files, "example")["panels"]] == [
        "Traffic", "Requests", "Latency", "Orders", "In flight", "Latency", "Buckets"]
    assert [p["title"] for p in board_of(files, "checkout")["panels"]] == [
        "Traffic", "Requests", "Latency", "In flight", "Orders today", "Latency buckets", "Errors last hour"]
    assert board_of(files, "checkout")["uid"] == "checkout-main"


# ── every fixture's generated tree passes `check` ──────────────────────────

@pytest.mark.parametrize("case", CASES)
def test_generated_tree_of_every_fixture_passes_check(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / case / "contract.yaml", tmp_path / "c.yaml")
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    capsys.readouterr()
    assert main(["check", "c.yaml", "--out", "out", "--strict"]) == 0
    assert capsys.readouterr().out == ""   # not a problem, not even a warning


def test_slug_and_layout_helpers() -> None:
    assert [lib.slug(t) for t in ("Checkout", "Shop Front", "shop.orders", "API v2 / Errors", "!!!")] == [
        "checkout", "shop-front", "shop-orders", "api-v2-errors", "dashboard"]
    seven = tuple(lib.timeseries(f"P{i}", lib.rate("svc_requests")) for i in range(7))
    assert [[p.title for p in line] for line in lib.layout(seven)] == [["P0", "P1", "P2"], ["P3", "P4"], ["P5", "P6"]]
    assert lib.layout(()) == ()
