"""What every PromQL check is (an id, a one-line summary, a docstring, `run`) and what it reads.

A PromQL check reads the facts `contract.promql.analysis` collected for one
expression, through a `Context`, and yields problems, as contract checks do;
it never walks the tree itself, so all checks together cost one walk.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import ClassVar, get_args

from contract.catalog import Catalog
from contract.problems import Problem, Severity
from contract.promql.analysis import Analysis, Locator, Selector
from contract.promql.anchors import Anchor
from contract.promql.expression import Expression, Kind
from contract.promql.variables import Expansion


class Context:
    """One expression with its analysis; what every PromQL check reads."""

    def __init__(self, expression: Expression, analysis: Analysis, catalog: Catalog, expansion: Expansion) -> None:
        self.expression = expression
        self.analysis = analysis
        self.catalog = catalog
        self.expansion = expansion

    @cached_property
    def locator(self) -> Locator:
        """Offsets in the expanded text; lexed only when a problem needs a position."""
        return Locator(self.expansion.text)

    def at(self, check: PromqlCheck, message: str, *, offset: int | None = None, severity: Severity | None = None,
           metric: str = "", anchor: Anchor | None = None, raw: bool = False) -> Problem:
        """A problem at `offset` in the expanded expression (`raw`: in the text as written; `anchor`: in that text)."""
        expression = self.expression
        if anchor is not None or raw:
            where = offset or 0
        else:
            where = self.expansion.original(offset) if offset is not None else 0
        line, column = (anchor or expression.anchor).position(where)
        return Problem(file=expression.file, line=line, column=column, check=check.id,
                       message=f"{expression.where}: {message}", severity=severity or check.severity,
                       location=expression.where, expr=expression.text, metric=metric)

    def selector_offset(self, sel: Selector) -> int | None:
        span = self.locator.selector(sel, len(self.analysis.selectors))
        return span.start if span is not None else None

    def _matcher(self, sel: Selector, label: str) -> tuple[str, int, int] | None:
        span = self.locator.selector(sel, len(self.analysis.selectors))
        if span is None:
            return None
        return next((m for m in span.matchers if m[0] == label), None)

    def matcher_offset(self, sel: Selector, label: str) -> int | None:
        found = self._matcher(sel, label)
        return found[1] if found else self.selector_offset(sel)

    def matcher_value_offset(self, sel: Selector, label: str) -> int | None:
        found = self._matcher(sel, label)
        return found[2] if found else self.selector_offset(sel)

    def range_text(self, sel: Selector) -> tuple[str, int | None]:
        """The range of a selector as written (`$__interval`, `20s`) and the offset of its first character."""
        span = self.locator.selector(sel, len(self.analysis.selectors))
        if span is None or span.range is None:
            return "", self.selector_offset(sel)
        start, end = span.range[0] + 1, span.range[1] - 1
        written = self.expression.text[self.expansion.original(start):self.expansion.original_end(end)]
        return written, start

    def label_list(self, labels: frozenset[str]) -> str:
        """Labels worth naming in a message (not the scrape and exporter ones every series has)."""
        shown = self.catalog.interesting(labels)
        if shown:
            return ", ".join(f"`{n}`" for n in shown)
        return "only scrape and exporter labels" if labels else "none"

    def metric_of(self, sel: Selector) -> str:
        if sel.info is not None and sel.info.metric:
            return sel.info.metric
        return sel.name or ""


class PromqlCheck:
    id: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = "error"
    # where the check can find a problem, so that the linter runs it only there (a run that returns at once still
    # costs a generator): the kinds of expression it judges, and whether only expressions that do not parse
    kinds: ClassVar[frozenset[Kind]] = frozenset(get_args(Kind))
    unparsed_only: ClassVar[bool] = False

    def run(self, ctx: Context) -> Iterator[Problem]:
        raise NotImplementedError
