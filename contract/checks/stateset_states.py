from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class StatesetStates(ContractCheck):
    """A stateset names its states in a label called like the metric.

    OpenMetrics (and prometheus_client's `Enum`) writes one series per state,
    the state in a label named after the metric, 1 for the current state and
    0 for the others. The contract says so the same way the series do: a
    label `name: <metric name>` with the states as its closed `values`.
    """

    id = "contract/stateset-states"
    summary = "a stateset needs a label named like the metric with its states as closed `values`"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            if m.type != "stateset":
                continue
            label = m.label(m.name)
            if label is None:
                yield self.at(lc, ("metrics", i, "name"),
                              f"stateset `{m.name}` needs a label named `{m.name}` whose `values` are its states",
                              metric=m.name)
            elif label.values is None:
                j = m.label_names.index(m.name)
                yield self.at(lc, ("metrics", i, "labels", j, "name"),
                              f"label `{m.name}` of stateset `{m.name}` needs `values`: the states", metric=m.name)
