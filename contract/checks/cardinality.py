from __future__ import annotations

from collections.abc import Iterator

from contract.cardinality import estimate
from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class Cardinality(ContractCheck):
    """Estimated series must stay within the declared `max_series` budgets.

    A metric's `max_series` bounds its own estimate (all declared exposition
    paths together); the contract's top-level `max_series` bounds the sum over
    all metrics. A label without a closed value set cannot be bounded: under a
    budget that is a warning naming the label. See contract/cardinality.py for
    how series are counted; `metrics-contract docs` shows every estimate.
    """

    id = "contract/cardinality"
    summary = "estimated series must fit the `max_series` budgets of each metric and of the contract"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        total = 0
        unbounded = False
        for i, m in enumerate(c.metrics):
            n = estimate(m, c.exposition)
            if n is None:
                unbounded = True
                if m.max_series is not None:
                    open_label = next(label.name for label in m.labels if label.values is None)
                    yield self.warn(lc, ("metrics", i, "max_series"),
                                    f"`{m.name}` has a budget but label `{open_label}` has no closed value set, "
                                    "so its series cannot be bounded", metric=m.name)
                continue
            total += n
            if m.max_series is not None and n > m.max_series:
                yield self.at(lc, ("metrics", i, "max_series"),
                              f"`{m.name}` is estimated at {n} series, over its budget of {m.max_series}",
                              metric=m.name)
        if c.max_series is not None:
            if total > c.max_series:
                yield self.at(lc, ("max_series",),
                              f"the contract is estimated at {total} series, over its budget of {c.max_series}")
            elif unbounded:
                yield self.warn(lc, ("max_series",), "some metrics have labels without a closed value set, "
                                f"so only {total} series are bounded by the budget")
