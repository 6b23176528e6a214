"""Table tests for every contract check: a passing and a failing case, messages pinned."""

from __future__ import annotations

import random
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from contract.checks.registry import CONTRACT_CHECKS, check_contract
from contract.checks.rule_template import FUNCTIONS, template_error
from generators.cli import main
from tests.conftest import MINIMAL, contract_from, require_binary

# check id -> (edit to MINIMAL that passes, edit that fails, expected problem lines)
# An edit is (old, new) applied to MINIMAL; the passing edit is a near miss.
CASES: dict[str, tuple[tuple[str, str], tuple[str, str], list[str]]] = {
    "contract/counter-total-suffix": (
        ("name: svc_requests\n", "name: svc_requests_totals\n"),
        ("name: svc_requests\n", "name: svc_requests_total\n"),
        ["c.yaml:6:11: error[contract/counter-total-suffix]: counter `svc_requests_total` must not end in "
          "`_total`; the exporter appends it"],
    ),
    "contract/invalid-name": (
        ("- name: code\n", "- name: code_2\n"),
        ("- name: code\n", "- name: 2code\n"),
        ["c.yaml:11:15: error[contract/invalid-name]: label name `2code` of `svc_requests` is not valid (a letter "
          "or `_`, then letters, digits, `_` or `.`)",
         "c.yaml:11:7: error[contract/path-divergence]: labels of `svc_requests` are `_code` on "
          "prometheus-client but `key_2code` on otel-collector"],
    ),
    "contract/namespace": (
        ("name: svc_requests\n", "name: svc_requests_in\n"),
        ("name: svc_requests\n", "name: other_requests\n"),
        ["c.yaml:6:11: error[contract/namespace]: metric `other_requests` is outside namespace `svc`; name "
          "it `svc_...`"],
    ),
    "contract/unit-suffix": (
        ("unit: s\n", "unit: s\n"),
        ("unit: s\n", "unit: ms\n"),
        ["c.yaml:15:11: error[contract/unit-suffix]: `svc_latency_seconds` ends in `_seconds` but its unit "
          "is `ms`; declare unit `s`, record its field with `scale: 0.001` and give its buckets in seconds"],
    ),
    "contract/reserved-label": (
        ("- name: code\n", "- name: lemon\n"),
        ("- name: code\n", "- name: le\n"),
        ["c.yaml:11:15: error[contract/reserved-label]: label `le` of `svc_requests` is reserved: `le` "
          "holds histogram bucket bounds"],
    ),
    "contract/buckets": (
        ("buckets: [0.1, 1.0]", "buckets: [0.1, 0.5, 1.0]"),
        ("buckets: [0.1, 1.0]", "buckets: [1.0, 0.1, 0.1]"),
        ["c.yaml:17:20: error[contract/buckets]: buckets of `svc_latency_seconds` are not sorted: `0.1` "
          "follows `1.0`",
         "c.yaml:17:25: error[contract/buckets]: bucket `0.1` of `svc_latency_seconds` is repeated"],
    ),
    # the near miss: a native histogram, which the Collector's prometheus exporter does yield
    "contract/type-path": (
        ("metrics:\n", "metrics:\n  - {name: svc_gc_seconds, type: native_histogram, unit: s, help: GC pauses}\n"),
        ("metrics:\n", "metrics:\n  - {name: svc_gc_seconds, type: summary, unit: s, help: GC pauses}\n"),
        ["c.yaml:6:34: error[contract/type-path]: summary `svc_gc_seconds` cannot be exposed on path "
         "`otel-collector`: OpenTelemetry has no summary instrument (declared paths that can: `prometheus-client`)"],
    ),
    # only prometheus_client yields a stateset, so both edits declare that path alone
    "contract/stateset-states": (
        ("exposition: [prometheus-client, otel-collector]\nmetrics:\n",
         "exposition: [prometheus-client]\nmetrics:\n  - {name: svc_mode, type: stateset, unit: \"\", help: Mode, "
         "labels: [{name: svc_mode, values: [idle, busy]}]}\n"),
        ("exposition: [prometheus-client, otel-collector]\nmetrics:\n",
         "exposition: [prometheus-client]\nmetrics:\n  - {name: svc_mode, type: stateset, unit: \"\", help: Mode, "
         "labels: [{name: svc_mode}, {name: state, values: [idle, busy]}]}\n"),
        ["c.yaml:6:76: error[contract/stateset-states]: label `svc_mode` of stateset `svc_mode` needs `values`: "
         "the states"],
    ),
    "contract/duplicate": (
        ("values: [\"200\", \"500\"]\n", "values: [\"200\", \"500\"]\n      - name: method\n"),
        ("values: [\"200\", \"500\"]\n", "values: [\"200\", \"500\"]\n      - name: code\n"),
        ["c.yaml:13:15: error[contract/duplicate]: label `code` of `svc_requests` is declared twice"],
    ),
    "contract/collision": (
        ("name: svc_latency_seconds\n", "name: svc_requests_seconds\n"),
        ("name: svc_latency_seconds\n    type: histogram\n    unit: s\n    help: Latency\n    buckets: [0.1, 1.0]",
         "name: svc_requests_total\n    type: gauge\n    unit: \"{request}\"\n    help: Latency"),
        ["c.yaml:13:11: error[contract/collision]: `svc_requests_total` and `svc_requests` both yield "
          "series `svc_requests_total` on prometheus-client"],
    ),
    "contract/path-divergence": (
        ("type: histogram\n    unit: s\n", "type: histogram\n    unit: s\n"),
        ("  - name: svc_latency_seconds\n", "  - name: svc_up\n    type: gauge\n    unit: \"1\"\n    help: Up\n"
         "  - name: svc_latency_seconds\n"),
        ["c.yaml:13:11: error[contract/path-divergence]: `svc_up` is exposed as `svc_up` on "
          "prometheus-client but as `svc_up_ratio` on otel-collector; the Collector appends `_ratio` to gauges of "
          "unit `1`: name it `svc_up_ratio` (exposed as `svc_up_ratio` everywhere) or declare unit `{ratio}` "
          "(exposed as `svc_up` everywhere)"],
    ),
    "contract/event-op": (
        ("record: {field: ms", "record: {field: ms"),
        ("record: {field: ms", "add: {field: ms"),
        ["c.yaml:22:39: error[contract/event-op]: `add` does not apply to histogram `svc_latency_seconds`; "
          "use `record`"],
    ),
    # the near miss: `match` is a soft keyword, which Python allows as a class name and an attribute
    "contract/event-identifier": (
        ("  - event: Done\n    ops:\n      - {metric: svc_requests, add: 1, labels: {code: {field: code}}}\n",
         "  - event: match\n    ops:\n      - {metric: svc_requests, add: 1, labels: {code: {field: _code}}}\n"),
        ("  - event: Done\n    ops:\n      - {metric: svc_requests, add: 1, labels: {code: {field: code}}}\n",
         "  - event: E-2\n    ops:\n      - {metric: svc_requests, add: 1, labels: {code: {field: None}}}\n"),
        ["c.yaml:19:12: error[contract/event-identifier]: event `E-2` is not a python identifier, so no event class "
         "can carry that name",
         "c.yaml:21:63: error[contract/event-identifier]: field `None` of `E-2` is not a python identifier; the "
         "generated handler reads it as an attribute of the event"],
    ),
    "contract/label-map": (
        ('values: ["200", "500"]\n', 'values: ["200", "500"]\n        map: [{from: 200, to: 299, value: "200"}, '
                                     '{from: 500, to: 599, value: "500"}]\n'),
        ('values: ["200", "500"]\n', 'values: ["200", "500"]\n        map: [{from: 200, to: 299, value: "200"}, '
                                     '{from: 250, to: 599, value: "404"}]\n'),
        ["c.yaml:13:51: error[contract/label-map]: map range 2 of label `code` of `svc_requests` overlaps range 1",
         "c.yaml:13:79: error[contract/label-map]: map of label `code` of `svc_requests` records `404`, which is not "
         "in its closed set `200`, `500`, `other`"],
    ),
    "contract/event-labels": (
        ("{code: {field: code}}", "{code: {value: \"500\"}}"),
        ("{code: {field: code}}", "{code: {value: \"404\"}, path: {field: p}}"),
        ["c.yaml:21:63: error[contract/event-labels]: value `404` of label `code` is not in its closed set "
          "`200`, `500`",
         "c.yaml:21:71: error[contract/event-labels]: event `Done` sets label `path`, which `svc_requests` "
          "does not declare"],
    ),
    "contract/cardinality": (
        # 2 bounds: (2 + 1 + 2 + `_created`) on prometheus-client, 5 on otel-collector
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    max_series: 11\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\n    max_series: 10\n"),
        ["c.yaml:18:17: error[contract/cardinality]: `svc_latency_seconds` is estimated at 11 series, over its "
         "budget of 10"],
    ),
    "contract/rule-name": (
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nrules:\n"
         "  - {record: \"job:svc_requests:rate5m\", expr: \"sum(svc_requests_total)\", labels: {_tier: a}}\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nrules:\n"
         "  - {record: \"job:svc requests\", expr: \"sum(svc_requests_total)\", labels: {bad-label: a, __tier: b}}\n"
         "  - {alert: \"\", expr: \"up == 0\", annotations: {1st: x}}\n"),
        ["c.yaml:19:14: error[contract/rule-name]: recorded name `job:svc requests` is not a valid metric name "
         "(letters, digits, `_` and `:`, not starting with a digit)",
         "c.yaml:19:76: error[contract/rule-name]: label name `bad-label` of rule `job:svc requests` is not a valid "
         "label name (letters, digits and `_`, not starting with a digit)",
         "c.yaml:19:90: error[contract/rule-name]: label name `__tier` of rule `job:svc requests` starts with `__`, "
         "which Prometheus reserves",
         "c.yaml:20:13: error[contract/rule-name]: an alerting rule needs a non-empty `alert` name",
         "c.yaml:20:48: error[contract/rule-name]: annotation name `1st` of rule 2 (unnamed) is not a valid label name "
         "(letters, digits and `_`, not starting with a digit)"],
    ),
    "contract/rule-template": (
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nrules:\n"
         "  - {alert: Slow, expr: \"up == 0\", labels: {team: \"{{ $labels.job }}\"},"
         " annotations: {summary: \"{{ $value | humanize }}\"}}\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nrules:\n"
         "  - {alert: Slow, expr: \"up == 0\", labels: {team: \"{{ $label.job }}\"},"
         " annotations: {summary: \"{{ $value | humanize }\"}}\n"),
        ["c.yaml:19:51: error[contract/rule-template]: label `team` of alert `Slow` is not a valid Go template: "
         "undefined variable `$label`",
         "c.yaml:19:95: error[contract/rule-template]: annotation `summary` of alert `Slow` is not a valid Go "
         "template: unexpected `}` in action"],
    ),
    "contract/span-events": (
        ("events:\n", "spans:\n  - {name: s, key: id, start: {event: A}, end: [{event: B}, {event: C}]}\nevents:\n"),
        ("events:\n", "spans:\n  - {name: s, key: id, start: {event: A}, end: [{event: B}, {event: A}]}\nevents:\n"),
        ["c.yaml:19:69: error[contract/span-events]: event `A` starts span `s`; start and end events must "
          "differ"],
    ),
    "contract/alert": (
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nstack: {paths: [otel-collector]}\nalerts:\n"
         "  thresholds:\n"
         "    - {alert: SvcErrors, query: ratio, metric: svc_requests, match: {code: \"500\"}, above: 0.05}\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nalerts:\n  thresholds:\n"
         "    - {alert: SvcErrors, query: ratio, metric: svc_requests, match: {code: \"503\"}, above: 0.05}\n"
         "    - {alert: SvcSlow, query: quantile, quantile: 0.99, metric: svc_latency_seconds, above: 5,\n"
         "       annotations: {summary: \"p99 is {{ $value }}\"}}\nstack: {paths: [otel-collector]}\n"),
        ["c.yaml:20:76: error[contract/alert]: alert `SvcErrors`: `503` is not a value of label `code` of "
         "`svc_requests`; allowed: `200`, `500`, `other`",
         "c.yaml:21:93: error[contract/alert]: alert `SvcSlow` can never fire: the 0.99 quantile is at most 1 (with "
         "every observation in its highest bucket)",
         "c.yaml:22:31: error[contract/alert]: annotation `summary` of alert `SvcSlow` may template only "
         "`{{ $labels.<name> }}`: the generated promtool tests must know the alert's text, so `$value` and "
         "functions are not expanded here"],
    ),
    "contract/stack-paths": (
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nstack: {paths: [otel-collector]}\nalerts: {}\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nstack: {paths: [otel-python]}\n"),
        ["c.yaml:18:17: error[contract/stack-paths]: `otel-python` is not a declared exposition path (declared: "
         "`prometheus-client`, `otel-collector`)"],
    ),
    "contract/slo": (
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nslos:\n"
         "  - {name: ok, objective: 99.9, sli: {events: {error_query: {metric: svc_requests, match: {code: \"500\"}},"
         " total_query: {metric: svc_requests}}}}\n"),
        ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nslos:\n"
         "  - {name: ok, objective: 90, sli: {events: {error_query: {metric: svc_requests, match: {code: \"503\"}},"
         " total_query: {metric: svc_request}}}}\n"
         "  - {name: fast, objective: 99, sli: {latency: {metric: svc_latency_seconds, threshold: 0.5}}}\n"),
        ["c.yaml:19:127: error[contract/slo]: SLO `ok`: `svc_request` is not in the contract; did you mean "
         "`svc_requests`?",
         "c.yaml:19:27: error[contract/slo]: objective 90% of SLO `ok` leaves an error budget of 10%: its page "
         "alert, at 14.4 times the budget's even rate, could never fire; use an objective above 93.06%",
         "c.yaml:19:96: error[contract/slo]: SLO `ok`: `503` is not a value of label `code` of `svc_requests`; "
         "allowed: `200`, `500`, `other`",
         "c.yaml:20:89: error[contract/slo]: SLO `fast`: threshold 0.5 is not a bucket bound of "
         "`svc_latency_seconds` (its bounds: 0.1, 1); the SLI counts the observations up to a bound"],
    ),
}


