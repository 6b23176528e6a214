"""`out/python/<service>_metrics.py`: the application's metrics module.

The module carries the contract as plain tables (`METRICS`, `EVENTS`, `SPANS`), a typed API with one class per
metric (`Metrics` holds one of each), and one handler per event built on that API. Its shape is the template
`templates/subscriber.py.j2`; this file decides the names (Python identifiers derived from contract names, unique,
never a keyword) and writes every contract value as Python source: strings and numbers as literals, and any
expression that could outgrow a line broken the way `ruff format` breaks it, so the module is already formatted.

The handlers are written out operation by operation instead of interpreting the tables at event time, so an event
costs no more than qortex 0.3.0's hand-written closures did; what does not depend on the event (the bound methods,
the spans' table rows, the series of constant label values) is prepared once by `handlers()`.

Contract strings only reach the module as literals written by `_literal`, and event and field names are Python
identifiers (they become attribute reads; `contract/event-identifier` refuses others before anything is rendered),
so no contract text can change the module's code.
"""

from __future__ import annotations

import keyword
import math
import re
import textwrap
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined

from contract.checks.event_ops import ALLOWED_OPS, NON_NEGATIVE
from contract.checks.registry import check_contract
from contract.loader import LoadedContract
from contract.model import Contract, Label, Metric, Op, Span, SpanEnd
from contract.naming import sanitize_label, sanitize_name, unit_word
from contract.problems import InputError, one_line

WIDTH = 120  # the line length ruff formats and checks this project with (pyproject.toml)
_NON_IDENT = re.compile(r"[^0-9A-Za-z_]")

_TEMPLATES = Environment(loader=PackageLoader("generators"), undefined=StrictUndefined, autoescape=False,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)

# by metric type: the class name's suffix (whether its values may be negative is `NON_NEGATIVE`, which
# contract/event-op judges the contract's constants and scales by)
_CLASS_SUFFIX = {"counter": "Counter", "updowncounter": "UpDownCounter", "gauge": "Gauge", "histogram": "Histogram",
                 "summary": "Summary", "info": "Info", "stateset": "StateSet"}
# the API method of the types no event updates (the others' is their event operation, `ALLOWED_OPS`)
_API_METHOD = {"info": "info", "stateset": "state"}
# the base class of each type's class in the module (`_Instrument` when not listed)
_BASE_CLASS = {"info": "_Info", "stateset": "_StateSet"}
# prometheus_client's method that records a measurement (or the information of an info without labels), by type;
# the module's `_PROM_METHODS` has those of the four OpenTelemetry types and of the contract's others
_PROM_METHODS = {"counter": "inc", "updowncounter": "inc", "gauge": "set", "histogram": "observe", "summary": "observe",
                 "info": "info"}
# the types only prometheus_client records (OpenTelemetry has no such instrument)
_PROM_ONLY = ("summary", "info", "stateset")
# the types the module does not record, and why: it gets no class, and its docstring lists them
_UNRECORDED = {
    "untyped": "untyped: neither prometheus_client nor OpenTelemetry has an untyped instrument",
    "native_histogram": "native histogram: record an OpenTelemetry histogram with base2 exponential aggregation",
}

# names the methods of a metric class use for their own arguments and variables: a label is not named so
_METHOD_NAMES = ("self", "value", "series", "attributes", "prom_record")
# module-level names of the template
_GLOBALS = ("SERVICE", "METRICS", "EVENTS", "SPANS", "DROPPED", "Range", "Label", "Metric", "Guard", "LabelFrom",
            "Op", "SpanEnd", "Span", "Metrics", "handlers", "register", "logging", "threading", "Callable", "Enum",
            "inf", "Any", "ClassVar", "Literal", "NamedTuple", "annotations")
