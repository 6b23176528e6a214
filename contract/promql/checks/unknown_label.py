from __future__ import annotations

import difflib
from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import matches_empty
from contract.promql.checks.base import Context, PromqlCheck
from contract.promql.variables import LABEL_PLACEHOLDER, label_choices


class UnknownLabel(PromqlCheck):
    """A label matcher must name a label the selected series carries.

    Labels known for a series are the union over the declared exposition
    paths: the contract labels as exposed, the exporter's labels
    (`otel_scope_name`, resource attributes through the Collector), the
    labels Prometheus adds at scrape (`job`, `instance`, `exported_job`)
    and the contract's `target_labels`; `le` only on `_bucket`. A matcher
    on any other label silently matches nothing (`=`, `=~`) or everything
    (`!=`, `!~`). A matcher that matches the empty value (`cluster=""`,
    `cluster=~".*"`, `cluster!="a"`) matches series without the label, so
    it is never reported. The label of a dashboard
    variable `label_values(metric, label)` is checked the same way, and
    `label_values(label)` needs some contract series to carry it.
    """

    id = "promql/unknown-label"
    summary = "label matchers must name labels the series carries"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for sel in ctx.analysis.selectors:
            flow = sel.flow
            if flow.open or not sel.matchers:
                continue
            labels = flow.labels
            for label, op, value in sel.matchers:
                if label in labels or label == "__name__" or label.startswith(LABEL_PLACEHOLDER):
                    continue
                if matches_empty(op, value):   # it matches series without the label: it does not require it
                    continue
                yield ctx.at(self, _message(ctx, sel.name or "", label, flow.labels),
                                  offset=ctx.matcher_offset(sel, label), metric=ctx.metric_of(sel))
        wanted = ctx.expression.var_label
        if wanted is None or wanted[0].startswith(LABEL_PLACEHOLDER) or ctx.analysis.error is not None:
            return
        written, offset = wanted
        # `label_values(x, $label)`: each value the dashboard declares for the variable (none: nothing to judge)
        for label in label_choices(written, ctx.expression.variables, dict(ctx.expression.values)):
            yield from self._variable_label(ctx, label, offset)

    def _variable_label(self, ctx: Context, label: str, offset: int) -> Iterator[Problem]:
        if not ctx.expression.text.strip():
            if label not in ctx.catalog.all_labels:
                hint = _close(label, ctx.catalog.all_labels)
                yield ctx.at(self, f"no series in the contract has label `{label}`{hint}", offset=offset,
                                  raw=True)
            return
        root = ctx.analysis.root
        if not root.open and not root.scalar and label not in root.labels:
            selectors = ctx.analysis.selectors
            name = selectors[0].name or "" if len(selectors) == 1 else ""
            yield ctx.at(self, _message(ctx, name, label, root.labels), offset=offset, raw=True,
                              metric=ctx.metric_of(selectors[0]) if len(selectors) == 1 else "")


def _message(ctx: Context, series: str, label: str, labels: frozenset[str]) -> str:
    subject = f"`{series}`" if series else "the selected series"
    hint = _close(label, labels)
    if not hint:
        shown = ctx.catalog.interesting(labels)
        hint = f"; its labels: {', '.join(f'`{n}`' for n in shown)}" if shown else "; it has no contract labels"
    return f"{subject} has no label `{label}`{hint}"


def _close(label: str, labels: frozenset[str]) -> str:
    close = difflib.get_close_matches(label, sorted(labels), n=1, cutoff=0.75)
    return f"; did you mean `{close[0]}`?" if close else ""
