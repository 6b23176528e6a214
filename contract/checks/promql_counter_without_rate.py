from __future__ import annotations

from contract.checks.promql_base import PromqlCheck
from contract.problems import Problem

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from contract.lint import Context


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
    summary = "panels should plot rate() or increase() of a counter, not its raw value"
    severity = "warning"
    needs = "selectors"

    def run(self, ctx: Context, out: list[Problem]) -> None:
        if ctx.expression.kind != "panel":
            return
        for sel in ctx.analysis.selectors:
            info = sel.info
            if info is None or sel.counter_ok or not info.cumulative:
                continue
            out.append(ctx.at(self, f"counter `{sel.name}` is plotted raw; wrap it in `rate()` or `increase()`, "
                                    "since its value restarts from zero with the process",
                              offset=ctx.selector_offset(sel), metric=info.metric))
