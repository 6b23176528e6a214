from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck


class CounterWithoutRate(PromqlCheck):
    """A panel should not plot a raw counter.

    A counter's value is the count since the process started: it drops to
    zero on every restart and differs per replica, so a panel of it is rarely
    what was meant; `rate()` or `increase()` is. Counting functions
    (`count`, `absent`, `changes`, `timestamp`, ...) and the right-hand side
    of `and`/`unless` only look at presence, so a raw counter there is fine.
    A warning: a lifetime total on a stat panel can be intended (suppress it
    in the panel description). Only dashboard panels are checked.
    """

    id = "promql/counter-without-rate"
    summary = "panels should plot `rate()` or `increase()` of a counter, not its raw value"
    severity = "warning"
    kinds = frozenset({"panel"})

    def run(self, ctx: Context) -> Iterator[Problem]:
        if ctx.expression.kind != "panel":
            return
        for sel in ctx.analysis.selectors:
            if sel.counter_ok:
                continue
            for info in sel.infos:   # a `__name__` regex may select several
                if info.cumulative:
                    yield ctx.at(self, f"counter `{info.name}` is plotted raw; wrap it in `rate()` or `increase()`, "
                                       "since its value restarts from zero with the process",
                                 offset=ctx.selector_offset(sel), metric=info.metric)
