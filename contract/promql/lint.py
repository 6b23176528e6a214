"""Check dashboards and rule files against the contract: the PromQL check runner.

Order matters: recording rules turn into metrics that panels (and later
rules) may select. `Linter.check` therefore registers every recorded name
first (with unknown labels, so a rule using one recorded further down is
not misreported), then checks rule files in the order given, replacing each
recorded name's labels by its rule's computed label flow, and only then
checks dashboards. Recording rules declared in the contract itself, and
those the caller knows besides (the ones `generate` writes from it), are
known from the start, so a panel may select them without their rule file.

Every source's own problems (what its server would refuse to load, found
while reading it) are reported with the checks' problems. An expression
whose variables declare more values than `MAX_EXPANSIONS` lets be tried
gets one `promql/untried-values` warning naming how many were left out.

Suppression: `# metrics-contract: ignore[<id>, ...]` in a panel description
or any annotation of a rule silences those check ids there; `ignore` in
`[tool.metrics-contract]` silences them everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

from contract.catalog import Catalog, RecordedRule
from contract.problems import Problem
from contract.promql.analysis import EMPTY, UNKNOWN, Analysis, Analyzer, Flow, expansions_of
from contract.promql.checks.base import Context, PromqlCheck
from contract.promql.checks.registry import PROMQL_CHECKS
from contract.promql.expression import Expression, Kind, Source
from contract.promql.variables import MAX_EXPANSIONS

UNTRIED = "promql/untried-values"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    expressions: int = 0
    skipped: int = 0     # targets of other data sources
    files: int = 0


class Linter:
    def __init__(self, catalog: Catalog, ignore: Iterable[str] = (),
                 checks: tuple[PromqlCheck, ...] = PROMQL_CHECKS, rules: Iterable[RecordedRule] = ()) -> None:
        """`rules`: recording rules known besides the contract's own, in the order Prometheus evaluates them."""
        self.catalog = catalog
        self.ignored = ignored = frozenset(ignore)
        self.checks = tuple(c for c in checks if c.id not in ignored)
        # the checks to run, in order, on an expression of each kind that parses (True) or not (False)
        self.runs: dict[tuple[Kind, bool], tuple[PromqlCheck, ...]] = {
            (kind, parsed): tuple(c for c in self.checks if kind in c.kinds and not (parsed and c.unparsed_only))
            for kind in get_args(Kind) for parsed in (True, False)}
        known = (*catalog.rules, *rules)
        self.recorded: dict[str, Flow] = {rule.record: UNKNOWN for rule in known}
        self.analyzer = Analyzer(catalog, self.recorded)
        for rule in known:
            self.recorded[rule.record] = _recorded(self.analyzer.analyze(rule.expr), rule.labels)

    def check(self, sources: Iterable[Source]) -> Report:
        report = Report()
        ordered = sorted(sources, key=lambda s: s.kind != "rules")   # stable: rule files first, in order given
        for source in ordered:
            report.files += 1
            report.skipped += source.skipped
            report.expressions += len(source.expressions)
            report.problems += [p for p in source.problems if p.check not in self.ignored]
            for e in source.expressions:
                if e.record:
                    self.recorded.setdefault(e.record, UNKNOWN)
        problems = report.problems
        runs = self.runs
        for source in ordered:
            for e in source.expressions:
                contexts = self.contexts(e)
                if e.record:
                    self.recorded[e.record] = _recorded(contexts[0].analysis, e.rule_labels)
                suppressed = e.suppressed
                untried = contexts[0].expansion.untried
                if untried and UNTRIED not in self.ignored and UNTRIED not in suppressed:
                    line, column = e.anchor.position(0)
                    problems.append(Problem(
                        file=e.file, line=line, column=column, check=UNTRIED, severity="warning", location=e.where,
                        expr=e.text, message=f"{e.where}: {untried} declared values of its variables were not "
                        f"tried; an expression is checked with at most {MAX_EXPANSIONS} of them"))
                if len(contexts) == 1:
                    ctx = contexts[0]
                    for check in runs[e.kind, ctx.analysis.error is None]:
                        if suppressed and check.id in suppressed:
                            continue
                        # a loop, not `problems += check.run(ctx)`: extending a list by a generator first asks it
                        # for its length, which costs more than the loop when (as almost always) it yields nothing
                        for problem in check.run(ctx):
                            problems.append(problem)
                    continue
                # one context per declared value of the dashboard's variables (see `contract.promql.variables`):
                # a problem the first one has is reported once, one only a later value has names that value
                found: set[tuple[str, int, int, str]] = set()
                for ctx in contexts:
                    for check in runs[e.kind, ctx.analysis.error is None]:
                        if suppressed and check.id in suppressed:
                            continue
                        for problem in check.run(ctx):
                            key = (problem.check, problem.line, problem.column, problem.message)
                            if key not in found:
                                found.add(key)
                                note = ctx.expansion.note
                                problems.append(problem._replace(message=problem.message + note)
                                                if note else problem)
        return report

    def contexts(self, e: Expression) -> list[Context]:
        """The expression's contexts: one per expansion of its Grafana variables (one when it has none)."""
        catalog = self.catalog
        found = expansions_of(e, catalog.scrape_seconds)
        if not e.text.strip():
            return [Context(e, Analysis(), catalog, found[0])]
        return [Context(e, self.analyzer.analyze(expansion.text), catalog, expansion) for expansion in found]


def _recorded(analysis: Analysis, labels: tuple[str, ...]) -> Flow:
    """What selecting a recorded series yields: the rule's result plus the labels the rule sets."""
    if analysis.error is not None:
        return UNKNOWN
    root = analysis.root
    if root.scalar:
        return EMPTY._replace(labels=frozenset(labels))
    return Flow(root.labels | frozenset(labels), root.open, root.buckets)
