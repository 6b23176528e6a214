"""Who queries each contract metric (`contract.promql.usage`), and `check/unused-metric` for those nobody does."""

from __future__ import annotations

import json
from pathlib import Path

from contract.catalog import Catalog
from contract.promql.sources import load_source
from contract.promql.usage import metric_users, unused_metrics
from tests.conftest import MINIMAL, ROOT, contract_from
from tests.promql_util import dashboard_text


def test_unused_metric_is_a_located_warning(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL)
    source = load_source("d.json", dashboard_text("sum(rate(svc_requests_total[1m]))").encode())
    catalog = Catalog.from_contract(lc)
    problems = unused_metrics("c.yaml", MINIMAL, catalog, metric_users(catalog, [source]))
    assert [p.text() for p in problems] == [
        "c.yaml:13:11: warning[check/unused-metric]: `svc_latency_seconds` is not queried by any dashboard panel "
        "or rule"]


def test_users_are_panels_variables_and_rules_once_each(tmp_path: Path) -> None:
    catalog = Catalog.from_contract(contract_from(tmp_path, MINIMAL))
    dashboard = {"panels": [{"title": "Rates", "targets": [
        {"refId": "A", "expr": "sum(rate(svc_requests_total[1m]))"},
        {"refId": "B", "expr": "svc_requests_created"},
        {"refId": "C", "expr": "histogram_quantile(0.9, rate(svc_latency_seconds_bucket[5m]))"}]}],
        "templating": {"list": [{"name": "code", "type": "query", "query": "label_values(svc_requests_total, code)"}]}}
    rules = ("groups:\n- name: g\n  rules:\n  - record: job:svc_requests:rate5m\n"
             "    expr: sum by (job) (rate(svc_requests_total[5m])) + on() group_left up\n")
    sources = [load_source("grafana/d.json", json.dumps(dashboard).encode()),
               load_source("prometheus/rules.yml", rules.encode())]
    assert metric_users(catalog, sources) == {
        "svc_requests": ['panel "Rates" (d.json)', 'variable "code" (d.json)', "rule `job:svc_requests:rate5m`"],
        "svc_latency_seconds": ['panel "Rates" (d.json)'],
    }


def test_every_qortex_metric_is_used(qortex) -> None:  # type: ignore[no-untyped-def]
    sources = [load_source(str(p), p.read_bytes()) for p in (ROOT / "out" / "grafana" / "qortex.json",
                                                             ROOT / "out" / "prometheus" / "rules.yml")]
    text = (ROOT / "contract" / "qortex.yaml").read_text()
    catalog = Catalog.from_contract(qortex)
    assert unused_metrics("contract/qortex.yaml", text, catalog, metric_users(catalog, sources)) == []
