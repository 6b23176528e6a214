from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from contract.catalog import SeriesInfo
from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck
from contract.promql.variables import PLACEHOLDER_MARK

_REGEX_META = frozenset("\\^$.|?*+()[]{}")


class LabelValue(PromqlCheck):
    """A matcher on a label with a closed value set must use values from it.

    The values a series may carry are the contract's `values`, plus `other`
    when the label is guarded (the generated code records anything else as
    `other`); a stateset's states are only those declared, as
    prometheus_client's `Enum` exposes no other. `=` and `!=` compare the
    value; `=~` and `!~` are checked only when the regex is an alternation
    of literals (`vec|graph`, `(a|b)`, `1\\.0`): a typo there matches
    nothing, or everything. An empty value (`label=""`, the label is absent)
    is always allowed, and so is a value holding a Grafana variable. A
    selector named by a `__name__` regex may select several series: a value
    is allowed when one of them allows it.
    """

    id = "promql/label-value"
    summary = "matcher values must come from the label's closed value set"

    def run(self, ctx: Context) -> Iterator[Problem]:
        for sel in ctx.analysis.selectors:
            infos = sel.infos
            if not sel.matchers or not any(info.values for info in infos):
                continue
            for label, op, value in sel.matchers:
                if not value or PLACEHOLDER_MARK in value:
                    continue
                allowed = _allowed(infos, label)
                if allowed is None:
                    continue
                if op == "=" or op == "!=":
                    if value in allowed:
                        continue
                    literals: tuple[tuple[str, int], ...] = ((value, 0),)
                else:
                    literals = _alternatives(value)
                for literal, at in literals:
                    if literal and literal not in allowed:
                        offset = ctx.matcher_value_offset(sel, label)
                        of = f"`{sel.name}`" if sel.name is not None else "the selected series"
                        yield ctx.at(self, f"`{literal}` is not a value of label `{label}` of {of}; "
                                           f"allowed: {', '.join(f'`{v}`' for v in allowed)}",
                                     offset=offset + at if offset is not None else None, metric=ctx.metric_of(sel))


def _allowed(infos: tuple[SeriesInfo, ...], label: str) -> tuple[str, ...] | None:
    """The values `label` may take on the selected series: the union of their closed sets; None when a series
    carries it with no closed set (any value may be right) or none carries it."""
    allowed: dict[str, None] = {}
    for info in infos:
        values = info.values.get(label)
        if values is not None:
            allowed.update(dict.fromkeys(values))
        elif label in info.labels:
            return None
    return tuple(allowed) or None


@lru_cache(maxsize=4096)
def _alternatives(regex: str) -> tuple[tuple[str, int], ...]:
    """The literals of a regex that is only an alternation of literals, with their offsets; else ()."""
    start = 0
    body = regex
    if body.startswith("(") and body.endswith(")") and body.count("(") == 1 and body.count(")") == 1:
        start, body = 1, body[1:-1]
    out: list[tuple[str, int]] = []
    for part in body.split("|"):
        if not _REGEX_META.isdisjoint(part.replace("\\.", "").replace("\\-", "")):
            return ()
        out.append((part.replace("\\.", ".").replace("\\-", "-"), start))
        start += len(part) + 1
    return tuple(out)