# names in `handlers()` and its handlers: its arguments and variables, and the globals and builtins they use
_HANDLER_NAMES = ("meter", "registry", "tracer", "metrics", "tracing", "recorded", "traced", "event", "value",
                  "tested", "key", "old", "stale", "span", "SPANS", "float", "inf", "len", "next", "iter",
                  "ValueError", "Exception", "Any", "Callable", "Metrics")


def generate(lc: LoadedContract) -> dict[str, str]:
    _validate(lc)
    name = module_name(lc.contract.service)
    return {f"python/{name}.py": _Module(lc, name).render()}


def module_name(service: str) -> str:
    """`<service>_metrics`, made importable (a service name like `my-api` is common)."""
    return _ident(service) + "_metrics"


def _ident(text: str) -> str:
    out = _NON_IDENT.sub("_", text)
    return "_" + out if out[:1].isdigit() or not out else out


def _validate(lc: LoadedContract) -> None:
    # the module assumes what the checks guarantee: every op names a declared metric of the right type and
    # supplies exactly its labels; names are valid; event and field names are Python identifiers
    # (contract/event-identifier), since they are written as code; a map records values of its closed set
    errors = [p for p in check_contract(lc) if p.severity == "error"]
    if errors:
        raise InputError.many(errors)


# ── Python source, laid out as `ruff format` lays it out ────────────────────
#
# An expression is written on one line when that line fits in WIDTH columns. Otherwise its outermost brackets
# are broken: one item per line, each followed by a comma, the closing bracket on a line of its own; a string
# that does not fit becomes implicitly concatenated parts, one per line. ruff keeps a broken bracket broken when
# it ends in a comma (its "magic trailing comma") and joins string parts only when they fit on one line, so what
# is written here is what ruff would leave unchanged.


@dataclass(frozen=True)
class Code:
    """Source that is never broken: a name, a number, `event.mode`."""

    text: str


@dataclass(frozen=True)
class Text:
    """A string, written as a literal."""

    value: str


@dataclass(frozen=True)
class Group:
    """`head(items)`, or with other brackets `head[items]`, `{items}`; each item is (prefix, node), the prefix
    being `name=`, `"key": `, `name: ` or empty."""

    head: str
    items: tuple[tuple[str, Node], ...]
    brackets: str = "()"
    one_tuple: bool = False  # a tuple of one item, whose comma stays when it is on one line

    @staticmethod
    def of(head: str, nodes: Iterable[Node], brackets: str = "()") -> Group:
        return Group(head, tuple(("", n) for n in nodes), brackets)


Node = Code | Text | Group


def _tuple(nodes: Iterable[Node]) -> Node:
    items = tuple(("", n) for n in nodes)
    return Group("", items, "()", one_tuple=len(items) == 1) if items else Code("()")


