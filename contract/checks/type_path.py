from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import TYPE_PATHS, yields_type
from contract.problems import Problem

# why a path cannot yield a type, said once per type
_WHY = {
    "summary": "OpenTelemetry has no summary instrument",
    "info": "OpenTelemetry has no info instrument",
    "stateset": "OpenTelemetry has no stateset instrument",
    "untyped": "OpenTelemetry has no untyped instrument",
    "native_histogram": "this path exposes no native histograms",
}


class TypePath(ContractCheck):
    """Every declared exposition path can yield each metric's type.

    OpenTelemetry has no summary, info, stateset or untyped instrument, so
    only `prometheus-client` yields them; a native histogram (an exponential
    histogram in OpenTelemetry) is dropped by `otel-python`'s exporter. A
    contract that declares such a pair would promise series no exporter
    writes. Reported at the metric's `type`, naming the first such path.
    """

    id = "contract/type-path"
    summary = "each metric's type must be one every declared exposition path can yield (no OpenTelemetry summary)"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        for i, m in enumerate(c.metrics):
            wrong = [path for path in c.exposition if not yields_type(path, m.type)]
            if wrong:
                able = ", ".join(f"`{p}`" for p in sorted(TYPE_PATHS[m.type]) if p in c.exposition) or "none"
                yield self.at(lc, ("metrics", i, "type"),
                              f"{m.type} `{m.name}` cannot be exposed on path `{wrong[0]}`: {_WHY[m.type]} "
                              f"(declared paths that can: {able})", metric=m.name)
