"""What every PromQL check is: an id, a one-line summary, a docstring, `run`.

A PromQL check reads the facts `contract.promql.analyze` collected for one
expression (through a `contract.lint.Context`) and appends problems to `out`;
it never walks the tree itself, so all checks together cost one walk. `run`
appends rather than yields: most runs find nothing, and a generator per
check and expression costs more than the check itself.
"""

from __future__ import annotations

from contract.problems import Problem

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from typing import ClassVar, Literal

    from contract.lint import Context
    from contract.problems import Severity

    Need = Literal["error", "selectors", "groupings", "quantiles", "legend", "record"]


class PromqlCheck:
    id: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = "error"
    # the runner calls `run` only when the expression has this: a parse error,
    # selectors, grouping clauses, histogram_quantile calls, a legend with
    # `{{...}}`, a recording rule name (dashboard variables run every check)
    needs: ClassVar[Need]

    def run(self, ctx: Context, out: list[Problem]) -> None:
        raise NotImplementedError
