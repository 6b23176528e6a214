"""Contract metrics that no dashboard panel or rule queries (`check/unused-metric`).

An unused metric costs series and attention and usually means a panel was
lost or renamed; `check` on the out dir warns about each one, located at
the metric's name in the contract. Works from the catalog, so no pydantic.
"""

from __future__ import annotations

import re

from contract.catalog import Catalog
from contract.problems import Problem

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Iterable


def unused_metrics(contract_file: str, contract_text: str, catalog: Catalog, selected: Iterable[str]
                   ) -> list[Problem]:
    """`selected`: the series names the checked expressions select (`contract.lint.Report.selected`)."""
    infos = (catalog.info(name) for name in selected)
    used = {info.metric for info in infos if info is not None}
    problems = []
    for metric in catalog.metrics:
        if metric in used:
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
