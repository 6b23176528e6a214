"""Grafana variable expansion: every form, and problems located in the text as written."""

from __future__ import annotations

import pytest

from contract.promql.variables import LABEL_PLACEHOLDER as G
from contract.promql.variables import PLACEHOLDER_MARK as M
from contract.promql.variables import duration_text, expand
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


def test_bare_variable_may_be_a_number() -> None:
    assert expand("topk($n, x)", 15.0, DECLARED).text == f"topk({G}n, x)"
    assert expand("topk($n, x)", 15.0, DECLARED, bare_numbers=True).text == "topk(1, x)"
    assert expand("topk($n, x)", 15.0, DECLARED).bare


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
    ("rate(qortex_queries_total[[[interval]]]) + rate(qortex_factor_mean[$__rate_interval])", "qortex_factor_mean",
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
