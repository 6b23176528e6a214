"""Every generated dashboard against Grafana's own typed model: grafana-foundation-sdk (a Grafana 11 build).

The SDK's `Dashboard.from_json` reads the keys Grafana's schema declares, per
object (the dashboard, each panel by its type's options and field config,
each Prometheus target, each variable), and drops any other. So a dashboard
whose re-encoding lost no key holds no field the schema does not know: no
legacy key Grafana no longer reads. The dashboards: qortex's (as
pyproject.toml configures it), every fixture contract's (its default
dashboard, or its `dashboards:` section's), the checkout example's.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import prometheus
from grafana_foundation_sdk.models.dashboard import Dashboard, Panel, RowPanel

from contract.loader import load_contract
from generators import grafana
from tests.conftest import QORTEX_DASHBOARDS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "contract.yaml").is_file())
# relative to the checkout, where the tests run: (contract, configured dashboard sources)
SOURCES = {
    "qortex": ("contract/qortex.yaml", QORTEX_DASHBOARDS),
    "example-checkout": ("examples/checkout/metrics-contract.yaml", ()),
    **{f"fixture-{case}": (f"tests/fixtures/{case}/contract.yaml", ()) for case in CASES},
}
# what grafanalib's raw output of qortex's dashboard took, in lines
RAW_QORTEX_LINES = 2590

# keys Grafana no longer reads, which grafanalib writes
LEGACY_DASHBOARD_KEYS = {"rows", "style", "hideControls", "sharedCrosshair", "gnetId", "__inputs"}
LEGACY_PANEL_KEYS = {"span", "height", "minSpan", "error", "editable"}
# the pre-9.0 heatmap's
LEGACY_HEATMAP_KEYS = {"cards", "color", "dataFormat", "heatmap", "hideZeroBuckets", "highlightCards", "legend",
                       "reverseYBuckets", "tooltip", "xAxis", "xBucketNumber", "xBucketSize", "yAxis",
                       "yBucketBound", "yBucketNumber", "yBucketSize"}
TARGET_KEYS = {"expr", "refId", "legendFormat", "range", "instant", "datasource", "format"}


@pytest.fixture(scope="module", autouse=True)
def sdk_plugins() -> None:
    # the panel types' options and the Prometheus query: without them the SDK keeps those objects untyped
    plugins.register_default_plugins()


def rendered(name: str) -> dict[str, str]:
    """`grafana/<name>.json` -> text of every dashboard generated for source `name`."""
    contract, configured = SOURCES[name]
    files = grafana.generate(load_contract(contract), configured)
    return {rel: text for rel, text in files.items() if rel.endswith(".json")}


def round_trip(data: dict[str, Any]) -> tuple[Dashboard, dict[str, Any]]:
    board = Dashboard.from_json(data)
    again: dict[str, Any] = json.loads(json.dumps(board, cls=JSONEncoder))
    return board, again


def lost_keys(original: Any, again: Any, path: str = "") -> list[str]:
    """Paths of the keys of `original` that `again` lacks (recursively; lists item by item)."""
    if isinstance(original, dict):
        if not isinstance(again, dict):
            return [path]
        lost: list[str] = []
        for key, value in original.items():
            where = f"{path}.{key}" if path else key
            lost += lost_keys(value, again[key], where) if key in again else [where]
        return lost
    if isinstance(original, list):
        if not isinstance(again, list) or len(again) != len(original):
            return [path]
        return [p for i, (a, b) in enumerate(zip(original, again, strict=True))
                for p in lost_keys(a, b, f"{path}[{i}]")]
    return []


def nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nulls(v, f"{path}[{i}]")]
    return []


def test_the_sdk_is_a_grafana_11_or_later_build() -> None:
    # a plain install resolves to the newest epoch, a Grafana 10.1 build: requirements.txt pins an 11.x one
    release = version("grafana-foundation-sdk").split("!")[-1]
    assert int(release.split(".")[0]) >= 11, release


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_dashboard_survives_the_sdk_round_trip(name: str, in_root: Path) -> None:
    dashboards = rendered(name)
    assert dashboards, name
    for rel, text in dashboards.items():
        data = json.loads(text)
        assert nulls(data) == [], rel
        board, again = round_trip(data)
        assert lost_keys(data, again) == [], rel
        # typed all the way down, so that the SDK judged every key: each panel type's options and field
        # config are known to it and every target decodes as a Prometheus query
        assert board.panels
        for panel in board.panels:
            if isinstance(panel, RowPanel):
                continue
            assert isinstance(panel, Panel) and not isinstance(panel.options, dict), (rel, panel.title)
            assert panel.targets and all(isinstance(t, prometheus.Dataquery) for t in panel.targets), rel
        assert [v.name for v in board.templating.list_val or []] == ["datasource", "job"], rel


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_no_legacy_key_and_a_description_on_every_panel(name: str, in_root: Path) -> None:
    for rel, text in rendered(name).items():
        data = json.loads(text)
        assert not LEGACY_DASHBOARD_KEYS & set(data), rel
        for panel in data["panels"]:
            assert not LEGACY_PANEL_KEYS & set(panel), (rel, panel["title"])
            if panel["type"] == "row":
                continue
            assert panel["description"], (rel, panel["title"])
            if panel["type"] == "heatmap":
                assert not LEGACY_HEATMAP_KEYS & set(panel), (rel, panel["title"])
            for target in panel["targets"]:
                assert set(target) <= TARGET_KEYS, (rel, panel["title"], sorted(set(target) - TARGET_KEYS))
                assert target.get("format", "heatmap") == "heatmap", (rel, panel["title"])


def test_qortex_dashboard_has_no_null_and_is_less_than_half_the_raw_size(in_root: Path) -> None:
    text = rendered("qortex")["grafana/qortex.json"]
    assert "null" not in text
    assert text.count("\n") < RAW_QORTEX_LINES / 2


def test_the_round_trip_names_every_key_the_schema_does_not_know(in_root: Path) -> None:
    data = json.loads(rendered("qortex")["grafana/qortex.json"])
    heatmap = next(i for i, p in enumerate(data["panels"]) if p["type"] == "heatmap")
    # what grafanalib wrote before the JSON was cleaned
    data["rows"] = []
    data["panels"][1]["span"] = 12
    data["panels"][1]["targets"][0]["step"] = 10
    data["panels"][heatmap]["dataFormat"] = "tsbuckets"
    data["panels"][heatmap]["options"]["xAxis"] = {"show": True}
    data["templating"]["list"][1]["useTags"] = False
    assert sorted(lost_keys(data, round_trip(data)[1])) == sorted([
        "rows", "panels[1].span", "panels[1].targets[0].step", f"panels[{heatmap}].dataFormat",
        f"panels[{heatmap}].options.xAxis", "templating.list[1].useTags"])


def test_a_null_does_not_decode(in_root: Path) -> None:
    data = json.loads(rendered("qortex")["grafana/qortex.json"])
    data["panels"][0]["datasource"] = None   # as grafanalib wrote a row's
    with pytest.raises(TypeError):
        Dashboard.from_json(data)
