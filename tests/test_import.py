"""`metrics-contract import`: exposition parsing with positions, folding, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.checks.registry import check_contract
from contract.loader import load_contract
from generators.cli import main

EXPOSITION = """\
# HELP app_requests_total Requests served
# TYPE app_requests_total counter
app_requests_total{code="200",job="x"} 3.0
app_requests_total{code="500",job="x"} 1.0
# HELP app_requests_created Requests served
# TYPE app_requests_created gauge
app_requests_created{code="200"} 1.7e9
# HELP app_latency_seconds Latency "quoted" \\\\ back
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le="0.1"} 1.0
app_latency_seconds_bucket{le="1.0"} 2.0
app_latency_seconds_bucket{le="+Inf"} 2.0
app_latency_seconds_count 2.0
app_latency_seconds_sum 0.5
# HELP app_up Up
# TYPE app_up gauge
app_up{otel_scope_name="s",instance="i"} 1.0
# HELP app_q Quantiles
# TYPE app_q summary
app_q{quantile="0.5"} 1.0
# HELP other_thing Not ours
# TYPE other_thing gauge
other_thing 1.0
"""

EXPECTED = """\
# imported from "e.prom" by metrics-contract import: review units, closed label value sets and add events
contract: 1
service: "app"
namespace: "app"
scrape_interval: 15s
exposition: [otel-python]
metrics:
  - name: app_requests
    type: counter
    unit: ""
    help: "Requests served"
    labels:
      - name: code  # seen: "200", "500"
  - name: app_latency_seconds
    type: histogram
    unit: "s"
    help: "Latency \\"quoted\\" \\\\ back"
    buckets: [0.1, 1]
  - name: app_up
    type: gauge
    unit: ""
    help: "Up"
"""


def test_import_folds_and_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(EXPOSITION)
    assert main(["import", "--metrics-file", "e.prom", "--namespace", "app", "--output", "c.yaml"]) == 0
    assert capsys.readouterr().err == "e.prom:18: skipped `app_q`: type `summary` has no contract type\n"
    assert (tmp_path / "c.yaml").read_text() == EXPECTED
    lc = load_contract("c.yaml")
    assert lc.contract.metrics[1].help == 'Latency "quoted" \\ back'
    assert [p.check for p in check_contract(lc)] == []


BAD = {
    "truncated": ("# TYPE a counter\na_total 1", "e.prom:2:10: error[exposition/truncated]: exposition does not "
                  "end with a newline; it may be cut off"),
    "bad-value": ("a 1x\n", "e.prom:1:3: error[exposition/syntax]: `1x` is not a number"),
    "bad-labels": ('a{b=c} 1\n', "e.prom:1:3: error[exposition/syntax]: malformed label set"),
    "bad-label-set": ('a{b="c" d="e"} 1\n', "e.prom:1:3: error[exposition/syntax]: malformed label set"),
    "bad-type": ("# TYPE a countre\n", "e.prom:1:1: error[exposition/syntax]: unknown metric type `countre`"),
    "binary": ("\x00\x01\x02\n", "e.prom:1:1: error[exposition/syntax]: not a sample line: `name{labels} value`"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_exposition(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BAD[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(text)
    assert main(["import", "--metrics-file", "e.prom"]) == 2
    assert capsys.readouterr().err == expected + "\n"


def test_unreachable_url(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/metrics"
        assert main(["import", "--metrics-url", url]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{url}: error[input/unreachable]: cannot fetch: ") and err.count("\n") == 1


def test_names_yaml_would_misread_are_quoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`name: on` would load as a boolean: such names are written quoted and load back as the same strings."""
    monkeypatch.chdir(tmp_path)
    words = ["on", "off", "yes", "no", "null", "true", "False", "NULL", "y", "plain"]
    exposition = "".join(f'# TYPE {w} gauge\n{w}{{{w}="v"}} 1\n' for w in words)
    (tmp_path / "e.prom").write_text(exposition)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    text = (tmp_path / "c.yaml").read_text()
    assert '  - name: "on"\n' in text and "  - name: plain\n" in text and '      - name: "null"  # seen: "v"\n' in text
    metrics = load_contract("c.yaml").contract.metrics
    assert [m.name for m in metrics] == words
    assert [m.label_names for m in metrics] == [(w,) for w in words]
