from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import COUNTER_FUNCS, GAUGE_FUNCS
from contract.promql.checks.base import Context, PromqlCheck
from contract.promql.variables import duration_text

_WINDOW_FUNCS = COUNTER_FUNCS | GAUGE_FUNCS


class RateWindow(PromqlCheck):
    """A rate window must span at least two scrape intervals.

    `rate()` and its relatives need two samples inside the window; with a
    window shorter than 2×scrape_interval (from the contract) some
    evaluations find one and the graph has gaps. Grafana's `$__interval`
    defaults to the scrape interval and trips this: use `$__rate_interval`,
    which Grafana keeps at 4×scrape_interval or more. For rule files the
    message suggests 4×scrape_interval.
    """

    id = "promql/rate-window"
    summary = "range windows of rate-like functions must span two scrape intervals"

    def run(self, ctx: Context) -> Iterator[Problem]:
        shortest = 2 * ctx.catalog.scrape_seconds
        for sel in ctx.analysis.selectors:
            if sel.range is None or sel.range >= shortest or sel.func not in _WINDOW_FUNCS:
                continue
            written, offset = ctx.range_text(sel)
            window = duration_text(sel.range)
            shown = f"`[{written}]`" + (f" ({window})" if written != window else "")
            fix = ("`[$__rate_interval]`" if ctx.expression.kind != "rule"
                   else f"at least `[{duration_text(4 * ctx.catalog.scrape_seconds)}]`")
            yield ctx.at(self, f"`{sel.func}()` over {shown} is shorter than 2×scrape_interval "
                                    f"({duration_text(shortest)}); use {fix}", offset=offset,
                              metric=ctx.metric_of(sel))
