"""PromQL analysis: parse once, walk once, keep the facts the checks need.

`analyze` parses an expression with promql_parser and walks the tree a
single time, computing the **label flow** (which labels every
sub-expression's series carry) and collecting facts: every selector with
its catalog entry and context, every grouping clause with the flows it
applies to, every histogram function's input, the two sides of every
binary operator that matches series. Checks under
`contract/promql/checks/` only read these facts, so adding a check
costs no extra walk.

A flow whose labels are not known (an unknown metric, a variable in a
grouping list) is *open*: checks never report a label missing from an open
flow, so one error does not cascade into many. A flow also says which of
its labels every series carries for certain (`Flow.sure`): an exporter's
label on one declared path is in `labels` but not in `sure`, and only
`promql/vector-matching` reads it.

An expression over a limit (`MAX_EXPRESSION_LENGTH`, `MAX_NESTING`,
`MAX_OPERATORS`) is refused before it is parsed: its analysis has
`too_complex` set and the reason in `error`.

promql_parser keeps no source positions, so `Locator` re-lexes the
expression, only when a problem needs a column, and pairs the n-th selector
of the tree (walked in text order) with the n-th selector of the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import promql_parser as pp

from contract.naming import PATHS
from contract.promql.variables import LABEL_PLACEHOLDER, PLACEHOLDER_MARK, Expansion, expansions

if TYPE_CHECKING:
    from contract.catalog import Catalog, SeriesInfo
    from contract.promql.expression import Expression

# Prometheus 2.x has `holt_winters`; the parser knows only its Prometheus 3 name.
pp.clear_extra_functions()
pp.register_extra_functions([pp.Function("holt_winters", [pp.ValueType.Matrix, pp.ValueType.Scalar,
                                                          pp.ValueType.Scalar], pp.ValueType.Vector)])

_VS, _MS, _CALL, _AGG = pp.VectorSelector, pp.MatrixSelector, pp.Call, pp.AggregateExpr
_BIN, _PAREN, _SUB, _UNARY = pp.BinaryExpr, pp.ParenExpr, pp.SubqueryExpr, pp.UnaryExpr
_STRING = pp.StringLiteral
_BY = pp.AggModifierType.By
_INCLUDE = pp.LabelModifierType.Include
_MANY_TO_ONE = pp.VectorMatchCardinality.ManyToOne
_ONE_TO_MANY = pp.VectorMatchCardinality.OneToMany
_EQUAL, _NOT_EQUAL, _RE = pp.MatchOp.Equal, pp.MatchOp.NotEqual, pp.MatchOp.Re

# functions meant for counters, and those meant for gauges (Prometheus docs)
COUNTER_FUNCS = frozenset({"rate", "irate", "increase", "resets"})
GAUGE_FUNCS = frozenset({"deriv", "delta", "idelta", "predict_linear", "holt_winters",
                         "double_exponential_smoothing"})
# functions that look only at presence, timing or counts, so a raw counter inside is fine
_PRESENCE_FUNCS = frozenset({"absent", "absent_over_time", "present_over_time", "count_over_time", "changes",
                             "timestamp"})
_COUNTER_SAFE = COUNTER_FUNCS | GAUGE_FUNCS | _PRESENCE_FUNCS
_COUNTING_AGGS = frozenset({"count", "group", "count_values"})
_KEEP_LABELS_AGGS = frozenset({"topk", "bottomk", "limitk", "limit_ratio"})
# functions that interpolate buckets: a classic histogram's `_bucket` series with `le`, or native histograms
QUANTILE_FUNCS = frozenset({"histogram_quantile", "histogram_fraction"})
# functions that read native histograms only, and skip every other sample; `histogram_fraction` reads classic
# buckets too, but only on Prometheus 3 (its later releases)
NATIVE_FUNCS = frozenset({"histogram_count", "histogram_sum", "histogram_avg", "histogram_fraction",
                          "histogram_stddev", "histogram_stdvar"})
_HISTOGRAM_FUNCS = QUANTILE_FUNCS | NATIVE_FUNCS
_NO_LE = frozenset({"le"})
_SCALAR_FUNCS = frozenset({"scalar", "time", "pi"})


class Flow(NamedTuple):
    """What the series of one sub-expression carry."""

    labels: frozenset[str]
    open: bool = False           # labels beyond `labels` may be present
    # derived from histogram series: True for classic `_bucket` series (which need `le`), "native" for native
    # histograms (whole histograms in one series, no `le`), None when unknown
    buckets: bool | Literal["native"] | None = False
    scalar: bool = False         # a scalar or string, no series at all
    # the labels of `labels` every series carries for certain, with a value that is never empty; none known
    # (the safe default) unless the flow says so
    sure: frozenset[str] = frozenset()


EMPTY = Flow(frozenset())
SCALAR = Flow(frozenset(), scalar=True)
UNKNOWN = Flow(frozenset(), open=True, buckets=None)


@dataclass(slots=True)   # not frozen: a frozen dataclass sets each field through object.__setattr__, slowly
class Selector:
    """One vector selector of the expression, in text order; read-only by convention."""

    index: int
    name: str | None
    info: SeriesInfo | None      # the contract series it selects, when it is one
    recorded: bool               # it selects a series recorded by a rule
    placeholder: bool            # its name is a Grafana variable's stand-in
    matchers: list[tuple[str, str, str]]   # (label, op as written, value)
    range: float | None          # seconds, when the selector is a range `x[5m]`
    func: str | None             # the range function applied to it (through a subquery too)
    counter_ok: bool             # inside a function for which raw counter values are right
    flow: Flow
    infos: tuple[SeriesInfo, ...]   # every contract series it may select: `info`, or those a `__name__` regex names
    pattern: str | None          # the `__name__=~` regex that names its series, when it has no plain name


class Grouping(NamedTuple):
    clause: str                  # by | on | ignoring | group_left | group_right
    labels: tuple[str, ...]      # as written, placeholders removed
    sides: tuple[tuple[str, Flow], ...]   # (what it is, flow) that must carry each label
    op: str                      # the aggregation or binary operator


class HistogramCall(NamedTuple):
    """A call of a histogram function (`QUANTILE_FUNCS`, `NATIVE_FUNCS`) and what its input carries."""

    func: str
    ordinal: int                 # among calls of `func`, in text order
    input: Flow


class Match(NamedTuple):
    """A binary operator between two vectors that pairs their series (arithmetic, comparison, `and`, `unless`)."""

    op: str
    ordinal: int                 # among the binary operators of the expression, in text order
    clause: str                  # on | ignoring | "" (every label but the name)
    labels: tuple[str, ...]      # of the clause, placeholders removed
    placeholder: bool            # the clause lists a Grafana variable
    lhs: Flow
    rhs: Flow


@dataclass
class Analysis:
    error: str | None = None     # the parser's message, when the expression is not valid PromQL
    too_complex: bool = False    # `error` says which limit the expression is over; it was not parsed
    root: Flow = UNKNOWN
    # what the root is when Prometheus evaluates it as neither an instant vector nor a scalar (the panel or rule
    # fails): "range vector" or "string"
    result: str | None = None
    operators: int = 0           # binary operators in the tree
    selectors: list[Selector] = field(default_factory=list)
    groupings: list[Grouping] = field(default_factory=list)
    histogram_calls: list[HistogramCall] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)


# Limits checked before promql_parser sees an expression. Its parser recurses in native code and overflows the
# stack, killing the interpreter, at about 4,000 operators in a row or 4,000 nested parentheses. Every level of a
# tree sits inside a pair of brackets, is an operand of an operator, or is a subquery (`[`), so a tree is at most
# MAX_NESTING + MAX_OPERATORS + 1 levels deep: far below that crash, and below Python's recursion limit for the
# walks here and in `contract.promql.analyze`, which recurse once per level.
MAX_EXPRESSION_LENGTH = 64 * 1024   # characters
MAX_NESTING = 128                   # parentheses, brackets and braces open at once
MAX_OPERATORS = 512                 # binary and unary operators, and `[` (ranges and subqueries)

# strings end at a line break (which PromQL does not allow in a quoted one): text after it is counted
_LIMIT_TOKEN = re.compile(r"""(?x)
    "[^"\\\n]*(?:\\.[^"\\\n]*)*"? | '[^'\\\n]*(?:\\.[^'\\\n]*)*'? | `[^`]*`? | \#[^\n]*   # strings, comments
  | (?P<word>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<open>[(\[{]) | (?P<close>[)\]}])
  | (?P<op>[-+*/%^] | [=!<>]= | [<>])
""")
_OPERATOR_WORDS = frozenset({"and", "or", "unless", "atan2"})
_OPERATOR_CHARS = "+-*/%^=<>"   # every operator has one of these, or is a word above


class TooComplex(ValueError):
    """An expression over one of the limits above, refused before it is parsed."""


def check_limits(text: str) -> None:
    """Raise `TooComplex` if `text` is over a limit: one pass over it, outside string literals and comments."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise TooComplex(f"the expression is {len(text)} characters long, more than {MAX_EXPRESSION_LENGTH}")
    # each bracket, operator character and operator word (in the lowercased text, at most three times as long)
    # starts at a character of its own: a text this short is within both limits, nothing to count
    if len(text) <= MAX_NESTING and 4 * len(text) <= MAX_OPERATORS:
        return
    # most expressions have fewer brackets, operator characters and operator words anywhere, strings included, than
    # a limit allows: counting those (in C) is a bound of both, and costs far less than the pass below
    brackets = text.count("(") + text.count("[") + text.count("{")
    low = text.lower()
    if brackets <= MAX_NESTING and brackets + sum(map(text.count, _OPERATOR_CHARS)) + sum(
            map(low.count, _OPERATOR_WORDS)) <= MAX_OPERATORS:
        return
    depth = braces = operators = 0
    for token in _LIMIT_TOKEN.finditer(text):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_NESTING:
                raise TooComplex(f"the expression nests brackets deeper than {MAX_NESTING} levels")
            bracket = text[token.start()]
            braces += bracket == "{"
            operators += bracket == "["
        elif kind == "close":
            depth = max(depth - 1, 0)
            braces = max(braces - (text[token.start()] == "}"), 0)
        elif kind == "op" and not braces or kind == "word" and token.group().lower() in _OPERATOR_WORDS:
            operators += 1   # `!=` inside braces is a label matcher
        if operators > MAX_OPERATORS:
            raise TooComplex(f"the expression has more than {MAX_OPERATORS} operators")


def parse(text: str) -> Any:
    """promql_parser's tree of `text` (raises ValueError, `TooComplex` over a limit), with the functions registered
    above."""
    check_limits(text)
    try:
        return pp.parse(text)
    except UnicodeEncodeError as exc:   # a lone surrogate (a JSON `\ud800` escape) has no UTF-8 form to parse
        raise ValueError(f"U+{ord(exc.object[exc.start]):04X} is a lone surrogate, not a character") from None


def expansions_of(e: Expression, scrape_seconds: float) -> list[Expansion]:
    """The texts to analyze for one expression: it as written, or its Grafana variables replaced, once per
    declared value tried (`contract.promql.variables.expansions`); `check` and `analyze` both read these."""
    if e.variables is None or len(e.text) > MAX_EXPRESSION_LENGTH:   # too long to expand: `parse` refuses it
        return [Expansion(e.text)]
    return expansions(e.text, scrape_seconds, e.variables, dict(e.values), min_interval=e.min_interval,
                      min_step=e.min_step, max_length=MAX_EXPRESSION_LENGTH)


def analyze(text: str, catalog: Catalog, recorded: dict[str, Flow]) -> Analysis:
    return Analyzer(catalog, recorded).analyze(text)


class Analyzer:
    """`analyze` for many expressions against one catalog and one table of recorded flows."""

    def __init__(self, catalog: Catalog, recorded: dict[str, Flow]) -> None:
        # Labels a contract series may lack: an exporter's, on the declared paths that have it (every path's scrape
        # or receiver adds `job` and `instance`). The contract's own labels and `le` are on every series.
        scraped = [frozenset(facts.scrape_labels) for path, facts in PATHS.items() if path in catalog.paths]
        uncertain = catalog.infra_labels - frozenset.intersection(*scraped) if scraped else catalog.infra_labels
        # each contract series with the flow a selector of it yields, made once here rather than per selector
        self.known = {name: (info, Flow(info.labels, info.open, "native" if info.part == "native" else
                                        info.part == "bucket", False, info.labels - uncertain))
                      for name, info in catalog.series.items()}
        self.recorded = recorded
        self.out = Analysis()
        self.calls: dict[str, int] = {}      # histogram functions met so far, for `HistogramCall.ordinal`

    def analyze(self, text: str) -> Analysis:
        """Parse `text` (promql_parser judges every regex too, as Prometheus would) and walk it once."""
        out = self.out = Analysis()
        self.calls = {}
        try:
            tree = parse(text)
        except ValueError as exc:
            out.error = str(exc) or "invalid expression"
            out.too_complex = isinstance(exc, TooComplex)
            return out
        out.root = _WALK[type(tree)](self, tree, None, False)
        while type(tree) is _PAREN:
            tree = tree.expr
        kind = type(tree)
        if kind is _MS or kind is _SUB:
            out.result = "range vector"
        elif kind is _STRING:
            out.result = "string"
        return out

    # Each node type has its handler, taking (node, range_func, counter_ok) and returning the node's flow,
    # reached through `_WALK[type(node)]` (below the class): one lookup per node, not a dispatching method's
    # frame and chain of type tests.

    def inner(self, node: pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr, range_func: str | None,
              counter_ok: bool) -> Flow:
        expr = node.expr
        return _WALK[type(expr)](self, expr, range_func, counter_ok)

    def literal(self, node: pp.NumberLiteral | pp.StringLiteral, range_func: str | None, counter_ok: bool) -> Flow:
        return SCALAR

    def selector(self, node: pp.VectorSelector | pp.MatrixSelector, range_func: str | None, counter_ok: bool) -> Flow:
        range = None
        vs = node
        if type(node) is _MS:
            range = node.range.total_seconds()
            vs = node.vector_selector
        name = vs.name  # type: ignore[union-attr]
        ms = vs.matchers  # type: ignore[union-attr]
        matchers = [(m.name, _op_text(m.op), m.value) for m in ms.matchers]
        for group in ms.or_matchers:   # `{a="x" or b="y"}`
            matchers += _matchers(group)
        pattern: str | None = None
        named: list[str] = []
        if name is None:
            name = next((v for label, op, v in matchers if label == "__name__" and op == "="), None)
            if name is None and not ms.or_matchers:
                by_regex = self._named_by_regex(matchers)
                if by_regex is not None:
                    pattern, named = by_regex
                    if len(named) == 1:   # one series: as if it were named
                        name, pattern = named[0], None
        known = self.known.get(name) if name is not None else None
        info: SeriesInfo | None = None
        infos: tuple[SeriesInfo, ...] = ()
        recorded = False
        if known is not None:
            info, flow = known
            infos = (info,)
        elif name in self.recorded:
            recorded = True
            flow = self.recorded[name]
        elif pattern is not None and named:
            flows = []
            found = []
            for series in named:
                if series in self.known:
                    found.append(self.known[series][0])
                    flows.append(self.known[series][1])
                else:
                    recorded = True
                    flows.append(self.recorded[series])
            infos = tuple(found)
            flow = reduce(_union, flows)
        else:
            flow = UNKNOWN
        selectors = self.out.selectors
        # (index, name, info, recorded, placeholder, matchers, range, func, counter_ok, flow, infos, pattern)
        # a name holding a Grafana variable's stand-in (`{__name__="$metric"}` too) is not judged
        placeholder = name is not None and (LABEL_PLACEHOLDER in name or PLACEHOLDER_MARK in name)
        selectors.append(Selector(len(selectors), name, info, recorded, placeholder, matchers, range, range_func,
                                  counter_ok, flow, infos, pattern))
        return flow

    def _named_by_regex(self, matchers: list[tuple[str, str, str]]) -> tuple[str, list[str]] | None:
        """The `__name__=~` regex of a selector with no plain name, and the contract and recorded series its
        `__name__` matchers select (Prometheus anchors a regex at both ends); None when it has no such regex, or
        one this cannot read as RE2 does, or one holding a Grafana variable, or when only its exclusions (`!=`,
        `!~`) leave no series: nothing is said then."""
        tests = [(op, value) for label, op, value in matchers if label == "__name__"]
        if any(PLACEHOLDER_MARK in value for _, value in tests):
            return None
        pattern = next((value for op, value in tests if op == "=~"), None)
        if pattern is None:   # only `!=` and `!~`: any other name may be selected
            return None
        names = [*self.known, *self.recorded]
        for value in (value for op, value in tests if op == "=~"):
            regex = _name_regex(value)
            if regex is None:
                return None
            names = [n for n in names if regex.fullmatch(n)]
        if not names:
            return pattern, names
        for op, value in tests:
            if op == "!=":
                names = [n for n in names if n != value]
            elif op == "!~" and (regex := _name_regex(value)) is not None:
                names = [n for n in names if not regex.fullmatch(n)]
            # an exclusion not applied leaves more names, so nothing is reported that should not be
        return (pattern, names) if names else None

    def call(self, node: pp.Call, range_func: str | None, counter_ok: bool) -> Flow:
        name = node.func.name
        inner_ok = counter_ok or name in _COUNTER_SAFE
        base: Flow | None = None
        strings: list[str] = []
        selectors = self.out.selectors
        first_selector = len(selectors)
        if name in _HISTOGRAM_FUNCS:
            ordinal = self.calls.get(name, 0)
            self.calls[name] = ordinal + 1
        for arg in node.args:
            kind = type(arg)
            if kind is _STRING:
                strings.append(arg.val)
                continue
            flow = _WALK[kind](self, arg, name if kind is _MS or kind is _SUB else None, inner_ok)
            if base is None and not flow.scalar:
                base = flow
        if name in _SCALAR_FUNCS:
            return SCALAR
        if base is None:
            return EMPTY
        if name in _HISTOGRAM_FUNCS:
            self.out.histogram_calls.append(HistogramCall(name, ordinal, base))
            if name in QUANTILE_FUNCS:
                return Flow(base.labels - _NO_LE, base.open, False, False, base.sure - _NO_LE)
            return Flow(base.labels, base.open, False, False, base.sure)
        if name == "label_replace" or name == "label_join":
            if strings:   # the label may be left out (no regex match, an empty value) or emptied
                return Flow(base.labels | {strings[0]}, base.open, base.buckets, False, base.sure - {strings[0]})
            return base
        if name == "absent" or name == "absent_over_time":
            # the labels of the single series absent() returns: the selector's equality matchers
            if len(selectors) == first_selector + 1:
                sel = selectors[first_selector]
                equal = [(label, v) for label, op, v in sel.matchers if op == "=" and label != "__name__"]
                return Flow(frozenset(label for label, _ in equal), sure=frozenset(label for label, v in equal if v))
            return EMPTY
        return base

    def aggregate(self, node: pp.AggregateExpr, range_func: str | None, counter_ok: bool) -> Flow:
        op = str(node.op)
        param = node.param
        if param is not None and type(param) is not _STRING:
            _WALK[type(param)](self, param, None, counter_ok)
        expr = node.expr
        inner = _WALK[type(expr)](self, expr, range_func, counter_ok or op in _COUNTING_AGGS)
        if op in _KEEP_LABELS_AGGS:
            mod = node.modifier
            if mod is not None and mod.type is _BY:
                self._group_by(mod.labels, inner, op)
            return inner
        mod = node.modifier
        if mod is None:
            out = Flow(frozenset(), False, inner.buckets, False)
        elif mod.type is _BY:
            labels = mod.labels
            real = self._group_by(labels, inner, op)
            out = Flow(frozenset(real), len(real) != len(labels), inner.buckets, False, inner.sure.intersection(real))
        else:
            dropped = _real_labels(mod.labels)
            out = Flow(inner.labels.difference(dropped), inner.open, inner.buckets, False,
                       inner.sure.difference(dropped))
        if op == "count_values" and type(param) is _STRING:   # the value as text: never empty
            out = out._replace(labels=out.labels | {param.val}, sure=out.sure | {param.val})
        return out

    def _group_by(self, labels: list[str], inner: Flow, op: str) -> tuple[str, ...]:
        """The labels of a `by` clause as written, placeholders removed; recorded as a grouping."""
        real = _real_labels(labels)
        if real and not inner.scalar:
            self.out.groupings.append(Grouping("by", real, (("input", inner),), op))
        return real

    def binary(self, node: pp.BinaryExpr, range_func: str | None, counter_ok: bool) -> Flow:
        op = str(node.op)
        left, right = node.lhs, node.rhs
        lhs = _WALK[type(left)](self, left, range_func, counter_ok)
        ordinal = self.out.operators   # counted between the operands: text order
        self.out.operators = ordinal + 1
        rhs = _WALK[type(right)](self, right, range_func, counter_ok or op == "and" or op == "unless")
        if lhs.scalar or rhs.scalar:
            return rhs if lhs.scalar else lhs
        mod = node.modifier
        if mod is None:
            if op == "or":
                return _union(lhs, rhs)
            self.out.matches.append(Match(op, ordinal, "", (), False, lhs, rhs))
            return lhs
        matching = mod.matching
        on_labels: tuple[str, ...] = ()
        placeholder = False
        include = False
        if matching is not None:
            labels = matching.labels
            on_labels = _real_labels(labels)
            placeholder = len(on_labels) != len(labels)
            include = matching.type is _INCLUDE
            if on_labels:   # `on` needs each label on both sides; `ignoring` on at least one
                self.out.groupings.append(Grouping("on" if include else "ignoring", on_labels,
                                                   (("left-hand side", lhs), ("right-hand side", rhs)), op))
        if op == "or":
            return _union(lhs, rhs)
        clause = "" if matching is None else "on" if include else "ignoring"
        self.out.matches.append(Match(op, ordinal, clause, on_labels, placeholder, lhs, rhs))
        if op == "and" or op == "unless":
            return lhs
        card = mod.card
        if card is _MANY_TO_ONE or card is _ONE_TO_MANY:
            many, one, side = (lhs, rhs, "right-hand side") if card is _MANY_TO_ONE else (rhs, lhs, "left-hand side")
            group = _real_labels(mod.group_labels or ())
            if group:
                clause = "group_left" if card is _MANY_TO_ONE else "group_right"
                self.out.groupings.append(Grouping(clause, group, ((side, one),), op))
            # a copied label is set from the "one" side's series, and dropped where that series lacks it
            sure = many.sure.difference(group) | one.sure.intersection(group)
            return Flow(many.labels.union(group), many.open or placeholder, many.buckets, False, sure)
        if include:
            return Flow(frozenset(on_labels), placeholder, lhs.buckets, False, lhs.sure.intersection(on_labels))
        if matching is not None:
            return Flow(lhs.labels.difference(on_labels), lhs.open, lhs.buckets, False, lhs.sure.difference(on_labels))
        return lhs


_WALK: dict[type, Callable[[Analyzer, Any, str | None, bool], Flow]] = {
    _CALL: Analyzer.call, _MS: Analyzer.selector, _VS: Analyzer.selector, _AGG: Analyzer.aggregate,
    _BIN: Analyzer.binary, _PAREN: Analyzer.inner, _UNARY: Analyzer.inner, _SUB: Analyzer.inner,
    pp.NumberLiteral: Analyzer.literal, _STRING: Analyzer.literal,
}


def _union(lhs: Flow, rhs: Flow) -> Flow:
    """What `lhs or rhs` yields (and a selector of several series): the series of either side."""
    buckets = lhs.buckets if lhs.buckets == rhs.buckets else None
    return Flow(lhs.labels | rhs.labels, lhs.open or rhs.open, buckets, False, lhs.sure & rhs.sure)


# in a regex, what Python's `re` reads otherwise than RE2 or warns about: a POSIX class `[[:alpha:]]` (a nested
# set to Python), `{,n}` (a literal to RE2), set operations Python may add
_OTHERWISE_IN_RE2 = ("[:", "[[", "{,", "&&", "--", "||", "~~")


def _name_regex(value: str) -> re.Pattern[str] | None:
    """The `__name__` regex `value` as RE2 reads it, or None where Python's `re` may read it otherwise or cannot
    compile it (`\\pL`, `\\z`)."""
    if any(part in value for part in _OTHERWISE_IN_RE2):
        return None
    try:
        return re.compile(value, re.DOTALL)
    except re.error:
        return None


def _real_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Labels of a grouping list without the stand-ins of Grafana variables."""
    real = tuple(labels)
    for label in real:   # a loop, not a comprehension: most lists hold no stand-in
        if label.startswith(LABEL_PLACEHOLDER):
            return tuple([label for label in real if not label.startswith(LABEL_PLACEHOLDER)])
    return real


def matches_empty(op: str, value: str) -> bool:
    """Whether the matcher `label <op> "<value>"` matches a series that lacks the label.

    Prometheus reads a missing label as the empty value, so such a matcher
    never requires the label (`x{cluster=""}`, `x{cluster=~".*"}`, `x{cluster!="a"}`).
    Prometheus anchors a regex at both ends (`^(?s:<value>)$`, RE2), which
    `re.fullmatch` with DOTALL does too. Python's `re` reads some RE2
    syntax differently (`\\pL`, `\\Q...\\E`, `(?i)` after the start, `\\z`);
    where it cannot compile the value, the label counts as not required,
    since nothing can be said for sure.
    """
    if op == "=":
        return value == ""
    if op == "!=":
        return value != ""
    try:
        empty = re.fullmatch(value, "", re.DOTALL) is not None
    except re.error:
        return True
    return empty if op == "=~" else not empty


def _op_text(op: pp.MatchOp) -> str:
    if op is _EQUAL:
        return "="
    if op is _NOT_EQUAL:
        return "!="
    return "=~" if op is _RE else "!~"


def _matchers(matchers: list[pp.Matcher]) -> list[tuple[str, str, str]]:
    """(label, op as written, value) of each matcher."""
    return [(m.name, _op_text(m.op), m.value) for m in matchers]


# ── locating things in the text ────────────────────────────────────────────

_TOKEN = re.compile(r"""(?xs)
    (?P<space>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`[^`]*`?)
  | (?P<num>0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9]*)
  | (?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]@])
  | (?P<other>.)