# name checks run without the events section, so renaming a metric does not
# also break the ops that refer to it
BARE = MINIMAL[: MINIMAL.index("events:")]
EVENT_CHECKS = {"contract/event-op", "contract/event-labels", "contract/event-identifier", "contract/span-events"}


def _problems(tmp_path: Path, edit: tuple[str, str], base: str = MINIMAL) -> list[str]:
    old, new = edit
    assert old in base, old
    lc = contract_from(tmp_path, base.replace(old, new, 1))
    return sorted(p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc))


def _base(check_id: str) -> str:
    return MINIMAL if check_id in EVENT_CHECKS else BARE


def test_every_check_has_cases() -> None:
    assert sorted(c.id for c in CONTRACT_CHECKS) == sorted(CASES)
    for check in CONTRACT_CHECKS:
        assert check.summary and check.__doc__ and check.id.startswith("contract/")


def test_minimal_is_clean(tmp_path: Path) -> None:
    assert _problems(tmp_path, ("\n", "\n")) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_passing_case(check_id: str, tmp_path: Path) -> None:
    assert _problems(tmp_path, CASES[check_id][0], _base(check_id)) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_failing_case(check_id: str, tmp_path: Path) -> None:
    got = _problems(tmp_path, CASES[check_id][1], _base(check_id))
    assert got == sorted(CASES[check_id][2])


