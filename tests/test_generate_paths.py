"""Every exposition path generates files that pass `check` and promtool as written.

A small contract (a counter with a label, a histogram, a gauge; alerts and an SLO) declares one path at a time,
with plain names and with dotted ones. The rules, alerts and dashboards name each series and label as
`contract.naming.expose` says the path exposes it: without `_total` where the path appends no suffixes, dotted
where a UTF-8 path keeps the dots, and then quoted (`{"api.requests_total"}`, `sum by ("http.code")`), which
Prometheus 3 reads; recorded names stay bare (`job:api_requests:rate5m`). The paths only Prometheus 3 serves are
proven with its promtool (the built peer, `tests.peer_bins`), the others with promtool 2.42.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from contract import alerting, naming
from contract.naming import EXPOSITION_PATHS, PATHS
from generators.cli import main
from tests.conftest import require_binary
from tests.peer_bins import binary

CONTRACT = """\
contract: 1
service: api
namespace: api
exposition: ["{path}"]
metrics:
  - name: api_requests
    type: counter
    unit: "{{request}}"
    help: Requests
    labels:
      - name: code
        values: ["200", "500"]
  - name: api_latency_seconds
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1.0]
  - name: api_queue
    type: gauge
    unit: "{{item}}"
    help: Queue
events:
  - event: Done
    ops:
      - {{metric: api_requests, add: 1, labels: {{code: {{field: status}}}}}}
      - {{metric: api_latency_seconds, record: {{field: ms, scale: 0.001}}}}
alerts:
  metrics_stopped: {{window: 10m, for: 5m}}
  thresholds:
    - {{alert: ApiErrors, query: ratio, metric: api_requests, match: {{code: "500"}}, above: 0.05}}
    - {{alert: ApiSlow, query: quantile, quantile: 0.99, metric: api_latency_seconds, above: 0.5}}
    - {{alert: ApiIdle, query: rate, metric: api_requests, by: [code], below: 0.1}}
slos:
  - name: availability
    objective: 99.9
    sli:
      events:
        error_query: {{metric: api_requests, match: {{code: "500"}}}}
        total_query: {{metric: api_requests}}
"""
# the same metrics named as OpenTelemetry names them: `api.requests`, label `http.code`
DOTTED = {"api_requests": "api.requests", "api_latency_seconds": "api.latency", "api_queue": "api.queue",
          "code": "http.code"}


def contract_text(path: str, variant: str) -> str:
    text = CONTRACT.format(path=path)
    if variant == "dotted":
        for old, new in DOTTED.items():
            text = text.replace(old, new)
    return text


# per path and variant: the counter's recording rule, the histogram's p99 rule, the dashboard's counter panel
SUFFIXED = ("sum by (job, code) (rate(api_requests_total[5m]))",
            "histogram_quantile(0.99, sum by (job, le) (rate(api_latency_seconds_bucket[5m])))",
            'sum by (code) (rate(api_requests_total{job="$job"}[$__rate_interval]))')
UNSUFFIXED = ("sum by (job, code) (rate(api_requests[5m]))",
              "histogram_quantile(0.99, sum by (job, le) (rate(api_latency_seconds_bucket[5m])))",
              'sum by (code) (rate(api_requests{job="$job"}[$__rate_interval]))')
DOTTED_SUFFIXED = ("sum by (job, http_code) (rate(api_requests_total[5m]))",
                   "histogram_quantile(0.99, sum by (job, le) (rate(api_latency_seconds_bucket[5m])))",
                   'sum by (http_code) (rate(api_requests_total{job="$job"}[$__rate_interval]))')
EXPECTED: dict[tuple[str, str], tuple[str, str, str]] = {
    **{(path, "plain"): SUFFIXED for path in EXPOSITION_PATHS},
    **{(path, "dotted"): DOTTED_SUFFIXED for path in EXPOSITION_PATHS},
    ("prometheus-otlp:UnderscoreEscapingWithoutSuffixes", "plain"): UNSUFFIXED,
    ("prometheus-otlp:NoTranslation", "plain"): UNSUFFIXED,
    ("prometheus-otlp:UnderscoreEscapingWithoutSuffixes", "dotted"): (
        "sum by (job, http_code) (rate(api_requests[5m]))",
        "histogram_quantile(0.99, sum by (job, le) (rate(api_latency_bucket[5m])))",
        'sum by (http_code) (rate(api_requests{job="$job"}[$__rate_interval]))'),
    ("prometheus-otlp:NoUTF8EscapingWithSuffixes", "dotted"): (
        'sum by (job, "http.code") (rate({"api.requests_total"}[5m]))',
        'histogram_quantile(0.99, sum by (job, le) (rate({"api.latency_seconds_bucket"}[5m])))',
        'sum by ("http.code") (rate({"api.requests_total", job="$job"}[$__rate_interval]))'),
    ("prometheus-otlp:NoTranslation", "dotted"): (
        'sum by (job, "http.code") (rate({"api.requests"}[5m]))',
        'histogram_quantile(0.99, sum by (job, le) (rate({"api.latency_bucket"}[5m])))',
        'sum by ("http.code") (rate({"api.requests", job="$job"}[$__rate_interval]))'),
}
CASES = [(path, variant) for variant in ("plain", "dotted") for path in EXPOSITION_PATHS]


def promtool_for(path: str) -> str:
    """Prometheus 3's promtool for a path only it serves, else Prometheus 2.42's."""
    return binary("promtool") if PATHS[path].prometheus3_only else require_binary("promtool")


def generated(root: Path, path: str, variant: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """`validate --strict`, `generate` and `check --strict` of the case's contract in `root` (the current dir)."""
    (root / "c.yaml").write_text(contract_text(path, variant), encoding="utf-8")
    assert main(["validate", "c.yaml", "--strict"]) == 0
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    capsys.readouterr()
    assert main(["check", "c.yaml", "--out", "out", "--strict", "--no-cache"]) == 0
    assert capsys.readouterr().out == ""
    return root / "out"


