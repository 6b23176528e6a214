from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class CounterTotalSuffix(ContractCheck):
    """A counter is declared by its base name: every exporter appends `_total`.

    OpenTelemetry's Prometheus exporters strip and re-append `_total`, and
    prometheus_client does the same, so `qortex_hits_total` and `qortex_hits`
    expose the same series. Declaring the base name keeps the OpenTelemetry
    instrument name (which never carries `_total`) and the contract equal.
    """

    id = "contract/counter-total-suffix"
    summary = "counter names must not end in `_total` (nor `.total`): the exporter appends it"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            # `.total` and `-total` are exposed as `_total` as well
            ending = m.name[-len("_total"):]
            if m.type == "counter" and ending[1:] == "total" and ending[:1] in "_.-/":
                yield self.at(lc, ("metrics", i, "name"),
                              f"counter `{m.name}` must not end in `{ending}`; the exporter appends "
                              + ("it" if ending == "_total" else "`_total`"),
                              metric=m.name)
