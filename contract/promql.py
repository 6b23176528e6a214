"""PromQL analysis: parse once, walk once, keep the facts the checks need.

`analyze` parses an expression with promql_parser and walks the tree a
single time, computing the **label flow** (which labels every
sub-expression's series carry) and collecting facts: every selector with
its catalog entry and context, every grouping clause with the flows it
applies to, every `histogram_quantile` input. Checks under
`contract/checks/promql_*.py` only read these facts, so adding a check
costs no extra walk.

A flow whose labels are not known (an unknown metric, a variable in a
grouping list) is *open*: checks never report a label missing from an open
flow, so one error does not cascade into many.

promql_parser keeps no source positions, so `Locator` re-lexes the
expression, only when a problem needs a column, and pairs the n-th selector
of the tree (walked in text order) with the n-th selector of the text.
"""

from __future__ import annotations

import re
from functools import partial

import promql_parser as pp

from contract.promql_vars import LABEL_PLACEHOLDER
from contract.records import NamedTuple

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

    from contract.catalog import Catalog, SeriesInfo

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
_QUANTILE_FUNCS = frozenset({"histogram_quantile", "histogram_fraction"})
_NO_LE = frozenset({"le"})
_SCALAR_FUNCS = frozenset({"scalar", "time", "pi"})


class Flow(NamedTuple):
    """What the series of one sub-expression carry."""

    labels: frozenset[str]
    open: bool = False           # labels beyond `labels` may be present
    buckets: bool | None = False  # derived from `_bucket` series (None: unknown)
    scalar: bool = False         # a scalar or string, no series at all


EMPTY = Flow(frozenset())
SCALAR = Flow(frozenset(), scalar=True)
UNKNOWN = Flow(frozenset(), open=True, buckets=None)


class Selector:
    """One vector selector of the expression, in text order."""

    # slots rather than a NamedTuple: the checks read these attributes often, and slot reads are the faster ones
    __slots__ = ("index", "name", "info", "recorded", "placeholder", "matchers", "range", "func", "counter_ok",
                 "flow")

    def __init__(self, index: int, name: str | None, info: SeriesInfo | None, recorded: bool, placeholder: bool,
                 matchers: list[tuple[str, str, str]], range: float | None, func: str | None, counter_ok: bool,
                 flow: Flow) -> None:
        self.index = index
        self.name = name
        self.info = info
        self.recorded = recorded
        self.placeholder = placeholder
        self.matchers = matchers     # (label, op text, value)
        self.range = range           # seconds, when the selector is a range `x[5m]`
        self.func = func             # the range function applied to it (through a subquery too)
        self.counter_ok = counter_ok  # inside a function for which raw counter values are right
        self.flow = flow


class Grouping(NamedTuple):
    clause: str                  # by | on | group_left | group_right
    labels: tuple[str, ...]      # as written, placeholders removed
    sides: tuple[tuple[str, Flow], ...]   # (what it is, flow) that must carry each label
    op: str                      # the aggregation or binary operator


class Quantile(NamedTuple):
    func: str
    ordinal: int                 # among calls of `func`, in text order
    input: Flow


# NamedTuple's __new__ is a Python function; these build the same tuples without its frame (every field given)
new_flow = partial(tuple.__new__, Flow)
_new_grouping = partial(tuple.__new__, Grouping)
_new_quantile = partial(tuple.__new__, Quantile)


class Analysis:
    __slots__ = ("error", "root", "selectors", "groupings", "quantiles")

    def __init__(self) -> None:
        self.error: str | None = None
        self.root: Flow = UNKNOWN
        self.selectors: list[Selector] = []
        self.groupings: list[Grouping] = []
        self.quantiles: list[Quantile] = []


