"""`out/python/<service>_metrics.py`: the application's subscriber module.

The module carries the contract as plain tables (`METRICS`, `EVENTS`,
`SPANS`) and one generated handler per event. The handlers are written out
op by op instead of interpreting the tables at event time, so an event costs
no more than qortex 0.3.0's hand-written closures did; everything that does
not depend on the event (instruments, bound label children, constant
attribute sets) is prepared once by `handlers()`.

Contract strings only ever reach the module through `repr()`, and event and
field names must be Python identifiers (they become attribute reads), so no
contract text can change the module's code.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from contract.checks.registry import check_contract
from contract.loader import LoadedContract, Path
from contract.model import Contract, Metric, Op, Span
from contract.naming import sanitize_label, sanitize_name, unit_word
from contract.problems import InputError, Problem
from generators.common import hash_header

WIDTH = 116  # leaves room for a trailing `,` within ruff's 120 columns
_NON_IDENT = re.compile(r"[^0-9A-Za-z_]")

# prometheus_client method for each contract operation (updowncounters are Gauges)
_PROM_METHOD = {"add": "inc", "record": "observe", "set": "set"}


def generate(lc: LoadedContract) -> dict[str, str]:
    _validate(lc)
    name = module_name(lc.contract.service)
    return {f"python/{name}.py": _Writer(lc, name).render()}


def module_name(service: str) -> str:
    """`<service>_metrics`, made importable (a service name like `my-api` is common)."""
    return _ident(service) + "_metrics"


def _ident(text: str) -> str:
    out = _NON_IDENT.sub("_", text)
    return "_" + out if out[:1].isdigit() or not out else out


def _is_identifier(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def _validate(lc: LoadedContract) -> None:
    c = lc.contract
    problems: list[Problem] = []

    def need_event(name: str, path: Path) -> None:
        if not _is_identifier(name):
            problems.append(lc.at(path, "generate/identifier", f"event `{name}` is not a python identifier, "
                                  "so no event class can carry that name"))

    def need_field(name: str, path: Path, where: str) -> None:
        if not _is_identifier(name):
            problems.append(lc.at(path, "generate/identifier", f"field `{name}` {where} is not a python "
                                  "identifier; the generated handler reads it as an attribute of the event"))

    for i, e in enumerate(c.events):
        need_event(e.event, ("events", i, "event"))
        for j, op in enumerate(e.ops):
            at: Path = ("events", i, "ops", j)
            if op.value.field is not None:
                need_field(op.value.field, at + (op.operation, "field"), f"of `{e.event}`")
            for label, source in op.labels.items():
                if source.field is not None:
                    need_field(source.field, at + ("labels", label, "field"), f"of `{e.event}`")
            if op.when is not None:
                need_field(op.when.field, at + ("when", "field"), f"of `{e.event}`")
    for i, s in enumerate(c.spans):
        need_event(s.start.event, ("spans", i, "start", "event"))
        need_field(s.key, ("spans", i, "key"), f"(the key of span `{s.name}`)")
        for attr, name in s.start.attributes.items():
            need_field(name, ("spans", i, "start", "attributes", attr), f"of `{s.start.event}`")
        for k, end in enumerate(s.end):
            need_event(end.event, ("spans", i, "end", k, "event"))
            for attr, name in end.attributes.items():
                need_field(name, ("spans", i, "end", k, "attributes", attr), f"of `{end.event}`")
    if problems:
        raise InputError.many(problems)
    # the handlers assume what the checks guarantee (every op names a declared
    # metric of the right type and supplies exactly its labels)
    errors = [p for p in check_contract(lc) if p.severity == "error"]
    if errors:
        raise InputError.many(errors)


# ── literals ────────────────────────────────────────────────────────────────


def _num(x: float) -> str:
    if math.isfinite(x):
        return repr(float(x))
    return f"float({str(x)!r})"


def _int_or_num(x: float) -> str:
    """An integral constant as an int: int counters then sum exactly and compare without conversion."""
    return str(int(x)) if x.is_integer() and abs(x) < 2**53 else _num(x)


def _opt(x: float | None) -> str | None:
    return None if x is None else _num(x)


def _opt_str(x: str | None) -> str | None:
    return None if x is None else repr(x)


@dataclass
class _Call:
    func: str
    args: list[tuple[str, _Node]]


@dataclass
class _Tuple:
    items: list[_Node]


_Node = str | _Call | _Tuple


def _flat(node: _Node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, _Call):
        return f"{node.func}(" + ", ".join(f"{k}={_flat(v)}" for k, v in node.args) + ")"
    if len(node.items) == 1:
        return f"({_flat(node.items[0])},)"
    return "(" + ", ".join(_flat(v) for v in node.items) + ")"


def _pretty(node: _Node, indent: int) -> str:
    """One line when it fits, else one argument or item per line."""
    flat = _flat(node)
    if isinstance(node, str) or indent * 4 + len(flat) <= WIDTH:
        return flat
    pad = "    " * (indent + 1)
    if isinstance(node, _Call):
        body = "".join(f"{pad}{k}={_pretty(v, indent + 1)},\n" for k, v in node.args)
        return f"{node.func}(\n{body}{'    ' * indent})"
    body = "".join(f"{pad}{_pretty(v, indent + 1)},\n" for v in node.items)
    return f"(\n{body}{'    ' * indent})"


def _str_tuple(items: Iterable[str]) -> _Tuple:
    return _Tuple([repr(s) for s in items])


def _call(func: str, args: list[tuple[str, _Node | None]]) -> _Call:
    """A table row; arguments left at the row type's default (None) are not written."""
    return _Call(func, [(k, v) for k, v in args if v is not None])


