from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import QUANTILE_FUNCS
from contract.promql.checks.base import Context, PromqlCheck


class QuantileWithoutLe(PromqlCheck):
    """`histogram_quantile` needs `_bucket` series that still carry `le`.

    Aggregating buckets without keeping `le` (`sum(rate(x_bucket[5m]))`
    instead of `sum by (le) (...)`) leaves no buckets to interpolate, and the
    panel shows nothing; feeding it `_count`, `_sum` or a gauge is
    meaningless. The input may come through a recording rule. Not reported
    when the input's labels are unknown. `histogram_fraction` is held to the
    same rule, as recent Prometheus 3 releases interpolate classic buckets
    for it too (Prometheus 2 reads native histograms only there: see
    `promql/native-histogram`). A native histogram's series (the family name
    itself) hold whole histograms and carry no `le`: it is their right
    input, as is.
    """

    id = "promql/quantile-without-le"
    summary = "the input of `histogram_quantile` must be `_bucket` series that keep `le`"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for quantile in ctx.analysis.histogram_calls:
            if quantile.func not in QUANTILE_FUNCS:
                continue
            flow = quantile.input
            if flow.buckets is False:
                message = f"`{quantile.func}()` input is not a `_bucket` series"
            elif flow.buckets == "native":
                continue   # a native histogram: whole histograms in one series, no `le` to keep
            elif not flow.open and "le" not in flow.labels:
                message = (f"`{quantile.func}()` input has lost the `le` label; keep it when aggregating, as in "
                           "`sum by (le) (...)`")
            else:
                continue
            yield ctx.at(self, message, offset=ctx.locator.call(quantile.func, quantile.ordinal))
