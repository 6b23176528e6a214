"""One PromQL expression of a dashboard or rule file, and where it came from.

An `Expression` keeps its file, an `Anchor` that turns an offset in the
expression into a file line and column, and a human-readable `where`
(`panel "Arm Pulls" target A`, `group "qortex" rule "job:x:rate5m"`,
`variable "mode"`). A `Source` is one file's expressions, and the problems
found while reading it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from contract.problems import Problem
from contract.promql.anchors import Anchor

Kind = Literal["panel", "annotation", "variable", "rule"]

_SUPPRESS = re.compile(r"metrics-contract:\s*ignore\[([^\]]*)\]")


# not frozen: a frozen dataclass sets each of these fields through object.__setattr__, which makes building one
# (once per panel target and rule) several times slower; read-only by convention
@dataclass(slots=True, kw_only=True)
class Expression:
    text: str
    kind: Kind
    file: str
    where: str
    anchor: Anchor
    legend: str = ""
    legend_anchor: Anchor | None = None
    suppressed: frozenset[str] = frozenset()   # check ids silenced here
    variables: frozenset[str] | None = None    # Grafana variables to expand (None: not from a dashboard)
    # the values the dashboard declares for its variables, by name (custom options, `current`, constants, ...)
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    min_interval: float = 0.0                  # the panel's min interval, seconds (0: none): `$__interval`
    min_step: float = 0.0                      # the target's min step, seconds (0: none): `$__rate_interval` too
    record: str = ""                           # the metric a recording rule writes
    record_anchor: Anchor | None = None
    rule_labels: tuple[str, ...] = ()          # label names a rule sets
    var_label: tuple[str, int] | None = None   # label_values(..., label): the label, its offset
    var_metrics: tuple[str, int] | None = None  # metrics(regex): the regex, its offset
    panel_id: int | None = None
    panel_title: str = ""
    ref_id: str = ""
    group: str = ""
    rule: str = ""


@dataclass
class Source:
    file: str
    kind: Literal["dashboard", "rules"]
    expressions: list[Expression] = field(default_factory=list)
    skipped: int = 0   # targets of other datasources
    # what the file holds that its server would refuse to load, found while reading it (`rules/invalid`)
    problems: list[Problem] = field(default_factory=list)


def suppressions(text: object) -> frozenset[str]:
    """The check ids a `# metrics-contract: ignore[<id>, ...]` comment in `text` silences."""
    if not isinstance(text, str) or "metrics-contract" not in text:
        return frozenset()
    parts = (part.strip() for m in _SUPPRESS.finditer(text) for part in m.group(1).split(","))
    return frozenset(part for part in parts if part)
