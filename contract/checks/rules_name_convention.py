from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from contract.checks.promql_base import PromqlCheck
from contract.problems import Problem

if TYPE_CHECKING:
    from contract.lint import Context

_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


class NameConvention(PromqlCheck):
    """Recording rule names follow `level:metric:operations`.

    Prometheus' naming convention for recorded series: the aggregation level
    (labels kept), the metric, and the operations applied
    (`job:qortex_queries:rate5m`). Colons are reserved for recorded series,
    so a name without them reads as an exporter's metric. The metric part
    must name a metric the expression selects (with or without `_total` and
    the histogram suffixes), so a rename in the expression that forgot the
    name is caught. A warning: names are a convention.
    """

    id = "rules/name-convention"
    summary = "recording rules are named level:metric:operations"
    severity = "warning"
    needs = "record"

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
        selected: set[str] = set()
        for sel in ctx.analysis.selectors:
            if sel.name is None or sel.placeholder or (sel.info is None and not sel.recorded):
                return
            selected.add(sel.name)
        if not selected:
            return
        names = set(selected)
        for name in selected:
            names.add(_family(name))
            if name.count(":") == 2:
                names.add(name.split(":")[1])
            info = ctx.catalog.series.get(name)
            if info is not None and info.metric:
                names.add(info.metric)
        if parts[1] not in names:
            listed = ", ".join(f"`{n}`" for n in sorted(selected))
            yield ctx.at(self, f"recording rule `{record}` names metric `{parts[1]}`, but its expression selects "
                               f"{listed}", anchor=expression.record_anchor)


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
