"""Alerts from the contract: target down, metrics stopped, threshold alerts; their rules, tests, checks and uses.

The SLOs are tests/test_slo.py's. Every generated rule file is run through the real promtool, where it lies.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract import alerting
from contract.checks.registry import check_contract
from contract.diff import diff
from contract.loader import LoadedContract, load_contract
from contract.problems import InputError
from generators import alerts, docs, outputs, stack
from generators.cli import main
from tests.conftest import MINIMAL, contract_from, require_binary
from tests.test_rules import promtool, write

THRESHOLDS = """\
alerts:
  thresholds:
    - alert: SvcErrorRatio
      query: ratio
      metric: svc_requests
      match: {code: "500"}
      above: 0.05
      for: 10m
      labels: {severity: ticket, team: "{{ $labels.job }}"}
    - alert: SvcSlow
      query: quantile
      quantile: 0.99
      metric: svc_latency_seconds
      above: 0.5
      annotations: {summary: "{{ $labels.job }} answers slowly"}
    - alert: SvcIdle
      query: rate
      metric: svc_requests
      by: [code]
      window: 10m
      below: 0.1
      for: 15m
"""
# every alert kind, on both paths of MINIMAL, for a service deployed both ways (two scrape jobs)
ALERTS = MINIMAL + THRESHOLDS + "stack: {paths: [prometheus-client, otel-collector]}\n"


def generated(lc: LoadedContract, root: Path) -> Path:
    """Every output of `lc` written below `root/out`, as `generate` lays them out; the prometheus dir."""
    return write(outputs.render_all(lc), root / "out") / "prometheus"


def assert_promtool_proves(prometheus: Path) -> subprocess.CompletedProcess[str]:
    checked = promtool("check", "rules", str(prometheus / "alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", str(prometheus / "alerts_test.yml"))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    return tested


def rules_of(lc: LoadedContract) -> dict[str, dict[str, Any]]:
    """The alerting rules of `<service>.alerts`, by alert name (the metrics-stopped ones by `metric`)."""
    (group,) = [g for g in alerts.rule_groups(lc) if g["name"].endswith(".alerts")]
    return {r["labels"]["metric"] if r["alert"].endswith("MetricStopped") else r["alert"]: r for r in group["rules"]}


def test_no_alerts_no_file_and_no_rule_file_in_the_stack(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL)
    assert alerts.generate(lc) == {}
    config = yaml.safe_load(stack.generate(lc)[stack.CONFIG_FILE].split("\n", 1)[1])
    assert config["rule_files"] == ["../../prometheus/rules.yml"]


def test_rules_are_written_from_the_contract(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    by_name = rules_of(lc)
    assert list(by_name) == ["SvcTargetDown", "svc_requests", "SvcErrorRatio", "SvcSlow", "SvcIdle"]
    assert by_name["SvcTargetDown"] == {
        "alert": "SvcTargetDown", "expr": 'up{job=~"svc|otel-collector"} == 0', "for": "5m",
        "labels": {"severity": "page"}, "annotations": {"summary": "{{ $labels.job }} target {{ $labels.instance }} "
                                                                   "is down: no `svc` series come through it"}}
    # one alert for the service while a scrape target of its paths is up and no series of the metric has its job,
    # whatever the metric's labels: the Collector's `up` (job `otel-collector`) takes the series' job, `svc`
    assert by_name["svc_requests"]["expr"] == (
        'label_replace(max(up{job=~"svc|otel-collector"} == 1), "job", "svc", "job", ".*") unless on (job) '
        "max by (job) (present_over_time(svc_requests_total[10m]))")
    assert by_name["svc_requests"]["labels"] == {"metric": "svc_requests", "severity": "ticket"}
    assert by_name["SvcErrorRatio"]["expr"] == (
        'sum by (job) (rate(svc_requests_total{code="500"}[5m])) / sum by (job) (rate(svc_requests_total[5m])) > 0.05')
    assert by_name["SvcErrorRatio"]["labels"] == {"severity": "ticket", "team": "{{ $labels.job }}"}
    assert by_name["SvcSlow"]["expr"] == (
        "histogram_quantile(0.99, sum by (job, le) (rate(svc_latency_seconds_bucket[5m]))) > 0.5")
    assert "for" not in by_name["SvcSlow"]
    assert by_name["SvcIdle"]["expr"] == "sum by (job, code) (rate(svc_requests_total[10m])) < 0.1"
    assert by_name["SvcIdle"]["annotations"] == {
        "summary": "{{ $labels.job }}: the per-second rate of `svc_requests` over 10m is below 0.1"}


def test_one_job_and_a_job_name_that_is_a_regex(tmp_path: Path) -> None:
    text = (MINIMAL + THRESHOLDS).replace("service: svc", "service: svc.eu").replace(
        "exposition: [prometheus-client, otel-collector]", "exposition: [prometheus-client]")
    lc = contract_from(tmp_path, text)
    assert rules_of(lc)["SvcEuTargetDown"]["expr"] == 'up{job="svc.eu"} == 0'
    # one scrape job, the series' own: `up` needs no other job
    assert rules_of(lc)["svc_requests"]["expr"] == ('max by (job) (up{job="svc.eu"} == 1) unless on (job) '
                                                    "max by (job) (present_over_time(svc_requests_total[10m]))")
    assert_promtool_proves(generated(lc, tmp_path / "one"))
    two = contract_from(tmp_path, text.replace("exposition: [prometheus-client]",
                                               "exposition: [otel-collector, prometheus-client]"), "two.yaml")
    assert rules_of(two)["SvcEuTargetDown"]["expr"] == r'up{job=~"otel-collector|svc\\.eu"} == 0'
    assert_promtool_proves(generated(two, tmp_path))


def test_watched_metrics_are_the_required_ones_else_the_counters_events_feed(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    assert [m.name for m in alerting.watched_metrics(lc.contract)] == ["svc_requests"]
    required = ALERTS.replace("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    required: true\n")
    lc = contract_from(tmp_path, required, "required.yaml")
    assert [m.name for m in alerting.watched_metrics(lc.contract)] == ["svc_latency_seconds"]
    # a histogram's `_count` stops with it
    assert "present_over_time(svc_latency_seconds_count[10m])" in rules_of(lc)["svc_latency_seconds"]["expr"]
    assert_promtool_proves(generated(lc, tmp_path))


def test_tests_prove_each_alert(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    tests = yaml.safe_load(alerts.generate(lc)[alerts.TESTS_FILE])
    assert tests["rule_files"] == ["alerts.yml"]
    found = {g["name"]: [(t["eval_time"], t["alertname"], [e["exp_labels"] for e in t["exp_alerts"]])
                         for t in g["alert_rule_test"]] for g in tests["tests"] if not g["name"].startswith("SLO")}
    assert found == {
        # the direct scrape job's target and the Collector's
        "target down: on each scrape job, one instance of two goes down": [
            ("180m", "SvcTargetDown", [{"instance": "replica-2", "job": "otel-collector", "severity": "page"},
                                       {"instance": "replica-2", "job": "svc", "severity": "page"}])],
        # stopped at 2h: the 3h evaluation finds 10m without a sample, `for: 5m` later (the 4h one) it fires, once,
        # for the service, on either path
        "metrics stopped: `svc_requests` on prometheus-client: every series stops": [
            ("240m", "SvcMetricStopped", [{"job": "svc", "metric": "svc_requests", "severity": "ticket"}])],
        "metrics stopped: `svc_requests` on prometheus-client: one series stops, another keeps going": [
            ("240m", "SvcMetricStopped", [])],
        "metrics stopped: `svc_requests` on otel-collector: every series stops": [
            ("240m", "SvcMetricStopped", [{"job": "svc", "metric": "svc_requests", "severity": "ticket"}])],
        "metrics stopped: `svc_requests` on otel-collector: one series stops, another keeps going": [
            ("240m", "SvcMetricStopped", [])],
        "threshold alert `SvcErrorRatio`: one job fires, one stays quiet": [
            ("120m", "SvcErrorRatio", [{"job": "fires", "severity": "ticket", "team": "fires"}])],
        "threshold alert `SvcSlow`: one job fires, one stays quiet": [("60m", "SvcSlow", [{"job": "fires"}])],
        "threshold alert `SvcIdle`: one job fires, one stays quiet": [
            ("120m", "SvcIdle", [{"code": "200", "job": "fires"}])],
    }
    (down,) = [g for g in tests["tests"] if g["name"].startswith("target down")]
    assert down["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"] == {
        "summary": "otel-collector target replica-2 is down: no `svc` series come through it"}
    # behind the Collector: the Collector's target up; the series have the service's job and the Collector
    # path's labels
    (collector,) = [g for g in tests["tests"] if g["name"].endswith("on otel-collector: every series stops")]
    assert collector["input_series"][0] == {"series": 'up{instance="otel-collector:8889", job="otel-collector"}',
                                            "values": "1x240"}
    assert collector["input_series"][1]["series"].startswith('svc_requests_total{code="200", instance="example", '
                                                             'job="svc", otel_scope_name="example",')
    (slow,) = [g for g in tests["tests"] if g["name"].startswith("threshold alert `SvcSlow`")]
    assert slow["alert_rule_test"][0]["exp_alerts"][0]["exp_annotations"] == {"summary": "fires answers slowly"}


def test_promtool_proves_every_alert(tmp_path: Path) -> None:
    tested = assert_promtool_proves(generated(contract_from(tmp_path, ALERTS), tmp_path))
    assert "SUCCESS" in tested.stdout


# a rule change in alerts.yml that its tests must catch: (alert, old text, new text)
BROKEN = [
    ("target down for longer", "    for: 5m\n    labels:\n      severity: page", "    for: 2h\n    labels:\n"
     "      severity: page"),
    ("metrics stopped over a longer window", "present_over_time(svc_requests_total[10m])",
     "present_over_time(svc_requests_total[3h])"),
    ("metrics stopped without the up filter", '== 1), "job"', '== 0), "job"'),
    # the Collector's `up` without the service's job: its job alerts whatever the series do
    ("metrics stopped on the Collector's own job", 'label_replace(max(up{job=~"svc|otel-collector"} == 1), "job", '
     '"svc", "job", ".*")', 'max by (job) (up{job=~"svc|otel-collector"} == 1)'),
    ("ratio above a higher threshold", "> 0.05", "> 0.9"),
    ("quantile of another bucket", "histogram_quantile(0.99,", "histogram_quantile(0.01,"),
    ("rate compared the other way", "< 0.1", "> 0.1"),
]


@pytest.mark.parametrize(("what", "old", "new"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_alert_fails_its_tests(what: str, old: str, new: str, tmp_path: Path) -> None:
    prometheus = generated(contract_from(tmp_path, ALERTS), tmp_path)
    text = (prometheus / "alerts.yml").read_text(encoding="utf-8")
    assert text.count(old) == 1, what
    (prometheus / "alerts.yml").write_text(text.replace(old, new), encoding="utf-8")
    tested = promtool("test", "rules", str(prometheus / "alerts_test.yml"))
    assert tested.returncode == 1, tested.stdout + tested.stderr
    assert "FAILED:" in tested.stderr


def test_every_generated_expression_passes_check(tmp_path: Path, in_root: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    assert outputs.check_rendered(lc, outputs.render_all(lc), "out") == []   # warnings included
    for path, boards in (("contract/qortex.yaml", ("dashboards/qortex.py",)),
                         ("examples/checkout/metrics-contract.yaml", ())):
        lc = load_contract(path)
        assert outputs.check_rendered(lc, outputs.render_all(lc, boards), "out") == [], path


def test_check_judges_alerts_yml_in_the_out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text(ALERTS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    capsys.readouterr()
    assert main(["check", "c.yaml", "--out", "out", "--strict", "--no-cache"]) == 0
    assert capsys.readouterr().out == ""
    # a hand edit is stale, and its PromQL is checked like any rule file's
    rules_file = tmp_path / "out" / "prometheus" / "alerts.yml"
    rules_file.write_text(rules_file.read_text().replace("present_over_time(svc_requests_total",
                                                         "present_over_time(svc_request_total"))
    assert main(["check", "c.yaml", "--out", "out", "--no-cache"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "out/prometheus/alerts.yml:13: error[check/stale-output]: `out/prometheus/alerts.yml` differs from what "
        "`metrics-contract generate` writes; regenerate it, never edit it",
        'out/prometheus/alerts.yml:13:141: error[promql/unknown-metric]: group "svc.alerts" rule "SvcMetricStopped": '
        "`svc_request_total` is not in the contract; did you mean `svc_requests_total` (counter svc_requests)?",
        '    label_replace(max(up{job=~"svc|otel-collector"} == 1), "job", "svc", "job", ".*") unless on (job) '
        "max by (job) (present_over_time(svc_request_total[10m]))"]


def test_stack_loads_and_mounts_alerts_yml(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    files = stack.generate(lc)
    config = yaml.safe_load(files[stack.CONFIG_FILE])
    assert config["rule_files"] == ["../../prometheus/rules.yml", "../../prometheus/alerts.yml"]
    compose = yaml.safe_load(files["stack/docker-compose.yml"])
    assert "../prometheus/alerts.yml:/etc/prometheus/out/prometheus/alerts.yml:ro" in \
        compose["services"]["prometheus"]["volumes"]
    out = write(outputs.render_all(lc), tmp_path / "out")
    checked = promtool("check", "config", str(out / stack.CONFIG_FILE))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"Checking {out / 'prometheus' / 'alerts.yml'}\n  SUCCESS: 5 rules found" in checked.stdout


def test_byte_identical_on_regeneration(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    assert alerts.generate(lc) == alerts.generate(contract_from(tmp_path, ALERTS))


def test_docs_list_alerts_per_metric(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, ALERTS)
    text = docs.generate(lc, outputs.render_all(lc))[docs.PATH]
    assert "- alerts: SvcMetricStopped (metrics stopped), SvcErrorRatio (threshold), SvcIdle (threshold)\n" in text
    assert "- alerts: SvcSlow (threshold)\n" in text
    assert "| SvcTargetDown | target down | every scrape job |\n" in text
    # a contract without alerts keeps its catalogue as it was
    plain = contract_from(tmp_path, MINIMAL, "plain.yaml")
    text = docs.generate(plain, outputs.render_all(plain))[docs.PATH]
    assert "- alerts:" not in text and "## Alerts and SLOs" not in text


def test_diff_reports_alert_changes(tmp_path: Path) -> None:
    old = contract_from(tmp_path, ALERTS, "old.yaml")
    new = contract_from(tmp_path, ALERTS.replace("above: 0.05", "above: 0.1").replace("- alert: SvcSlow",
                                                                                       "- alert: SvcSlowAnswers"),
                        "new.yaml")
    found = sorted(p.text().removeprefix(f"{tmp_path}/") for p in diff(old, new))
    assert found == [
        "new.yaml:25:14: info[diff/alert-changed]: threshold alert `SvcErrorRatio` changed",
        "new.yaml:32:14: info[diff/alert-added]: threshold alert `SvcSlowAnswers` was added",
        "old.yaml:32:14: error[diff/alert-removed]: threshold alert `SvcSlow` was removed; routes and silences "
        "that name it stop matching",
    ]
    gone = contract_from(tmp_path, MINIMAL, "gone.yaml")
    removed = [p.check for p in diff(old, gone) if p.severity == "error"]
    assert removed == ["diff/alert-removed"] * 5


# contract checks beyond the one failing case of tests/test_contract_checks.py: (edit of ALERTS, problem lines)
CHECKED = {
    "unknown-metric": (("metric: svc_requests\n      by:", "metric: svc_request\n      by:"),
                       ["c.yaml:40:15: error[contract/alert]: alert `SvcIdle`: `svc_request` is not in the contract; "
                        "did you mean `svc_requests`?"]),
    "series-name": (("metric: svc_requests\n      by:", "metric: svc_requests_total\n      by:"),
                    ["c.yaml:40:15: error[contract/alert]: alert `SvcIdle`: `svc_requests_total` is not in the "
                     "contract; did you mean `svc_requests` (its series `svc_requests_total` is spelled by the "
                     "exporter)?"]),
    "type": (("query: rate", "query: quantile\n      quantile: 0.5"),
             ["c.yaml:39:14: error[contract/alert]: alert `SvcIdle` asks for the quantile of `svc_requests`, a "
              "counter; that needs a histogram"]),
    "by-unknown": (("by: [code]", "by: [route]"),
                   ["c.yaml:41:12: error[contract/alert]: alert `SvcIdle` keeps `route` apart, which is not a label "
                    "of `svc_requests` (its labels: `code`)"]),
    "by-narrowed": (('match: {code: "500"}\n', 'match: {code: "500"}\n      by: [code]\n'),
                    ["c.yaml:29:12: error[contract/alert]: alert `SvcErrorRatio` keeps `code` apart, which its "
                     "`match` narrows: keep apart labels the query leaves open"]),
    "ratio-of-everything": (('match: {code: "500"}', 'match: {code: ["200", "500", "other"]}'),
                            ["c.yaml:28:14: error[contract/alert]: alert `SvcErrorRatio`: the numerator selects all "
                             "of its denominator, so the ratio is always 1"]),
    "ratio-above-one": (("above: 0.05", "above: 1"),
                        ["c.yaml:29:14: error[contract/alert]: alert `SvcErrorRatio` can never fire: a ratio of a "
                         "selection to a part of itself is at most 1"]),
    "rate-below-zero": (("below: 0.1", "below: 0"),
                        ["c.yaml:43:14: error[contract/alert]: alert `SvcIdle` can never fire: a rate is never "
                         "negative"]),
    "short-window": (("window: 10m", "window: 20s"),
                     ["c.yaml:42:15: error[contract/alert]: alert `SvcIdle`: `window` `20s` is shorter than two "
                      "scrape intervals (15s each); a rate needs two samples in it"]),
    "stopped-window": (("alerts:\n", "alerts:\n  metrics_stopped: {window: 20s}\n"),
                       ["c.yaml:24:29: error[contract/alert]: metrics-stopped `window` `20s` is shorter than two "
                        "scrape intervals (15s each): one missed scrape would raise the alert"]),
    "duplicate-name": (("alert: SvcIdle", "alert: SvcSlow"),
                       ["c.yaml:38:14: error[contract/alert]: alert name `SvcSlow` is taken by the threshold alert; "
                        "give each alert its own name"]),
    "protected-label": (("labels: {severity: ticket, ", "labels: {job: x, severity: ticket, "),
                        ["c.yaml:31:16: error[contract/alert]: label `job` of alert `SvcErrorRatio` is the alert "
                         "series' own; choose another name"]),
    "label-not-carried": (("{{ $labels.job }} answers", "{{ $labels.instance }} answers"),
                          ["c.yaml:37:30: error[contract/alert]: annotation `summary` of alert `SvcSlow` names "
                           "`$labels.instance`, a label the alert does not carry (it carries: `job`)"]),
}


@pytest.mark.parametrize("name", sorted(CHECKED))
def test_alert_checks(name: str, tmp_path: Path) -> None:
    (old, new), expected = CHECKED[name]
    assert old in ALERTS, old
    lc = contract_from(tmp_path, ALERTS.replace(old, new, 1))
    assert sorted(p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc)) == sorted(expected)


def test_the_generator_refuses_what_the_check_refuses(tmp_path: Path) -> None:
    # `generate` runs the checks first; called directly, the generator is still no crash
    lc = contract_from(tmp_path, ALERTS.replace("metric: svc_requests\n      by:", "metric: svc_request\n      by:"))
    with pytest.raises(InputError) as caught:
        alerts.generate(lc)
    assert caught.value.problems[0].text().removeprefix(f"{tmp_path}/") == (
        "c.yaml:40:15: error[contract/alert]: `svc_request` is not in the contract; did you mean `svc_requests`?")


def test_label_spellings_and_templates() -> None:
    assert alerting.le_spellings(0.5) == ("0.5",)
    assert alerting.le_spellings(1.0) == ("1.0", "1")
    assert alerting.le_spellings(1e6) == ("1000000.0", "1e+06")
    assert alerting.le_spellings(2.5e-05) == ("2.5e-05",)
    assert alerting.expand("{{ $labels.job }} and {{$labels.slo}}", {"job": "a", "slo": "b"}) == "a and b"
    assert alerting.template_problem("{{ $labels.job }} {{ $value }}", ("job",)) is not None
    assert alerting.template_problem("plain {{ $labels.job }}", ("job",)) is None
    assert alerting.camel("my-svc.eu") == "MySvcEu"
    assert json.dumps(alerting.regex_alternatives(("a.b", "c|d"))) == json.dumps(r"a\.b|c\|d")


def watching(count: int, labels: bool) -> str:
    """A contract whose metrics-stopped alert watches `count` counters, each fed by an event, with a closed-set
    label or none."""
    names = ("shop_orders", "shop_refunds", "shop_returns")[:count]
    label = "    labels:\n      - name: code\n        values: [ok, failed]\n" if labels else ""
    given = ", labels: {code: {field: code}}" if labels else ""
    metrics = "".join(f"  - name: {n}\n    type: counter\n    unit: \"{{event}}\"\n    help: {n}\n{label}"
                      for n in names)
    events = "".join(f"  - event: E{i}\n    ops:\n      - {{metric: {n}, add: 1{given}}}\n"
                     for i, n in enumerate(names))
    return (f"contract: 1\nservice: shop\nnamespace: shop\nexposition: [prometheus-client]\nmetrics:\n{metrics}"
            f"events:\n{events}alerts: {{metrics_stopped: {{window: 10m, for: 5m}}}}\n")


@pytest.mark.parametrize(("count", "labels"), [(2, False), (2, True), (3, False), (3, True)])
def test_several_watched_metrics_pass_promtool_as_generated(count: int, labels: bool, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c.yaml").write_text(watching(count, labels), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "c.yaml", "--out", "out"]) == 0
    lc = load_contract("c.yaml")
    assert len(alerting.watched_metrics(lc.contract)) == count
    assert "SUCCESS" in assert_promtool_proves(tmp_path / "out" / "prometheus").stdout


def test_only_the_stopped_metric_alerts_while_the_others_keep_going(tmp_path: Path) -> None:
    tests = yaml.safe_load(alerts.generate(contract_from(tmp_path, watching(3, True)))[alerts.TESTS_FILE])
    groups = {g["name"]: g for g in tests["tests"]}
    stops = groups["metrics stopped: `shop_refunds` on prometheus-client: every series stops"]
    # both of its series stop at 2h; one series of each other watched metric goes on to the end
    assert [(i["series"], i["values"]) for i in stops["input_series"]] == [
        ('up{instance="host.docker.internal:9090", job="shop"}', "1x240"),
        ('shop_refunds_total{code="ok", instance="host.docker.internal:9090", job="shop"}', "0+60x120"),
        ('shop_refunds_total{code="failed", instance="host.docker.internal:9090", job="shop"}', "0+60x120"),
        ('shop_orders_total{code="ok", instance="host.docker.internal:9090", job="shop"}', "0+60x240"),
        ('shop_returns_total{code="ok", instance="host.docker.internal:9090", job="shop"}', "0+60x240")]
    # the one alert promtool must see, and no other: the other metrics' rules share its name
    assert stops["alert_rule_test"] == [{"eval_time": "240m", "alertname": "ShopMetricStopped", "exp_alerts": [
        {"exp_labels": {"job": "shop", "metric": "shop_refunds", "severity": "ticket"},
         "exp_annotations": {"summary": "shop is up but exposed no `shop_refunds` series for 10m"}}]}]
    keeps = groups["metrics stopped: `shop_refunds` on prometheus-client: one series stops, another keeps going"]
    assert keeps["alert_rule_test"][0]["exp_alerts"] == []
    assert keeps["input_series"][3:] == stops["input_series"][3:]


REQUIRED_TYPES = """\
contract: 1
service: shop
namespace: shop
exposition: [prometheus-client]
metrics:
  - {name: shop_orders, type: counter, unit: "{order}", help: Orders, required: true}
  - {name: shop_size_bytes, type: summary, unit: By, help: Sizes, required: true}
  - {name: shop_mode, type: stateset, unit: "1", help: Mode, required: true,
     labels: [{name: shop_mode, values: [a, b]}]}
  - {name: shop_build, type: info, unit: "1", help: Build, required: true, labels: [{name: version}]}
  - {name: shop_queue, type: updowncounter, unit: "{item}", help: Queue, required: true}
