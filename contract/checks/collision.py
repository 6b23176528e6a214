from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import EXPOSITION_PATHS, PATHS, expose
from contract.problems import Problem


class Collision(ContractCheck):
    """Two metrics must never produce the same Prometheus series name.

    Exporters merge instruments that translate to one name (the OpenTelemetry
    exporters do so silently), so `qortex_hits` (counter) and
    `qortex_hits_total` (gauge), or `qortex_size` with unit `By` and
    `qortex_size_bytes`, would mislabel each other's data. Every path is
    checked, declared or not, because the path can change without the names.
    """

    id = "contract/collision"
    summary = "two metrics must not yield one series name on any exposition path"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        metrics = lc.contract.metrics
        reported: set[tuple[str, str]] = set()
        for path in EXPOSITION_PATHS:
            owner: dict[str, int] = {name: -1 for name in PATHS[path].info_series}
            for i, m in enumerate(metrics):
                for series in expose(m, path).series:
                    first = owner.setdefault(series, i)
                    if first == i:
                        continue
                    other = metrics[first].name if first >= 0 else "the exporter's own series"
                    pair = (min(other, m.name), max(other, m.name))
                    if pair in reported or other == m.name:
                        continue
                    reported.add(pair)
                    yield self.at(lc, ("metrics", i, "name"),
                                  f"`{m.name}` and `{other}` both yield series `{series}` on {path}",
                                  metric=m.name)
