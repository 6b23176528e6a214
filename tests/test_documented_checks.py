"""Every check the README's check tables document is done: one row per id, run through the command that reports it.

The ids and severities come from README.md itself (its "Contract checks" and "PromQL checks" tables), not from
the code, so a check documented but not implemented (or implemented with another severity) is a failing row:
fix the check, not the test. Each row has bad examples, each of which must report that id at that severity
(and no other id), and a good example, which must be clean. Contract checks run through `validate`, PromQL
checks through `check CONTRACT FILE`, and the out-dir checks through `generate` then `check`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from generators.cli import main
from tests.conftest import APP_CONTRACT_FULL, MINIMAL, ROOT
from tests.test_contract_checks import BARE, CASES, EVENT_CHECKS

# a small service's contract, with a labelled counter and a histogram for the checks that need them
CONTRACT = APP_CONTRACT_FULL

# a histogram on a path that only Prometheus 3 serves, and on one it scrapes
PROMETHEUS3_CONTRACT = """\
contract: 1
service: app
namespace: app
scrape_interval: 15s
exposition: [prometheus-client, prometheus-otlp]
metrics:
  - {name: app_latency_seconds, type: histogram, unit: s, help: l, buckets: [0.1, 1.0]}
events: []
"""

# a native histogram beside a classic one
NATIVE_CONTRACT = CONTRACT.replace("events: []\n", """\
  - {name: app_gc_seconds, type: native_histogram, unit: s, help: g}
events: []
""")

_TABLE_ROW = re.compile(r"^\| `([a-z]+/[a-z0-9-]+)` \| (error|warning|info) \| ")


def documented() -> dict[str, str]:
    """id -> severity of every row of the README's two check tables."""
    rows: dict[str, str] = {}
    section = ""
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            section = line
        elif section in ("### Contract checks", "### PromQL checks") and (m := _TABLE_ROW.match(line)):
            rows[m.group(1)] = m.group(2)
    return rows


class Example(NamedTuple):
    """A PromQL expression as a rule file or a dashboard panel gives it."""

    expr: str
    legend: str = ""      # a panel target's legendFormat
    record: str = ""      # a recording rule's name (else an alerting rule)
    panel: bool = False   # a dashboard panel (else a rule file)


class Row(NamedTuple):
    bad: tuple[Example, ...]
    good: Example
    contract: str = ""     # the contract, when the row needs another than CONTRACT


DEEP = "(" * 200 + "app_temp" + ")" * 200

