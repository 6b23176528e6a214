"""Which dashboard panels and rules query each contract metric.

The one answer to that question: `check` warns about the metrics nothing
queries (`check/unused-metric`), `docs` lists the users of each metric, and
`diff` names what a breaking change breaks. The names an expression
selects come from `contract.promql.analyze`, which needs no contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from contract.catalog import Catalog
from contract.problems import Problem
from contract.promql.analyze import analyze_expression
from contract.promql.expression import Source


def metric_users(catalog: Catalog, sources: Iterable[Source]) -> dict[str, list[str]]:
    """Contract metric -> the panels, variables and rules that query it, in the order met."""
    found: dict[str, list[str]] = {}
    for source in sources:
        name = source.file.replace("\\", "/").rsplit("/", 1)[-1]
        for e in source.expressions:
            # the panel or variable, not each of its targets
            user = f"rule `{e.rule}`" if e.kind == "rule" else f"{e.where.split(' target ')[0]} ({name})"
            for series in analyze_expression(e).metrics:
                info = catalog.series.get(series)
                if info is None or not info.metric:
                    continue
                users = found.setdefault(info.metric, [])
                if user not in users:
                    users.append(user)
    return found


def unused_metrics(contract_file: str, contract_text: str, catalog: Catalog, users: dict[str, list[str]]
                   ) -> list[Problem]:
    """`check/unused-metric` for every contract metric without users, located at its name in the contract."""
    problems = []
    for metric in catalog.metrics:
        if users.get(metric):
            continue
        line, column = _name_position(contract_text, metric)
        problems.append(Problem(file=contract_file, line=line, column=column, check="check/unused-metric",
                                message=f"`{metric}` is not queried by any dashboard panel or rule",
                                severity="warning", metric=metric))
    return problems


def _name_position(text: str, metric: str) -> tuple[int, int]:
    match = re.search(rf"\bname:\s*[\"']?({re.escape(metric)})[\"']?\s*[,}}\n]", text)
    if not match:
        return 1, 1
    start = match.start(1)
    return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
