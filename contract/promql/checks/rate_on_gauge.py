from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import COUNTER_FUNCS, GAUGE_FUNCS
from contract.promql.checks.base import Context, PromqlCheck


class RateOnGauge(PromqlCheck):
    """Counter functions need counters; gauge functions need gauges.

    `rate`, `irate`, `increase` and `resets` treat every decrease as a
    counter reset, so on a gauge or updowncounter (which Prometheus sees as a
    gauge) they invent huge jumps: an error. `deriv`, `delta`, `idelta`,
    `predict_linear` and `holt_winters` (`double_exponential_smoothing`) on
    a counter (`_total`, `_bucket`, `_count`, `_sum`) see every reset as a
    steep drop, and between resets give what `rate()` gives without its
    reset handling: an error too. The function may reach the series through
    a subquery (`rate(sum(x)[5m:])`), and each series a `__name__` regex
    selects is judged.
    """

    id = "promql/rate-on-gauge"
    summary = "counter functions (`rate`, `increase`, ...) need a counter; gauge ones (`deriv`, `delta`, ...) a gauge"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for sel in ctx.analysis.selectors:
            func = sel.func
            if func is None:
                continue
            for info in sel.infos:   # a `__name__` regex may select several
                # an untyped series may be either a counter or a gauge: neither kind of function can be judged on it
                if info.part in ("synthetic", "untyped"):
                    continue
                if func in COUNTER_FUNCS and not info.cumulative:
                    what = (f"the creation time of {info.mtype} {info.metric}" if info.part == "created"
                            else f"{info.mtype} {info.metric}")
                    yield ctx.at(self, f"`{func}()` of `{info.name}`, which is not a counter ({what}); use "
                                       "`deriv()` or `delta()` for a gauge", offset=ctx.selector_offset(sel),
                                 metric=info.metric)
                elif func in GAUGE_FUNCS and info.cumulative:
                    yield ctx.at(self, f"`{func}()` of counter `{info.name}` breaks at every counter reset; use "
                                       "`rate()` or `increase()`", offset=ctx.selector_offset(sel), metric=info.metric)
