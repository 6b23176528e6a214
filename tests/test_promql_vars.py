"""Grafana variable expansion: every form, and problems located in the text as written."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract.catalog import Catalog
from contract.loader import load_contract
from contract.problems import Problem
from contract.promql.analyze import analyze_sources
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from contract.promql.variables import LABEL_PLACEHOLDER as G
from contract.promql.variables import MAX_EXPANSIONS, duration_text, expand, expansions, lexed_occurrences, occurrences
from contract.promql.variables import PLACEHOLDER_MARK as M
from tests.conftest import APP_CONTRACT
from tests.promql_util import lint_short

DECLARED = frozenset({"var", "mode", "group", "off", "interval", "n"})

# (as written, expanded with scrape_interval 15s)
EXPANSIONS = [
    ("rate(x[$__rate_interval])", "rate(x[1m])"),
    ("rate(x[$__interval])", "rate(x[15s])"),
    ("increase(x[$__range])", "increase(x[1h])"),
    ("increase(x[${__range_s}s]) / $__range_s", "increase(x[3600s]) / 3600"),
    ("x * $__range_ms", "x * 3600000"),
    ("x / $__interval_ms", "x / 15000"),
    ("rate(x[5m:$__interval])", "rate(x[5m:15s])"),
    ('x{a="$var"}', f'x{{a="{M}var{M}"}}'),
    ('x{a=~"${var}|b"}', f'x{{a=~"{M}var{M}|b"}}'),
    ('x{a=~"${var:regex}"}', f'x{{a=~"{M}var{M}"}}'),
    ('x{a="[[var]]"}', f'x{{a="{M}var{M}"}}'),
    ("sum by ($var) (x)", f"sum by ({G}var) (x)"),
    ("sum by (job, ${var:csv}) (x)", f"sum by (job, {G}var) (x)"),
    ("sum(x) by ([[var]])", f"sum(x) by ({G}var)"),
    ("x / on($var) group_left y", f"x / on({G}var) group_left y"),
    ("x offset $var", "x offset 1m"),
    ("rate(x[5m] offset ${var})", "rate(x[5m] offset 1m)"),
    ("rate(x[$var])", "rate(x[1m])"),
    ("rate(x[${var}])", "rate(x[1m])"),
    ("rate(x[${var:text}])", "rate(x[1m])"),
    ("rate(x[[[var]]])", "rate(x[1m])"),
    ("$var", f"{G}var"),
    ("rate(${var}[5m])", f"rate({G}var[5m])"),
    ("qortex_${var}_total", f"qortex_{G}var_total"),
    # strings and comments by PromQL's lexical rules: an apostrophe in a comment or a string opens nothing
    ("# it's $var\nrate(x[$var])", "# it's $var\nrate(x[1m])"),
    ('x{a="it\'s"} offset $off', 'x{a="it\'s"} offset 1m'),
    ("x{a='say \"$var\"'} / on ($group) y", f"x{{a='say \"{M}var{M}\"'}} / on ({G}group) y"),
    ("sum by (a) (rate(x[`]`]))[$var:]", "sum by (a) (rate(x[`]`]))[1m:]"),
    # not Grafana's to replace: undeclared names and regex back-references stay
    ('label_replace(x, "dst", "$1", "src", "(.*)")', 'label_replace(x, "dst", "$1", "src", "(.*)")'),
    ("rate(x[$undeclared])", "rate(x[$undeclared])"),
]


@pytest.mark.parametrize(("written", "expanded"), EXPANSIONS)
def test_expansion(written: str, expanded: str) -> None:
    result = expand(written, 15.0, DECLARED)
    assert result.text == expanded
    # the end of the text maps back to the end of the text as written
    assert result.original(len(result.text)) == len(written)
    for exp_start, exp_end, orig_start, orig_end in result.segments:
        assert result.original(exp_start) == orig_start
        assert result.original(exp_end) == orig_end
        assert written[orig_start:orig_end].strip("[]").lstrip("$").strip("{}").split(":")[0].split(".")[0] in (
            DECLARED | {"__rate_interval", "__interval", "__range", "__range_s", "__range_ms", "__interval_ms"})


def test_undeclared_value_stand_in_follows_the_grammar_position() -> None:
    assert expand("topk($n, x)", 15.0, DECLARED).text == "topk(1, x)"
    assert expand("x $var y", 15.0, DECLARED).text == "x + y"
    assert expand("x $var bool y", 15.0, DECLARED).text == "x == bool y"
    assert expand("$var", 15.0, DECLARED).text == f"{G}var"


def test_without_declared_variables_every_name_expands() -> None:
    assert expand("rate(x[$w])", 15.0, None).text == "rate(x[1m])"


@pytest.mark.parametrize(("seconds", "text"), [(15, "15s"), (60, "1m"), (90, "90s"), (3600, "1h"), (0.25, "250ms")])
def test_duration_text(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


# (expression as written, token the problem must point at, expected `check@offset`)
LOCATED = [
    ('rate(qortex_queries_total{mode="$mode"}[$__rate_interval]) + rate(qortex_querys_total[$__rate_interval])',
     "qortex_querys_total", "promql/unknown-metric"),
    ('sum by (${group:csv}) (rate(qortex_queries_total{mode="vecc"}[5m]))', "vecc", "promql/label-value"),
    ('sum by ([[group]], stage) (rate(qortex_queries_total{mode=~"$mode"}[5m]))', "stage", "promql/grouping-label"),
    ("rate(qortex_queries_total[[[interval]]]) or rate(qortex_factor_mean[$__rate_interval])", "qortex_factor_mean",
     "promql/rate-on-gauge"),
    ("rate(qortex_queries_total[${interval}]) + rate(qortex_queries_total[$__interval])", "$__interval])",
     "promql/rate-window"),
    ("rate(qortex_queries_total[5m] offset $off) / on(stage) rate(qortex_query_errors_total[$__rate_interval])",
     "stage", "promql/grouping-label"),
    ("topk($n, rate(qortex_querys_total[$__rate_interval]))", "qortex_querys_total", "promql/unknown-metric"),
    ('rate(qortex_queries_total{mode="$mode", stag="$var"}[$__range])', "stag=", "promql/unknown-label"),
]


@pytest.mark.parametrize(("written", "token", "check"), LOCATED)
def test_problems_point_at_the_text_as_written(written: str, token: str, check: str) -> None:
    found = [line.split(":")[0] for line in lint_short(written, variables=tuple(DECLARED))]
    assert found == [f"{check}@{written.index(token)}"]


def test_rate_window_names_the_variable_as_written() -> None:
    assert lint_short("rate(qortex_queries_total{mode=~\"$mode\"}[$__interval])", variables=("mode",)) == [
        "promql/rate-window@41: `rate()` over `[$__interval]` (15s) is shorter than 2×scrape_interval (30s); use "
        "`[$__rate_interval]`"]


def test_undeclared_variable_is_a_syntax_error() -> None:
    assert lint_short("rate(qortex_queries_total[$window])") == [
        "promql/syntax@0: invalid PromQL: unexpected character inside brackets: '$'"]


# ── the dashboard's own declared values, on a small service's contract ────────────────────────────────────
#
# Plain data, reusable by the corpus test: (case, target fields, variables, panel fields, problems as
# `check: message`). Each problem is also located on the target's `expr` line.

REPRO = APP_CONTRACT
_WHERE = 'panel "P" target A: '


def _custom(name: str, query: str) -> dict[str, object]:
    return {"name": name, "type": "custom", "query": query}


VALUE_CASES: list[tuple[str, dict[str, str], list[dict[str, object]], dict[str, str], list[str]]] = [
    ("scalar from custom options", {"expr": "topk($k, app_temp)"}, [_custom("k", "5,10")], {}, []),
    ("scalar from a textbox default", {"expr": "topk($n, app_temp)"}, [{"name": "n", "type": "textbox",
                                                                       "query": "3"}], {}, []),
    ("scalar undeclared", {"expr": "topk($n, app_temp)"}, [{"name": "n", "type": "textbox"}], {}, []),
    ("every operator value", {"expr": "app_temp $op app_temp"}, [_custom("op", "or,unless")], {}, []),
    ("an operator value that is no operator", {"expr": "app_temp $op app_temp"}, [_custom("op", "or,bogus")], {},
     ["promql/syntax: invalid PromQL: invalid promql query (with `$op` = `bogus`)"]),
    ("the current value first", {"expr": "app_temp $op app_temp"},
     [{**_custom("op", "or,bogus"), "current": {"text": "bogus", "value": "bogus"}}], {},
     ["promql/syntax: invalid PromQL: invalid promql query"]),
    ("operator undeclared", {"expr": "app_temp $op app_temp"}, [{"name": "op", "type": "textbox"}], {}, []),
    ("offset values", {"expr": "app_temp offset $off"}, [_custom("off", "5m,1h")], {}, []),
    ("range values", {"expr": "rate(app_requests_total[$w])"},
     [{"name": "w", "type": "interval", "query": "auto,1m,10s"}], {},
     ["promql/rate-window: `rate()` over `[$w]` (10s) is shorter than 2×scrape_interval (30s); use "
      "`[$__rate_interval]` (with `$w` = `10s`)"]),
    ("the seventeenth value", {"expr": "rate(app_requests_total[$w])"},
     [{"name": "w", "type": "interval", "query": ",".join([f"{m}m" for m in range(1, 17)] + ["10s"])}], {},
     ["promql/rate-window: `rate()` over `[$w]` (10s) is shorter than 2×scrape_interval (30s); use "
      "`[$__rate_interval]` (with `$w` = `10s`)"]),
    ("a constant", {"expr": "rate(app_requests_total[$c])"}, [{"name": "c", "type": "constant", "query": "20s"}],
     {}, ["promql/rate-window: `rate()` over `[$c]` (20s) is shorter than 2×scrape_interval (30s); use "
          "`[$__rate_interval]`"]),
    ("grouping values", {"expr": "sum by ($g) (app_temp)"}, [_custom("g", "job,cluster")], {},
     ["promql/grouping-label: `sum by (cluster)`: the input does not carry label `cluster` (it carries only scrape "
      "and exporter labels) (with `$g` = `cluster`)"]),
    ("a name glued to a value", {"expr": "app_${m}"}, [_custom("m", "temp,tmp")], {},
     ["promql/unknown-metric: `app_tmp` is not in the contract; did you mean `app_temp` (gauge app_temp)? "
      "(with `$m` = `tmp`)"]),
    ("an apostrophe in a comment", {"expr": "# we're fine\nrate(app_requests_total[$__rate_interval])"}, [], {},
     []),
    ("an apostrophe in a comment, no variable", {"expr": "# we're fine\napp_temp"}, [], {}, []),
    ("a variable in a comment", {"expr": "# $nothing here\napp_temp"}, [], {}, []),
    ("$__interval, no min interval", {"expr": "increase(app_requests_total[$__interval])"}, [], {},
     ["promql/rate-window: `increase()` over `[$__interval]` (15s) is shorter than 2×scrape_interval (30s); use "
      "`[$__rate_interval]`"]),
    ("the panel's min interval", {"expr": "increase(app_requests_total[$__interval])"}, [], {"interval": "2m"}, []),
    ("the panel's minInterval", {"expr": "increase(app_requests_total[$__interval])"}, [], {"minInterval": ">1m"},
     []),
    ("the target's min step", {"expr": "increase(app_requests_total[$__interval])", "interval": "30s"}, [], {}, []),
]


def _dashboard(target: dict[str, str], variables: list[dict[str, object]], panel: dict[str, str]) -> str:
    return json.dumps({"panels": [{"title": "P", "id": 1, "datasource": {"type": "prometheus", "uid": "p"}, **panel,
                                   "targets": [{"refId": "A", **target}]}],
                       "templating": {"list": variables}}, indent=1)


def _repro_catalog() -> Catalog:
    return Catalog.from_contract(load_contract("c.yaml", REPRO.encode()))


def _check(text: str) -> list[Problem]:
    return sorted(Linter(_repro_catalog()).check([load_source("d.json", text.encode())]).problems)


def _line_of(text: str, key: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if line.lstrip().startswith(f'"{key}"'))


@pytest.mark.parametrize(("case", "target", "variables", "panel", "expected"), VALUE_CASES,
                         ids=[c[0] for c in VALUE_CASES])
def test_declared_values(case: str, target: dict[str, str], variables: list[dict[str, object]],
                         panel: dict[str, str], expected: list[str]) -> None:
    text = _dashboard(target, variables, panel)
    problems = _check(text)
    assert [f"{p.check}: {p.message.removeprefix(_WHERE)}" for p in problems] == expected
    assert all(p.line == _line_of(text, "expr") for p in problems)
    # `analyze` parses exactly what `check` does
    rows = analyze_sources([load_source("d.json", text.encode())])
    assert [r.parsed for r in rows] == [not any(p.check == "promql/syntax" for p in problems)]


def test_each_variable_is_varied_alone() -> None:
    values = {"a": tuple(f"x{i}" for i in range(20)), "b": tuple(f"y{i}" for i in range(30))}
    found = expansions("$a + $b", 15.0, frozenset(values), values)
    # the first values together, then each further value of one variable with the other at its first
    assert [e.text for e in found[:2]] == ["x0 + y0", "x1 + y0"]
    assert (len(found), found[-1].text, found[0].untried) == (1 + 19 + 29, "x0 + y29", 0)


def test_values_past_the_limit_are_counted_not_tried() -> None:
    assert MAX_EXPANSIONS == 1000
    values = {"w": tuple(f"{s}s" for s in range(60, 1260)), "k": ("1", "2", "3")}
    found = expansions("topk($k, rate(app_requests_total[$w]))", 15.0, frozenset(values), values)
    # the first values, the 2 further ones of `k` (first in the text), 997 of `w`: its other 202 are left out
    assert (len(found), found[0].untried, found[-1].text) == (1000, 202, "topk(1, rate(app_requests_total[1057s]))")
    variables = [_custom("w", ",".join(values["w"])), _custom("k", "1,2,3")]
    problems = _check(_dashboard({"expr": "topk($k, rate(app_requests_total[$w]))"}, variables, {}))
    assert [f"{p.severity}[{p.check}]: {p.message}" for p in problems] == [
        'warning[promql/untried-values]: panel "P" target A: 202 declared values of its variables were not tried; '
        "an expression is checked with at most 1000 of them"]


# variable queries: (query, variables, problems as `check: message`, located on the variable's `query` line)
QUERY_CASES: list[tuple[str, list[dict[str, object]], list[str]]] = [
    ('up{job=~"a.*"}', [], []),
    ('app_temp{job=~"a.*"}', [], []),
    ('app_tmp{job=~"a.*"}', [], [
        'promql/unknown-metric: variable "v": `app_tmp` is not in the contract; did you mean `app_temp` '
        "(gauge app_temp)?"]),
    ('app_temp{region=~"a.*"}', [], [
        'promql/unknown-label: variable "v": `app_temp` has no label `region`; it has no contract labels']),
    ("label_values(app_temp, $lab)", [_custom("lab", "job,cluster")], [
        'promql/unknown-label: variable "v": `app_temp` has no label `cluster`; it has no contract labels']),
    ("label_values(app_temp, ${lab})", [{"name": "lab", "type": "textbox"}], []),
    ("label_values(app_tmp, $lab)", [{"name": "lab", "type": "textbox"}], [
        'promql/unknown-metric: variable "v": `app_tmp` is not in the contract; did you mean `app_temp` '
        "(gauge app_temp)?"]),
    ('label_values(app_tmp{, x="1"})', [], ['promql/syntax: variable "v": invalid PromQL: invalid promql query']),
    ("label_names()", [], []),
    ("label_names(app_tmp)", [], [
        'promql/unknown-metric: variable "v": `app_tmp` is not in the contract; did you mean `app_temp` '
        "(gauge app_temp)?"]),
]


@pytest.mark.parametrize(("query", "variables", "expected"), QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_variable_queries(query: str, variables: list[dict[str, object]], expected: list[str]) -> None:
    variable = {"name": "v", "type": "query", "datasource": {"type": "prometheus"}, "query": query}
    text = json.dumps({"panels": [], "templating": {"list": [*variables, variable]}}, indent=1)
    problems = _check(text)
    assert [f"{p.check}: {p.message}" for p in problems] == expected
    query_line = next(i for i, line in enumerate(text.split("\n"), 1) if line.strip().startswith('"query": "'
                                                                                                 + query[:5]))
    assert all(p.line == query_line and p.location == 'variable "v"' for p in problems)
    rows = analyze_sources([load_source("d.json", text.encode())])
    parsed = [] if query == "label_names()" else [not any(p.check == "promql/syntax" for p in problems)]
    assert [r.parsed for r in rows if r.location == 'variable "v"'] == parsed   # `label_names()` selects nothing


# pieces of field queries: variables in strings, ranges, comments, operators and names, quotes and brackets
_PIECES = ['rate(', 'x_total', '{job=~"', '$job', '"}', '[', '$__rate_interval', ']', ':', '1m', ')', ' ', '#', "'",
           '"', '\\', '`', '${w}', '[[v]]', 'by (', 'offset ', ' or ', '\n', ',', '$op', 'topk(']


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_the_common_cases_are_placed_as_the_whole_grammar_places_them(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert occurrences(text) == lexed_occurrences(text)


@pytest.mark.parametrize("text", ['rate(x{job=~"$job"}[$__rate_interval])', "rate(x[ $w :1m])", '# [$w]\nx',
                                  'x{a="[$w]"}', "x[$w] $op y"])
def test_the_shortcut_agrees_on_field_queries(text: str) -> None:
    assert occurrences(text) == lexed_occurrences(text) != []
