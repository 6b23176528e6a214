"""`live-check`'s label sets: the labels a series carries beyond the contract's and those it must not."""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from generators.cli import main
from tests import prom_server
from tests.conftest import SHOP_HEAD, contract_from, exposing
from tests.test_exposition import static

SUMMARY = SHOP_HEAD + """\
  - {name: shop_payload_bytes, type: summary, unit: By, help: Payload size}
"""
# a summary of a client that computes quantiles (prometheus_client's does not)
QUANTILES = """\
# HELP shop_payload_bytes Payload size
# TYPE shop_payload_bytes summary
shop_payload_bytes{quantile="0.5"} 10
shop_payload_bytes_sum 300
shop_payload_bytes_count 7
"""


def test_summary_quantiles_carry_quantile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lc = contract_from(tmp_path, SUMMARY)
    with static(QUANTILES) as url:
        assert main(["live-check", lc.file, "--metrics-url", url]) == 0
    assert capsys.readouterr() == ("", "")


def test_quantile_elsewhere_is_a_label_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lc = contract_from(tmp_path, SUMMARY.replace("summary, unit: By", "gauge, unit: By"))
    with static('# TYPE shop_payload_bytes gauge\nshop_payload_bytes{quantile="0.5"} 10\n') as url:
        assert main(["live-check", lc.file, "--metrics-url", url]) == 1
    assert capsys.readouterr() == (f"{url}:2: error[live/label-mismatch]: `shop_payload_bytes` carries labels "
                                   "`quantile`, the contract declares none\n", "")


def test_imported_summary_checks_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(QUANTILES)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    capsys.readouterr()
    with static(QUANTILES) as url:
        assert main(["live-check", "c.yaml", "--metrics-url", url]) == 0
    assert capsys.readouterr() == ("", "")


ORDERS = SHOP_HEAD + """\
  - {name: shop_orders, type: counter, unit: "{order}", help: Orders, labels: [{name: method}]}
"""


def test_target_labels_the_scrape_adds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scrape config's `labels:` on every series: declared in `target_labels`, allowed; else a mismatch."""
    from prometheus_client import CollectorRegistry, Counter

    declared = contract_from(tmp_path, ORDERS + "target_labels: [cluster]\n", "declared.yaml")
    undeclared = contract_from(tmp_path, ORDERS, "undeclared.yaml")
    registry = CollectorRegistry()
    Counter("shop_orders", "Orders", ["method"], registry=registry).labels(method="GET").inc()
    with exposing(registry) as url:
        # a /metrics endpoint has no target labels, and needs none
        assert main(["live-check", declared.file, "--metrics-url", url]) == 0
        config = tmp_path / "prometheus.yml"
        config.write_text(f"global: {{scrape_interval: 1s}}\nscrape_configs:\n  - job_name: shop\n"
                          f"    static_configs: [{{targets: ['{urllib.parse.urlsplit(url).netloc}'], "
                          "labels: {cluster: eu1}}]\n", encoding="utf-8")
        with prom_server.prometheus_server(config, tmp_path / "prometheus") as server:
            prom_server.wait_for_series(server.url, "shop", {"shop_orders_total", "shop_orders_created"})
            assert main(["live-check", declared.file, "--prometheus", server.url, "--job", "shop"]) == 0
            assert capsys.readouterr() == ("", "")
            assert main(["live-check", undeclared.file, "--prometheus", server.url, "--job", "shop"]) == 1
    assert capsys.readouterr() == (
        f"{server.url} (job shop): error[live/label-mismatch]: `shop_orders_total` carries labels `cluster`, "
        "`method`, the contract declares `method`\n", "")
