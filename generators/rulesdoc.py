"""Every check's documentation, from the checks themselves: `metrics-contract rules` and the README's check tables.

One list, in this order: the contract checks and the PromQL checks as their
registries run them (a check's docstring is its documentation), then the ids
other code reports (`contract/reported.py`). Nothing here restates a check:
a new check in a registry or a new entry in `REPORTED` appears in the
command and, after `UPDATE_README=1`, in the README.
"""

from __future__ import annotations

import difflib
import inspect
import json
from typing import NamedTuple

from contract.checks.base import ContractCheck
from contract.checks.registry import CONTRACT_CHECKS
from contract.problems import Severity, input_error
from contract.promql.checks.base import PromqlCheck
from contract.promql.checks.registry import PROMQL_CHECKS
from contract.reported import REPORTED


class Rule(NamedTuple):
    id: str
    severity: Severity
    summary: str
    doc: str   # dedented, without surrounding blank lines


def all_rules() -> tuple[Rule, ...]:
    checks: tuple[ContractCheck | PromqlCheck, ...] = (*CONTRACT_CHECKS, *PROMQL_CHECKS)
    # `__doc__` of the class itself: `inspect.getdoc` would fall back to a base class's docstring
    found = [Rule(c.id, c.severity, c.summary, inspect.cleandoc(type(c).__doc__ or "")) for c in checks]
    found += [Rule(r.id, r.severity, r.summary, inspect.cleandoc(r.doc)) for r in REPORTED]
    return tuple(found)


def find(rules: tuple[Rule, ...], wanted: str) -> Rule:
    """The rule `wanted`; an unknown id is bad input that suggests the closest ones."""
    for rule in rules:
        if rule.id == wanted:
            return rule
    if not wanted.strip():
        raise input_error("rules", "usage/arguments", "give a check id such as `promql/unknown-metric`, or none to "
                          "list every check")
    ids = [r.id for r in rules]
    # a bare name (`unknown-metric`) may belong to several families; otherwise the closest id
    near = [i for i in ids if i.split("/", 1)[1] == wanted.lower()] if "/" not in wanted else []
    near = near or difflib.get_close_matches(wanted.lower(), ids, n=1)
    if near:
        hint = "did you mean " + " or ".join(f"`{i}`" for i in near) + "?"
    else:
        hint = "`metrics-contract rules` lists them"
    raise input_error("rules", "usage/arguments", f"unknown check `{wanted}`; {hint}")


def table(rules: tuple[Rule, ...]) -> str:
    """One line per rule: id, severity, summary, in aligned columns."""
    width = max(len(r.id) for r in rules)
    return "".join(f"{r.id:<{width}}  {r.severity:<7}  {r.summary}\n" for r in rules)


def page(rule: Rule) -> str:
    """A rule's documentation, as `rules ID` prints it."""
    return f"# {rule.id}\n\nseverity: {rule.severity}\nsummary: {rule.summary}\n\n{rule.doc}\n"


def to_json(data: Rule | tuple[Rule, ...]) -> str:
    """One rule as an object, several as `{"rules": [...]}`; each with `id`, `severity`, `summary`, `doc`."""
    shown = data._asdict() if isinstance(data, Rule) else {"rules": [r._asdict() for r in data]}
    return json.dumps(shown, indent=2, ensure_ascii=False) + "\n"


# the README's check tables: the heading of the section that holds one, and the id families it lists
README_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("### Contract checks", ("contract",)),
    ("### PromQL checks", ("promql", "rules", "check")),
)


def markdown_table(rules: tuple[Rule, ...], families: tuple[str, ...]) -> str:
    """The Markdown table of the rules whose id is in one of `families`, in `rules` order."""
    rows = ["| id | severity | summary |", "|---|---|---|"]
    for r in rules:
        if r.id.split("/", 1)[0] in families:
            summary = r.summary.replace("|", "\\|")   # a bare `|` would end the cell
            rows.append(f"| `{r.id}` | {r.severity} | {summary} |")
    return "".join(row + "\n" for row in rows)


def with_tables(readme: str, rules: tuple[Rule, ...]) -> str:
    """`readme` with the first table under each heading of `README_TABLES` replaced by the generated one.

    Only those tables change: every other line, the sentences around them
    included, is kept as it is. A heading without a table under it is an
    error, never a silently skipped table.
    """
    lines = readme.splitlines(keepends=True)
    for heading, families in README_TABLES:
        start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == heading), None)
        if start is None:
            raise ValueError(f"README has no `{heading}` section")
        # the table: the first run of `|` lines before the next heading
        first = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("|", "#"))), len(lines))
        if first == len(lines) or not lines[first].startswith("|"):
            raise ValueError(f"README has no table under `{heading}`")
        end = first
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines[first:end] = [markdown_table(rules, families)]
    return "".join(lines)
