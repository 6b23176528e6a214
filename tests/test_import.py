"""`metrics-contract import`: exposition parsing with positions, folding, and bad input."""

from __future__ import annotations

import os
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
exposition: [prometheus-client]
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
  - name: app_q
    type: summary
    unit: ""
    help: "Quantiles"
"""


def test_import_folds_and_filters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(EXPOSITION)
    assert main(["import", "--metrics-file", "e.prom", "--namespace", "app", "--output", "c.yaml"]) == 0
    # `_created` series are prometheus_client's, whatever else the exposition carries; a summary is kept
    assert capsys.readouterr().err == "e.prom:21: left out 1 family outside namespace `app`: `other_thing`\n"
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
    exposition = "".join(f'# TYPE on_m{i} gauge\non_m{i}{{{w}="v"}} 1\n' for i, w in enumerate(words))
    (tmp_path / "e.prom").write_text(exposition)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    text = (tmp_path / "c.yaml").read_text()
    assert 'namespace: "on"\n' in text and "  - name: on_m0\n" in text
    assert '      - name: "null"  # seen: "v"\n' in text and "      - name: plain  # seen: " in text
    c = load_contract("c.yaml").contract
    assert (c.service, c.namespace) == ("on", "on")
    assert [m.name for m in c.metrics] == [f"on_m{i}" for i in range(len(words))]
    assert [m.label_names for m in c.metrics] == [(w,) for w in words]


def test_help_text_loads_back_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A character beyond U+FFFF stays one character; U+2028 and U+0085, line breaks to YAML, stay in the text."""
    monkeypatch.chdir(tmp_path)
    helps = ["Cart size \U0001f6d2", 'a\u2028b\x85c \\\\ "q"', "tab\there"]   # as the exposition escapes them
    exposition = "".join(f"# HELP app_g{i} {h}\n# TYPE app_g{i} gauge\napp_g{i} 1\n" for i, h in enumerate(helps))
    (tmp_path / "e.prom").write_text(exposition, encoding="utf-8")
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    assert [m.help for m in load_contract("c.yaml").contract.metrics] == [
        "Cart size \U0001f6d2", 'a\u2028b\x85c \\ "q"', "tab\there"]


TWO_PREFIXES = """\
# TYPE db_pool_size gauge
db_pool_size 4
# TYPE shop_orders_total counter
shop_orders_total 3
# TYPE shop:orders:rate5m gauge
shop:orders:rate5m 0.1
# TYPE shop_cart_bytes gauge
shop_cart_bytes 100
# TYPE up gauge
up 1
"""


def test_namespace_is_the_most_common_first_segment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(TWO_PREFIXES)
    assert main(["import", "--metrics-file", "e.prom", "--output", "c.yaml"]) == 0
    assert capsys.readouterr().err == (
        "e.prom: no `_created` series and no OpenTelemetry scope labels: taking path `otel-python`, which predicts "
        "the same names without `_created`\n"
        "e.prom:1: left out 2 families outside namespace `shop`: `db_pool_size`, `up`; pass --namespace to choose "
        "another\n"
        "e.prom:5: left out `shop:orders:rate5m`: a name with `:` is a recording rule's, not an instrument's\n")
    lc = load_contract("c.yaml")
    assert (lc.contract.service, lc.contract.namespace) == ("shop", "shop")
    # the unit comes from the name's unit word
    assert [(m.name, m.type, m.unit) for m in lc.contract.metrics] == [("shop_orders", "counter", ""),
                                                                      ("shop_cart_bytes", "gauge", "By")]
    assert check_contract(lc) == []


def test_the_clients_own_metrics_do_not_choose_the_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """prometheus_client's process_ and python_ metrics outnumber a small service's own."""
    from prometheus_client import CollectorRegistry, Counter, generate_latest
    from prometheus_client.gc_collector import GCCollector
    from prometheus_client.platform_collector import PlatformCollector
    from prometheus_client.process_collector import ProcessCollector

    monkeypatch.chdir(tmp_path)
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    Counter("shop_orders", "Orders placed", registry=registry).inc()
    (tmp_path / "e.prom").write_bytes(generate_latest(registry))
    assert main(["import", "--metrics-file", "e.prom"]) == 0
    out, err = capsys.readouterr()
    assert [m.name for m in load_contract("c.yaml", out.encode()).contract.metrics] == ["shop_orders"]
    [line] = err.splitlines()
    head, _, names = line.partition(": `")
    left = ("`" + names.removesuffix("; pass --namespace to choose another")).split(", ")
    assert head == f"e.prom:1: left out {len(left)} families outside namespace `shop`"
    assert len(left) >= 8 and all(name.startswith(("`process_", "`python_")) for name in left)


COLLIDING = """\
# HELP app_wait_seconds Wait
# TYPE app_wait_seconds histogram
app_wait_seconds_bucket{le="1.0"} 1.0
app_wait_seconds_bucket{le="+Inf"} 1.0
app_wait_seconds_count 1.0
app_wait_seconds_sum 0.5
# HELP app_wait_seconds_count Waits counted by hand
# TYPE app_wait_seconds_count gauge
app_wait_seconds_count 3.0
"""


@pytest.mark.parametrize("output", [True, False])
def test_a_contract_that_does_not_validate_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], output: bool) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(COLLIDING)
    argv = ["import", "--metrics-file", "e.prom"] + (["--output", "c.yaml"] if output else [])
    assert main(argv) == 1
    shown = "c.yaml" if output else "<stdout>"
    assert capsys.readouterr() == ("", (
        "e.prom: no `_created` series and no OpenTelemetry scope labels: taking path `otel-python`, which predicts "
        "the same names without `_created`\n"
        f"{shown}:13:11: error[contract/collision]: `app_wait_seconds_count` and `app_wait_seconds` both yield "
        "series `app_wait_seconds_count` on prometheus-client\n"
        "nothing written: the imported contract does not validate\n"))
    assert sorted(os.listdir(tmp_path)) == ["e.prom"]


def test_no_metric_left_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.prom").write_text(COLLIDING)
    assert main(["import", "--metrics-file", "e.prom", "--namespace", "shop", "--output", "c.yaml"]) == 1
    out, err = capsys.readouterr()
    skipped, first, problem, last = err.splitlines()
    # every family outside the namespace asked for is named, never dropped silently
    assert skipped == ("e.prom:1: left out 2 families outside namespace `shop`: `app_wait_seconds`, "
                       "`app_wait_seconds_count`")
    assert (out, first, last) == ("", "e.prom: no metrics found in namespace `shop`",
                                  "nothing written: the imported contract does not validate")
    assert problem.startswith("c.yaml:7:10: error[contract/schema]: ")   # the wording is the loader's
    assert sorted(os.listdir(tmp_path)) == ["e.prom"]
