from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck


class Syntax(PromqlCheck):
    """Every expression must parse as PromQL once Grafana variables are expanded.

    The parser reports no position, so the problem points at the start of the
    expression. Grafana variables are replaced first (see
    `contract/promql/variables.py`); a variable the dashboard does not declare is
    left in place and shows up here, as it would in Prometheus.
    """

    id = "promql/syntax"
    summary = "every expression must be valid PromQL once Grafana variables are expanded"

    def run(self, ctx: Context) -> Iterator[Problem]:
        error = ctx.analysis.error
        if error is not None and not ctx.analysis.too_complex:   # `promql/too-complex` reports that one
            yield ctx.at(self, f"invalid PromQL: {error}")
