"""What a newcomer's mistakes in a contract are told: one sentence each, located, with the fix where one is known.

Schema mistakes are bad input: exit 2 and exactly one located line on
stderr, from every command that reads the contract, and nothing written.
Contract findings about names and units are problems of `validate`: exit 1
(or 0 for a warning) with the line on stdout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import MINIMAL
from tests.test_bad_input import LINE

ONE_METRIC = MINIMAL[:MINIMAL.index("  - name: svc_latency_seconds")] + """\
events:
  - event: Done
    ops:
      - {metric: svc_requests, add: 1, labels: {code: {field: code}}}
"""

# case -> (contract text, the line after `c.yaml:`)
SCHEMA: dict[str, tuple[str, str]] = {
    "label-as-string": (
        ONE_METRIC.replace('    labels:\n      - name: code\n        values: ["200", "500"]\n', "    labels: [code]\n"),
        "10:14: error[contract/schema]: metric `svc_requests` label 1 is `code`; labels are mappings like "
        "`{name: code}`"),
    "labels-not-a-list": (
        ONE_METRIC.replace('    labels:\n      - name: code\n        values: ["200", "500"]\n', "    labels: code\n"),
        "10:13: error[contract/schema]: `labels` of metric `svc_requests` must be a list of mappings like "
        "`{name: mode}`, not `code`"),
    "exposition-typo": (
        MINIMAL.replace("exposition: [prometheus-client, otel-collector]", "exposition: [prometheus]"),
        "4:14: error[contract/schema]: `prometheus` is not an exposition path; did you mean `prometheus-otlp`? "
        "(known: prometheus-client, otel-python, otel-collector, otel-collector-remote-write, prometheus-otlp, "
        "prometheus-otlp:UnderscoreEscapingWithoutSuffixes, prometheus-otlp:NoUTF8EscapingWithSuffixes, "
        "prometheus-otlp:NoTranslation)"),
    "exposition-not-a-list": (
        MINIMAL.replace("exposition: [prometheus-client, otel-collector]", "exposition: otel-python"),
        "4:13: error[contract/schema]: `exposition` must be a list of names among prometheus-client, otel-python, "
        "otel-collector, otel-collector-remote-write, prometheus-otlp, "
        "prometheus-otlp:UnderscoreEscapingWithoutSuffixes, prometheus-otlp:NoUTF8EscapingWithSuffixes and "
        "prometheus-otlp:NoTranslation, not `otel-python`; a list of one is written `[otel-python]`"),
    "type-typo": (
        MINIMAL.replace("type: counter", "type: count"),
        "7:11: error[contract/schema]: `count` is not a metric type; did you mean `counter`? (known: counter, "
        "updowncounter, gauge, histogram, summary, untyped, info, stateset, native_histogram)"),
    "unknown-type": (
        MINIMAL.replace("type: histogram", "type: timer"),
        "14:11: error[contract/schema]: `timer` is not a metric type (known: counter, updowncounter, gauge, "
        "histogram, summary, untyped, info, stateset, native_histogram)"),
    "buckets-word": (
        MINIMAL.replace("buckets: [0.1, 1.0]", "buckets: fast"),
        "17:14: error[contract/schema]: `buckets` of metric `svc_latency_seconds` must be a list of numbers, "
        "not `fast`"),
    "bucket-not-a-number": (
        MINIMAL.replace("buckets: [0.1, 1.0]", "buckets: [0.1, one]"),
        "17:20: error[contract/schema]: bucket 2 of metric `svc_latency_seconds` must be a number, not `one`"),
    "help-number": (
        MINIMAL.replace("help: Requests", "help: 3"),
        "9:11: error[contract/schema]: `help` of metric `svc_requests` must be a string, not the number `3`; "
        'quote it: `"3"`'),
    "unit-1-unquoted": (
        MINIMAL.replace('unit: "{request}"', "unit: 1"),
        "8:11: error[contract/schema]: `unit` of metric `svc_requests` must be a string, not the number `1`; "
        'quote it: `"1"`'),
    "label-value-boolean": (
        MINIMAL.replace('values: ["200", "500"]', 'values: ["200", yes]'),
        "12:25: error[contract/schema]: value 2 of metric `svc_requests` label `code` must be a string, not the "
        'boolean `yes`; quote it: `"yes"`'),
    "missing-unit": (
        MINIMAL.replace('    unit: "{request}"\n', ""),
        "6:5: error[contract/schema]: metric `svc_requests` needs `unit` (an OpenTelemetry unit such as `s`, `By`, "
        "`1` or `{request}`)"),
    "missing-type": (
        MINIMAL.replace("    type: histogram\n", ""),
        "13:5: error[contract/schema]: metric `svc_latency_seconds` needs `type` (one of counter, updowncounter, "
        "gauge, histogram, summary, untyped, info, stateset, native_histogram)"),
    "unknown-key-typo": (
        MINIMAL.replace("    labels:\n", "    lable:\n"),
        "10:5: error[contract/schema]: unknown key `lable` in metric `svc_requests`; did you mean `labels`?"),
    "unknown-key": (
        MINIMAL.replace("    unit: s\n", "    unit: s\n    colour: red\n"),
        "16:5: error[contract/schema]: unknown key `colour` in metric `svc_latency_seconds` (known: name, type, "
        "unit, help, labels, buckets, renamed_from, max_series, group, semconv, required)"),
    "unknown-top-key": (
        MINIMAL.replace("namespace: svc\n", "namespace: svc\nnamspace: other\n"),
        "4:1: error[contract/schema]: unknown key `namspace` in the contract; did you mean `namespace`?"),
    "event-key-typo": (
        MINIMAL.replace("  - event: Done\n", "  - evnt: Done\n"),
        "19:5: error[contract/schema]: unknown key `evnt` in event 1; did you mean `event`?"),
    "op-value-word": (
        MINIMAL.replace("add: 1,", "add: one,"),
        "21:37: error[contract/schema]: `add` of event `Done` op 1 must be a number or a mapping like "
        "`{field: latency_ms, scale: 0.001}`, not `one`"),
    "op-label-source": (
        MINIMAL.replace("{code: {field: code}}", "{code: code}"),
        "21:55: error[contract/schema]: event `Done` op 1 label `code` must be a mapping like `{field: mode}` or "
        "`{value: vec}`, not `code`"),
    "op-value-nan": (
        MINIMAL.replace("add: 1,", "add: .nan,"),
        "21:37: error[contract/schema]: `add` of event `Done` op 1 must be a finite number, not `.nan`"),
    "op-scale-infinite": (
        MINIMAL.replace("add: 1,", "add: {field: n, scale: -.inf},"),
        "21:55: error[contract/schema]: `scale` of `add` of event `Done` op 1 must be a finite number, not `-.inf`"),
    "two-operations": (
        MINIMAL.replace("add: 1, labels", "add: 1, set: 2, labels"),
        "21:9: error[contract/schema]: event `Done` op 1: an op takes exactly one of `add`, `record` or `set`"),
    "budget-zero": (
        MINIMAL.replace("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    max_series: 0\n"),
        "18:17: error[contract/schema]: `max_series` of metric `svc_latency_seconds` must be at least 1, not `0`"),
    "port-too-high": (
        MINIMAL + "stack: {grafana_port: 70000}\n",
        "23:23: error[contract/schema]: `grafana_port` of `stack` must be at most 65535, not `70000`"),
    "contract-version": (
        MINIMAL.replace("contract: 1", "contract: 2"),
        "1:11: error[contract/schema]: `2` is not a contract version (known: 1)"),
    "contract-version-quoted": (
        MINIMAL.replace("contract: 1", 'contract: "1"'),
        '1:11: error[contract/schema]: `contract` must be `1`, not the string `"1"`'),
    "type-as-list": (
        MINIMAL.replace("type: counter", "type: [counter]"),
        "7:11: error[contract/schema]: `type` of metric `svc_requests` must be one of counter, updowncounter, gauge, "
        "histogram, summary, untyped, info, stateset, native_histogram, not a list"),
    "empty-service": (
        MINIMAL.replace("service: svc", 'service: ""'),
        "2:10: error[contract/schema]: `service` must not be empty"),
    "metric-as-string": (
        MINIMAL.replace("metrics:\n", "metrics:\n  - svc_other\n"),
        "6:5: error[contract/schema]: metric 1 must be a mapping with `name`, `type`, `unit` and `help`, "
        "not `svc_other`"),
}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("command", ["validate", "names", "generate"])
@pytest.mark.parametrize("case", sorted(SCHEMA))
def test_schema_mistake_is_one_sentence(case: str, command: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    text, expected = SCHEMA[case]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    before = _tree(tmp_path)
    assert main([command, "c.yaml", *(["--out", "out"] if command == "generate" else [])]) == 2
    out = capsys.readouterr()
    assert LINE.match(out.err), out.err
    assert out.err == f"c.yaml:{expected}\n"
    assert out.out == ""
    assert "Traceback" not in out.err
    assert _tree(tmp_path) == before


def test_every_bad_label_is_told_and_nothing_else(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # pydantic also finds `metrics` "too short after validation" once its only metric failed: not reported
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(ONE_METRIC.replace(
        '    labels:\n      - name: code\n        values: ["200", "500"]\n', "    labels: [method, status]\n"),
        encoding="utf-8")
    assert main(["validate", "c.yaml"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "c.yaml:10:14: error[contract/schema]: metric `svc_requests` label 1 is `method`; labels are mappings like "
        "`{name: method}`\n"
        "c.yaml:10:22: error[contract/schema]: metric `svc_requests` label 2 is `status`; labels are mappings like "
        "`{name: status}`\n")
    assert all(LINE.match(line + "\n") for line in err.splitlines())


# findings of `validate`: (edit of MINIMAL, exit code, stdout lines after `c.yaml:`)
FINDINGS: dict[str, tuple[tuple[str, str], int, list[str]]] = {
    "gauge-unit-1-through-the-collector": (
        ("  - name: svc_latency_seconds\n", "  - name: svc_up\n    type: gauge\n    unit: \"1\"\n    help: Up\n"
         "  - name: svc_latency_seconds\n"), 1,
        ["13:11: error[contract/path-divergence]: `svc_up` is exposed as `svc_up` on prometheus-client but as "
         "`svc_up_ratio` on otel-collector; the Collector appends `_ratio` to gauges of unit `1`: name it "
         "`svc_up_ratio` (exposed as `svc_up_ratio` everywhere) or declare unit `{ratio}` (exposed as `svc_up` "
         "everywhere)"]),
    "milliseconds-in-a-seconds-name": (
        ("unit: s\n", "unit: ms\n"), 1,
        ["15:11: error[contract/unit-suffix]: `svc_latency_seconds` ends in `_seconds` but its unit is `ms`; "
         "declare unit `s`, record its field with `scale: 0.001` and give its buckets in seconds"]),
    "milliseconds": (
        ("svc_latency_seconds\n    type: histogram\n    unit: s\n", "svc_latency_ms\n    type: histogram\n"
         "    unit: ms\n"), 0,
        ["15:11: warning[contract/unit-suffix]: `svc_latency_ms` has unit `ms`, but OpenTelemetry and Prometheus "
         "measure durations in seconds; declare unit `s`, name it `svc_latency_seconds`, record its field with "
         "`scale: 0.001` and give its buckets in seconds"]),
    "dotted-outside-the-namespace": (
        ("name: svc_requests\n", "name: http.server.requests\n"), 1,
        ["6:11: error[contract/namespace]: metric `http.server.requests` is outside namespace `svc`; start it with "
         "`svc.`, or mark it `semconv: true` if an OpenTelemetry semantic convention defines it"]),
}


@pytest.mark.parametrize("case", sorted(FINDINGS))
def test_finding_tells_the_fix(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    (old, new), code, expected = FINDINGS[case]
    assert old in MINIMAL
    # without events, a renamed metric is not also an unknown metric of an op
    text = MINIMAL[:MINIMAL.index("events:")].replace(old, new, 1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(text, encoding="utf-8")
    assert main(["validate", "c.yaml"]) == code
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.splitlines() == [f"c.yaml:{line}" for line in expected]
    if code == 0:   # a warning fails only a strict run
        assert main(["validate", "--strict", "c.yaml"]) == 1