alerts: {metrics_stopped: {window: 10m, for: 5m}}
"""


def test_a_required_metric_of_any_type_is_watched_through_its_series(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, REQUIRED_TYPES)
    watched = {name: rule["expr"].rsplit("present_over_time(", 1)[1] for name, rule in rules_of(lc).items()
               if name != "ShopTargetDown"}
    # a summary stops with its observation count; every other family has one series
    assert watched == {"shop_orders": "shop_orders_total[10m]))", "shop_size_bytes": "shop_size_bytes_count[10m]))",
                       "shop_mode": "shop_mode[10m]))", "shop_build": "shop_build_info[10m]))",
                       "shop_queue": "shop_queue[10m]))"}
    assert_promtool_proves(generated(lc, tmp_path))


def test_qortex_and_checkout_alerts_pass_promtool(tmp_path: Path, in_root: Path) -> None:
    require_binary("promtool")
    qortex = load_contract("contract/qortex.yaml")
    assert_promtool_proves(write(outputs.render_all(qortex, ("dashboards/qortex.py",)), tmp_path / "q") / "prometheus")
    checkout = load_contract("examples/checkout/metrics-contract.yaml")
    assert_promtool_proves(write(outputs.render_all(checkout), tmp_path / "c") / "prometheus")
    assert [a.name for a in alerting.alert_names(qortex.contract)] == [
        "QortexTargetDown", "QortexMetricStopped", "QueryAvailabilityBudgetBurn"]
    assert [a.name for a in alerting.alert_names(checkout.contract)] == [
        "CheckoutTargetDown", "CheckoutMetricStopped", "CheckoutPaymentsFailing", "RequestsAvailabilityBudgetBurn",
        "RequestsLatencyBudgetBurn"]


def test_placed_rules_dir_takes_alerts_yml_and_the_stack_follows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "c.yaml").write_text(ALERTS, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text('[tool.metrics-contract]\ncontract = "c.yaml"\n'
                                             'prometheus = "ops/rules"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["generate"]) == 0
    assert capsys.readouterr().out.splitlines()[1:] == [
        "wrote ops/rules/alerts.yml", "wrote ops/rules/alerts_test.yml", "wrote ops/rules/rules.yml",
        "wrote ops/rules/rules_test.yml"]
    stack_dir = tmp_path / "out" / "stack"
    compose = yaml.safe_load((stack_dir / "docker-compose.yml").read_text())
    assert "../../ops/rules/alerts.yml:/etc/prometheus/out/ops/rules/alerts.yml:ro" in \
        compose["services"]["prometheus"]["volumes"]
    config = stack_dir / "prometheus" / "prometheus.yml"
    assert yaml.safe_load(config.read_text())["rule_files"] == ["../../../ops/rules/rules.yml",
                                                                "../../../ops/rules/alerts.yml"]
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert_promtool_proves(tmp_path / "ops" / "rules")
    assert main(["check", "--strict", "--no-cache"]) == 0