def test_qortex_contract_is_clean(qortex) -> None:  # type: ignore[no-untyped-def]
    assert check_contract(qortex) == []


@pytest.mark.parametrize(("exposition", "stack", "warned"), [
    ("[prometheus-client, otel-collector]", "", True),
    ("[otel-python, otel-collector]", "", True),
    # named in `stack.paths`, one or both: the stack scrapes what the service is said to use
    ("[prometheus-client, otel-collector]", "stack: {paths: [otel-collector]}\n", False),
    ("[prometheus-client, otel-collector]", "stack: {paths: [otel-collector, prometheus-client]}\n", False),
    # one target for both paths: the service's
    ("[prometheus-client, otel-python]", "", False),
    # a pushed path has no scrape target of its own
    ("[otel-collector, prometheus-otlp]", "", False),
])
def test_alerts_on_a_stack_scraping_two_targets_are_warned(tmp_path: Path, exposition: str, stack: str,
                                                           warned: bool) -> None:
    text = BARE.replace("exposition: [prometheus-client, otel-collector]\n", f"exposition: {exposition}\n{stack}")
    got = _problems(tmp_path, ("    buckets: [0.1, 1.0]\n", "    buckets: [0.1, 1.0]\nalerts: {}\n"), text)
    assert got == (["c.yaml:4:13: warning[contract/stack-paths]: the stack scrapes the service and the Collector, "
                    "and an application exposes through one path at a time: the unused target stays down and "
                    "`SvcTargetDown` fires for it; name the path in use in `stack.paths`"] if warned else [])


