from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import Match
from contract.promql.checks.base import Context, PromqlCheck


class VectorMatching(PromqlCheck):
    """The two sides of a binary operator must be able to match.

    An arithmetic or comparison operator between two vectors, `and` and
    `unless` pair a series of one side with the series of the other that
    has the same labels: all of them but the metric name, or all but those
    of `ignoring (...)` (`group_left`/`group_right` only let several series
    of one side share a partner). When one side's series always carry a
    label the other side's never do, no series ever pairs: the result of
    `/`, `>`, `and`, ... is always empty, and `unless` removes nothing
    (`sum by (job) (rate(x[5m])) / sum(rate(x[5m]))`). Match `on (...)` the
    labels both sides carry, or aggregate both `by` the same labels.

    Only labels certain on every series count: an exporter's label that one
    declared path adds and another does not may be missing, and so may a
    label `label_replace` sets or a series recorded by a rule carries.
    `or` keeps both sides and is never reported, nor is a side with
    unknown labels or a Grafana variable in `ignoring (...)`; a label that
    `on (...)` lists and a side lacks is `promql/grouping-label`'s to
    report.
    """

    id = "promql/vector-matching"
    summary = "the two sides of a binary operator must be able to match: no label only one side carries"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for match in ctx.analysis.matches:
            lhs, rhs = match.lhs, match.rhs
            if lhs.open or rhs.open or match.clause == "on" or match.placeholder:
                continue
            ignored = frozenset(match.labels)
            left = sorted(lhs.sure - rhs.labels - ignored)
            right = sorted(rhs.sure - lhs.labels - ignored)
            if not left and not right:
                continue
            yield ctx.at(self, _message(match, left, right),
                         offset=ctx.locator.operator(match.ordinal, ctx.analysis.operators))


def _message(match: Match, left: list[str], right: list[str]) -> str:
    effect = "it removes nothing" if match.op == "unless" else "the result is always empty"
    sides = [f"{_labels(names)} only on the {side}" for names, side in ((left, "left-hand side"),
                                                                        (right, "right-hand side")) if names]
    return (f"the sides of `{match.op}` never match, so {effect}: {' and '.join(sides)}; match `on (...)` labels "
            "both sides carry, or aggregate both sides `by` the same labels")


def _labels(names: list[str]) -> str:
    listed = ", ".join(f"`{name}`" for name in names)
    return f"label {listed} is" if len(names) == 1 else f"labels {listed} are"
