"""`check/unused-metric`: contract metrics that no panel or rule queries."""

from __future__ import annotations

from pathlib import Path

from contract.catalog import Catalog, build_catalog
from contract.lint import Linter
from contract.sources import Source, load_source
from contract.usage import unused_metrics
from tests.conftest import MINIMAL, contract_from
from tests.promql_util import dashboard_text


def test_unused_metric_is_a_located_warning(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL)
    source = load_source("d.json", dashboard_text("sum(rate(svc_requests_total[1m]))").encode())
    catalog = build_catalog(lc)
    problems = unused_metrics("c.yaml", MINIMAL, catalog, _selected(catalog, [source]))
    assert [p.text() for p in problems] == [
        "c.yaml:13:11: warning[check/unused-metric]: `svc_latency_seconds` is not queried by any dashboard panel "
        "or rule"]


def test_every_qortex_metric_is_used(qortex) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ROOT

    sources = [load_source(str(p), p.read_bytes()) for p in (ROOT / "out" / "grafana" / "qortex.json",
                                                             ROOT / "out" / "prometheus" / "rules.yml")]
    text = (ROOT / "contract" / "qortex.yaml").read_text()
    catalog = build_catalog(qortex)
    assert unused_metrics("contract/qortex.yaml", text, catalog, _selected(catalog, sources)) == []


def _selected(catalog: Catalog, sources: list[Source]) -> set[str]:
    return Linter(catalog).check(sources).selected