def _width(text: str) -> int:
    """Columns as ruff counts them: East Asian wide characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _literal(value: str) -> str:
    """A str literal as ruff writes it: double quotes, unless the value holds more of them than single quotes."""
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for c in value:
        if c == "\\" or c == quote:
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\r":
            out.append("\\r")
        elif c == "\t":
            out.append("\\t")
        elif not c.isprintable():
            out.append(repr(c)[1:-1])  # \x00, \u200b, \udcff
        else:
            out.append(c)
    return quote + "".join(out) + quote


def _num(x: float) -> str:
    if math.isfinite(x):
        return repr(float(x))
    return f'float("{x}")'


def _int_or_num(x: float) -> str:
    """An integral constant as an int: it is exact, and float() of it costs no rounding."""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else _num(x)


def _flat(node: Node) -> str:
    if isinstance(node, Code):
        return node.text
    if isinstance(node, Text):
        return _literal(node.value)
    inner = ", ".join(prefix + _flat(item) for prefix, item in node.items)
    return node.head + node.brackets[0] + inner + ("," if node.one_tuple else "") + node.brackets[1]


def _render(node: Node, indent: int, used: int, tail: int) -> str:
    """`node` starting at column `used` of a line indented by `indent`, followed by `tail` columns."""
    flat = _flat(node)
    if isinstance(node, Code) or used + _width(flat) + tail <= WIDTH:
        return flat
    if isinstance(node, Text):
        return _split(node.value, indent, used, tail)
    pad = " " * (indent + 4)
    lines = [f"{pad}{prefix}{_render(item, indent + 4, indent + 4 + _width(prefix), 1)},"
             for prefix, item in node.items]
    return node.head + node.brackets[0] + "\n" + "\n".join(lines) + "\n" + " " * indent + node.brackets[1]


def _split(value: str, indent: int, used: int, tail: int) -> str:
    """A string too long for its line as parts that each fit one (a part ends after a space where one can)."""
    parts: list[str] = []
    start = 0
    while start < len(value):
        room = WIDTH - (used if not parts else indent) - tail
        end = start + 1
        while end < len(value) and _width(_literal(value[start:end + 1])) <= room:
            end += 1
        if end < len(value):
            space = value.rfind(" ", start, end)
            if space >= start + (end - start) // 2:
                end = space + 1
        parts.append(_literal(value[start:end]))
        start = end
    return ("\n" + " " * indent).join(parts)


def _code(node: Node, indent: int, prefix: str = "", suffix: str = "") -> str:
    """A statement or a line of `prefix node suffix` at `indent`, its first line not indented (the template
    indents it)."""
    return prefix + _render(node, indent, indent + _width(prefix), _width(suffix)) + suffix


def _assign(target: str, node: Node, indent: int) -> str:
    """`target = node`: ruff puts a right-hand side in parentheses of its own when not even its first line fits
    beside the target (a string too long for one line needs them to be split)."""
    prefix = f"{target} = "
    used = indent + _width(prefix)
    flat = _flat(node)
    if used + _width(flat) <= WIDTH or (isinstance(node, Group) and used + _width(node.head) + 1 <= WIDTH):
        return _code(node, indent, prefix)
    if isinstance(node, Text) and indent + 4 + _width(flat) <= WIDTH:
        # ruff leaves a string that would fit in the parentheses beside the target, however long the line
        return prefix + flat
    pad = " " * (indent + 4)
    return f"{prefix}(\n{pad}{_render(node, indent + 4, indent + 4, 0)}\n{' ' * indent})"


def _block(node: Node, indent: int, prefix: str = "") -> str:
    """A statement at `indent`, its first line indented too."""
    return " " * indent + _code(node, indent, prefix)


def _def(name: str, params: list[tuple[str, Node]], returns: str, indent: int) -> str:
    """`def name(params) -> returns:`, its parameters one per line when they do not fit on one."""
    return _code(Group(f"def {name}", tuple(params)), indent, suffix=f" -> {returns}:")


def _docstring(text: str, indent: int) -> str:
    """A docstring of generator text and contract names, wrapped; a word too long for a line has one of its own."""
    lines = textwrap.wrap(text, WIDTH - indent - 3, break_long_words=False, break_on_hyphens=False)
    if len(lines) == 1 and indent + 6 + _width(lines[0]) <= WIDTH:
        return f'"""{lines[0]}"""'
    pad = "\n" + " " * indent
    return '"""' + pad.join(lines) + pad + '"""'


# ── the tables ──────────────────────────────────────────────────────────────


def _row(func: str, args: list[tuple[str, Node | None]]) -> Group:
    """A table row; arguments left at the row type's default (None) are not written."""
    return Group(func, tuple((f"{k}=", v) for k, v in args if v is not None))


def _texts(values: Iterable[str]) -> Node:
    return _tuple(Text(v) for v in values)


def _pairs(pairs: Iterable[tuple[str, str]]) -> Node:
    return _tuple(_tuple([Text(a), Text(b)]) for a, b in pairs)


