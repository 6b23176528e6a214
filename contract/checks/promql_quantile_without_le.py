from __future__ import annotations

from contract.checks.promql_base import PromqlCheck
from contract.problems import Problem

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from contract.lint import Context


class QuantileWithoutLe(PromqlCheck):
    """`histogram_quantile` needs `_bucket` series that still carry `le`.

    Aggregating buckets without keeping `le` (`sum(rate(x_bucket[5m]))`
    instead of `sum by (le) (...)`) leaves no buckets to interpolate, and the
    panel shows nothing; feeding it `_count`, `_sum` or a gauge is
    meaningless. The input may come through a recording rule. Not reported
    when the input's labels are unknown. `histogram_fraction` is held to the
    same rule.
    """

    id = "promql/quantile-without-le"
    summary = "histogram_quantile input must be `_bucket` series with `le`"
    needs = "quantiles"

    def run(self, ctx: Context, out: list[Problem]) -> None:
        for quantile in ctx.analysis.quantiles:
            flow = quantile.input
            if flow.buckets is False:
                message = f"`{quantile.func}()` input is not a `_bucket` series"
            elif not flow.open and "le" not in flow.labels:
                message = (f"`{quantile.func}()` input has lost the `le` label; keep it when aggregating, as in "
                           "`sum by (le) (...)`")
            else:
                continue
            out.append(ctx.at(self, message, offset=ctx.locator.call(quantile.func, quantile.ordinal)))
