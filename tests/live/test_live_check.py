"""`metrics-contract live-check` against the live stack of `conftest.live`.

Six targets: each row's /metrics endpoint (prometheus_client, the real
Collector's `prometheus` exporter, the OpenTelemetry SDK's own
`PrometheusMetricReader`) and Prometheus' view of each row's scrape job.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.live import compare as live_check
from contract.live.exposition import fetch_exposition
from contract.loader import load_contract
from generators import cli
from tests.conftest import QORTEX_CONTRACT
from tests.live.conftest import LiveStack

pytestmark = pytest.mark.live

ROWS = ("prometheus-client", "otel-collector", "otel-python")
TARGETS = tuple(f"{path}-{kind}" for path in ROWS for kind in ("metrics-url", "prometheus-job"))


def _path(target: str) -> str:
    return target.rsplit("-", 2)[0]


def _args(stack: LiveStack, target: str) -> list[str]:
    row = stack.row(_path(target))
    if target.endswith("metrics-url"):
        return ["--metrics-url", row.url]
    return ["--prometheus", stack.prometheus.url, "--job", row.job]


def _source(stack: LiveStack, target: str) -> str:
    """How live-check names the target in its problem lines."""
    args = _args(stack, target)
    return args[1] if args[0] == "--metrics-url" else f"{args[1]} (job {args[3]})"


def _live_check(capsys: pytest.CaptureFixture[str], contract: Path, args: list[str]) -> tuple[int, list[str]]:
    code = cli.main(["live-check", str(contract), *args])
    out, err = capsys.readouterr()
    assert err == ""
    return code, out.splitlines()


@pytest.mark.parametrize("target", TARGETS)
def test_live_check_is_clean(live: LiveStack, capsys: pytest.CaptureFixture[str], target: str) -> None:
    assert _live_check(capsys, QORTEX_CONTRACT, _args(live, target)) == (0, [])


@pytest.mark.parametrize(("target", "path"), [(target, _path(target)) for target in TARGETS])
def test_exposition_path_is_guessed(live: LiveStack, target: str, path: str) -> None:
    args = _args(live, target)
    if args[0] == "--metrics-url":
        text, openmetrics = fetch_exposition(args[1])
        found = live_check.from_exposition(text, args[1], None, openmetrics)
    else:
        found = live_check.from_prometheus(args[1], args[3], load_contract(str(QORTEX_CONTRACT)).contract, None)
    assert found.path == path


def _first_sample_line(url: str, series: str) -> int:
    """The line of a series in the answer live-check reads (OpenMetrics where the endpoint speaks it)."""
    lines = fetch_exposition(url)[0].split("\n")
    return next(n for n, line in enumerate(lines, 1) if re.match(rf"{series}[{{ ]", line))


@pytest.mark.parametrize("target", TARGETS)
def test_renamed_metric_is_missing_and_old_names_undeclared(live: LiveStack, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path, target: str) -> None:
    text, renamed = re.subn(r"\bqortex_queries\b", "qortex_searches", QORTEX_CONTRACT.read_text(encoding="utf-8"))
    assert renamed == 5  # the metric, its event op, the SLO that counts it and two comments about it
    contract = tmp_path / "renamed.yaml"
    contract.write_text(text, encoding="utf-8")
    number, line = next((n, line) for n, line in enumerate(text.split("\n"), 1) if "name: qortex_searches" in line)
    column = line.index("qortex_searches") + 1
    source = _source(live, target)
    old_names = ["qortex_queries_total"]
    if target.startswith("prometheus-client-"):
        old_names.append("qortex_queries_created")   # prometheus_client's creation time series

    def where(series: str) -> str:
        # a /metrics endpoint locates the series' first line; Prometheus has no lines
        return f"{source}:{_first_sample_line(source, series)}" if target.endswith("metrics-url") else source

    expected = [f"{contract}:{number}:{column}: error[live/missing-metric]: `qortex_searches` "
                f"(qortex_searches_total) is not exposed by {source}"]
    expected += [f"{where(name)}: error[live/undeclared-metric]: `{name}` is exposed but not declared in the contract"
                 for name in old_names]

    code, lines = _live_check(capsys, contract, _args(live, target))

    assert (code, sorted(lines)) == (1, sorted(expected))