""")


_GROUPING_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "sum", "avg", "count", "min",
                       "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile", "limitk",
                       "limit_ratio"}) | _GROUPING_WORDS
_MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})
_BINARY_OPS = frozenset({"+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">="})


class SelectorSpan:
    __slots__ = ("start", "name", "matchers", "range")

    def __init__(self, start: int, name: str | None) -> None:
        self.start = start
        self.name = name
        self.matchers: list[tuple[str, int, int]] = []   # (label, label offset, value offset inside quotes)
        self.range: tuple[int, int] | None = None          # offsets of `[` and after `]`


class Locator:
    """Offsets of selectors, matchers, ranges, calls and grouping labels in an expression."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.selectors: list[SelectorSpan] = []
        self.calls: dict[str, list[int]] = {}
        self.clauses: list[tuple[str, list[tuple[str, int]]]] = []
        self.operators: list[int] = []   # binary operators, in text order
        tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text) if m.lastgroup != "space"]
        self._scan(tokens)

    def _scan(self, tokens: list[tuple[str | None, str, int]]) -> None:
        i = 0
        n = len(tokens)
        operand = False   # the token before ends an operand, so a `+` or `-` here is an operator, not a sign
        while i < n:
            kind, value, start = tokens[i]
            after = tokens[i + 1][1] if i + 1 < n else ""
            if kind == "id":
                low = value.lower()
                if low in _OPERATOR_WORDS:
                    self.operators.append(start)
                    operand = False
                elif low in _GROUPING_WORDS and after == "(":
                    labels: list[tuple[str, int]] = []
                    i += 2
                    while i < n and tokens[i][1] != ")":
                        if tokens[i][0] in ("id", "str"):
                            labels.append((tokens[i][1].strip("\"'`"), tokens[i][2]))
                        i += 1
                    self.clauses.append((low, labels))
                    # `by` and `without` may close an aggregation (`sum(x) by (job) - 1`); `on`, `ignoring` and
                    # `group_*` come before the right-hand side
                    operand = low == "by" or low == "without"
                elif after == "(":
                    self.calls.setdefault(value, []).append(start)
                    operand = False
                elif low not in _KEYWORDS:
                    i = self._selector(tokens, i + 1, SelectorSpan(start, value)) - 1
                    operand = True
                else:
                    operand = low == "inf" or low == "nan"
            elif value == "{":
                i = self._selector(tokens, i, SelectorSpan(start, None)) - 1
                operand = True
            elif kind == "op" and value in _BINARY_OPS:
                if operand or (value != "+" and value != "-"):
                    self.operators.append(start)
                operand = False
            else:
                operand = kind == "num" or kind == "str" or value in (")", "]", "}")
            i += 1

    def _selector(self, tokens: list[tuple[str | None, str, int]], i: int, span: SelectorSpan) -> int:
        n = len(tokens)
        if i < n and tokens[i][1] == "{":
            i += 1
            while i < n and tokens[i][1] != "}":
                kind, value, start = tokens[i]
                if kind in ("id", "str") and i + 2 < n and tokens[i + 1][1] in _MATCH_OPS:
                    label = value.strip("\"'`") if kind == "str" else value
                    span.matchers.append((label, start, tokens[i + 2][2] + 1))
                    i += 3
                    continue
                if kind == "str" and span.name is None:
                    span.name = value.strip("\"'`")
                i += 1
            i += 1
        if i < n and tokens[i][1] == "[":
            open_at = tokens[i][2]
            while i < n and tokens[i][1] != "]":
                i += 1
            close = tokens[i][2] + 1 if i < n else len(self.text)
            span.range = (open_at, close)
            i += 1
        self.selectors.append(span)
        return i

    def selector(self, sel: Selector, count: int) -> SelectorSpan | None:
        """The span of the `sel.index`-th selector; `count` is how many the tree has."""
        if len(self.selectors) == count:
            return self.selectors[sel.index]
        return next((s for s in self.selectors if s.name == sel.name), None)

    def grouping(self, clause: str, label: str) -> int | None:
        for word, labels in self.clauses:
            if word == clause:
                for name, offset in labels:
                    if name == label:
                        return offset
        return None

    def call(self, name: str, ordinal: int) -> int | None:
        found = self.calls.get(name, [])
        return found[ordinal] if ordinal < len(found) else None

    def operator(self, ordinal: int, count: int) -> int | None:
        """The offset of the `ordinal`-th binary operator; `count` is how many the tree has (when the text shows
        another number, it was read otherwise here, and no offset is given)."""
        return self.operators[ordinal] if len(self.operators) == count else None
