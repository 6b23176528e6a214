from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.model import Metric
from contract.naming import ExpositionPath, expose
from contract.problems import Problem


class PathDivergence(ContractCheck):
    """A metric must look the same on every declared exposition path.

    One dashboard serves every path, so series names and contract labels must
    agree. The classic break: a gauge with unit `1` gains `_ratio` through
    the Collector only; a name containing its unit word in the middle
    (`qortex_seconds_spent`, unit `s`) gets the suffix from the Python
    exporters but not from the Collector; the OpenTelemetry SDK lowercases
    instrument names (`Svc_Hits`) where prometheus_client keeps them.
    `_created` series, which only prometheus_client writes, are not compared.
    For the gauge, the message says which name (ending in `_ratio`) or unit
    (the annotation `{ratio}`, which no exporter turns into a suffix)
    exposes one name on every path.
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
                                  f"`{other.family}` on {path}" + _case_hint(m, paths) + _ratio_hint(m, paths),
                                  metric=m.name)
                elif first.labels != other.labels:
                    yield self.at(lc, ("metrics", i, "labels"),
                                  f"labels of `{m.name}` are {_names(first.labels)} on {first.path} but "
                                  f"{_names(other.labels)} on {path}", metric=m.name)


def _case_hint(m: Metric, paths: tuple[ExpositionPath, ...]) -> str:
    """The OpenTelemetry SDK lowercases instrument names; prometheus_client keeps them as written."""
    lower = m.model_copy(update={"name": m.name.lower()})
    if lower.name == m.name or len({expose(lower, path).family for path in paths}) > 1:
        return ""
    return f"; OpenTelemetry lowercases instrument names: name it `{lower.name}`"


def _ratio_hint(m: Metric, paths: tuple[ExpositionPath, ...]) -> str:
    """For a gauge of unit `1`, which the Collector alone suffixes `_ratio`: the declarations that expose one name
    on every path, each verified against the naming rules rather than assumed."""
    if m.type != "gauge" or m.unit != "1":
        return ""
    options = []
    # `_ratio` already in the name: the Collector adds no second one and the Python exporters keep it. A semantic
    # convention's name is not the contract's to change.
    if not m.semconv:
        options.append(m.model_copy(update={"name": m.name + (".ratio" if "." in m.name else "_ratio")}))
    # an annotation is no unit word to any exporter, and only unit `1` itself draws the Collector's `_ratio`
    options.append(m.model_copy(update={"unit": "{ratio}"}))
    said = []
    for option in options:
        families = {expose(option, path).family for path in paths}
        if len(families) == 1:
            change = f"name it `{option.name}`" if option.name != m.name else f"declare unit `{option.unit}`"
            said.append(f"{change} (exposed as `{families.pop()}` everywhere)")
    return "; the Collector appends `_ratio` to gauges of unit `1`: " + " or ".join(said) if said else ""


def _names(labels: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in labels) or "none"
