from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class EventLabels(ContractCheck):
    """An event op supplies exactly the labels its metric declares.

    A missing label would be recorded empty on one backend and rejected by
    the other; an undeclared one would create series no dashboard knows. A
    constant label value must be in the label's closed value set, once the
    label's `map:` (if any) has turned it: `{value: "404"}` with
    `map: {"404": missing}` records `missing`.
    """

    id = "contract/event-labels"
    summary = "event ops must supply every declared label and no other; constant values from the closed set"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        for i, e in enumerate(c.events):
            for j, op in enumerate(e.ops):
                m = c.metric(op.metric)
                if m is None:
                    continue  # reported by contract/event-op
                path = ("events", i, "ops", j)
                declared = m.label_names
                for name, source in op.labels.items():
                    label = m.label(name)
                    if label is None:
                        yield self.at(lc, path + ("labels", name), f"event `{e.event}` sets label `{name}`, "
                                      f"which `{m.name}` does not declare", key=True, metric=m.name)
                    elif (source.value is not None and label.values is not None
                          and label.mapped(source.value) not in label.values):
                        mapped = label.mapped(source.value)
                        shown = f"`{source.value}`" + (f" (mapped to `{mapped}`)" if mapped != source.value else "")
                        yield self.at(lc, path + ("labels", name, "value"),
                                      f"value {shown} of label `{name}` is not in its closed set "
                                      + ", ".join(f"`{v}`" for v in label.values), metric=m.name)
                missing = [n for n in declared if n not in op.labels]
                if missing:
                    yield self.at(lc, path + ("metric",), f"event `{e.event}` does not supply label "
                                  + ", ".join(f"`{n}`" for n in missing) + f" of `{m.name}`", metric=m.name)
