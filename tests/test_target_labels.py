"""Target labels (`target_labels:`) and matchers that match the empty value, on a small service's contract.

The cases are plain data at the top (contract text, expression, legend, expected problems as
`check@offset: message`), so other tests (the corpus) can reuse them.
"""

from __future__ import annotations

import json

import pytest

from contract.catalog import Catalog
from contract.loader import load_contract
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from tests.conftest import APP_CONTRACT
from tests.promql_util import dashboard_text, short

REPRO = APP_CONTRACT
# the same contract with target labels, in both shapes
EVERY_PATH = REPRO + "target_labels: [cluster, namespace]\n"
PER_PATH = REPRO.replace("exposition: [prometheus-client]", "exposition: [prometheus-client, otel-python]") + (
    "target_labels: {all: [cluster], otel-python: [pod]}\n")

# no target labels declared: (expression, legend, problems)
UNDECLARED = [
    # a matcher that matches the empty value matches series without the label: nothing required
    ('app_temp{cluster=""}', "", []),
    ('app_temp{cluster=~".*"}', "", []),
    ('app_temp{cluster=~"|x"}', "", []),
    ('app_temp{cluster=~"x|"}', "", []),
    ('app_temp{cluster!="x"}', "", []),
    ('app_temp{cluster!~".+"}', "", []),
    ('app_temp{cluster=~"(?:a|)"}', "", []),
    # these need the label
    ('app_temp{namespace="monitoring"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `namespace`; it has no contract labels"]),
    ('app_temp{cluster=~".+"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `cluster`; it has no contract labels"]),
    ('app_temp{cluster!~".*"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `cluster`; it has no contract labels"]),
    # fully anchored: `x|` is not `(x|)` everywhere, `a.*` does not match ""
    ('app_temp{cluster=~"a.*"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `cluster`; it has no contract labels"]),
    ('app_temp{cluster=""}', "{{cluster}}", [
        "promql/legend-label@legend+0: legend `{{cluster}}` names a label the query result does not carry (it "
        "carries only scrape and exporter labels)"]),
    ('sum by (cluster) (app_temp)', "", [
        "promql/grouping-label@8: `sum by (cluster)`: the input does not carry label `cluster` (it carries only "
        "scrape and exporter labels)"]),
]

# `target_labels: [cluster, namespace]`
DECLARED = [
    ('app_temp{namespace="monitoring"}', "", []),
    ('app_temp{cluster="eu"}', "{{cluster}} {{namespace}}", []),
    ('sum by (cluster) (rate(app_requests_total{namespace="a"}[5m]))', "{{cluster}}", []),
    ('sum by (cluster) (app_temp) / on (cluster) sum by (cluster) (app_temp)', "", []),
    ('up{cluster="eu"}', "{{cluster}}", []),
    ('sum by (cluster) (app_temp)', "{{namespace}}", [
        "promql/legend-label@legend+0: legend `{{namespace}}` names a label the query result does not carry (it "
        "carries only scrape and exporter labels)"]),
    ('app_temp{region="eu"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `region`; it has no contract labels"]),
]

# `target_labels: {all: [cluster], otel-python: [pod]}` on two paths: a series carries the union over its paths
PER_PATH_ROWS = [
    ('app_temp{cluster="eu", pod="p"}', "", []),
    ('sum by (pod) (app_temp)', "{{pod}}", []),
    ('app_temp{zone="z"}', "", [
        "promql/unknown-label@9: `app_temp` has no label `zone`; it has no contract labels"]),
]


def _catalog(text: str) -> Catalog:
    return Catalog.from_contract(load_contract("c.yaml", text.encode()))


def _lint(contract: str, expr: str, legend: str) -> list[str]:
    text = dashboard_text((expr, legend) if legend else expr)
    lines = text.split("\n")
    problems = Linter(_catalog(contract)).check([load_source("d.json", text.encode())]).problems
    return [short(p, lines).replace('panel "P" target A: ', "") for p in sorted(problems)]


@pytest.mark.parametrize(("expr", "legend", "expected"), UNDECLARED)
def test_without_target_labels(expr: str, legend: str, expected: list[str]) -> None:
    assert _lint(REPRO, expr, legend) == expected


@pytest.mark.parametrize(("expr", "legend", "expected"), DECLARED)
def test_declared_target_labels(expr: str, legend: str, expected: list[str]) -> None:
    assert _lint(EVERY_PATH, expr, legend) == expected


@pytest.mark.parametrize(("expr", "legend", "expected"), PER_PATH_ROWS)
def test_target_labels_per_path(expr: str, legend: str, expected: list[str]) -> None:
    assert _lint(PER_PATH, expr, legend) == expected


def test_target_labels_per_path_shape() -> None:
    contract = load_contract("c.yaml", PER_PATH.encode()).contract
    assert contract.target_labels_of("prometheus-client") == ("cluster",)
    assert contract.target_labels_of("otel-python") == ("cluster", "pod")
    every = load_contract("c.yaml", EVERY_PATH.encode()).contract
    assert every.target_labels_of("prometheus-client") == ("cluster", "namespace")
    assert load_contract("c.yaml", REPRO.encode()).contract.target_labels_of("prometheus-client") == ()


def test_target_labels_are_infrastructure_in_messages() -> None:
    # they are not the contract's own labels, so a message never lists them as "its labels"
    catalog = _catalog(EVERY_PATH)
    assert catalog.interesting(catalog.series["app_temp"].labels) == []
    assert {"cluster", "namespace"} <= catalog.series["app_temp"].labels
    assert {"cluster", "namespace"} <= catalog.series["app_requests_total"].labels


def test_target_labels_survive_the_catalog_cache_format() -> None:
    catalog = _catalog(PER_PATH)
    again = Catalog.from_data(json.loads(json.dumps(catalog.to_data())))
    assert again.series["app_temp"].labels == catalog.series["app_temp"].labels
    assert "pod" in again.series["app_temp"].labels and "pod" in again.infra_labels
