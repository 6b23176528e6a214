from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck

_HINTS = {
    "range vector": "apply a function over its range, such as `rate()` or `max_over_time()`",
    "string": "select series instead",
}


class ResultType(PromqlCheck):
    """A panel, an annotation or a rule must evaluate to an instant vector or a scalar.

    Grafana runs a panel's and an annotation's query as a range query, which
    Prometheus refuses for any other result (`invalid expression type "range
    vector" for range query`), and a rule whose result is something else
    fails at every evaluation (`rule result is not a vector or scalar`). So a
    range selector (`x[5m]`), a subquery (`rate(x[5m])[30m:1m]`) or a string
    (`"x"`), even in brackets, is wrong at the top of such an expression: a
    function over the range (`rate()`, `max_over_time()`) turns it into an
    instant vector. Dashboard variables are not judged here: their queries
    are of another kind.
    """

    id = "promql/result-type"
    summary = "a panel, annotation or rule expression must evaluate to an instant vector or a scalar"
    kinds = frozenset({"panel", "annotation", "rule"})

    def run(self, ctx: Context) -> Iterator[Problem]:
        result = ctx.analysis.result
        kind = ctx.expression.kind
        if result is None or kind not in self.kinds:
            return
        a = "an" if kind == "annotation" else "a"
        yield ctx.at(self, f"the expression gives a {result}, which {a} {kind} cannot use (it needs an instant vector "
                           f"or a scalar); {_HINTS[result]}")