def _label_row(label: Label) -> Group:
    ranges = _tuple(_row("Range", [("low", Code(_num(r.from_))), ("high", Code(_num(r.to))),
                                   ("value", Text(r.value))]) for r in label.ranges)
    return _row("Label", [
        ("name", Text(label.name)),
        ("values", None if label.values is None else _texts(label.values)),
        ("guard", None if label.guard else Code("False")),
        ("table", _pairs(label.table.items()) if label.table else None),
        ("ranges", ranges if label.ranges else None),
    ])


def _metric_row(m: Metric) -> Group:
    word = unit_word(m.unit)
    return _row("Metric", [
        ("name", Text(m.name)), ("type", Text(m.type)), ("unit", Text(m.unit)), ("help", Text(m.help)),
        ("prom_name", Text(sanitize_name(m.name))),
        ("labels", _tuple(_label_row(label) for label in m.labels) if m.labels else None),
        ("buckets", _tuple(Code(_num(b)) for b in m.buckets) if m.buckets else None),
        ("prom_unit", Text(word) if word else None),
        ("prom_labels", _texts(sanitize_label(n, "prometheus-client") for n in m.label_names) if m.labels else None),
    ])


def _op_row(op: Op) -> Group:
    labels = _tuple(_row("LabelFrom", [("label", Text(name)), ("field", _opt_text(src.field)),
                                       ("value", _opt_text(src.value))]) for name, src in op.labels.items())
    when = None
    if op.when is not None:
        when = _row("Guard", [("field", Text(op.when.field)), ("not_null", Code("True") if op.when.not_null else None),
                              ("gt", None if op.when.gt is None else Code(_num(op.when.gt)))])
    v = op.value
    return _row("Op", [("metric", Text(op.metric)), ("operation", Text(op.operation)),
                       ("const", None if v.const is None else Code(_num(v.const))), ("field", _opt_text(v.field)),
                       ("scale", None if v.scale is None else Code(_num(v.scale))),
                       ("labels", labels if op.labels else None), ("when", when)])


def _opt_text(x: str | None) -> Text | None:
    return None if x is None else Text(x)


def _span_row(s: Span) -> Group:
    ends = _tuple(_row("SpanEnd", [("event", Text(e.event)), ("error", Code("True") if e.error else None),
                                   ("attributes", _pairs(e.attributes.items()) if e.attributes else None)])
                  for e in s.end)
    return _row("Span", [("name", Text(s.name)), ("key", Text(s.key)), ("start", Text(s.start.event)),
                         ("attributes", _pairs(s.start.attributes.items())), ("end", ends),
                         ("max_open", Code(str(s.max_open)))])


# ── names ───────────────────────────────────────────────────────────────────


class _Namer:
    """Unique Python identifiers: a keyword or a reserved name takes a trailing `_`, a taken one `_2`, `_3`, ..."""

    def __init__(self, reserved: Iterable[str] = (), avoid: Iterable[str] = ()) -> None:
        self.taken = set(reserved)
        self.avoid = set(avoid)  # names a trailing `_` keeps clear of: arguments of the same method

    def take(self, base: str) -> str:
        if keyword.iskeyword(base) or base in self.avoid:
            base += "_"
        name, n = base, 2
        while name in self.taken or keyword.iskeyword(name):
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name


