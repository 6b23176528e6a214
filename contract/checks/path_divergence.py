from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.model import Metric
from contract.naming import PATHS, ExpositionPath, expose
from contract.problems import Problem

APPENDER_OTLP = "Prometheus' OTLP receiver"


class PathDivergence(ContractCheck):
    """A metric must look the same on every declared exposition path.

    One dashboard serves every path, so series names and contract labels must
    agree. The classic break: a gauge with unit `1` gains `_ratio` through
    the Collector only; a name containing its unit word in the middle
    (`qortex_seconds_spent`, unit `s`) gets the suffix from the Python
    exporters but not from the Collector; the OpenTelemetry SDK lowercases
    instrument names (`Svc_Hits`) where prometheus_client keeps them.
    Prometheus' own OTLP receiver adds paths with their own breaks: without
    suffixes (`prometheus-otlp:NoTranslation`) a counter has no `_total` and
    no name gets its unit; with UTF-8 names the dots stay (`http.server.duration`).
    `_created` series, which only prometheus_client writes, are not compared.
    For the gauge, the message says which name (ending in `_ratio`) or unit
    (the annotation `{ratio}`, which no exporter turns into a suffix)
    exposes one name on every path; for another metric, whether the name the
    first path exposes would be exposed so on every path.
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
                    # one family, other series: the counter's `_total` is on one path only
                    shown, other_shown = ((first.family, other.family) if first.family != other.family else
                                          (first.core_series[0], other.core_series[0]))
                    yield self.at(lc, ("metrics", i, "name"),
                                  f"`{m.name}` is exposed as `{shown}` on {first.path} but as "
                                  f"`{other_shown}` on {path}" + _hints(m, paths, first.family), metric=m.name)
                elif first.labels != other.labels:
                    yield self.at(lc, ("metrics", i, "labels"),
                                  f"labels of `{m.name}` are {_names(first.labels)} on {first.path} but "
                                  f"{_names(other.labels)} on {path}", metric=m.name)


def _hints(m: Metric, paths: tuple[ExpositionPath, ...], family: str) -> str:
    case = _case_hint(m, paths)
    return case + (_ratio_hint(m, paths) or ("" if case else _name_hint(m, paths, family)))


def _case_hint(m: Metric, paths: tuple[ExpositionPath, ...]) -> str:
    """The OpenTelemetry SDK lowercases instrument names; prometheus_client keeps them as written."""
    lower = m.model_copy(update={"name": m.name.lower()})
    if lower.name == m.name or len({expose(lower, path).family for path in paths}) > 1:
        return ""
    return f"; OpenTelemetry lowercases instrument names: name it `{lower.name}`"


def _ratio_hint(m: Metric, paths: tuple[ExpositionPath, ...]) -> str:
    """For a gauge of unit `1`, which only the paths through Prometheus' OTLP translator (the Collector's, Prometheus'
    own receiver) suffix `_ratio`, and only with suffixes: the declarations that expose one name on every path, each
    verified against the naming rules rather than assumed."""
    if m.type != "gauge" or m.unit != "1":
        return ""
    appending = {p for p in paths if PATHS[p].gauge_unit_1_ratio and PATHS[p].suffixes}
    if not appending:
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
    who = [name for prefix, name in (("otel-collector", "the Collector"), ("prometheus-otlp", APPENDER_OTLP))
           if any(p.startswith(prefix) for p in appending)]
    verb = "appends" if len(who) == 1 else "append"
    return f"; {' and '.join(who)} {verb} `_ratio` to gauges of unit `1`: " + " or ".join(said) if said else ""


def _name_hint(m: Metric, paths: tuple[ExpositionPath, ...], family: str) -> str:
    """The name the first path exposes, when declared as the name it would be exposed so on every path (a unit
    that a path without suffixes does not append, a dot that a UTF-8 path keeps). Not for a counter, whose
    `_total` a path without suffixes never writes, nor for a semantic convention's name."""
    if m.type == "counter" or m.semconv or family == m.name:
        return ""
    option = m.model_copy(update={"name": family})
    if len({expose(option, path).core_series for path in paths}) > 1:
        return ""
    return f"; name it `{family}` (exposed as `{family}` everywhere)"


def _names(labels: tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in labels) or "none"