def _metric_row(m: Metric) -> _Call:
    labels = _Tuple([_call("Label", [("name", repr(lb.name)),
                                     ("values", None if lb.values is None else _str_tuple(lb.values)),
                                     ("guard", None if lb.guard else "False")]) for lb in m.labels])
    word = unit_word(m.unit)
    return _call("Metric", [
        ("name", repr(m.name)), ("type", repr(m.type)), ("unit", repr(m.unit)), ("help", repr(m.help)),
        ("prom_name", repr(sanitize_name(m.name))),
        ("labels", labels if m.labels else None),
        ("buckets", _Tuple([_num(b) for b in m.buckets]) if m.buckets else None),
        ("prom_unit", repr(word) if word else None),
        ("prom_labels", _str_tuple(sanitize_label(n, "prometheus-client") for n in m.label_names)
         if m.labels else None),
    ])


def _op_row(op: Op) -> _Call:
    labels = _Tuple([_call("LabelFrom", [("label", repr(name)), ("field", _opt_str(src.field)),
                                         ("value", _opt_str(src.value))]) for name, src in op.labels.items()])
    when = None
    if op.when is not None:
        when = _call("Guard", [("field", repr(op.when.field)), ("not_null", "True" if op.when.not_null else None),
                               ("gt", _opt(op.when.gt))])
    v = op.value
    return _call("Op", [("metric", repr(op.metric)), ("operation", repr(op.operation)), ("const", _opt(v.const)),
                        ("field", _opt_str(v.field)), ("scale", _opt(v.scale)),
                        ("labels", labels if op.labels else None), ("when", when)])


def _pairs(mapping: dict[str, str]) -> _Tuple:
    return _Tuple([_Tuple([repr(k), repr(v)]) for k, v in mapping.items()])


def _span_row(s: Span) -> _Call:
    ends = _Tuple([_call("SpanEnd", [("event", repr(e.event)), ("error", "True" if e.error else None),
                                     ("attributes", _pairs(e.attributes) if e.attributes else None)])
                   for e in s.end])
    return _call("Span", [("name", repr(s.name)), ("key", repr(s.key)), ("start", repr(s.start.event)),
                          ("attributes", _pairs(s.start.attributes)), ("end", ends), ("max_open", str(s.max_open))])


# ── the module ──────────────────────────────────────────────────────────────

_DOC = '''\
"""Metrics subscriber generated from a metrics contract: its tables, then one handler per event.

Importing it costs only the standard library; OpenTelemetry and
prometheus_client are imported by `handlers()` for the backends it is given:

    import {module}
    {module}.register(linker, meter=meter, registry=registry, tracer=tracer)

`register` subscribes one callable per event class name on a pyventus-style
linker (`linker.subscribe(name, event_callback=fn)`); `handlers` returns the
same callables as {{event class name: callable}} for any other event bus.

A handler never raises into the application, and never stores what would
break a scrape. Each operation reads and checks all its values and labels
before it updates either backend, so a bad value reaches neither. A value is
what `float()` makes of the field (a bool is 0 or 1); it must be finite, and
not negative for a counter or a histogram. An Enum member stands for its
`.value`. An open label value must be a plain `str` that encodes as UTF-8 (a
lone surrogate does not). An operation that fails (a missing field, a wrong
type, a bad value) is skipped, counted once in `DROPPED` by event name and
logged once per event type, and the event's other operations still run. A
label value outside its closed set is recorded as `other`, so a bad caller
cannot multiply series.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
'''