def test_unit_word_missing_from_name_is_a_warning(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("svc_latency_seconds", "svc_latency"))
    assert [p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc)] == [
        "c.yaml:13:11: warning[contract/unit-suffix]: `svc_latency` has unit `s` and is exposed as "
        "`svc_latency_seconds`; name it `svc_latency_seconds`"]


def test_contract_budget_and_unbounded_labels(tmp_path: Path) -> None:
    # svc_requests: 3 values (with `other`) x (`_total` + `_created`) + 3 x `_total` = 9; histogram 11
    assert _problems(tmp_path, ("metrics:\n", "max_series: 20\nmetrics:\n")) == []
    assert _problems(tmp_path, ("metrics:\n", "max_series: 19\nmetrics:\n")) == [
        "c.yaml:5:13: error[contract/cardinality]: the contract is estimated at 20 series, over its budget of 19"]
    open_label = MINIMAL.replace('        values: ["200", "500"]\n', "    max_series: 5\n", 1)
    assert _problems(tmp_path, ("metrics:\n", "max_series: 20\nmetrics:\n"), open_label) == [
        "c.yaml:13:17: warning[contract/cardinality]: `svc_requests` has a budget but label `code` has no closed "
        "value set, so its series cannot be bounded",
        "c.yaml:5:13: warning[contract/cardinality]: some metrics have labels without a closed value set, so only "
        "11 series are bounded by the budget"]


# Alert templates and what the check says of them (None: valid). Every row is
# also run through promtool 2.42, which must agree that it is valid or not.
TEMPLATES: list[tuple[str, str | None]] = [
    ("{{ $value }}", None),
    ("{{ $value | humanize }}", None),
    ("{{- $value | humanize -}} requests/s", None),
    ("{{ $labels.instance }} of {{ .Labels.job }}", None),
    ('{{ printf "%.2f" $value }}', None),
    ('{{ printf "%s" "}}" }}', None),
    ("{{ if gt $value 1.0 }}high{{ else if gt $value 0.5 }}raised{{ else }}low{{ end }}", None),
    ('{{ range query "up" }}{{ .Labels.instance }} {{ end }}', None),
    ('{{ with query "up" }}{{ . | first | value | humanize }}{{ end }}', None),
    ("{{ range $i, $e := $labels }}{{ $i }}={{ $e }} {{ end }}", None),
    ("{{ if $value }}{{ $z := 1 }}{{ else }}{{ $z }}{{ end }}", None),
    ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", None),
    ('{{ label "x" (first (query "up")) }}', None),
    ("{{/* a comment */}}{{- /* trimmed */ -}}", None),
    ("{{ `raw` }} {{ .5 }} {{ -1 }} {{-1}} {{ true }}", None),
    ("{{ $externalLabels.x }} {{ $externalURL }} {{ $ }}", None),
    ("{{ range $labels }}{{ break }}{{ end }}", None),
    ("}} braces { {x} } outside actions", None),
    ("{{ $value | humanize }", "unexpected `}` in action"),
    ("{{ $value | humanize", "unclosed action"),
    ("{{ $foo }}", "undefined variable `$foo`"),
    ("{{ if $value }}{{ $z := 1 }}{{ end }}{{ $z }}", "undefined variable `$z`"),
    ("{{ humanizeDate $value }}", "function `humanizeDate` is not defined"),
    ("{{ }}", "missing value for command"),
    ("{{ $x := }}", "missing value for command"),
    ('{{ "abc }}', "unterminated quoted string"),
    ('{{ "\\q" }}', "unsupported escape in quoted string"),
    ("{{ `abc }}", "unterminated raw quoted string"),
    ("{{ end }}", "unexpected `{{end}}`"),
    ("{{ else }}", "unexpected `{{else}}`"),
    ("{{ if true }}open", "`{{if}}` has no `{{end}}`"),
    ("{{ if 1 }}{{ else }}{{ else }}{{ end }}", "expected `{{end}}`; found `{{else}}`"),
    ("{{ break }}", "`{{break}}` outside `{{range}}`"),
    ("{{ $value | 1 }}", "a command that takes arguments or follows `|` must start with a function"),
    ('{{ printf"%s"$value }}', 'unexpected `"` after `printf`'),
    ('{{ printf "%s""x" }}', 'unexpected `"x"` in operand'),
    ("{{ ( }}", "unclosed left paren"),
    ("{{ ) }}", "unexpected `)` in command"),
    ("{{{{ x }}}}", "unexpected `{` in action"),
    ("{{/* open", "unclosed comment"),
    ("{{/* c */ }}", "comment ends before closing delimiter"),
    ("{{ $value= 1 }}", "unexpected `=` after `$value`"),
] + [(f"{{{{ {name} }}}}", None) for name in sorted(FUNCTIONS)]