def _snake(name: str) -> str:
    """`QueryCompleted` -> `query_completed`, `PPRConverged` -> `ppr_converged`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _camel(ident: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in ident.split("_") if part)


# ── what the template is given ──────────────────────────────────────────────


@dataclass
class _LabelView:
    arg: str  # the keyword argument
    guarded: bool  # a closed set that records what is outside it as `other`: any value may be looked up
    hint: Node  # the argument's type


@dataclass
class _MetricView:
    index: int
    name: str  # the contract metric's
    attr: str  # attribute of `Metrics`
    class_name: str
    method: str
    nonneg: bool
    labels: list[_LabelView]  # the keyword arguments (a stateset's state is `value`, not one of them)
    measured: bool = True  # takes a number `value` and records into both backends (not an info or a stateset)
    class_line: str = ""
    doc: str = ""
    signature: str = ""
    raising_signature: str = ""
    method_doc: str = ""
    raising_doc: str = "the event handlers count it by event"  # after "`<method>`, raising what it cannot record: "
    forward: str = ""  # the public method's call of the raising one
    lookup: str = ""  # the series of the label values as given, looked up
    args: str = ""  # the label values, in contract order
    create: str = ""  # `self.<attr> = <class>(meter, registry)`


@dataclass
class _SpanView:
    index: int
    name: str  # local: the span's name
    max_open: str  # local: how many may be open
    open: str  # local: the open spans by key


@dataclass
class _HandlerView:
    event: str
    name: str
    def_line: str
    ends: list[dict[str, str]] = field(default_factory=list)
    starts: list[dict[str, str]] = field(default_factory=list)
    ops: list[dict[str, str]] = field(default_factory=list)


class _Module:
    def __init__(self, lc: LoadedContract, module: str) -> None:
        self.lc = lc
        self.c: Contract = lc.contract
        self.module = module
        self.global_names = _Namer(_GLOBALS)
        self.metrics = self._metric_views()
        self.by_name = {view.name: view for view in self.metrics}
        self.local = _Namer(_HANDLER_NAMES)
        self.bound: dict[str, str] = {}  # metric name -> local name of its bound raising method
        self.spans = []
        for i, s in enumerate(self.c.spans):
            base = _ident(s.name)
            self.spans.append(_SpanView(i, self.local.take(base + "_name"), self.local.take(base + "_max_open"),
                                        self.local.take("open_" + base)))

    # ── the API ──

    def _metric_views(self) -> list[_MetricView]:
        attrs = _Namer(("recording",))
        views = []
        for i, m in enumerate(self.c.metrics):
            if m.type in _UNRECORDED:
                continue
            args = _Namer((), _METHOD_NAMES)
            # a stateset's state is the label named like the metric, given as `value`
            labels = [self._label_view(label, args.take(_ident(label.name))) for label in m.labels
                      if not (m.type == "stateset" and label.name == m.name)]
            attr = attrs.take(_ident(m.name))
            method = _API_METHOD.get(m.type) or ALLOWED_OPS[m.type][0]
            view = _MetricView(i, m.name, attr, self.global_names.take(_camel(attr) + _CLASS_SUFFIX[m.type]),
                               method, m.type in NON_NEGATIVE, labels, measured=m.type not in _API_METHOD)
            self._methods(m, view)
            views.append(view)
        return views

    @staticmethod
    def _label_view(label: Label, arg: str, states: bool = False) -> _LabelView:
        """A keyword argument's view; with `states`, of a stateset's state: typed by the closed set alone."""
        closed = label.values is not None
        allowed = label.values if states else label.allowed_values()
        own: Node = (Group.of("Literal", [Text(v) for v in allowed or ()], "[]") if closed
                     else Code("str"))
        # a map also takes what it covers: an int or a str for a table, an int or a float for ranges
        hint = own
        if label.table:
            hint = Code("int | str")
        elif label.ranges and isinstance(own, Group):
            hint = Group("float | Literal", own.items, "[]")
        elif label.ranges:
            hint = Code("float | str")
        return _LabelView(arg, closed and label.guard, hint)

    def _methods(self, m: Metric, view: _MetricView) -> None:
        labels = view.labels
        method = view.method
        default = " = 1" if m.type == "counter" else ""
        value: list[tuple[str, Node]] = [("", Code(f"value: float{default}"))]
        state = m.label(m.name) if m.type == "stateset" else None
        if state is not None:
            # the states alone: `other` is no state, even of a guarded set
            value = [("value: ", self._label_view(state, "value", states=True).hint)]
        elif m.type == "info":
            value = []
        params: list[tuple[str, Node]] = [("", Code("self")), *value]
        if labels:
            params.append(("", Code("*")))
            params += [(f"{label.arg}: ", label.hint) for label in labels]
        view.signature = _def(method, params, "None", 4)
        raising: list[tuple[str, Node]] = [("", Code("self")), *([("", Code("value: Any"))] if value else [])]
        raising += [("", Code(f"{label.arg}: Any")) for label in labels]
        view.raising_signature = _def(f"{method}_or_raise", raising, "None", 4)
        names = [label.arg for label in labels]
        view.forward = ", ".join(["value", *names] if value else names)
        # the label values in contract order, a stateset's state among them
        if state is not None:
            names.insert(m.label_names.index(m.name), "value")
        key: Node = Code(names[0]) if len(names) == 1 else _tuple(Code(n) for n in names)
        view.lookup = _assign("series", Group.of("self.series.get", [key]), 8) if names else ""
        view.args = ", ".join(names)
        base = _BASE_CLASS.get(m.type, "_Instrument")
        view.class_line = _code(Group.of(f"class {view.class_name}", [Code(base)]), 0, suffix=":")
        view.doc = _docstring(_class_doc(m), 4)
        view.method_doc = _method_doc(m)
        if not view.measured:
            view.raising_doc = "no event updates it"

    # ── handlers ──

    def _work(self) -> list[_HandlerView]:
        """What each event does, in contract order (events first, then span-only events)."""
        handlers: dict[str, _HandlerView] = {}

        def of(event: str) -> _HandlerView:
            if event not in handlers:
                name = self.local.take("on_" + _snake(event))
                handlers[event] = _HandlerView(event, name, _def(name, [("", Code("event: Any"))], "None", 4))
            return handlers[event]

        for e in self.c.events:
            h = of(e.event)
            for op in e.ops:
                h.ops.append(self._op(e.event, op))
        for i, s in enumerate(self.c.spans):
            view = self.spans[i]
            of(s.start.event).starts.append(self._span_start(s, view))
            for end in s.end:
                of(end.event).ends.append(self._span_end(s, end, view))
        return list(handlers.values())

    def _metric(self, name: str) -> Metric:
        m = self.c.metric(name)
        assert m is not None  # guaranteed by contract/event-op, checked in _validate
        return m

    def _bound(self, m: Metric) -> str:
        view = self.by_name[m.name]
        if m.name not in self.bound:
            self.bound[m.name] = self.local.take(f"{view.method}_{view.attr}")
        return self.bound[m.name]

    def _op(self, event: str, op: Op) -> dict[str, str]:
        """One operation: read the value (and test the guard), then call the metric's raising method."""
        m = self._metric(op.metric)
        spec = op.value
        scale = "" if spec.scale is None else f" * {_num(spec.scale)}"
        if spec.const is not None:
            value = _int_or_num(spec.const)
        elif scale:
            value = f"float(event.{spec.field}){scale}"
        else:
            value = f"event.{spec.field}"
        lines: list[str] = []
        depth = 3
        if op.when is not None:
            g = op.when
            # the guard usually tests the field the operation records: read once
            tested = "value" if g.field == spec.field else "tested"
            if g.not_null:
                lines += [f"{tested} = event.{g.field}", f"if {tested} is not None:"]
                depth += 1
            if g.gt is not None:
                # converted like a value, so a NaN is dropped and counted, not silently skipped
                read = tested if g.not_null else f"event.{g.field}"
                lines += ["    " * (depth - 3) + line for line in (
                    f"{tested} = float({read})", f"if not -inf < {tested} < inf:  # NaN compares false",
                    '    raise ValueError("not a finite number")', f"if {tested} > {_int_or_num(g.gt)}:")]
                depth += 1
            if tested == "value":
                value = f"value{scale}" if g.gt is not None else f"float(value){scale}" if scale else "value"
        args: list[Node] = [Code(value)]
        for name in m.label_names:
            src = op.labels[name]
            args.append(Code(f"event.{src.field}") if src.field is not None else Text(str(src.value)))
        call = Group.of(self._bound(m), args)
        body = "\n".join(" " * 12 + line for line in lines)
        body += ("\n" if body else "") + _block(call, 4 * depth)
        dropped = Group.of("_dropped", [Text(event), Text(f"`{op.operation}` on `{m.name}`")])
        return {"body": body, "dropped": _code(dropped, 12)}

    def _constant_series(self) -> list[str]:
        """`bind` calls for the series of operations whose labels are all constant, once each."""
        found: list[str] = []
        for e in self.c.events:
            for op in e.ops:
                m = self._metric(op.metric)
                if not m.labels or any(op.labels[n].value is None for n in m.label_names):
                    continue
                values = [_recorded_constant(m.labels[j], str(op.labels[n].value)) for j, n in
                          enumerate(m.label_names)]
                call = _code(Group.of(f"metrics.{self.by_name[m.name].attr}.bind", [Text(v) for v in values]), 4)
                if call not in found:
                    found.append(call)
        return found

    def _span_start(self, s: Span, view: _SpanView) -> dict[str, str]:
        attributes = Group("", tuple((_literal(k) + ": ", Code(f"event.{v}")) for k, v in s.start.attributes.items()),
                           "{}")
        start = Group("tracer.start_span", (("", Code(view.name)), ("attributes=", attributes)))
        dropped = Group.of("_dropped", [Text(s.start.event), Text(f"span `{s.name}` start")])
        return {"key": s.key, "open": view.open, "max_open": view.max_open,
                "store": _assign(f"{view.open}[key]", start, 16), "dropped": _code(dropped, 16)}

    def _span_end(self, s: Span, end: SpanEnd, view: _SpanView) -> dict[str, str]:
        # one set_attributes call: each set_attribute takes the span's lock and cleans its value on its own. An
        # error is marked the way qortex 0.3.0 marks it, with `error=True`; span.set_status(ERROR) as well
        # measured 2-3 us more per failed event, more than qortex's handler
        items: list[tuple[str, Node]] = []
        if end.error and "error" not in end.attributes:
            items.append(('"error": ', Code("True")))
        items += [(_literal(k) + ": ", Code(f"event.{v}")) for k, v in end.attributes.items()]
        set_attributes = ""
        if items:
            set_attributes = _code(Group("span.set_attributes", (("", Group("", tuple(items), "{}")),)), 24)
        dropped = Group.of("_dropped", [Text(end.event), Text(f"span `{s.name}` end")])
        return {"pop_span": _assign("span", Group.of(f"{view.open}.pop", [Code(f"event.{s.key}"), Code("None")]), 16),
                "set_attributes": set_attributes, "dropped": _code(dropped, 16)}

    # ── the module ──

    def render(self) -> str:
        handler_defs = self._work()
        recorded = [(h.event, h.name) for h in handler_defs if h.ops]
        traced = [(h.event, h.name) for h in handler_defs if h.starts or h.ends]

        def table(name: str, pairs: list[tuple[str, str]]) -> str:
            if not pairs:
                return ""
            node = Group("", tuple((_literal(event) + ": ", Code(fn)) for event, fn in pairs), "{}")
            return _assign(f"{name}: dict[str, Callable[[Any], None]]", node, 4)

        bound = [_assign(local, Code(f"metrics.{self.by_name[metric].attr}.{self.by_name[metric].method}_or_raise"), 4)
                 for metric, local in self.bound.items()]
        for view in self.metrics:
            view.create = _assign(f"self.{view.attr}", Group.of(view.class_name, [Code("meter"), Code("registry")]), 8)
        events = Group("", tuple((_literal(event) + ": ", _tuple(_op_row(op) for op in ops))
                                 for event, ops in self._events()), "{}")
        context = {
            "contract_file": one_line(self.lc.file),
            "sha256": self.lc.sha256,
            "module": self.module,
            "service": _assign("SERVICE", Text(self.c.service), 0),
            "uses_literal": any("Literal[" in _flat(label.hint) for m in self.metrics for label in m.labels),
            "metrics_table": _code(_tuple(_metric_row(m) for m in self.c.metrics), 0),
            "events_table": _code(events, 0),
            "spans_table": _code(_tuple(_span_row(s) for s in self.c.spans), 0),
            "metrics": self.metrics,
            "has_summary": any(m.type == "summary" for m in self.c.metrics),
            "has_info": any(m.type == "info" for m in self.c.metrics),
            "has_stateset": any(m.type == "stateset" for m in self.c.metrics),
            "prom_only": [t for t in _PROM_ONLY if any(m.type == t for m in self.c.metrics)],
            "prom_import": _prom_import({m.type for m in self.c.metrics}),
            "prom_methods": _assign("_PROM_METHODS", Group("", tuple(
                (_literal(t) + ": ", Text(method)) for t, method in _PROM_METHODS.items()
                if t in ("counter", "updowncounter", "gauge", "histogram") or any(m.type == t for m in self.c.metrics)
            ), "{}"), 0),
            "unrecorded": [(m.name, _UNRECORDED[m.type]) for m in self.c.metrics if m.type in _UNRECORDED],
            "spans": self.spans,
            "bound": bound,
            "constant_series": self._constant_series(),
            "handler_defs": handler_defs,
            "recorded": table("recorded", recorded),
            "traced": table("traced", traced),
        }
        return _TEMPLATES.get_template("subscriber.py.j2").render(context)

    def _events(self) -> list[tuple[str, list[Op]]]:
        """Each event's operations, events in contract order (an event listed twice has both lists' ops)."""
        by_event: dict[str, list[Op]] = {}
        for e in self.c.events:
            by_event.setdefault(e.event, []).extend(e.ops)
        return list(by_event.items())


