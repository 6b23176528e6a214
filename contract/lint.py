"""Check dashboards and rule files against the contract: the PromQL check runner.

Order matters: recording rules turn into metrics that panels (and later
rules) may select. `Linter.check` therefore registers every recorded name
first (with unknown labels, so a rule using one recorded further down is
not misreported), then checks rule files in order, replacing each recorded
name's labels by its rule's computed label flow, and only then checks
dashboards. Recording rules declared in the contract itself are known from
the start.

Suppression: `# metrics-contract: ignore[<id>, ...]` in a panel description
or any annotation of a rule silences those check ids there; `ignore` in
`[tool.metrics-contract]` silences them everywhere.
"""

from __future__ import annotations

from contract.catalog import Catalog
from contract.checks.promql_base import PromqlCheck
from contract.checks.promql_registry import PROMQL_CHECKS
from contract.problems import Problem
from contract.promql import EMPTY, UNKNOWN, Analysis, Analyzer, Flow, Locator, Selector, new_flow
from contract.promql_vars import Expansion, expand
from contract.sources import Anchor, Expression, Source
from contract.verdicts import Entry, Verdicts, verdict_key

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Iterable

    from contract.problems import Severity


class Context:
    """One expression with its analysis; what every PromQL check reads."""

    __slots__ = ("expression", "analysis", "catalog", "expansion", "_locator")

    def __init__(self, expression: Expression, analysis: Analysis, catalog: Catalog, expansion: Expansion) -> None:
        self.expression = expression
        self.analysis = analysis
        self.catalog = catalog
        self.expansion = expansion
        self._locator: Locator | None = None

    @property
    def locator(self) -> Locator:
        if self._locator is None:
            self._locator = Locator(self.expansion.text)
        return self._locator

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


_NEEDS = ("error", "selectors", "groupings", "quantiles", "legend", "record")
_FACTS = _NEEDS[1:]   # what an expression that parses may have, in the order their checks run

# fewer expressions than this for each process do not pay for starting it
MIN_PER_JOB = 1000
# what a piece of a split check found for one expression: its problems as plain tuples (None: none), its verdict
# entry, and its verdict key when asked for and clean
_Done = tuple[list[tuple[object, ...]] | None, Entry, str | None]


class Report:
    __slots__ = ("problems", "expressions", "skipped", "files", "selected")

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.expressions = 0
        self.skipped = 0
        self.files = 0
        self.selected: set[str] = set()   # contract series some expression selects


