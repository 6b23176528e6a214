from __future__ import annotations

import difflib
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract, Path
from contract.model import Metric, Op
from contract.problems import Problem

ALLOWED_OPS = {
    "counter": ("add",),
    "updowncounter": ("add",),
    "histogram": ("record",),
    "gauge": ("set",),
    "summary": ("record",),
    # the generated module does not record these types (see `generators/subscriber.py`): no event can update them
    "untyped": (),
    "info": (),
    "stateset": (),
    "native_histogram": (),
}
# the types whose values the generated module refuses when negative (it drops the operation and counts it in
# `DROPPED`): a counter only goes up, and so does the `_sum` of a histogram or summary, which `rate()` reads
NON_NEGATIVE = ("counter", "histogram", "summary")


class EventOps(ContractCheck):
    """Every event op names a declared metric with an operation its type has.

    Counters and up-down counters `add`, histograms and summaries `record`,
    gauges `set`; untyped, info, stateset and native histogram metrics take
    no event op, since the generated module does not record them.

    A counter, histogram or summary takes no negative value: the generated
    module drops such an operation, so a constant `add: -1` or `record: -1`
    is refused, and so is a negative `scale` (`{field: bytes, scale: -1}`),
    which makes every positive field value negative. A `scale` of 0 is
    refused on every op: it makes every value 0 whatever the field holds, so
    an `add` never changes its metric and a `record` or `set` ignores its
    field; write the constant (`set: 0`) when a fixed value is meant. A
    negative scale on an up-down counter or a gauge is fine (`add: {field:
    released, scale: -1}`).
    """

    id = "contract/event-op"
    summary = ("event ops must name a declared metric with an operation of its type and a value it keeps (never "
               "negative into a counter, histogram or summary; no `scale: 0`)")

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        names = list(c.metric_index)
        for i, e in enumerate(c.events):
            for j, op in enumerate(e.ops):
                path = ("events", i, "ops", j)
                m = c.metric(op.metric)
                if m is None:
                    near = difflib.get_close_matches(op.metric, names, n=1)
                    hint = f"; did you mean `{near[0]}`?" if near else ""
                    yield self.at(lc, path + ("metric",),
                                  f"event `{e.event}` updates `{op.metric}`, which is not in the contract{hint}",
                                  metric=op.metric)
                    continue
                allowed = ALLOWED_OPS[m.type]
                if not allowed:
                    yield self.at(lc, path + ("metric",),
                                  f"event `{e.event}` updates {m.type} `{m.name}`, which the generated module "
                                  "does not record", metric=m.name)
                elif op.operation not in allowed:
                    yield self.at(lc, path + (op.operation,),
                                  f"`{op.operation}` does not apply to {m.type} `{m.name}`; use `{allowed[0]}`",
                                  key=True, metric=m.name)
                else:
                    yield from self._value(lc, path + (op.operation,), e.event, op, m)

    def _value(self, lc: LoadedContract, path: Path, event: str, op: Op, m: Metric) -> Iterator[Problem]:
        """The problems of the op's value: one that is always refused, or a scale that loses the field."""
        v = op.value
        refused = (f"counter `{m.name}` cannot decrease" if m.type == "counter"
                   else f"{m.type} `{m.name}` records no negative value")
        if v.const is not None and v.const < 0 and m.type in NON_NEGATIVE:
            yield self.at(lc, path, f"{refused}; `{op.operation}: {v.const:g}` is negative", metric=m.name)
        elif v.scale is not None and v.scale == 0:
            effect = (f"event `{event}` never changes {m.type} `{m.name}`" if op.operation == "add"
                      else f"`{m.name}` ignores field `{v.field}`; write `{op.operation}: 0` if a constant is meant")
            yield self.at(lc, path + ("scale",), f"`scale: 0` makes every value 0, so {effect}", metric=m.name)
        elif v.scale is not None and v.scale < 0 and m.type in NON_NEGATIVE:
            yield self.at(lc, path + ("scale",),
                          f"{refused}; `scale: {v.scale:g}` makes every positive value of field `{v.field}` negative",
                          metric=m.name)