_TYPING = """from typing import Any, NamedTuple
"""

_TYPES = '''

# table rows; a field left at its default is not written in the tables


class Label(NamedTuple):
    name: str
    values: tuple[str, ...] | None = None  # closed value set; None when open
    guard: bool = True  # record values outside `values` as `other`


class Metric(NamedTuple):
    name: str
    type: str  # counter | updowncounter | gauge | histogram
    unit: str
    help: str
    # how prometheus_client is given the metric: contract/naming.py predicts
    # the exposed series names from exactly these
    prom_name: str
    labels: tuple[Label, ...] = ()
    buckets: tuple[float, ...] = ()  # histograms only
    prom_unit: str = ""
    prom_labels: tuple[str, ...] = ()


class Guard(NamedTuple):
    field: str
    not_null: bool = False
    gt: float | None = None


class LabelFrom(NamedTuple):
    label: str
    field: str | None = None
    value: str | None = None


class Op(NamedTuple):
    metric: str
    operation: str  # add | record | set
    const: float | None = None
    field: str | None = None
    scale: float | None = None
    labels: tuple[LabelFrom, ...] = ()
    when: Guard | None = None


class SpanEnd(NamedTuple):
    event: str
    error: bool = False
    attributes: tuple[tuple[str, str], ...] = ()  # (span attribute, event field)


class Span(NamedTuple):
    name: str
    key: str
    start: str
    attributes: tuple[tuple[str, str], ...]
    end: tuple[SpanEnd, ...]
    max_open: int
'''

_RUNTIME = '''

DROPPED: dict[str, int] = {{}}
_log = logging.getLogger({logger})
_logged: set[str] = set()
_drop_lock = threading.Lock()


def _dropped(event: str, what: str) -> None:
    # called from the handlers' except blocks, so the first report of each
    # event type carries its traceback; later ones are only counted
    with _drop_lock:
        DROPPED[event] = DROPPED.get(event, 0) + 1
        first = event not in _logged
        _logged.add(event)
    if first:
        _log.warning("dropped %s for event `%s`; further failures of this event type are only counted in DROPPED",
                     what, event, exc_info=True)


def _otel_instruments(meter: Any) -> dict[str, Any]:
    made: dict[str, Any] = {{}}
    for m in METRICS:
        if m.type == "counter":
            made[m.name] = meter.create_counter(m.name, unit=m.unit, description=m.help)
        elif m.type == "histogram":
            # OpenTelemetry's default boundaries are millisecond-scale
            made[m.name] = meter.create_histogram(m.name, unit=m.unit, description=m.help,
                                                  explicit_bucket_boundaries_advisory=m.buckets)
        elif m.type == "gauge":
            made[m.name] = meter.create_gauge(m.name, unit=m.unit, description=m.help)
        else:
            made[m.name] = meter.create_up_down_counter(m.name, unit=m.unit, description=m.help)
    return made


def _prom_instruments(registry: Any) -> dict[str, Any]:
    from prometheus_client import Counter, Gauge, Histogram

    made: dict[str, Any] = {{}}
    for m in METRICS:
        if m.type == "counter":
            made[m.name] = Counter(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry)
        elif m.type == "histogram":
            made[m.name] = Histogram(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry,
                                     buckets=m.buckets)
        else:
            # prometheus_client has no up-down counter; a Gauge moves both ways
            made[m.name] = Gauge(m.prom_name, m.help, m.prom_labels, unit=m.prom_unit, registry=registry)
    return made
'''

_REGISTER = '''

def register(linker: Any, *, meter: Any = None, registry: Any = None, tracer: Any = None) -> list[Any]:
    """Subscribe the handlers on a pyventus-style linker; returns its subscribers, for unsubscribing."""
    found = handlers(meter=meter, registry=registry, tracer=tracer)
    return [linker.subscribe(name, event_callback=handler) for name, handler in found.items()]
'''