def _recorded_constant(label: Label, value: str) -> str:
    """What a constant label value is recorded as: mapped, then `other` when outside a guarded closed set."""
    mapped = label.mapped(value)
    if label.values is not None and label.guard and mapped not in label.values:
        return "other"
    return mapped


def _class_doc(m: Metric) -> str:
    """The metric class's docstring: its type and name, and its help when a docstring can hold it as written."""
    text = f"The {m.type} `{m.name}`."
    help_text = " ".join(m.help.split())
    if help_text and help_text.isprintable() and not {'"', "\\"} & set(help_text):
        text = f"The {m.type} `{m.name}`: {help_text}" + ("" if help_text.endswith(".") else ".")
    return text


def _method_doc(m: Metric) -> str:
    # a stateset's state is no label of its series here: prometheus_client's Enum keeps it apart
    labelled = any(not (m.type == "stateset" and name == m.name) for name in m.label_names)
    of = "the series of these label values" if labelled else "the metric"
    return {
        "counter": f"Add `value` (finite, >= 0) to {of}; never raises.",
        "updowncounter": f"Add `value` (finite, may be negative) to {of}; never raises.",
        "gauge": f"Set {of} to `value` (finite); never raises.",
        "histogram": f"Record `value` (finite, >= 0) in {of}; never raises.",
        "summary": f"Record `value` (finite, >= 0) in {of}; never raises.",
        "info": ("Make these label values the metric's information, replacing any before; never raises." if m.labels
                 else "Expose the metric's `_info` series (it has no labels); never raises."),
        "stateset": f"Make `value`, one of the states, the current state of {of}; never raises.",
    }[m.type]


def _prom_import(types: set[str]) -> str:
    """The prometheus_client classes `_prom_metric` uses, sorted as ruff sorts them; its `Enum` is renamed, since
    the module's `Enum` is the standard library's."""
    names = ["Counter", "Gauge", "Histogram"] + [name for t, name in (("info", "Info"), ("summary", "Summary"))
                                                  if t in types]
    line = "from prometheus_client import " + ", ".join(sorted(names))
    if "stateset" in types:
        line += "\n    from prometheus_client import Enum as PromEnum"
    return line
