"""Bad `alerts:` and `slos:` input: one located line on stderr, exit 2, nothing written.

Each row is MINIMAL with an `alerts:` or `slos:` section (starting on line 24) that the contract model refuses;
`generate` must fail with exactly that line, no traceback, and leave the directory as it was. A Python
dashboard naming an SLO the contract lacks is refused the same way, at its line. The nesting case runs the CLI
in a subprocess: it must be refused before the YAML parser could overflow the C stack.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL
from tests.test_bad_input import LINE

LATENCY = "sli: {latency: {metric: svc_latency_seconds, threshold: 1.0}}"

CASES: dict[str, tuple[str, str]] = {
    "objective-100": (
        f"slos:\n  - {{name: a, objective: 100, {LATENCY}}}\n",
        "c.yaml:24:26: error[contract/schema]: `objective` of item 1 of `slos` must be less than 100.0, not `100`"),
    "objective-rounds-to-100": (
        f"slos:\n  - {{name: a, objective: 99.99999999999999999, {LATENCY}}}\n",
        "c.yaml:24:26: error[contract/schema]: `objective` of item 1 of `slos` must be less than 100.0, not "
        "`99.99999999999999999`"),
    "no-objective": (
        f"slos:\n  - {{name: a, {LATENCY}}}\n",
        "c.yaml:24:5: error[contract/schema]: item 1 of `slos` needs `objective` (a number)"),
    "two-slis": (
        "slos:\n  - {name: a, objective: 99, sli: {latency: {metric: svc_latency_seconds, threshold: 1.0}, "
        "events: {error_query: {metric: svc_requests}, total_query: {metric: svc_requests}}}}\n",
        "c.yaml:24:35: error[contract/schema]: `sli` of item 1 of `slos`: an SLI takes exactly one of `events` or "
        "`latency`"),
    "slo-name": (
        f"slos:\n  - {{name: 'a b', objective: 99, {LATENCY}}}\n",
        "c.yaml:24:12: error[contract/schema]: `name` of item 1 of `slos`: `a b` is not an SLO name: letters, "
        "digits, `_`, `.` and `-`, at most 63, starting with a letter or digit"),
    "infinite-threshold": (
        "slos:\n  - {name: a, objective: 99, sli: {latency: {metric: svc_latency_seconds, threshold: 1e400}}}\n",
        "c.yaml:24:86: error[contract/schema]: `threshold` of `latency` of `sli` of item 1 of `slos` must be a finite "
        "number, not `1e400`"),
    "query-as-promql": (
        "slos:\n  - {name: a, objective: 99, sli: {events: {error_query: svc_requests, "
        "total_query: {metric: svc_requests}}}}\n",
        "c.yaml:24:58: error[contract/schema]: `error_query` of `events` of `sli` of item 1 of `slos` must be a "
        "mapping with `metric`, not `svc_requests`"),
    "alerts-list": (
        "alerts:\n  - target_down\n",
        "c.yaml:24:3: error[contract/schema]: `alerts` must be a mapping, not a list"),
    "above-and-below": (
        "alerts:\n  thresholds:\n    - {alert: A, query: rate, metric: svc_requests, above: 1, below: 2}\n",
        "c.yaml:25:7: error[contract/schema]: item 1 of `thresholds` of `alerts`: a threshold alert takes exactly one "
        "of `above` or `below`"),
    "query-kind": (
        "alerts:\n  thresholds:\n    - {alert: A, query: median, metric: svc_requests, above: 1}\n",
        "c.yaml:25:25: error[contract/schema]: `median` is not a valid `query` of item 1 of `thresholds` of `alerts` "
        "(known: rate, ratio, quantile)"),
    "quantile-missing": (
        "alerts:\n  thresholds:\n    - {alert: A, query: quantile, metric: svc_latency_seconds, above: 1}\n",
        "c.yaml:25:7: error[contract/schema]: item 1 of `thresholds` of `alerts`: `quantile` is required by "
        "`query: quantile`, and applies to it only"),
    "of-on-a-rate": (
        "alerts:\n  thresholds:\n    - {alert: A, query: rate, metric: svc_requests, of: {metric: svc_requests}, "
        "above: 1}\n",
        "c.yaml:25:7: error[contract/schema]: item 1 of `thresholds` of `alerts`: `of` applies to `query: ratio` only"),
    "empty-match-value": (
        "alerts:\n  thresholds:\n    - {alert: A, query: rate, metric: svc_requests, match: {code: ''}, above: 1}\n",
        "c.yaml:25:60: error[contract/schema]: `match` of item 1 of `thresholds` of `alerts`: label `code` cannot "
        "match an empty value (a series without the label)"),
    "infinite-above": (
        "alerts:\n  thresholds:\n    - {alert: A, query: rate, metric: svc_requests, above: .inf}\n",
        "c.yaml:25:60: error[contract/schema]: `above` of item 1 of `thresholds` of `alerts` must be a finite number, "
        "not `.inf`"),
    "for-not-a-duration": (
        "alerts:\n  target_down: {for: soon}\n",
        "c.yaml:24:22: error[contract/schema]: `for` of `target_down` of `alerts`: `soon` is not a duration like 15s, "
        "500ms, 1m or 1h30m"),
    "window-over-a-week": (
        "alerts:\n  metrics_stopped: {window: 200h}\n",
        "c.yaml:24:29: error[contract/schema]: `window` of `metrics_stopped` of `alerts`: `200h` is longer than a "
        "week (168h), the longest alert window or `for` here"),
    "unknown-key": (
        "alerts:\n  thresholds:\n    - {alert: A, query: rate, metric: svc_requests, above: 1, severity: page}\n",
        "c.yaml:25:63: error[contract/schema]: unknown key `severity` in item 1 of `thresholds` of `alerts` (known: "
        "labels, annotations, alert, query, metric, match, of, quantile, by, window, above, below, for)"),
}


def _tree(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in root.rglob("*")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_alerts_and_slos(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    section, expected = CASES[name]
    (tmp_path / "c.yaml").write_text(MINIMAL + section, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main(["generate", "c.yaml", "--out", "out"]) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert "Traceback" not in out.err + out.out
    assert out.err == expected + "\n"
    assert _tree(tmp_path) == before


def test_a_dashboard_naming_an_unknown_slo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text(MINIMAL + f"slos:\n  - {{name: fast, objective: 99, {LATENCY}}}\n",
                                     encoding="utf-8")
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "b.py").write_text(
        "from dashboards import lib\n\nDASHBOARD = lib.dashboard(\n"
        "    'T', uid='t', tags=(), job_metric='svc_requests',\n"
        "    rows=(lib.row('R', (lib.timeseries('P', *lib.burn_rates('slow')),)),),\n)\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\nout = "out"\n'
                                             'dashboards = ["boards/b.py"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    assert main(["generate"]) == 2
    out = capsys.readouterr()
    assert out.err == ('boards/b.py:5: error[dashboard/unknown-slo]: panel "P" shows SLO `slow`, which is not in '
                       "the contract's `slos:`\n")
    assert _tree(tmp_path) == before


def test_deeply_nested_slos_cannot_crash_the_interpreter(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(MINIMAL + "slos: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "generators", "generate", "c.yaml", "--out", "out"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr == "c.yaml:23:71: error[input/too-deep]: nesting deeper than 64 levels\n"
    assert not (tmp_path / "out").exists()