class _Namer:
    """Unique Python identifiers derived from contract names."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.taken = set(reserved)

    def take(self, base: str) -> str:
        name, n = base, 2
        while name in self.taken or keyword.iskeyword(name):
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        return name


@dataclass
class _EventWork:
    name: str
    ops: list[Op] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)  # span indexes
    ends: list[tuple[int, int]] = field(default_factory=list)  # (span index, end index)


class _Writer:
    def __init__(self, lc: LoadedContract, module: str) -> None:
        self.lc = lc
        self.c: Contract = lc.contract
        self.module = module
        self.work = self._work()
        globals_ = _Namer(("DROPPED", "METRICS", "EVENTS", "SPANS", "SERVICE", "Label", "Metric", "Guard",
                           "LabelFrom", "Op", "SpanEnd", "Span", "handlers", "register", "logging", "threading",
                           "Callable", "Any", "NamedTuple", "annotations", "Enum", "isfinite"))
        self.local = _Namer(("otel", "prom", "tracing", "o", "p", "found", "event", "v", "g",
                             "key", "old", "stale", "span", "bound", "meter", "registry", "tracer"))
        self.mident = {m.name: _ident(m.name) for m in self.c.metrics}
        self.closed: dict[tuple[str, str], str] = {}  # (metric, label) -> frozenset constant
        self.otel_var: dict[str, str] = {}
        self.prom_var: dict[str, str] = {}
        self.cache_var: dict[str, str] = {}
        self.const_sets: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, str]] = {}
        self.span_var: dict[int, str] = {}
        self.handler_var: dict[str, str] = {}
        for w in self.work:
            for op in w.ops:
                m = self._metric(op)
                self.otel_var.setdefault(m.name, self.local.take("o_" + self.mident[m.name]))
                self.prom_var.setdefault(m.name, self.local.take(("pl_" if m.labels else "p_")
                                                                 + self.mident[m.name]))
                constant = _constant_labels(op)
                if len(constant) < len(m.labels) and m.name not in self.cache_var:
                    self.cache_var[m.name] = self.local.take("pc_" + self.mident[m.name])
                if m.labels and len(constant) == len(m.labels):
                    values = self._const_key(m, constant)
                    if (m.name, values) not in self.const_sets:
                        base = f"{self.mident[m.name]}_{len([k for k in self.const_sets if k[0] == m.name])}"
                        self.const_sets[(m.name, values)] = (self.local.take("oa_" + base),
                                                             self.local.take("pb_" + base))
                for name, src in op.labels.items():
                    label = m.label(name)
                    if (src.field is not None and label is not None and label.values is not None and label.guard
                            and (m.name, name) not in self.closed):
                        self.closed[(m.name, name)] = globals_.take(
                            f"_CLOSED_{self.mident[m.name]}__{_ident(name)}")
        for i, _ in enumerate(self.c.spans):
            self.span_var[i] = self.local.take(f"spans_{i}")
        for w in self.work:
            self.handler_var[w.name] = self.local.take("on_" + w.name)

    def _operation(self, metric: str) -> str:
        """The one operation a metric's ops use (contract/event-op allows one per metric type)."""
        return next(op.operation for w in self.work for op in w.ops if op.metric == metric)

    def _metric(self, op: Op) -> Metric:
        m = self.c.metric(op.metric)
        assert m is not None  # guaranteed by contract/event-op, checked in _validate
        return m

    def _work(self) -> list[_EventWork]:
        """What each event does, in contract order (events first, then span-only events)."""
        by_name: dict[str, _EventWork] = {}
        for e in self.c.events:
            by_name.setdefault(e.event, _EventWork(e.event)).ops.extend(e.ops)
        for i, s in enumerate(self.c.spans):
            by_name.setdefault(s.start.event, _EventWork(s.start.event)).starts.append(i)
            for k, end in enumerate(s.end):
                by_name.setdefault(end.event, _EventWork(end.event)).ends.append((i, k))
        return list(by_name.values())

    # ── sections ──

    def render(self) -> str:
        parts = [
            hash_header(self.lc),
            "# ruff: noqa: E501\n",  # the header line above carries a 64-digit hash
            _DOC.format(module=self.module),
            self._imports(),
            f"\nSERVICE = {self.c.service!r}\n",
            _TYPES,
            self._tables(),
            _RUNTIME.format(logger=repr(self.module)),
            self._closed_sets(),
            self._handlers(),
            _REGISTER,
        ]
        return "".join(parts)

    def _imports(self) -> str:
        """`Enum` and `isfinite` only when a handler uses them (an unused import fails ruff)."""
        ops = [op for w in self.work for op in w.ops]
        out = ""
        if any(src.field is not None for op in ops for src in op.labels.values()):
            out += "from enum import Enum\n"
        if any(op.value.field is not None or (op.when is not None and op.when.gt is not None) for op in ops):
            out += "from math import isfinite\n"
        return out + _TYPING

    def _tables(self) -> str:
        out = ["\n\nMETRICS: tuple[Metric, ...] = (\n"]
        out += [f"    {_pretty(_metric_row(m), 1)},\n" for m in self.c.metrics]
        out.append(")\n\n# event class name -> what it does to the metrics (the handlers below spell this out)\n")
        out.append("EVENTS: dict[str, tuple[Op, ...]] = {\n")
        for w in self.work:
            if w.ops:
                out.append(f"    {w.name!r}: {_pretty(_Tuple([_op_row(op) for op in w.ops]), 1)},\n")
        out.append("}\n\nSPANS: tuple[Span, ...] = (\n")
        out += [f"    {_pretty(_span_row(s), 1)},\n" for s in self.c.spans]
        out.append(")\n")
        return "".join(out)

    def _closed_sets(self) -> str:
        if not self.closed:
            return ""
        out = ["\n\n# each allowed value maps to itself, so the contract's own string is recorded even for\n"
               "# a value that only compares equal to it; values outside a closed set are recorded as `other`\n"]
        for (metric, label), var in self.closed.items():
            m = self.c.metric(metric)
            lb = m.label(label) if m else None
            assert lb is not None and lb.values is not None
            out.append(f"{var} = {{v: v for v in {_flat(_str_tuple(lb.values))}}}\n")
        return "".join(out)

    def _handlers(self) -> str:
        o: list[str] = []
        add = o.append
        add("\n\ndef handlers(*, meter: Any = None, registry: Any = None, tracer: Any = None)"
            " -> dict[str, Callable[[Any], None]]:\n")
        add('    """{event class name: handler} for the given backends; events with nothing to do are left out."""\n')
        add("    otel = meter is not None\n    prom = registry is not None\n")
        if self.c.spans:  # an unused local fails ruff
            add("    tracing = tracer is not None\n")
        if self.otel_var:
            add("    o = _otel_instruments(meter) if otel else {}\n")
            add("    p = _prom_instruments(registry) if prom else {}\n")
        else:
            # instruments are still created: they are exposed even without ops
            add("    if otel:\n        _otel_instruments(meter)\n    if prom:\n        _prom_instruments(registry)\n")
        if self.otel_var:
            add("    # bound once: o_<metric> records into OpenTelemetry, p_<metric> into prometheus_client,\n"
                "    # pl_<metric> is the labels() of a prometheus_client metric with labels\n")
        for metric, var in self.otel_var.items():
            method = self._operation(metric)
            add(f"    {var}: Any = o[{metric!r}].{method} if otel else None\n")
        for metric, var in self.prom_var.items():
            attr = "labels" if var.startswith("pl_") else _PROM_METHOD[self._operation(metric)]
            add(f"    {var}: Any = p[{metric!r}].{attr} if prom else None\n")
        if self.cache_var:
            add("    # prometheus_client's labels() takes a lock and builds a tuple on every call: the\n"
                "    # children's methods are kept per label values instead\n")
            for var in self.cache_var.values():
                add(f"    {var}: dict[Any, Any] = {{}}\n")
        if self.const_sets:
            add("    # constant label sets, built and bound once\n")
            for (metric, values), (oa, pb) in self.const_sets.items():
                attrs = "{" + ", ".join(f"{k!r}: {v!r}" for k, v in values) + "}"
                args = ", ".join(repr(v) for _, v in values)
                method = _PROM_METHOD[self._operation(metric)]
                add(f"    {oa} = {attrs}\n")
                add(f"    {pb}: Any = {self.prom_var[metric]}({args}).{method} if prom else None\n")
        if self.c.spans:
            add("    # open spans by key, oldest first (dicts keep insertion order)\n")
            for var in self.span_var.values():
                add(f"    {var}: dict[Any, Any] = {{}}\n")
        for w in self.work:
            add("\n")
            o.extend(self._handler(w))
        add("\n    found: dict[str, Callable[[Any], None]] = {}\n")
        for w in self.work:
            conds = (["otel", "prom"] if w.ops else []) + (["tracing"] if w.starts or w.ends else [])
            add(f"    if {' or '.join(conds)}:\n        found[{w.name!r}] = {self.handler_var[w.name]}\n")
        add("    return found\n")
        return "".join(o)

    def _handler(self, w: _EventWork) -> list[str]:
        lines = [f"    def {self.handler_var[w.name]}(event: Any) -> None:\n"]
        # a span-only handler is registered only when tracing, so needs no test
        span_guard = bool(w.ops)
        for i, k in w.ends:
            lines += self._span_end(w.name, i, k, span_guard)
        for i in w.starts:
            lines += self._span_start(w.name, i, span_guard)
        for op in w.ops:
            lines += self._op(w.name, op)
        return lines

    def _try(self, event: str, what: str, body: list[str], depth: int) -> list[str]:
        pad = "    " * depth
        return ([f"{pad}try:\n"] + [f"{pad}    {line}" for line in body]
                + [f"{pad}except Exception:\n", f"{pad}    _dropped({event!r}, {what!r})\n"])

    def _guarded(self, body: list[str], guard: bool) -> list[str]:
        if not guard:
            return body
        return ["        if tracing:\n"] + ["    " + line for line in body]

    @staticmethod
    def _attrs(mapping: dict[str, str]) -> str:
        return "{" + ", ".join(f"{k!r}: event.{v}" for k, v in mapping.items()) + "}"

    def _span_start(self, event: str, i: int, guard: bool) -> list[str]:
        s = self.c.spans[i]
        var = self.span_var[i]
        body = [
            f"key = event.{s.key}\n",
            f"if key in {var}:\n",
            "    # started again before it ended: its end event will end the new span\n",
            f"    old = {var}.pop(key)\n",
            "    old.set_attribute('evicted', True)\n",
            "    old.end()\n",
            f"elif len({var}) >= {s.max_open}:\n",
            f"    stale = {var}.pop(next(iter({var})))\n",
            "    stale.set_attribute('evicted', True)\n",
            "    stale.end()\n",
            f"{var}[key] = tracer.start_span({s.name!r}, attributes={self._attrs(s.start.attributes)})\n",
        ]
        return self._guarded(self._try(event, f"span `{s.name}` start", body, 2), guard)

    def _span_end(self, event: str, i: int, k: int, guard: bool) -> list[str]:
        s = self.c.spans[i]
        end = s.end[k]
        var = self.span_var[i]
        # one set_attribute per attribute: in opentelemetry-sdk 1.45 set_attributes()
        # re-cleans the whole mapping and measured slower. An error is marked the
        # way qortex 0.3.0 marks it, with `error=True`; span.set_status(ERROR) as
        # well measured 2-3 us more per failed event, more than qortex's handler
        inner = ["span.set_attribute('error', True)\n"] if end.error and "error" not in end.attributes else []
        inner += [f"span.set_attribute({k!r}, event.{v})\n" for k, v in end.attributes.items()]
        body = [f"span = {var}.pop(event.{s.key}, None)\n", "if span is not None:\n"]
        if inner:
            # ended even when an attribute cannot be read
            body += ["    try:\n"] + [f"        {line}" for line in inner]
            body += ["    finally:\n", "        span.end()\n"]
        else:
            body += ["    span.end()\n"]
        return self._guarded(self._try(event, f"span `{s.name}` end", body, 2), guard)

    def _op(self, event: str, op: Op) -> list[str]:
        """One operation, both backends: every value and label is read, converted and checked
        first, and only then is either backend updated, so a bad event reaches neither."""
        m = self._metric(op)
        spec = op.value
        # OpenTelemetry drops a negative add on a counter or record on a histogram (with a
        # warning) while prometheus_client raises or records it: both must see the same values
        nonneg = m.type in ("counter", "histogram")
        body: list[str] = []
        depth = 0

        def put(*lines: str) -> None:
            body.extend("    " * depth + line + "\n" for line in lines)

        def check(var: str, finite: bool) -> None:
            tests = ([f"not isfinite({var})"] if finite else []) + ([f"{var} < 0"] if nonneg else [])
            if tests:
                what = ("a finite number" if finite else "a number") + (" >= 0" if nonneg else "")
                put(f"if {' or '.join(tests)}:", f"    raise ValueError({f'not {what}'!r})")

        scale = f" * {_num(spec.scale)}" if spec.scale is not None else ""
        value = _int_or_num(spec.const) if spec.const is not None else "v"
        read = False  # whether `v` already holds the value (a guard read it)
        if op.when is not None:
            g = op.when
            # the guard usually tests the field it then records: read it once
            subject = "v" if g.field == spec.field else "g"
            if g.not_null:
                put(f"{subject} = event.{g.field}", f"if {subject} is not None:")
                depth += 1
            if g.gt is not None:
                # converted like a value, so a NaN is dropped and counted, not silently skipped
                put(f"{subject} = float({subject if g.not_null else 'event.' + g.field})")
                put(f"if not isfinite({subject}):", "    raise ValueError('not a finite number')")
                put(f"if {subject} > {_int_or_num(g.gt)}:")
                depth += 1
                if subject == "v":
                    read = True
                    if scale:
                        put(f"v = v{scale}")
                    # finite already, and >= 0 already when the guard is
                    elif g.gt >= 0:
                        nonneg = False
                    check("v", bool(scale))
            elif subject == "v":
                read = True
                put(f"v = float(v){scale}")
                check("v", True)
        if spec.field is not None and not read:
            put(f"v = float(event.{spec.field}){scale}")
            check("v", True)

        constant = _constant_labels(op)
        label_code: dict[str, str] = {}
        field_vars: list[str] = []
        for n in m.label_names:
            src = op.labels[n]
            if src.value is not None:
                label_code[n] = repr(src.value)
                continue
            var = label_code[n] = f"lab{len(field_vars)}"
            field_vars.append(var)
            # an Enum member is recorded as its value, never as `Mode.VEC`; a plain
            # str, the usual case, skips the slower isinstance test
            put(f"{var} = event.{src.field}",
                f"if type({var}) is not str and isinstance({var}, Enum):",
                f"    {var} = {var}.value")
            closed = self.closed.get((m.name, n))
            if closed:
                put(f"{var} = {closed}.get({var}, 'other')")
            else:
                # the two exporters spell a None or non-string value differently, and a
                # str subclass may print as something else; a lone surrogate (what
                # surrogateescape makes of bytes that are not UTF-8) would make every
                # later scrape fail: isascii() is O(1) and true for almost every value
                put(f"if type({var}) is not str:",
                    f"    raise TypeError({f'label `{n}` needs a string value'!r})",
                    f"if not {var}.isascii():",
                    f"    {var}.encode('utf-8')  # raises on a lone surrogate")

        ovar = self.otel_var[m.name]
        put("if otel:")
        if not m.labels:
            put(f"    {ovar}({value})")
        elif len(constant) == len(m.labels):
            put(f"    {ovar}({value}, {self.const_sets[(m.name, self._const_key(m, constant))][0]})")
        else:
            put(f"    {ovar}({value}, {{" + ", ".join(f"{n!r}: {label_code[n]}" for n in m.label_names) + "})")
        pvar = self.prom_var[m.name]
        put("if prom:")
        if not m.labels:
            put(f"    {pvar}({value})")
        elif len(constant) == len(m.labels):
            put(f"    {self.const_sets[(m.name, self._const_key(m, constant))][1]}({value})")
        else:
            cache = self.cache_var[m.name]
            ckey = field_vars[0] if len(field_vars) == 1 else "(" + ", ".join(field_vars) + ")"
            args = ", ".join(label_code[n] for n in m.label_names)
            put(f"    bound = {cache}.get({ckey})",
                "    if bound is None:",
                f"        bound = {cache}[{ckey}] = {pvar}({args}).{_PROM_METHOD[op.operation]}",
                f"    bound({value})")
        return self._try(event, f"`{op.operation}` on `{m.name}`", body, 2)

    @staticmethod
    def _const_key(m: Metric, constant: dict[str, str]) -> tuple[tuple[str, str], ...]:
        return tuple((n, constant[n]) for n in m.label_names)


def _constant_labels(op: Op) -> dict[str, str]:
    return {n: s.value for n, s in op.labels.items() if s.value is not None}
