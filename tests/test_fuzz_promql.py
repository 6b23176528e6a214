"""Fuzzing the validator: random PromQL, mutated real expressions, random Grafana variables.

Properties: checking never raises; every problem is located inside the file
(line and column >= 1) and is one line.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from contract.promql.variables import expand
from tests.conftest import ROOT
from tests.promql_util import TARGETS_LINE, lint_exprs

METRICS = ["qortex_queries_total", "qortex_query_duration_seconds_bucket", "qortex_factor_mean", "qortex_queries",
           "qortex_kg_coverage_ratio", "job:qortex_queries:rate5m", "up", "nope_total", "$metric"]
LABELS = ["mode", "job", "le", "instance", "stage", "outcome", "nope", "$by", "__name__"]
VALUES = ["vec", "graph", "other", "x", "$job", "${job:regex}", ".+", "(a|b)", "[[job]]", ""]
DURATIONS = ["5m", "1s", "$__rate_interval", "$__interval", "${__range}", "[[win]]", "1h30m", "0s"]
FUNCS = ["rate", "irate", "increase", "delta", "deriv", "abs", "absent", "sum_over_time", "histogram_quantile",
         "label_replace", "label_join", "vector", "scalar", "sort", "clamp_min", "changes", "resets"]
AGGS = ["sum", "avg", "max", "min", "count", "topk", "bottomk", "quantile", "count_values", "group", "stddev"]
BINOPS = ["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", "and", "or", "unless", "> bool"]


@st.composite
def selector(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(METRICS))
    matchers = draw(st.lists(st.tuples(st.sampled_from(LABELS), st.sampled_from(["=", "!=", "=~", "!~"]),
                                       st.sampled_from(VALUES)), max_size=3))
    body = ",".join(f'{label}{op}"{value}"' for label, op, value in matchers)
    text = f"{name}{{{body}}}" if matchers or draw(st.booleans()) else name
    if draw(st.booleans()):
        text += f"[{draw(st.sampled_from(DURATIONS))}]"
    if draw(st.integers(0, 5)) == 0:
        text += f" offset {draw(st.sampled_from(DURATIONS))}"
    return text


def _combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    grouping = st.lists(st.sampled_from(LABELS), max_size=3).map(lambda ls: ", ".join(ls))
    return st.one_of(
        st.tuples(st.sampled_from(FUNCS), st.lists(st.one_of(inner, st.sampled_from(['"dst"', '"$1"', "0.9", "3"])),
                                                   min_size=1, max_size=4))
        .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(st.sampled_from(AGGS), st.sampled_from(["by", "without", ""]), grouping, inner)
        .map(lambda t: f"{t[0]} {t[1]} ({t[2]}) ({t[3]})" if t[1] else f"{t[0]}({t[3]})"),
        st.tuples(inner, st.sampled_from(BINOPS), st.sampled_from(["", "on", "ignoring"]), grouping,
                  st.sampled_from(["", "group_left", "group_right"]), inner)
        .map(lambda t: f"{t[0]} {t[1]} {t[2]}({t[3]}) {t[4]} {t[5]}" if t[2] else f"{t[0]} {t[1]} {t[5]}"),
        inner.map(lambda e: f"({e})"),
        st.tuples(inner, st.sampled_from(DURATIONS)).map(lambda t: f"({t[0]})[{t[1]}:]"),
    )


promql = st.recursive(selector(), _combine, max_leaves=6)


def _assert_located(problems: list) -> None:  # type: ignore[type-arg]
    for p in problems:
        assert p.line >= 1 and p.column >= 1, p.text()
        assert "\n" not in p.text()


@given(expr=promql, legend=st.sampled_from(["", "{{mode}}", "{{le}} {{nope}}", "p95", "{{ job }}"]))
def test_fuzz_generated_promql(expr: str, legend: str) -> None:
    _assert_located(lint_exprs((expr, legend), variables=("metric", "by", "job", "win")))


def _real_expressions() -> list[str]:
    dashboard = json.loads((ROOT / "out" / "grafana" / "qortex.json").read_text())
    found = []
    for panel in dashboard["panels"]:
        found += [t["expr"] for p in [panel, *panel.get("panels", [])] for t in p.get("targets", [])]
    return found


@given(base=st.sampled_from(_real_expressions()), data=st.data())
def test_fuzz_mutated_real_expressions(base: str, data: st.DataObject) -> None:
    text = base
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(st.sampled_from(list("(){}[]\",=~!$:_ ") + ["$job", "[[x]]", "${y:csv}", "by", "on"]))
        if action == "insert":
            text = text[:i] + piece + text[i:]
        elif action == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + piece + text[i + 1:]
    _assert_located(lint_exprs(text, variables=("job",)))


@given(text=st.lists(st.sampled_from(list("ab$_{}[]:() =\",") + ["$__rate_interval", "${v:regex}", "[[v]]", "$v"]),
                     max_size=30).map("".join))
def test_fuzz_variable_expansion_maps_back(text: str) -> None:
    expansion = expand(text, 15.0, frozenset({"v"}))
    for offset in range(len(expansion.text) + 1):
        original = expansion.original(offset)
        assert 0 <= original <= len(text)
        assert expansion.original(offset) <= expansion.original_end(offset) <= len(text)


def test_targets_line_constant_matches_helper() -> None:
    # the located-problem property above relies on the helper placing targets where it says
    assert lint_exprs("nope_total")[0].line == TARGETS_LINE
