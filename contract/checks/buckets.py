from __future__ import annotations

import math
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class Buckets(ContractCheck):
    """Histograms declare finite, strictly increasing bucket bounds; others none.

    OpenTelemetry's default boundaries are millisecond-scale (0 … 10000), so a
    seconds histogram without explicit buckets puts every observation in the
    first bucket. `+Inf` is implicit on every path and must not be listed.
    """

    id = "contract/buckets"
    summary = "histogram buckets must be given, finite, sorted and distinct; other types take none"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            path = ("metrics", i, "buckets")
            if m.type != "histogram":
                if m.buckets is not None:
                    yield self.at(lc, path, f"`{m.name}` is a {m.type}; only histograms take buckets",
                                  key=True, metric=m.name)
                continue
            if not m.buckets:
                yield self.at(lc, path if m.buckets is not None else ("metrics", i, "name"),
                              f"histogram `{m.name}` needs explicit `buckets`", metric=m.name)
                continue
            for j, b in enumerate(m.buckets):
                if not math.isfinite(b):
                    yield self.at(lc, path + (j,), f"bucket `{b}` of `{m.name}` is not finite; `+Inf` is implicit",
                                  metric=m.name)
                elif j and b == m.buckets[j - 1]:
                    yield self.at(lc, path + (j,), f"bucket `{b}` of `{m.name}` is repeated", metric=m.name)
                elif j and b < m.buckets[j - 1]:
                    yield self.at(lc, path + (j,),
                                  f"buckets of `{m.name}` are not sorted: `{b}` follows `{m.buckets[j - 1]}`",
                                  metric=m.name)
