from __future__ import annotations

from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck


class TooComplex(PromqlCheck):
    """An expression over a limit is refused before it is parsed.

    The limits are in `contract/promql/analysis.py` (64 KiB, brackets nested
    128 deep, 512 operators): the parser recurses in native code and would
    overflow the stack long before Prometheus's own limits matter.

    Like `promql/syntax`, the problem concerns that expression only; the rest of the file is
    checked. The expression is not echoed: it is what is too large.
    """

    id = "promql/too-complex"
    summary = "an expression must stay within the length, nesting and operator limits"
    unparsed_only = True

    def run(self, ctx: Context) -> Iterator[Problem]:
        analysis = ctx.analysis
        if analysis.too_complex:
            e = ctx.expression
            line, column = e.anchor.position(0)
            yield Problem(file=e.file, line=line, column=column, check=self.id, location=e.where,
                          message=f"{e.where}: too complex to check: {analysis.error}")
