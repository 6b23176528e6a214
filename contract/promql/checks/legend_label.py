from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck

_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


class LegendLabel(PromqlCheck):
    """A `{{label}}` in a panel's legend must be a label of the query result.

    Grafana renders a label the series lack as an empty string, so every
    series of the panel gets the same legend. The result's labels come from
    the label flow: `sum by (mode) (...)` carries `mode` and nothing else,
    `rate()` keeps everything but the name, `histogram_quantile` drops `le`.
    Not reported when the result's labels are unknown.
    """

    id = "promql/legend-label"
    summary = "a legend's `{{label}}` must name a label of the query result"
    kinds = frozenset({"panel"})   # only panel targets have a legend

    def run(self, ctx: Context) -> Iterator[Problem]:
        expression = ctx.expression
        legend = expression.legend
        if "{{" not in legend or expression.legend_anchor is None:
            return
        root = ctx.analysis.root
        if ctx.analysis.error is not None or root.open or root.scalar:
            return
        for label, start, written in _placeholders(legend):
            if label == "__name__" or label in root.labels:
                continue
            yield ctx.at(self, f"legend `{written}` names a label the query result does not carry (it carries "
                                    f"{ctx.label_list(root.labels)})", offset=start, anchor=expression.legend_anchor)


@lru_cache(maxsize=4096)
def _placeholders(legend: str) -> tuple[tuple[str, int, str], ...]:
    return tuple((m.group(1), m.start(), m.group(0)) for m in _PLACEHOLDER.finditer(legend))
