"""`analyze`: every PromQL expression in dashboards and rule files, without a contract.

For adopting the toolkit on existing dashboards: which expressions there
are, where, whether they parse, and which metric and label names they use.
Extraction and Grafana variable expansion are those of `check`
(`contract.promql.sources`, `contract.promql.variables`); the names come from a walk of
the parsed tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import promql_parser as pp

from contract.promql.analysis import expansions_of, parse
from contract.promql.expression import Expression, Source
from contract.promql.variables import LABEL_PLACEHOLDER, label_choices

# what `$__rate_interval` and friends stand for when no contract gives a scrape interval
DEFAULT_SCRAPE_SECONDS = 15.0
_KINDS = {"panel": "target", "annotation": "annotation", "variable": "variable", "rule": "rule"}


@dataclass(frozen=True)
class Analyzed:
    file: str
    line: int
    location: str
    kind: str
    expr: str
    parsed: bool
    error: str
    metrics: tuple[str, ...]
    labels: tuple[str, ...]

    def row(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "location": self.location, "kind": self.kind,
                "datasource": "prometheus", "expr": self.expr, "parsed": self.parsed, "error": self.error,
                "metrics": list(self.metrics), "labels": list(self.labels)}


def analyze_sources(sources: Iterable[Source]) -> list[Analyzed]:
    return [analyze_expression(e) for source in sources for e in source.expressions]


def analyze_expression(e: Expression) -> Analyzed:
    line = e.anchor.position(0)[0]
    kind = _KINDS[e.kind]
    if e.var_metrics is not None:  # `metrics(regex)`: a pattern over names, not PromQL
        return Analyzed(e.file, line, e.where, kind, e.var_metrics[0], True, "", (), ())
    extra = label_choices(e.var_label[0], e.variables, dict(e.values)) if e.var_label else ()
    if not e.text.strip():  # `label_values(label)`: no selector at all
        return Analyzed(e.file, line, e.where, kind, e.text, True, "", (), _real(extra))
    metrics: set[str] = set()
    labels: set[str] = set(extra)
    # the expansions `check` judges: every declared value of the dashboard's variables; one that does not parse
    # makes the expression not parsed, and the names are those of all that do
    for expansion in expansions_of(e, DEFAULT_SCRAPE_SECONDS):
        try:
            tree = parse(expansion.text)
        except ValueError as exc:
            message = str(exc).strip().splitlines()
            error = (message[0] if message else "does not parse") + expansion.note
            return Analyzed(e.file, line, e.where, kind, e.text, False, error, (), ())
        _walk(tree, metrics, labels)
    return Analyzed(e.file, line, e.where, kind, e.text, True, "", tuple(sorted(metrics)), _real(labels))


def _real(labels: Iterable[str]) -> tuple[str, ...]:
    """Label names without the stand-ins of Grafana variables, sorted."""
    return tuple(sorted(label for label in labels if not label.startswith(LABEL_PLACEHOLDER)))


def _walk(node: Any, metrics: set[str], labels: set[str]) -> None:
    if isinstance(node, pp.VectorSelector):
        ms = node.matchers
        matchers = list(ms.matchers) + [m for group in ms.or_matchers for m in group]
        name = node.name or next((m.value for m in matchers if m.name == "__name__"
                                  and m.op == pp.MatchOp.Equal), None)
        if name:
            metrics.add(name)
        labels.update(m.name for m in matchers if m.name != "__name__")
    elif isinstance(node, pp.MatrixSelector):
        _walk(node.vector_selector, metrics, labels)
    elif isinstance(node, pp.AggregateExpr):
        if node.modifier is not None:
            labels.update(node.modifier.labels)
        _walk(node.expr, metrics, labels)
        if node.param is not None:
            _walk(node.param, metrics, labels)
    elif isinstance(node, pp.BinaryExpr):
        mod = node.modifier
        if mod is not None:
            if mod.matching is not None:
                labels.update(mod.matching.labels)
            labels.update(mod.group_labels or ())
        _walk(node.lhs, metrics, labels)
        _walk(node.rhs, metrics, labels)
    elif isinstance(node, pp.Call):
        strings = [a.val for a in node.args if isinstance(a, pp.StringLiteral)]
        if node.func.name == "label_replace" and len(strings) >= 3:
            labels.update((strings[0], strings[2]))
        elif node.func.name == "label_join" and strings:
            labels.update(s for i, s in enumerate(strings) if i != 1)
        for arg in node.args:
            _walk(arg, metrics, labels)
    elif isinstance(node, (pp.ParenExpr, pp.SubqueryExpr, pp.UnaryExpr)):
        _walk(node.expr, metrics, labels)
