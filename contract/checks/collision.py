from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import EXPOSITION_PATHS, PATHS, ExpositionPath, Exposure, expose
from contract.problems import Problem


class Collision(ContractCheck):
    """Two metrics must never produce the same Prometheus series name, nor two labels of one metric one label.

    Exporters merge instruments that translate to one name (the OpenTelemetry
    exporters do so silently), so `qortex_hits` (counter) and
    `qortex_hits_total` (gauge), `qortex_size` with unit `By` and
    `qortex_size_bytes`, or `qortex.hits` and `qortex_hits` would mislabel
    each other's data. Labels `http.route` and `http_route` of one metric
    would both become `http_route`, one value overwriting the other. Every
    path is checked, declared or not, because the path can change without the
    names; a translation strategy of `prometheus-otlp` other than the default
    only when declared, since it is a choice of the Prometheus configuration
    (without suffixes, counter `a.b` and gauge `a_b` are one name).
    """

    id = "contract/collision"
    summary = "two metrics must not yield one series name, nor two labels one label, on any exposition path"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        metrics = lc.contract.metrics
        paths = _checked_paths(lc)
        # each metric as each checked path exposes it, looked up once for both passes below
        exposed = [[expose(m, path) for path in paths] for m in metrics]
        reported: set[tuple[str, str]] = set()
        for p, path in enumerate(paths):
            owner: dict[str, int] = {name: -1 for name in PATHS[path].info_series}
            for i, m in enumerate(metrics):
                for series in exposed[i][p].series:
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
        for i in range(len(metrics)):
            yield from self._labels(lc, i, exposed[i])

    def _labels(self, lc: LoadedContract, i: int, exposures: list[Exposure]) -> Iterator[Problem]:
        m = lc.contract.metrics[i]
        reported: set[tuple[str, str]] = set()
        for path, exposure in zip(_checked_paths(lc), exposures, strict=True):
            first_of: dict[str, str] = {}
            for j, (name, exposed) in enumerate(zip(m.label_names, exposure.labels, strict=True)):
                first = first_of.setdefault(exposed, name)
                # the same name twice is contract/duplicate's to report
                if first == name or (first, name) in reported:
                    continue
                reported.add((first, name))
                yield self.at(lc, ("metrics", i, "labels", j, "name"),
                              f"labels `{first}` and `{name}` of `{m.name}` both become label `{exposed}` on {path}",
                              metric=m.name)


def _checked_paths(lc: LoadedContract) -> list[ExpositionPath]:
    return [path for path in EXPOSITION_PATHS if ":" not in path or path in lc.contract.exposition]