PROMQL_ROWS: dict[str, Row] = {
    "promql/syntax": Row((Example("sum(app_temp"), Example("rate(app_requests_total[5m]) +")),
                         Example("sum(app_temp)")),
    "promql/too-complex": Row((Example(DEEP),), Example("((app_temp))")),
    "promql/unknown-metric": Row((Example("app_tmp"), Example("app_requests")), Example("app_temp")),
    "promql/unknown-label": Row((Example('app_temp{nosuch="x"}'),), Example('app_temp{job="x"}')),
    "promql/label-value": Row((Example('rate(app_calls_total{code="404"}[5m])'),),
                              Example('rate(app_calls_total{code="500"}[5m])')),
    "promql/grouping-label": Row((Example("sum by (nosuch) (app_temp)"),
                                  Example("app_temp / ignoring(nosuch) app_temp"),
                                  Example("app_temp / on(nosuch) app_temp"),
                                  Example("rate(app_calls_total[5m]) * on(job) group_left(nosuch) app_temp")),
                                 Example("sum by (job) (app_temp) / ignoring(code) sum by (job, code) "
                                         "(rate(app_calls_total[5m]))")),
    "promql/vector-matching": Row((Example("sum by (job) (app_temp) / sum(app_temp)"),
                                   Example("sum by (job) (rate(app_calls_total[5m])) > sum by (code) "
                                           "(rate(app_calls_total[5m]))"),
                                   Example("app_temp unless sum by (job) (app_temp)")),
                                  Example("sum by (job) (app_temp) / on(job) group_left sum by (job, code) "
                                          "(rate(app_calls_total[5m]))")),
    "promql/result-type": Row((Example("app_temp[5m]"), Example('"app"', panel=True),
                               Example("max_over_time(app_temp[5m])[10m:1m]", panel=True)),
                              Example("max_over_time(app_temp[5m])", panel=True)),
    "promql/native-histogram": Row((Example("histogram_count(rate(app_latency_seconds_bucket[5m]))"),
                                    Example("histogram_sum(app_temp)")),
                                   Example("histogram_count(rate(app_gc_seconds[5m]))"), contract=NATIVE_CONTRACT),
    "promql/legend-label": Row((Example("sum by (job) (app_temp)", legend="{{nosuch}}", panel=True),),
                               Example("sum by (job) (app_temp)", legend="{{job}}", panel=True)),
    "promql/rate-on-gauge": Row(tuple(Example(e) for e in (
        "rate(app_temp[5m])", "increase(app_temp[5m])", "irate(app_temp[5m])", "resets(app_temp[5m])",
        "deriv(app_requests_total[5m])", "delta(app_requests_total[5m])", "idelta(app_requests_total[5m])",
        "predict_linear(app_requests_total[5m], 60)", "rate(sum(app_temp)[5m:])")),
        Example("deriv(app_temp[5m]) + rate(app_requests_total[5m])")),
    "promql/counter-without-rate": Row((Example("app_requests_total", panel=True),),
                                       Example("rate(app_requests_total[5m])", panel=True)),
    "promql/quantile-without-le": Row((Example("histogram_quantile(0.9, sum(rate(app_latency_seconds_bucket[5m])))"),
                                       Example("histogram_quantile(0.9, rate(app_latency_seconds_count[5m]))"),
                                       Example("histogram_fraction(0, 0.5, "
                                               "sum(rate(app_latency_seconds_bucket[5m])))")),
                                      Example("histogram_quantile(0.9, sum by (le) "
                                              "(rate(app_latency_seconds_bucket[5m])))")),
    "promql/rate-window": Row((Example("rate(app_requests_total[20s])"),), Example("rate(app_requests_total[1m])")),
    # an error when a path only Prometheus 3 holds is declared (the documented severity), else a warning
    "promql/le-normalized": Row((Example('rate(app_latency_seconds_bucket{le="1"}[5m])'),
                                 Example('rate(app_latency_seconds_bucket{le="0.10"}[5m])')),
                                Example('rate(app_latency_seconds_bucket{le="+Inf"}[5m])'),
                                contract=PROMETHEUS3_CONTRACT),
    "promql/utf8-name": Row((Example('{"app_temp"}'), Example('sum by ("job") (app_temp)')), Example("app_temp")),
    "rules/name-convention": Row((Example("sum(rate(app_requests_total[5m]))", record="app_requests_rate"),),
                                 Example("sum(rate(app_requests_total[5m]))", record="job:app_requests:rate5m")),
    "rules/invalid": Row((Example("", record="job:app_temp:max"),),
                         Example("max by (job) (app_temp)", record="job:app_temp:max")),
}

# the checks `check` runs over an out dir `generate` wrote; each bad example edits it (old -> new in a file)
OUT_DIR_ROWS = {"check/stale-output", "check/unused-metric"}

# the checks of a dashboard's variables, each with a test of its own
VARIABLE_ROWS = {"promql/untried-values"}

# contract checks reported while the contract loads: bad input, exit 2 (edits of CONTRACT)
LOAD_ROWS = {
    "contract/schema": ("exposition: [prometheus-client]", "exposition: [prometheus-clients]"),
    "contract/shape": ("contract: 1\n", ""),
}


def test_every_documented_check_has_a_row() -> None:
    ids = set(documented())
    assert len(ids) >= 30   # the tables were found
    covered = set(PROMQL_ROWS) | OUT_DIR_ROWS | VARIABLE_ROWS | set(LOAD_ROWS) | set(CASES)
    assert sorted(ids - covered) == []


def _documented(check_id: str) -> str:
    """The README's severity of `check_id`; a row ahead of the README (a new check, its table not yet regenerated
    with `UPDATE_README=1`) is skipped, and tests/test_rules_doc.py fails meanwhile."""
    severity = documented().get(check_id)
    if severity is None:
        pytest.skip(f"`{check_id}` is not in the README's check tables yet")
    return severity


