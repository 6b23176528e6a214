"""Import round trip: the generated module's live exposition becomes the contract's metrics again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, start_http_server

from contract.loader import LoadedContract, load_contract
from generators.cli import main
from tests.qortex_events import mix
from tests.subscriber_util import import_generated


@pytest.fixture
def exposition_url(qortex: LoadedContract, tmp_path: Path) -> Iterator[str]:
    module = import_generated(qortex, tmp_path)
    registry = CollectorRegistry()
    handlers = module.handlers(registry=registry)
    for event in mix():
        handler = handlers.get(type(event).__name__)
        if handler:
            handler(event)
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_import_reproduces_the_metrics_section(qortex: LoadedContract, exposition_url: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "imported.yaml"
    assert main(["import", "--metrics-url", exposition_url, "--namespace", "qortex", "--output", str(out)]) == 0
    imported = load_contract(str(out)).contract
    assert imported.exposition == ("prometheus-client",)

    def shape(lc_metrics):  # type: ignore[no-untyped-def]
        # the text format carries no units: a unit word in the name is all there is to go on
        return [(m.name, m.type, m.help, m.label_names, m.buckets, m.unit if m.unit in ("s", "") else "")
                for m in lc_metrics]

    assert shape(imported.metrics) == shape(qortex.contract.metrics)
    seen = out.read_text()
    assert "      - name: mode  # seen: \"vec\"\n" in seen