@pytest.mark.parametrize(("path", "variant"), CASES, ids=[f"{v}-{p}" for p, v in CASES])
def test_every_path_generates_files_that_pass_check_and_promtool(path: str, variant: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    promtool = promtool_for(path)
    monkeypatch.chdir(tmp_path)
    out = generated(tmp_path, path, variant, capsys)
    prometheus = out / "prometheus"
    counter, p99, panel = EXPECTED[(path, variant)]
    recorded = {r["record"]: r["expr"] for g in yaml.safe_load((prometheus / "rules.yml").read_text())["groups"]
                for r in g["rules"]}
    family = "api_latency" if variant == "dotted" and not PATHS[path].suffixes else "api_latency_seconds"
    assert recorded["job:api_requests:rate5m"] == counter
    assert recorded[f"job:{family}:p99_rate5m"] == p99
    board = json.loads((out / "grafana" / "api.json").read_text())
    assert board["panels"][1]["targets"][0]["expr"] == panel
    # both rule files and both test files, each command given all of them at once
    for argv in (["check", "rules", "rules.yml", "alerts.yml"], ["test", "rules", "rules_test.yml", "alerts_test.yml"]):
        ran = subprocess.run([promtool, *argv], cwd=prometheus, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stdout + ran.stderr


# how the generators write a name in PromQL: bare when every Prometheus reads it so, else quoted
NAMES = [
    (alerting.series_selector("api_requests_total"), "api_requests_total"),
    (alerting.series_selector("api_requests_total", ['job="x"']), 'api_requests_total{job="x"}'),
    (alerting.series_selector("job:api_requests:rate5m"), "job:api_requests:rate5m"),
    (alerting.series_selector("api.requests_total", ['job="x"']), '{"api.requests_total", job="x"}'),
    (alerting.series_selector("api-requests/x"), '{"api-requests/x"}'),
    (alerting.label_name("http_code"), "http_code"),
    (alerting.label_name("http.code"), '"http.code"'),
    (alerting.label_name("a:b"), '"a:b"'),
    (naming.record_part("api_requests"), "api_requests"),
    (naming.record_part("api.requests-x/y"), "api_requests_x_y"),
]


@pytest.mark.parametrize(("written", "expected"), NAMES)
def test_names_in_promql(written: str, expected: str) -> None:
    assert written == expected


RULE_FILE = """\
groups:
  - name: api
    rules:
      - record: {record}
        expr: sum by (job) (rate({{"api.requests"}}[5m]))
"""


@pytest.mark.parametrize(("record", "expected"), [
    # the generated rules' spelling of a dotted family
    ("job:api_requests:rate5m", []),
    ("job:api_request:rate5m", [
        'r.yml:4:17: warning[rules/name-convention]: group "api" rule "job:api_request:rate5m": recording rule '
        '`job:api_request:rate5m` names metric `api_request`, but its expression selects `api.requests`']),
])
def test_a_recorded_name_may_spell_a_dotted_family_with_underscores(record: str, expected: list[str], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(contract_text("prometheus-otlp:NoTranslation", "dotted"), encoding="utf-8")
    (tmp_path / "r.yml").write_text(RULE_FILE.format(record=record), encoding="utf-8")
    main(["check", "c.yaml", "r.yml", "--no-cache"])
    assert [line for line in capsys.readouterr().out.splitlines() if "rules/" in line] == expected
