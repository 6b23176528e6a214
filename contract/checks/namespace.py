from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import PROMETHEUS_STYLE, expose, namespace_prefix, namespace_prefixes
from contract.problems import Problem


class Namespace(ContractCheck):
    """Every metric is exposed as `<namespace>_...`, unless it is a semantic-convention metric.

    The namespace is how `live-check` tells the service's own metrics from
    everything else on a target, and how readers find them in Prometheus.
    What counts is the name as each declared path exposes it, so
    `qortex.query.duration` is inside namespace `qortex` (it is exposed as
    `qortex_query_duration_...`). A metric whose name an OpenTelemetry
    semantic convention fixes (`http.server.request.duration`) is marked
    `semconv: true` and may sit outside the namespace; `live-check` selects
    it by its exposed names.
    """

    id = "contract/namespace"
    summary = "metrics must be exposed as `<namespace>_...` unless marked `semconv: true`"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        prefix = namespace_prefix(c.namespace)
        for i, m in enumerate(c.metrics):
            if m.semconv:
                continue
            # each path's family against the prefixes of that path (UTF-8 names keep the namespace's dots)
            if all(_inside(expose(m, path).family, namespace_prefixes(c.namespace, path)) for path in c.exposition):
                continue
            if PROMETHEUS_STYLE.fullmatch(m.name):
                hint = f"name it `{prefix}...`"
            else:
                # an OpenTelemetry-style name: the namespace is its first dotted segment, or it is a
                # semantic-convention metric whose name is not the contract's to choose
                hint = (f"start it with `{c.namespace}.`, or mark it `semconv: true` if an OpenTelemetry semantic "
                        "convention defines it")
            yield self.at(lc, ("metrics", i, "name"),
                          f"metric `{m.name}` is outside namespace `{c.namespace}`; {hint}", metric=m.name)


def _inside(family: str, prefixes: tuple[str, ...]) -> bool:
    return any(family.startswith(p) and family != p for p in prefixes)