# Valid Go templates the check rejects on purpose: they fail when the alert
# fires (arguments to a non-function, an assignment to an undeclared
# variable), or they are shapes it does not follow.
STRICTER: list[tuple[str, str]] = [
    ('{{ "a" "b" }}', "a command that takes arguments or follows `|` must start with a function"),
    ("{{ $y = 2 }}", "undefined variable `$y`"),
    ("{{ $value | }}", "missing command after `|`"),
    ("{{ nil }}", "`nil` is not supported here"),
    ('{{ define "x" }}{{ end }}', "`define` is not supported here"),
    ("{{ 'a' }}", "character constants are not supported here"),
    ("{{ 0x1F }}", "unsupported number syntax `0x1F`"),
]


@pytest.fixture(scope="module")
def promtool_rejects(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The templates of TEMPLATES and STRICTER that `promtool check rules` rejects, in one run."""
    texts = [text for text, _ in TEMPLATES + STRICTER]
    rules = [{"alert": f"A{i}", "expr": "up == 0", "annotations": {"summary": text}} for i, text in enumerate(texts)]
    path = tmp_path_factory.mktemp("templates") / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}), encoding="utf-8")
    checked = subprocess.run([require_binary("promtool"), "check", "rules", str(path)], capture_output=True,
                             text=True, timeout=120)
    rejected = {int(n) for n in re.findall(r'rule \d+, "A(\d+)": annotation "summary": template:', checked.stdout
                                           + checked.stderr)}
    assert checked.returncode == (1 if rejected else 0), checked.stdout + checked.stderr
    return {texts[i] for i in rejected}


@pytest.mark.parametrize(("text", "error"), TEMPLATES)
def test_template_check_agrees_with_promtool(text: str, error: str | None, promtool_rejects: set[str]) -> None:
    assert template_error(text) == error
    assert (text in promtool_rejects) == (error is not None)


@pytest.mark.parametrize(("text", "error"), STRICTER)
def test_template_check_rejects_what_it_cannot_judge(text: str, error: str, promtool_rejects: set[str]) -> None:
    assert template_error(text) == error
    assert text not in promtool_rejects


# pieces of actions, glued at random into templates mostly invalid
PIECES = ["{{", "}}", "{{- ", " -}}", "{{/*", "*/}}", " ", "\n", "$value", "$labels.job", ".Labels", ".", "$", "$x",
          "$x :=", "$x =", "$i, $e :=", "|", "(", ")", ",", ":", "=", "-", "{", "}", "humanize", "printf", "query",
          "first", "len", "eq", "foo", "nil", "if", "else", "else if", "end", "range", "with", "break", "continue",
          '"%s"', '"a', '"\\n"', '"}}"', "`r`", "'a'", "1", "-1", "1.5", "1.", "+1", "1e3", "true"]


def random_templates(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    templates = []
    for _ in range(count):
        actions = []
        for _ in range(rng.randint(1, 3)):
            body = "".join(rng.choice(PIECES) + rng.choice(["", " "]) for _ in range(rng.randint(1, 6)))
            actions.append(rng.choice(["{{ ", "{{", "{{- ", "x {{ "]) + body + rng.choice([" }}", "}}", " -}}", ""]))
        templates.append("".join(actions))
    return templates


def test_template_check_never_passes_what_promtool_rejects(tmp_path: Path) -> None:
    texts = random_templates(0, 3000)
    rules = [{"alert": f"A{i}", "expr": "up == 0", "annotations": {"summary": text}} for i, text in enumerate(texts)]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": rules}]}), encoding="utf-8")
    checked = subprocess.run([require_binary("promtool"), "check", "rules", str(path)], capture_output=True,
                             text=True, timeout=120)
    rejected = {texts[int(n)] for n in re.findall(r'rule \d+, "A(\d+)": annotation', checked.stdout + checked.stderr)}
    accepted = [text for text in texts if text not in rejected]
    # both kinds are plenty, so the comparison below means something
    assert len(rejected) > 2000 and len(accepted) > 100
    assert [text for text in rejected if template_error(text) is None] == []
    # the check is conservative, not blind: it passes most of what promtool accepts
    assert sum(template_error(text) is None for text in accepted) > 0.6 * len(accepted)


# ── OpenTelemetry names, semconv metrics, units ────────────────────────────

def _texts(tmp_path: Path, text: str) -> list[str]:
    lc = contract_from(tmp_path, text)
    return sorted(p.text().removeprefix(f"{tmp_path}/") for p in check_contract(lc))


DOTTED = """\
contract: 1
service: svc
namespace: svc
exposition: [prometheus-client, otel-collector]
metrics:
  - name: svc.requests
    type: counter
    unit: "{request}"
    help: Requests
    labels:
      - {name: http.request.method, values: [GET, POST]}
      - {name: http.route}
  - name: svc.request.duration
    type: histogram
    unit: s
    help: Latency
    buckets: [0.1, 1.0]
"""


def test_dotted_names_inside_the_namespace_are_clean(tmp_path: Path) -> None:
    assert _texts(tmp_path, DOTTED) == []


@pytest.mark.parametrize(("name", "valid"), [
    ("svc.a-b/c_d", True),
    ("svc" + "a" * 252, True),     # 255 characters, the OpenTelemetry limit
    ("svc" + "a" * 253, False),
    ("svc requests", False),
    ("svc:requests", False),
    ("_svc", False),
    ("1svc", False),
    ("svc_é", False),
])
def test_metric_names_follow_the_opentelemetry_api(tmp_path: Path, name: str, valid: bool) -> None:
    got = [p for p in _texts(tmp_path, BARE.replace("name: svc_requests\n", f"name: {name}\n", 1))
           if "invalid-name" in p]
    assert got == ([] if valid else [
        f"c.yaml:6:11: error[contract/invalid-name]: metric name `{name}` is not a valid instrument name (an ASCII "
        "letter, then letters, digits, `_`, `.`, `-` or `/`, at most 255 characters)"])


def test_opentelemetry_rejects_what_the_check_rejects() -> None:
    from opentelemetry.sdk.metrics import MeterProvider

    from contract.checks.invalid_name import METRIC_NAME

    meter = MeterProvider().get_meter("t")
    for name in ("svc.a-b/c_d", "a" * 255, "a" * 256, "svc requests", "_svc", "1svc", "svc:x"):
        try:
            meter.create_counter(name)
            accepted = True
        except Exception:   # the SDK raises a bare Exception for a name it refuses
            accepted = False
        assert accepted == bool(METRIC_NAME.fullmatch(name)), name


def test_dotted_and_underscore_names_collide(tmp_path: Path) -> None:
    text = DOTTED.replace("  - name: svc.request.duration\n", "  - name: svc_requests\n    type: counter\n"
                          "    unit: \"{request}\"\n    help: Again\n  - name: svc.request.duration\n")
    text = text.replace("      - {name: http.route}\n", "      - {name: http.route}\n      - {name: http_route}\n")
    assert _texts(tmp_path, text) == [
        "c.yaml:13:16: error[contract/collision]: labels `http.route` and `http_route` of `svc.requests` both "
        "become label `http_route` on prometheus-client",
        "c.yaml:14:11: error[contract/collision]: `svc_requests` and `svc.requests` both yield series "
        "`svc_requests_created` on prometheus-client",
    ]


SEMCONV = """\
  - name: http.server.request.duration
    type: histogram
    unit: s
    help: Duration of HTTP server requests
    buckets: [0.1, 1.0]
"""


def test_semconv_metrics_may_sit_outside_the_namespace(tmp_path: Path) -> None:
    marked = DOTTED + SEMCONV.replace("    help:", "    semconv: true\n    help:")
    assert _texts(tmp_path, marked) == []
    assert _texts(tmp_path, DOTTED + SEMCONV) == [
        "c.yaml:18:11: error[contract/namespace]: metric `http.server.request.duration` is outside namespace `svc`; "
        "start it with `svc.`, or mark it `semconv: true` if an OpenTelemetry semantic convention defines it"]
    # an underscore name keeps the short advice, and a dotted name is judged as exposed
    assert _texts(tmp_path, DOTTED.replace("svc.requests", "other_requests")) == [
        "c.yaml:6:11: error[contract/namespace]: metric `other_requests` is outside namespace `svc`; name it "
        "`svc_...`"]


def test_a_dotted_namespace_is_judged_as_exposed(tmp_path: Path) -> None:
    text = DOTTED.replace("namespace: svc\n", "namespace: svc.api\n").replace("name: svc.", "name: svc.api.")
    assert _texts(tmp_path, text) == []
    assert _texts(tmp_path, text.replace("name: svc.api.requests", "name: svc.requests")) == [
        "c.yaml:6:11: error[contract/namespace]: metric `svc.requests` is outside namespace `svc.api`; start it "
        "with `svc.api.`, or mark it `semconv: true` if an OpenTelemetry semantic convention defines it"]


@pytest.mark.parametrize(("name", "kind", "message"), [
    ("svc.requests.total", "counter", "counter `svc.requests.total` must not end in `.total`; the exporter appends "
     "`_total`"),
    ("svc_requests_total", "counter", "counter `svc_requests_total` must not end in `_total`; the exporter appends it"),
    ("svc.requests.totals", "counter", None),
    ("svc.requests.total", "gauge", None),
])
def test_total_suffix_in_any_spelling(tmp_path: Path, name: str, kind: str, message: str | None) -> None:
    text = BARE.replace("name: svc_requests\n    type: counter\n", f"name: {name}\n    type: {kind}\n", 1)
    got = [p for p in _texts(tmp_path, text) if "counter-total-suffix" in p]
    assert got == ([f"c.yaml:6:11: error[contract/counter-total-suffix]: {message}"] if message else [])


def test_reserved_labels_are_judged_as_exposed(tmp_path: Path) -> None:
    text = DOTTED.replace("{name: http.route}", "{name: otel.scope.name}")
    assert _texts(tmp_path, text) == [
        "c.yaml:12:16: error[contract/reserved-label]: label `otel.scope.name` of `svc.requests` is reserved: it is "
        "exposed as `otel_scope_name`, and the exporter or the scrape sets it"]


# (name, unit, type, expected problem after `c.yaml:15:11: `); the metric replaces svc_latency_seconds
UNITS = [
    ("svc_latency_seconds", "s", "histogram", None),
    ("svc_latency_milliseconds", "ms", "histogram",
     "warning[contract/unit-suffix]: `svc_latency_milliseconds` has unit `ms`, but OpenTelemetry and Prometheus "
     "measure durations in seconds; declare unit `s`, name it `svc_latency_seconds`, record its field with "
     "`scale: 0.001` and give its buckets in seconds"),
    ("svc_latency", "us", "histogram",
     "warning[contract/unit-suffix]: `svc_latency` has unit `us`, but OpenTelemetry and Prometheus measure "
     "durations in seconds; declare unit `s`, name it `svc_latency_seconds`, record its field with "
     "`scale: 0.000001` and give its buckets in seconds"),
    ("svc_busy", "ns", "counter",
     "warning[contract/unit-suffix]: `svc_busy` has unit `ns`, but OpenTelemetry and Prometheus measure durations "
     "in seconds; declare unit `s`, name it `svc_busy_seconds` and add its field with `scale: 0.000000001`"),
    ("svc_uptime_hours", "h", "gauge",
     "warning[contract/unit-suffix]: `svc_uptime_hours` has unit `h`, but OpenTelemetry and Prometheus measure "
     "durations in seconds; declare unit `s`, name it `svc_uptime_seconds` and set its field with `scale: 3600`"),
    ("svc.job.duration", "min", "gauge",
     "warning[contract/unit-suffix]: `svc.job.duration` has unit `min`, but OpenTelemetry and Prometheus measure "
     "durations in seconds; declare unit `s` and set its field with `scale: 60`"),
    ("svc_latency_milliseconds", "s", "histogram",
     "error[contract/unit-suffix]: `svc_latency_milliseconds` ends in `_milliseconds` but its unit is `s`; name it "
     "`svc_latency_seconds`"),
    ("svc_size_seconds", "By", "gauge",
     "error[contract/unit-suffix]: `svc_size_seconds` ends in `_seconds` but its unit is `By`; declare unit `s`"),
    ("svc.latency", "s", "histogram", None),     # dotted: the exporters always rewrite it, `_seconds` included
    ("svc_latency", "s", "histogram",
     "warning[contract/unit-suffix]: `svc_latency` has unit `s` and is exposed as `svc_latency_seconds`; name it "
     "`svc_latency_seconds`"),
]


@pytest.mark.parametrize(("name", "unit", "kind", "message"), UNITS)
def test_durations_are_in_seconds(tmp_path: Path, name: str, unit: str, kind: str, message: str | None) -> None:
    metric = f"  - name: {name}\n    type: {kind}\n    unit: {unit}\n    help: Latency\n"
    if kind == "histogram":
        metric += "    buckets: [0.1, 1.0]\n"
    text = BARE[:BARE.index("  - name: svc_latency_seconds")] + metric
    got = [p for p in _texts(tmp_path, text) if "unit-suffix" in p]
    assert got == ([f"c.yaml:{13 if 'warning' in message and 'exposed as' in message else 15}:11: {message}"]
                   if message else [])


def test_a_suggested_unit_or_name_makes_the_paths_agree(tmp_path: Path) -> None:
    gauge = "  - name: {name}\n    type: gauge\n    unit: \"{unit}\"\n    help: Up\n{extra}"
    base = BARE[:BARE.index("  - name: svc_latency_seconds")]

    def divergence(name: str, unit: str, extra: str = "") -> list[str]:
        text = base + gauge.format(name=name, unit=unit, extra=extra)
        return [p for p in _texts(tmp_path, text) if "path-divergence" in p]

    # what the message suggests is clean, and a dotted or semconv name gets its own suggestion
    assert divergence("svc_up_ratio", "1") == divergence("svc_up", "{ratio}") == []
    assert divergence("svc.cache.hit.ratio", "1") == []
    assert divergence("svc.cache.hit", "1") == [
        "c.yaml:13:11: error[contract/path-divergence]: `svc.cache.hit` is exposed as `svc_cache_hit` on "
        "prometheus-client but as `svc_cache_hit_ratio` on otel-collector; the Collector appends `_ratio` to gauges "
        "of unit `1`: name it `svc.cache.hit.ratio` (exposed as `svc_cache_hit_ratio` everywhere) or declare unit "
        "`{ratio}` (exposed as `svc_cache_hit` everywhere)"]
    assert divergence("system.cpu.utilization", "1", "    semconv: true\n") == [
        "c.yaml:13:11: error[contract/path-divergence]: `system.cpu.utilization` is exposed as "
        "`system_cpu_utilization` on prometheus-client but as `system_cpu_utilization_ratio` on otel-collector; the "
        "Collector appends `_ratio` to gauges of unit `1`: declare unit `{ratio}` (exposed as "
        "`system_cpu_utilization` everywhere)"]


# a metric of each type an event updates, on the one path that records all of them (a summary is not OpenTelemetry's)
VALUES = MINIMAL.replace("exposition: [prometheus-client, otel-collector]\nmetrics:\n",
                         "exposition: [prometheus-client]\nmetrics:\n"
                         "  - {name: svc_open, type: updowncounter, unit: \"{connection}\", help: Open}\n"
                         "  - {name: svc_queued, type: gauge, unit: \"{job}\", help: Queued}\n"
                         "  - {name: svc_size_bytes, type: summary, unit: By, help: Size}\n", 1)
OP_VALUES = [
    ("{metric: svc_requests, add: -1, labels: {code: {value: \"200\"}}}",
     "26:37: error[contract/event-op]: counter `svc_requests` cannot decrease; `add: -1` is negative"),
    ("{metric: svc_requests, add: 0, labels: {code: {value: \"200\"}}}", None),   # makes the series exist
    ("{metric: svc_requests, add: {field: n, scale: -2}, labels: {code: {value: \"200\"}}}",
     "26:55: error[contract/event-op]: counter `svc_requests` cannot decrease; `scale: -2` makes every positive "
     "value of field `n` negative"),
    ("{metric: svc_requests, add: {field: n, scale: 0}, labels: {code: {value: \"200\"}}}",
     "26:55: error[contract/event-op]: `scale: 0` makes every value 0, so event `Done` never changes counter "
     "`svc_requests`"),
    ("{metric: svc_latency_seconds, record: -0.5}",
     "26:47: error[contract/event-op]: histogram `svc_latency_seconds` records no negative value; `record: -0.5` is "
     "negative"),
    ("{metric: svc_latency_seconds, record: 0}", None),
    ("{metric: svc_latency_seconds, record: {field: ms, scale: -0.001}}",
     "26:66: error[contract/event-op]: histogram `svc_latency_seconds` records no negative value; `scale: -0.001` "
     "makes every positive value of field `ms` negative"),
    ("{metric: svc_latency_seconds, record: {field: ms, scale: 0}}",
     "26:66: error[contract/event-op]: `scale: 0` makes every value 0, so `svc_latency_seconds` ignores field `ms`; "
     "write `record: 0` if a constant is meant"),
    ("{metric: svc_size_bytes, record: {field: n, scale: -1}}",
     "26:60: error[contract/event-op]: summary `svc_size_bytes` records no negative value; `scale: -1` makes every "
     "positive value of field `n` negative"),
    ("{metric: svc_open, add: -1}", None),
    ("{metric: svc_open, add: {field: n, scale: -1}}", None),   # an up-down counter goes down
    ("{metric: svc_open, add: {field: n, scale: 0.0}}",
     "26:51: error[contract/event-op]: `scale: 0` makes every value 0, so event `Done` never changes updowncounter "
     "`svc_open`"),
    ("{metric: svc_queued, set: {field: n, scale: -1}}", None),
    ("{metric: svc_queued, set: {field: n, scale: 0}}",
     "26:53: error[contract/event-op]: `scale: 0` makes every value 0, so `svc_queued` ignores field `n`; write "
     "`set: 0` if a constant is meant"),
]


@pytest.mark.parametrize(("op", "message"), OP_VALUES)
def test_an_op_value_the_module_would_drop_or_ignore_is_refused(tmp_path: Path, op: str, message: str | None) -> None:
    assert _texts(tmp_path, VALUES + f"      - {op}\n") == ([f"c.yaml:{message}"] if message else [])


IDENTIFIERS = [
    ("_private", None),
    ("match", None),      # a soft keyword: a valid class name and attribute
    ("None", "field `None` of `Done` is not a python identifier"),
    ("lambda", "field `lambda` of `Done` is not a python identifier"),
    ("read.bytes", "field `read.bytes` of `Done` is not a python identifier"),
    ("read-bytes", "field `read-bytes` of `Done` is not a python identifier"),
    ("\"2xx\"", "field `2xx` of `Done` is not a python identifier"),
    ("\"\"", "the empty field name of `Done` is not a python identifier"),
    ("größe", "field `größe` of `Done` is not a python identifier"),   # Python allows it; the module is ASCII
]


@pytest.mark.parametrize(("field", "message"), IDENTIFIERS)
def test_every_field_an_op_reads_is_an_identifier(tmp_path: Path, field: str, message: str | None) -> None:
    op = f"{{metric: svc_latency_seconds, record: {{field: {field}}}, when: {{field: {field}, not_null: true}}}}"
    line = f"      - {op}"
    got = _texts(tmp_path, MINIMAL + line + "\n")
    # both problems point at the field as written: the `record` field, then the `when` field
    columns = [line.index("{field: ") + 9, line.index("when: {field: ") + 15]
    tail = "; the generated handler reads it as an attribute of the event"
    assert got == ([f"c.yaml:23:{col}: error[contract/event-identifier]: {message}{tail}" for col in columns]
                   if message else [])


def test_the_events_and_fields_of_spans_are_identifiers(tmp_path: Path) -> None:
    spans = ("spans:\n  - {name: s, key: job.id, start: {event: class, attributes: {a: ok, b: x-y}},\n"
             "     end: [{event: Done}, {event: E-2, attributes: {c: \"\"}}]}\nevents:\n")
    assert _texts(tmp_path, MINIMAL.replace("events:\n", spans, 1)) == [
        "c.yaml:19:20: error[contract/event-identifier]: field `job.id` (the key of span `s`) is not a python "
        "identifier; the generated handler reads it as an attribute of the event",
        "c.yaml:19:43: error[contract/event-identifier]: event `class` is not a python identifier, so no event class "
        "can carry that name",
        "c.yaml:19:73: error[contract/event-identifier]: field `x-y` of `class` is not a python identifier; the "
        "generated handler reads it as an attribute of the event",
        "c.yaml:20:35: error[contract/event-identifier]: event `E-2` is not a python identifier, so no event class "
        "can carry that name",
        "c.yaml:20:56: error[contract/event-identifier]: the empty field name of `E-2` is not a python identifier; "
        "the generated handler reads it as an attribute of the event",
    ]


def test_validate_reports_what_generate_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    text = MINIMAL.replace("- event: Done", "- event: class").replace("add: 1,", "add: {field: read, scale: -1},")
    Path("c.yaml").write_text(text)
    expected = [
        "c.yaml:19:12: error[contract/event-identifier]: event `class` is not a python identifier, so no event class "
        "can carry that name",
        "c.yaml:21:58: error[contract/event-op]: counter `svc_requests` cannot decrease; `scale: -1` makes every "
        "positive value of field `read` negative",
    ]
    assert main(["validate", "--strict", "c.yaml"]) == 1
    assert capsys.readouterr().out.splitlines() == expected
    assert main(["generate", "c.yaml", "--out", "out"]) == 1
    assert capsys.readouterr().err.splitlines() == [*expected, "nothing written: the contract has errors"]
    assert not Path("out").exists()
