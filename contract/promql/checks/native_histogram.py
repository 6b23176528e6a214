from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql import prometheus3
from contract.promql.analysis import NATIVE_FUNCS
from contract.promql.checks.base import Context, PromqlCheck

# what to query instead, for a classic histogram's buckets
_INSTEAD = {
    "histogram_count": "; query the histogram's `_count` series instead",
    "histogram_sum": "; query the histogram's `_sum` series instead",
    "histogram_avg": "; divide the histogram's `_sum` series by its `_count` series instead",
}


class NativeHistogram(PromqlCheck):
    """Functions of native histograms need a native histogram as input.

    `histogram_count`, `histogram_sum`, `histogram_avg`, `histogram_stddev`
    and `histogram_stdvar` read whole histograms, which only a native
    histogram's series holds (contract type `native_histogram`); every other
    sample, a classic histogram's `_bucket`, `_count` and `_sum` included,
    is skipped, and the panel stays empty. For a classic histogram, its
    `_count` and `_sum` series give the count, the sum and their ratio.

    `histogram_fraction` of a classic histogram's `_bucket` series returns
    nothing on Prometheus 2, which reads native histograms only there;
    recent Prometheus 3 releases interpolate the buckets as
    `histogram_quantile` does (keeping `le`, see
    `promql/quantile-without-le`). So it is a warning, unless a declared
    path says the server is Prometheus 3, where it is not reported. An
    input whose kind is unknown is never reported.
    """

    id = "promql/native-histogram"
    summary = "functions of native histograms (`histogram_count`, `histogram_sum`, ...) need a native histogram"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for call in ctx.analysis.histogram_calls:
            func, flow = call.func, call.input
            if func not in NATIVE_FUNCS or flow.buckets is None or flow.buckets == "native":
                continue
            offset = ctx.locator.call(func, call.ordinal)
            if func == "histogram_fraction":
                # not a histogram, or buckets without `le`: `promql/quantile-without-le` says so
                if (flow.buckets is not True or prometheus3.certain(ctx.catalog.paths)
                        or not flow.open and "le" not in flow.labels):
                    continue
                yield ctx.at(self, "`histogram_fraction()` of classic `_bucket` series returns nothing on Prometheus "
                                   "2, which reads native histograms only there; only recent Prometheus 3 releases "
                                   "interpolate classic buckets", offset=offset, severity="warning")
                continue
            if flow.buckets is True:
                what, instead = "is a classic histogram's `_bucket` series", _INSTEAD.get(func, "")
            else:
                what, instead = "holds none", ""
            yield ctx.at(self, f"`{func}()` reads native histograms only, and its input {what}, so it returns "
                               f"nothing{instead}", offset=offset)