def _reported(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    """(id, severity) of every problem the command reports, from `--format json` or the bad-input lines."""
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr()
    if code == 2:   # bad input: the problems are on stderr, in the format asked for
        return [(p["check"], p["severity"]) for p in json.loads(out.err)["problems"]]
    assert code == (1 if '"severity": "error"' in out.out else 0), out.out
    return [(p["check"], p["severity"]) for p in json.loads(out.out)["problems"]]


def _contract_rows() -> list[str]:
    return sorted(set(CASES) | set(LOAD_ROWS))


@pytest.mark.parametrize("check_id", _contract_rows())
def test_contract_check(check_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    severity = _documented(check_id)
    monkeypatch.chdir(tmp_path)
    if check_id in LOAD_ROWS:
        base, good, bad = CONTRACT, ("\n", "\n"), LOAD_ROWS[check_id]
    else:
        base = MINIMAL if check_id in EVENT_CHECKS else BARE
        good, bad, _ = CASES[check_id]
    for (old, new), expected in ((good, []), (bad, [check_id])):
        assert old in base
        Path("c.yaml").write_text(base.replace(old, new, 1))
        got = _reported(["validate", "c.yaml"], capsys)
        assert check_id in {i for i, _ in got} if expected else got == []
        if expected:
            assert {s for i, s in got if i == check_id} == {severity}


def _rule_file(example: Example) -> str:
    kind = f"record: {json.dumps(example.record)}" if example.record else "alert: A"
    return f"groups:\n  - name: g\n    rules:\n      - {kind}\n        expr: {json.dumps(example.expr)}\n"


def _dashboard(example: Example) -> str:
    target = {"refId": "A", "expr": example.expr, "legendFormat": example.legend}
    return json.dumps({"panels": [{"id": 1, "title": "P", "type": "timeseries", "targets": [target]}]}, indent=2)


def _check_example(example: Example, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str]]:
    name = "d.json" if example.panel else "r.yml"
    Path(name).write_text(_dashboard(example) if example.panel else _rule_file(example))
    return _reported(["check", "c.yaml", name], capsys)


@pytest.mark.parametrize("check_id", sorted(PROMQL_ROWS))
def test_promql_check(check_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    severity = _documented(check_id)
    monkeypatch.chdir(tmp_path)
    row = PROMQL_ROWS[check_id]
    Path("c.yaml").write_text(row.contract or CONTRACT)
    assert _check_example(row.good, capsys) == [], row.good
    for example in row.bad:
        got = _check_example(example, capsys)
        assert got and set(got) == {(check_id, severity)}, (example, got)


def _generated(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    capsys.readouterr()


def test_stale_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(CONTRACT)
    _generated(capsys)
    assert _reported(["check", "c.yaml", "--out", "out"], capsys) == []
    rules = Path("out/prometheus/rules.yml")
    rules.write_text(rules.read_text() + "# edited by hand\n")
    assert set(_reported(["check", "c.yaml", "--out", "out"], capsys)) == {
        ("check/stale-output", _documented("check/stale-output"))}


def test_unused_metric(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(CONTRACT)
    _generated(capsys)
    assert _reported(["check", "c.yaml", "--out", "out"], capsys) == []
    # a metric added after generating: no panel or rule queries it (the outputs are stale too, not judged here)
    Path("c.yaml").write_text(CONTRACT.replace("events: []", '  - {name: app_spare, type: gauge, unit: "1", help: s}\n'
                                               "events: []"))
    Path("pyproject.toml").write_text('[tool.metrics-contract]\nignore = ["check/stale-output"]\n')
    assert set(_reported(["check", "c.yaml", "--out", "out"], capsys)) == {
        ("check/unused-metric", _documented("check/unused-metric"))}



def test_untried_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("c.yaml").write_text(CONTRACT)

    def board(values: int) -> str:
        variable = {"name": "w", "type": "custom", "query": ",".join(f"{s}s" for s in range(60, 60 + values))}
        target = {"refId": "A", "expr": "rate(app_requests_total[$w])"}
        return json.dumps({"panels": [{"id": 1, "title": "P", "type": "timeseries", "targets": [target]}],
                           "templating": {"list": [variable]}})

    Path("d.json").write_text(board(1000))
    assert _reported(["check", "c.yaml", "d.json"], capsys) == []
    Path("d.json").write_text(board(1001))
    assert set(_reported(["check", "c.yaml", "d.json"], capsys)) == {
        ("promql/untried-values", _documented("promql/untried-values"))}
