"""Small dashboards and rule files built in tests, checked through the real pipeline."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from contract.catalog import Catalog
from contract.loader import load_contract
from contract.problems import Problem
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from tests.conftest import QORTEX_CONTRACT

TARGET_PREFIX = '        {"refId": "A", "expr": "'
TARGETS_LINE = 8   # line of the first target in `dashboard_text`


@lru_cache(maxsize=1)
def qortex_catalog() -> Catalog:
    return Catalog.from_contract(load_contract(str(QORTEX_CONTRACT)))


def dashboard_text(*targets: str | tuple[str, str], title: str = "P", description: str = "",
                   variables: tuple[str, ...] = ()) -> str:
    """One panel whose i-th target, refId A, B, ..., sits on line TARGETS_LINE + i."""
    rows = []
    for i, target in enumerate(targets):
        expr, legend = (target, "") if isinstance(target, str) else target
        row = f'        {{"refId": "{chr(65 + i)}", "expr": {json.dumps(expr)}'
        if legend:
            row += f', "legendFormat": {json.dumps(legend)}'
        rows.append(row + "}")
    # textboxes without a default: declared, with no value, so each gets the stand-in of its position
    templating = [{"name": v, "type": "textbox"} for v in variables]
    return "\n".join([
        "{",
        '  "panels": [',
        "    {",
        f'      "title": {json.dumps(title)}, "id": 7,',
        f'      "description": {json.dumps(description)},',
        '      "datasource": {"type": "prometheus", "uid": "prom"},',
        '      "targets": [',
        ",\n".join(rows),
        "      ]",
        "    }",
        "  ],",
        f'  "templating": {{"list": {json.dumps(templating)}}}',
        "}",
        "",
    ])


def lint(*texts: tuple[str, str], catalog: Catalog | None = None, ignore: tuple[str, ...] = ()) -> list[Problem]:
    """Problems of (file name, text) sources, rule files first as `check` orders them."""
    sources = [load_source(name, text.encode()) for name, text in texts]
    return sorted(Linter(catalog or qortex_catalog(), ignore).check(sources).problems)


def lint_exprs(*targets: str | tuple[str, str], variables: tuple[str, ...] = ()) -> list[Problem]:
    return lint(("d.json", dashboard_text(*targets, variables=variables)))


_LEGEND_KEY = '"legendFormat": "'


def short(p: Problem, lines: list[str]) -> str:
    """`check@offset: message`, the offset into the target's expression (or legend) as decoded from JSON."""
    line = lines[p.line - 1]
    legend_at = line.find(_LEGEND_KEY)
    if legend_at >= 0 and p.column > legend_at:
        start, where = legend_at + len(_LEGEND_KEY), "legend+"
    else:
        start, where = len(TARGET_PREFIX), ""
    decoded = json.loads('"' + line[start:p.column - 1] + '"')
    return f"{p.check}@{where}{len(decoded)}: {p.message}"


def lint_short(*targets: str | tuple[str, str], variables: tuple[str, ...] = ()) -> list[str]:
    """Each problem of a one-panel dashboard as `check@column: message`, without the `panel "P" target A: `."""
    text = dashboard_text(*targets, variables=variables)
    lines = text.split("\n")
    return [re.sub(r'panel "P" target [A-Z]: ', "", short(p, lines), count=1) for p in lint(("d.json", text))]
