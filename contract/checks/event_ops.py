from __future__ import annotations

import difflib
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
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


class EventOps(ContractCheck):
    """Every event op names a declared metric with an operation its type has.

    Counters and up-down counters `add`, histograms and summaries `record`,
    gauges `set`; untyped, info, stateset and native histogram metrics take
    no event op, since the generated module does not record them.
    A constant `add` on a counter must not be negative (counters only go up).
    """

    id = "contract/event-op"
    summary = "event ops must name a declared metric with an operation of its type (a counter never decreases)"

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
                elif m.type == "counter" and op.value.const is not None and op.value.const < 0:
                    yield self.at(lc, path + (op.operation,),
                                  f"counter `{m.name}` cannot decrease; `add: {op.value.const:g}` is negative",
                                  metric=m.name)
