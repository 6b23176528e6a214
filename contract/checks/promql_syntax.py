from __future__ import annotations

from contract.checks.promql_base import PromqlCheck
from contract.problems import Problem

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from contract.lint import Context


class Syntax(PromqlCheck):
    """Every expression must parse as PromQL once Grafana variables are expanded.

    The parser reports no position, so the problem points at the start of the
    expression. Grafana variables are replaced first (see
    `contract/promql_vars.py`); a variable the dashboard does not declare is
    left in place and shows up here, as it would in Prometheus.
    """

    id = "promql/syntax"
    summary = "every expression must be valid PromQL"
    needs = "error"

    def run(self, ctx: Context, out: list[Problem]) -> None:
        error = ctx.analysis.error
        if error is not None:
            out.append(ctx.at(self, f"invalid PromQL: {error}"))
