from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import Grouping
from contract.promql.checks.base import Context, PromqlCheck


class GroupingLabel(PromqlCheck):
    """`by`, `on`, `ignoring` and `group_left`/`group_right` must name labels the input carries.

    Aggregating `by` a label no input series has yields one series with the
    label missing; matching `on` such a label pairs everything with
    everything (or fails with "many-to-many matching not allowed"); a
    `group_left` label the "one" side lacks is never copied. `ignoring`
    names labels that tell the two sides apart, so each must be on at least
    one side: a label on neither is a misspelling, and the match it was
    meant to allow fails. The label flow follows every function, aggregation
    and binary operation, so the input may be a whole sub-expression.
    `without` names labels to drop, which is harmless when absent. A Grafana
    variable in the list is skipped, and an input whose labels are unknown
    (an unknown metric) is never reported.
    """

    id = "promql/grouping-label"
    summary = "labels of `by`, `on`, `ignoring` and `group_left`/`group_right` must exist on the input"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for grouping in ctx.analysis.groupings:
            if grouping.clause == "ignoring":
                yield from self._ignoring(ctx, grouping)
                continue
            for _, flow in grouping.sides:   # first, in one go per side, the common case: nothing to report
                if not (flow.open or flow.scalar or flow.labels.issuperset(grouping.labels)):
                    break
            else:
                continue
            for label in grouping.labels:
                if label == "__name__":
                    continue
                for side, flow in grouping.sides:
                    if flow.open or flow.scalar or label in flow.labels:
                        continue
                    carries = ctx.label_list(flow.labels)
                    if grouping.clause == "by":
                        what = f"`{grouping.op} by ({label})`: the input"
                    else:
                        what = f"`{grouping.clause} ({label})` of `{grouping.op}`: the {side}"
                    yield ctx.at(self, f"{what} does not carry label `{label}` (it carries {carries})",
                                      offset=ctx.locator.grouping(grouping.clause, label))

    def _ignoring(self, ctx: Context, grouping: Grouping) -> Iterator[Problem]:
        flows = [flow for _, flow in grouping.sides]
        if any(flow.open or flow.scalar for flow in flows):
            return
        for label in grouping.labels:
            if label == "__name__" or any(label in flow.labels for flow in flows):
                continue
            left, right = (ctx.label_list(flow.labels) for flow in flows)
            yield ctx.at(self, f"`ignoring ({label})` of `{grouping.op}`: neither side carries label `{label}` (the "
                               f"left-hand side carries {left}, the right-hand side {right})",
                         offset=ctx.locator.grouping("ignoring", label))
