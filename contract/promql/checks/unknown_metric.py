from __future__ import annotations

import re
from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.analysis import Selector
from contract.promql.checks.base import Context, PromqlCheck


class UnknownMetric(PromqlCheck):
    """Every selected series must be one the contract makes Prometheus hold.

    A name is known when it is a series of a contract metric on any declared
    exposition path (`metrics-contract names` lists them, `_created` included
    where prometheus_client writes it), a series a recording rule records, or
    one Prometheus writes itself (`up`, `scrape_*`, `ALERTS`, `target_info`).
    Anything else is an empty panel waiting to happen, including series of
    other exporters: suppress those per panel or in `ignore`.

    The did-you-mean knows the naming rules: a counter queried without (or a
    gauge with) `_total`, `_bucket` of a non-histogram, the raw OpenTelemetry
    name, the name with or without its unit word or `_ratio`, and otherwise
    the closest series name. A selector named by a regex
    (`{__name__=~"..."}`, which Prometheus anchors at both ends) must match
    some series; a regex only Prometheus reads (a POSIX class, `\\pL`), a
    Grafana variable in it and a selector named only by `!=` or `!~` are
    not judged. `metrics(regex)` in a dashboard variable must match at least
    one series.
    """

    id = "promql/unknown-metric"
    summary = "selected series must be in the contract or recorded by a rule; the did-you-mean knows the naming rules"

    def run(self, ctx: Context) -> Iterator[Problem]:
        catalog = ctx.catalog
        for sel in ctx.analysis.selectors:
            if sel.pattern is not None and not sel.infos and not sel.recorded:
                yield self._pattern(ctx, sel)
            if sel.info is not None or sel.recorded or sel.placeholder or sel.name is None:
                continue
            message = f"`{sel.name}` is not in the contract"
            guess = catalog.suggest(sel.name)
            if guess is not None:
                message += f"; did you mean `{guess[0]}` ({guess[1]})?"
            elif ":" in sel.name:
                message += " and no recording rule records it"
            yield ctx.at(self, message, offset=ctx.selector_offset(sel), metric=sel.name)
        wanted = ctx.expression.var_metrics
        if wanted is not None and "$" not in wanted[0]:
            try:
                pattern = re.compile(wanted[0])
            except re.error:
                yield ctx.at(self, f"`metrics({wanted[0]})` is not a valid regex", offset=wanted[1], raw=True)
                return
            if not any(pattern.search(name) for name, info in catalog.series.items() if info.metric):
                yield ctx.at(self, f"`metrics({wanted[0]})` matches no series of the contract", offset=wanted[1],
                                  raw=True)

    def _pattern(self, ctx: Context, sel: Selector) -> Problem:
        regex = sel.pattern or ""
        message = f"the `__name__` regex `{regex}` matches no series of the contract"
        guess = ctx.catalog.suggest(regex) if _NAME.fullmatch(regex) else None
        if guess is not None:
            message += f"; did you mean `{guess[0]}` ({guess[1]})?"
        return ctx.at(self, message, offset=ctx.matcher_value_offset(sel, "__name__"), metric=regex)


# a regex that is a plain name, for which a did-you-mean can be given
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")

