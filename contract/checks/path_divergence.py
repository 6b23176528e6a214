from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import expose
from contract.problems import Problem


class PathDivergence(ContractCheck):
    """A metric must look the same on every declared exposition path.

    One dashboard serves every path, so series names and contract labels must
    agree. The classic break: a gauge with unit `1` gains `_ratio` through
    the Collector only; a name containing its unit word in the middle
    (`qortex_seconds_spent`, unit `s`) gets the suffix from the Python
    exporters but not from the Collector. `_created` series, which only
    prometheus_client writes, are not compared.
    """

    id = "contract/path-divergence"
    summary = "series names and labels must be equal on every declared exposition path"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        paths = lc.contract.exposition
        if len(paths) < 2:
            return
        for i, m in enumerate(lc.contract.metrics):
            first = expose(m, paths[0])
            for path in paths[1:]:
                other = expose(m, path)
                if first.core_series != other.core_series:
                    yield self.at(lc, ("metrics", i, "name"),
                                  f"`{m.name}` is exposed as `{first.family}` on {first.path} but as "
                                  f"`{other.family}` on {path}", metric=m.name)
                elif first.labels != other.labels:
                    yield self.at(lc, ("metrics", i, "labels"),
                                  f"labels of `{m.name}` are {_names(first.labels)} on {first.path} but "
                                  f"{_names(other.labels)} on {path}", metric=m.name)


def _names(labels: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in labels) or "none"