class Linter:
    def __init__(self, catalog: Catalog, ignore: Iterable[str] = (),
                 checks: tuple[PromqlCheck, ...] = PROMQL_CHECKS) -> None:
        self.catalog = catalog
        ignored = frozenset(ignore)
        self.checks = tuple(c for c in checks if c.id not in ignored)
        by_need = {need: tuple(c for c in self.checks if c.needs == need) for need in _NEEDS}
        self.on_error = by_need["error"] + by_need["record"]
        # the checks for each combination of facts, bit i standing for _FACTS[i]
        self.todo = tuple(sum((by_need[fact] for i, fact in enumerate(_FACTS) if mask >> i & 1), ())
                          for mask in range(1 << len(_FACTS)))
        self.recorded: dict[str, Flow] = {name: UNKNOWN for name, _, _ in catalog.rules}
        self.analyzer = Analyzer(catalog, self.recorded)
        for name, expr, labels in catalog.rules:
            self.recorded[name] = _recorded(self.analyzer.analyze(expr), labels)

    def check(self, sources: Iterable[Source], verdicts: Verdicts | None = None, jobs: int = 1) -> Report:
        """Problems of every expression; with `verdicts`, expressions known to be clean are skipped.

        With `jobs` > 1, a check of many expressions is split between that
        many processes (`_pieces`), with 0 between one per CPU this process
        may use; what it finds, and in what order, is what one process finds.
        """
        report = Report()
        analyzer = self.analyzer
        analyzer.seen = selected = report.selected
        ordered = sorted(sources, key=lambda s: s.kind != "rules")   # stable: rule files first, in order given
        for source in ordered:
            report.files += 1
            report.skipped += source.skipped
            report.expressions += len(source.expressions)
            for e in source.expressions:
                if e.record:
                    self.recorded.setdefault(e.record, UNKNOWN)
        items = [e for source in ordered for e in source.expressions]
        known: list[Entry | None] | None = None
        keys: list[str] | None = None
        if verdicts is not None and verdicts.known:
            keys = [verdict_key(e) for e in items]
            known = [verdicts.get(key) for key in keys]
        todo = [i for i in range(len(items)) if known is None or known[i] is None]
        # `contract.parallel` only when a split can happen: a small check does not pay for importing it
        if jobs == 0 and len(todo) >= 2 * MIN_PER_JOB:
            from contract.parallel import available_cpus

            jobs = available_cpus()
        jobs = min(jobs, len(todo) // MIN_PER_JOB)
        # with nothing known yet, the keys of what proves clean are made by the pieces, in parallel
        done = self._pieces(items, todo, jobs, verdicts is not None and keys is None) if jobs > 1 else {}
        out = report.problems
        shared: dict[object, object] = {}   # see `_entry`
        for i, e in enumerate(items):
            entry = known[i] if known is not None else None
            if entry is None and i in done:
                problems, entry, key = done[i]
                if problems:
                    out.extend(tuple.__new__(Problem, p) for p in problems)
                elif verdicts is not None:
                    verdicts.add(key or keys[i], entry)   # type: ignore[index]
            if entry is not None:   # known clean, or checked in a piece: what later expressions need from it
                flow, names = entry
                if flow is not None:
                    self.recorded[e.record] = new_flow(flow)
                selected.update(names)
                continue
            analyzer.selected_recorded = False
            ctx = self.context(e)
            recorded = _recorded(ctx.analysis, e.rule_labels) if e.record else None
            if recorded is not None:
                self.recorded[e.record] = recorded
            found = len(out)
            self.run(ctx, out)
            if verdicts is not None and len(out) == found and not analyzer.selected_recorded:
                verdicts.add(keys[i] if keys is not None else verdict_key(e), _entry(ctx, recorded, shared))
        return report

    def _pieces(self, items: list[Expression], todo: list[int], jobs: int, keys: bool) -> dict[int, _Done]:
        """What checking `items[i]` for every i of `todo` found, split between `jobs` processes.

        An expression's analysis depends on the others only through the
        series recorded by rules that it selects, whose labels are those of
        the last such rule above it. A piece therefore checks only the
        expressions that select none, and leaves out the others, which
        `check` then checks itself, in order, once every rule above has
        given its recorded labels. With `keys`, a piece also gives the
        verdict key of each clean expression.
        """
        from contract.parallel import fork_map

        size = -(-len(todo) // jobs)
        parts = fork_map(self._piece, [(items, todo[start:start + size], keys)
                                       for start in range(0, len(todo), size)])
        done: dict[int, _Done] = {}
        for part in parts:
            done.update(part)
        return done

    def _piece(self, piece: tuple[list[Expression], list[int], bool]) -> dict[int, _Done]:
        items, indices, keys = piece
        analyzer = self.analyzer
        done: dict[int, _Done] = {}
        shared: dict[object, object] = {}   # see `_entry`
        for i in indices:
            e = items[i]
            analyzer.selected_recorded = False
            ctx = self.context(e)
            if analyzer.selected_recorded:
                continue
            found: list[Problem] = []
            self.run(ctx, found)
            recorded = _recorded(ctx.analysis, e.rule_labels) if e.record else None
            done[i] = ([tuple(p) for p in found] if found else None, _entry(ctx, recorded, shared),
                       verdict_key(e) if keys and not found else None)
        return done

    def context(self, e: Expression) -> Context:
        catalog = self.catalog
        text = e.text
        if e.variables is None:
            expansion = Expansion(text)
        else:
            expansion = expand(text, catalog.scrape_seconds, e.variables)
        if not text.strip():
            return Context(e, Analysis(), catalog, expansion)
        analysis = self.analyzer.analyze(expansion.text)
        if analysis.error is not None and expansion.bare:
            # a bare variable may stand for a number (`topk($n, ...)`) rather than a metric
            numeric = expand(text, catalog.scrape_seconds, e.variables, bare_numbers=True)
            retry = self.analyzer.analyze(numeric.text)
            if retry.error is None:
                expansion, analysis = numeric, retry
        return Context(e, analysis, catalog, expansion)

    def run(self, ctx: Context, out: list[Problem]) -> None:
        expression, analysis = ctx.expression, ctx.analysis
        if expression.kind == "variable":
            todo = self.checks
        elif analysis.error is not None:
            todo = self.on_error
        else:
            todo = self.todo[(1 if analysis.selectors else 0) | (2 if analysis.groupings else 0)
                             | (4 if analysis.quantiles else 0) | (8 if "{{" in expression.legend else 0)
                             | (16 if expression.record else 0)]
        suppressed = expression.suppressed
        for check in todo:
            if suppressed and check.id in suppressed:
                continue
            check.run(ctx, out)


def _entry(ctx: Context, recorded: Flow | None, shared: dict[object, object]) -> Entry:
    """What later expressions need from a clean one: the flow it records (a plain tuple), the series it selects.

    Equal parts of entries are one object (`shared`), which `marshal` then
    writes once and reads back once: the recording rules of a large file
    produce a few label sets, many times over, and writing each as a new
    frozenset made storing the verdicts of 10,000 rules take 25 ms instead
    of 5.
    """
    names = tuple(s.info.name for s in ctx.analysis.selectors if s.info is not None)
    if recorded is None:
        return None, shared.setdefault(names, names)  # type: ignore[return-value]
    flow = tuple(recorded)
    return shared.setdefault(flow, flow), shared.setdefault(names, names)  # type: ignore[return-value]


def _recorded(analysis: Analysis, labels: tuple[str, ...]) -> Flow:
    """What selecting a recorded series yields: the rule's result plus the labels the rule sets."""
    if analysis.error is not None:
        return UNKNOWN
    root = analysis.root
    if root.scalar:
        return EMPTY._replace(labels=frozenset(labels))
    return Flow(root.labels | frozenset(labels), root.open, root.buckets)