# promql_parser compiles every `=~`/`!~` regex (Rust's regex crate), which
# doubles the parse time of a typical Grafana query (`job=~"$job"`). The
# fast path parses a copy with those matchers turned into `=`/`!=` whose
# value starts with REGEX_MARK, and checks the regexes with Python's `re`
# (cached per regex). A parse error there, or a regex that Python rejects
# or may read otherwise than RE2 (`_NOT_PYTHON`), sends the expression
# through the parser as written, which has the last word.
REGEX_MARK = "\ue001"
# patterns left to re's own cache of compiled patterns are only compiled when a run needs them
_RE_OP = r"=~(\s*)([\"'`])"
_NOT_RE_OP = r"!~(\s*)([\"'`])"
# where Python's re is no stand-in for RE2, so the parser must decide: what RE2 lacks (lookaround, conditionals,
# backreferences, possessive repeats), named groups (Python warns about names RE2 takes or refuses), and sets that
# Python reads otherwise and warns about (`[[:alpha:]]` is a POSIX class in RE2; `--`, `&&`, `~~`, `||`).
# Substrings rather than one regex: compiling that regex cost every cold run 0.3 ms.
_NOT_PYTHON = ("(?=", "(?!", "(?<", "(?>", "(?(", "(?P=", "(?P<", *(f"\\{d}" for d in range(1, 10)),
               "*+", "++", "?+", "}+", "[[", "[:", "--", "&&", "~~", "||")
_REGEX_OK: dict[str, bool] = {}


def _regex_ok(regex: str) -> bool:
    ok = _REGEX_OK.get(regex)
    if ok is None:
        ok = not any(part in regex for part in _NOT_PYTHON)
        if ok:
            try:
                re.compile(regex)
            except (re.error, OverflowError, RecursionError):
                ok = False
        _REGEX_OK[regex] = ok
    return ok


def analyze(text: str, catalog: Catalog, recorded: dict[str, Flow]) -> Analysis:
    return Analyzer(catalog, recorded).analyze(text)


