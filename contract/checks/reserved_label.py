from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import PATHS
from contract.problems import Problem


class ReservedLabel(ContractCheck):
    """Labels that Prometheus or an exporter owns cannot be declared.

    `le` belongs to histogram buckets and `quantile` to summaries; names that
    start with `__` are internal to Prometheus; `job`, `instance` and the
    `otel_scope_*` labels are added by the exporter or the scrape and would be
    overwritten (or renamed `exported_*`).
    """

    id = "contract/reserved-label"
    summary = "labels must not use names that Prometheus or an exporter owns"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        owned = {name for facts in PATHS.values() for name in facts.exporter_labels + facts.scrape_labels}
        for i, m in enumerate(lc.contract.metrics):
            for j, label in enumerate(m.labels):
                why = ""
                if label.name.startswith("__"):
                    why = "names starting with `__` are reserved by Prometheus"
                elif label.name == "le":
                    why = "`le` holds histogram bucket bounds"
                elif label.name == "quantile":
                    why = "`quantile` holds summary quantiles"
                elif label.name in owned:
                    why = "the exporter or the scrape sets it"
                if why:
                    yield self.at(lc, ("metrics", i, "labels", j, "name"),
                                  f"label `{label.name}` of `{m.name}` is reserved: {why}", metric=m.name)
