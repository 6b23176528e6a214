from __future__ import annotations

from collections.abc import Iterator

from contract.catalog import SeriesInfo
from contract.naming import record_part
from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck

_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


class NameConvention(PromqlCheck):
    """Recording rule names follow `level:metric:operations`.

    Prometheus' naming convention for recorded series: the aggregation level
    (labels kept), the metric, and the operations applied
    (`job:qortex_queries:rate5m`). Colons are reserved for recorded series,
    so a name without them reads as an exporter's metric. The metric part
    must name a metric the expression selects (with or without `_total` and
    the histogram suffixes; a name only Prometheus 3 reads bare, `a.b`, may
    be spelled `a_b`, as the generated rules record it), so a rename in the
    expression that forgot the name is caught. A warning: names are a convention.
    """

    id = "rules/name-convention"
    summary = "recording rules are named `level:metric:operations`"
    severity = "warning"

    def run(self, ctx: Context) -> Iterator[Problem]:
        expression = ctx.expression
        if not expression.record or expression.record_anchor is None:
            return
        record = expression.record
        parts = record.split(":")
        if len(parts) != 3 or not all(parts):
            yield ctx.at(self, f"recording rule `{record}` is not named `level:metric:operations`",
                              anchor=expression.record_anchor)
            return
        metric = parts[1]
        selectors = ctx.analysis.selectors
        named = False
        for sel in selectors:
            name = sel.name
            if name is None or sel.placeholder or (sel.info is None and not sel.recorded):
                return
            named = named or _names(metric, name, sel.info)
        if named or not selectors:
            return
        listed = ", ".join(f"`{n}`" for n in sorted({sel.name for sel in selectors if sel.name}))
        yield ctx.at(self, f"recording rule `{record}` names metric `{metric}`, but its expression selects "
                                f"{listed}", anchor=expression.record_anchor)


def _names(metric: str, name: str, info: SeriesInfo | None) -> bool:
    """Whether `metric` names series `name`: the name itself, the contract metric it belongs to, its family, or the
    metric part of a recorded name (cheapest tests first)."""
    family = _family(name)
    return (name == metric or (info is not None and info.metric == metric) or family == metric
            or record_part(family) == metric or (name.count(":") == 2 and name.split(":")[1] == metric))


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