class Analyzer:
    """`analyze` for many expressions against one catalog and one table of recorded flows.

    Keeps what every expression looks up (the catalog's series, the flows of
    the series met so far) in attributes, so the per-expression cost is the
    parse and one walk.
    """

    __slots__ = ("info", "flows", "recorded", "out", "calls", "marked", "regexes", "seen",
                 "selected_recorded")

    def __init__(self, catalog: Catalog, recorded: dict[str, Flow]) -> None:
        self.info = catalog.info
        # flows of selecting contract series, kept with the catalog and filled as series are met
        self.flows: dict[str, Flow] = catalog.memo.setdefault("flows", {})
        self.recorded = recorded
        self.out = Analysis()
        self.calls: dict[str, int] = {}      # quantile functions met so far, for `Quantile.ordinal`
        self.marked = False                  # regex matchers come as `=`/`!=` with REGEX_MARK
        self.regexes: list[str] = []         # those regexes, to validate
        self.seen: set[str] = set()          # contract series selected so far
        self.selected_recorded = False       # set when a series recorded by a rule is selected

    def analyze(self, text: str) -> Analysis:
        if "~" in text:
            fast = text.replace('=~"', '="' + REGEX_MARK).replace('!~"', '!="' + REGEX_MARK)
            if "~" in fast:   # other quotes or spacing
                fast = re.sub(_NOT_RE_OP, "!=\\1\\2" + REGEX_MARK, re.sub(_RE_OP, "=\\1\\2" + REGEX_MARK, fast))
            try:
                tree = pp.parse(fast)
            except ValueError:
                tree = None
            if tree is not None:
                result = self.run(tree, text, True)
                for regex in self.regexes:
                    if not _regex_ok(regex):
                        break
                else:
                    return result
        try:
            tree = pp.parse(text)
        except ValueError as exc:
            result = Analysis()
            result.error = str(exc) or "invalid expression"
            return result
        return self.run(tree, text, False)

    def run(self, tree: object, text: str, marked: bool) -> Analysis:
        out = self.out = Analysis()
        self.calls = {}
        self.marked = marked
        self.regexes = []
        out.root = _WALK[type(tree)](self, tree, None, False)
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
        matchers = _matchers(ms.matchers, self.marked, self.regexes)
        for group in ms.or_matchers:   # `{a="x" or b="y"}`
            matchers += _matchers(group, self.marked, self.regexes)
        if name is None:
            name = next((v for label, op, v in matchers if label == "__name__" and op == "="), None)
        info = self.info(name) if name is not None else None
        recorded = info is None and name in self.recorded
        if info is not None:
            self.seen.add(name)  # type: ignore[arg-type]
            flow = self.flows.get(name)  # type: ignore[arg-type]
            if flow is None:
                flow = self.flows[name] = Flow(info.labels, info.open, info.part == "bucket")  # type: ignore[index]
        elif recorded:
            self.selected_recorded = True
            flow = self.recorded[name]  # type: ignore[index]
        else:
            flow = UNKNOWN
        selectors = self.out.selectors
        selectors.append(Selector(len(selectors), name, info, recorded, name is not None and LABEL_PLACEHOLDER in name,
                                  matchers, range, range_func, counter_ok, flow))
        return flow

    def call(self, node: pp.Call, range_func: str | None, counter_ok: bool) -> Flow:
        name = node.func.name
        inner_ok = counter_ok or name in _COUNTER_SAFE
        base: Flow | None = None
        strings: list[str] = []
        selectors = self.out.selectors
        first_selector = len(selectors)
        if name in _QUANTILE_FUNCS:
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
        if name in _QUANTILE_FUNCS:
            self.out.quantiles.append(_new_quantile((name, ordinal, base)))
            return new_flow((base.labels - _NO_LE, base.open, False, False))
        if name == "label_replace" or name == "label_join":
            if strings:
                return new_flow((base.labels | {strings[0]}, base.open, base.buckets, False))
            return base
        if name == "absent" or name == "absent_over_time":
            # the labels of the single series absent() returns: the selector's equality matchers
            if len(selectors) == first_selector + 1:
                sel = selectors[first_selector]
                return Flow(frozenset(label for label, op, v in sel.matchers if op == "=" and label != "__name__"))
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
            out = new_flow((frozenset(), False, inner.buckets, False))
        elif mod.type is _BY:
            labels = mod.labels
            real = self._group_by(labels, inner, op)
            out = new_flow((frozenset(real), len(real) != len(labels), inner.buckets, False))
        else:
            out = new_flow((inner.labels.difference(_real_labels(mod.labels)), inner.open, inner.buckets, False))
        if op == "count_values" and type(param) is _STRING:
            out = out._replace(labels=out.labels | {param.val})
        return out

    def _group_by(self, labels: list[str], inner: Flow, op: str) -> tuple[str, ...]:
        """The labels of a `by` clause as written, placeholders removed; recorded as a grouping."""
        real = _real_labels(labels)
        if real and not inner.scalar:
            self.out.groupings.append(_new_grouping(("by", real, (("input", inner),), op)))
        return real

    def binary(self, node: pp.BinaryExpr, range_func: str | None, counter_ok: bool) -> Flow:
        op = str(node.op)
        left, right = node.lhs, node.rhs
        lhs = _WALK[type(left)](self, left, range_func, counter_ok)
        rhs = _WALK[type(right)](self, right, range_func, counter_ok or op == "and" or op == "unless")
        if lhs.scalar or rhs.scalar:
            return rhs if lhs.scalar else lhs
        mod = node.modifier
        if mod is None:
            if op == "or":
                return _union(lhs, rhs)
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
            if include and on_labels:
                self.out.groupings.append(_new_grouping(("on", on_labels, (("left-hand side", lhs),
                                                                               ("right-hand side", rhs)), op)))
        if op == "or":
            return _union(lhs, rhs)
        if op == "and" or op == "unless":
            return lhs
        card = mod.card
        if card is _MANY_TO_ONE or card is _ONE_TO_MANY:
            many, one, side = (lhs, rhs, "right-hand side") if card is _MANY_TO_ONE else (rhs, lhs, "left-hand side")
            group = _real_labels(mod.group_labels or ())
            if group:
                clause = "group_left" if card is _MANY_TO_ONE else "group_right"
                self.out.groupings.append(_new_grouping((clause, group, ((side, one),), op)))
            return new_flow((many.labels.union(group), many.open or placeholder, many.buckets, False))
        if include:
            return new_flow((frozenset(on_labels), placeholder, lhs.buckets, False))
        if matching is not None:
            return new_flow((lhs.labels.difference(on_labels), lhs.open, lhs.buckets, False))
        return lhs


