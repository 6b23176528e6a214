from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class Namespace(ContractCheck):
    """Every metric name starts with the contract's `namespace` and `_`.

    The namespace is how `live-check` tells the service's own metrics from
    everything else on a target, and how readers find them in Prometheus.
    """

    id = "contract/namespace"
    summary = "metric names must start with `<namespace>_`"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        prefix = lc.contract.namespace + "_"
        for i, m in enumerate(lc.contract.metrics):
            if not m.name.startswith(prefix) or m.name == prefix:
                yield self.at(lc, ("metrics", i, "name"),
                              f"metric `{m.name}` is outside namespace `{lc.contract.namespace}`; "
                              f"name it `{prefix}...`", metric=m.name)