_WALK: dict[type, Callable[[Analyzer, Any, str | None, bool], Flow]] = {
    _CALL: Analyzer.call, _MS: Analyzer.selector, _VS: Analyzer.selector, _AGG: Analyzer.aggregate,
    _BIN: Analyzer.binary, _PAREN: Analyzer.inner, _UNARY: Analyzer.inner, _SUB: Analyzer.inner,
    pp.NumberLiteral: Analyzer.literal, _STRING: Analyzer.literal,
}


def _union(lhs: Flow, rhs: Flow) -> Flow:
    """What `lhs or rhs` yields."""
    buckets = lhs.buckets if lhs.buckets == rhs.buckets else None
    return new_flow((lhs.labels | rhs.labels, lhs.open or rhs.open, buckets, False))


def _real_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Labels of a grouping list without the stand-ins of Grafana variables."""
    real = tuple(labels)
    for label in real:   # a loop, not a comprehension: most lists hold no stand-in
        if label.startswith(LABEL_PLACEHOLDER):
            return tuple([label for label in real if not label.startswith(LABEL_PLACEHOLDER)])
    return real


def _matchers(matchers: list[pp.Matcher], marked: bool, regexes: list[str]) -> list[tuple[str, str, str]]:
    """(label, op text, value) of each matcher; when `marked`, regex matchers restored and their regexes kept."""
    out = []
    for m in matchers:
        op = m.op
        value = m.value
        if op is _EQUAL or op is _NOT_EQUAL:
            if marked and value[:1] == REGEX_MARK:
                value = value[1:]
                regexes.append(value)
                text = "=~" if op is _EQUAL else "!~"
            else:
                text = "=" if op is _EQUAL else "!="
        else:
            text = "=~" if op is _RE else "!~"
        out.append((m.name, text, value))
    return out


# ── locating things in the text ────────────────────────────────────────────

# compiled on first use (re's cache): only a reported problem needs a position
_TOKEN = r"""(?xs)
    (?P<space>\s+|\#[^\n]*)
  | (?P<str>"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`[^`]*`?)
  | (?P<num>0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?[a-zA-Z0-9]*)
  | (?P<id>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<op>=~|!~|!=|==|>=|<=|[-+*/%^<>=,(){}\[\]@])
  | (?P<other>.)
"""


_GROUPING_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "atan2", "sum", "avg", "count", "min",
                       "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile", "limitk",
                       "limit_ratio"}) | _GROUPING_WORDS
_MATCH_OPS = frozenset({"=", "!=", "=~", "!~"})


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
        tokens = [(m.lastgroup, m.group(), m.start()) for m in re.finditer(_TOKEN, text) if m.lastgroup != "space"]
        self._scan(tokens)

    def _scan(self, tokens: list[tuple[str | None, str, int]]) -> None:
        i = 0
        n = len(tokens)
        while i < n:
            kind, value, start = tokens[i]
            after = tokens[i + 1][1] if i + 1 < n else ""
            if kind == "id":
                low = value.lower()
                if low in _GROUPING_WORDS and after == "(":
                    labels: list[tuple[str, int]] = []
                    i += 2
                    while i < n and tokens[i][1] != ")":
                        if tokens[i][0] in ("id", "str"):
                            labels.append((tokens[i][1].strip("\"'`"), tokens[i][2]))
                        i += 1
                    self.clauses.append((low, labels))
                elif after == "(":
                    self.calls.setdefault(value, []).append(start)
                elif low not in _KEYWORDS:
                    i = self._selector(tokens, i + 1, SelectorSpan(start, value)) - 1
            elif value == "{":
                i = self._selector(tokens, i, SelectorSpan(start, None)) - 1
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
