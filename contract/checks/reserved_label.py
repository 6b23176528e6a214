from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import EXPOSITION_PATHS, PATHS, sanitize_label
from contract.problems import Problem


class ReservedLabel(ContractCheck):
    """Labels that Prometheus or an exporter owns cannot be declared.

    `le` belongs to histogram buckets and `quantile` to summaries; names that
    start with `__` are internal to Prometheus; `job`, `instance` and the
    `otel_scope_*` labels are added by the exporter or the scrape and would be
    overwritten (or renamed `exported_*`). A name is judged as every path
    exposes it: `otel.scope.name` is exposed as `otel_scope_name`.
    """

    id = "contract/reserved-label"
    summary = "labels must not use names Prometheus or an exporter owns (`le`, `quantile`, `__*`, `job`, ...)"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        owned = {name for facts in PATHS.values() for name in facts.exporter_labels + facts.scrape_labels}
        for i, m in enumerate(lc.contract.metrics):
            for j, label in enumerate(m.labels):
                # the name as written first, then as the paths expose it (`otel.scope.name` -> `otel_scope_name`;
                # the label of `expose(m, path)`, without exposing the whole metric on every path)
                exposed = {sanitize_label(label.name, path) for path in EXPOSITION_PATHS}
                names = [label.name, *sorted(exposed - {label.name})]
                for name in names:
                    why = _why(name, owned)
                    if why:
                        if name != label.name:
                            why = f"it is exposed as `{name}`, and {why}"
                        yield self.at(lc, ("metrics", i, "labels", j, "name"),
                                      f"label `{label.name}` of `{m.name}` is reserved: {why}", metric=m.name)
                        break


def _why(name: str, owned: set[str]) -> str:
    if name.startswith("__"):
        return "names starting with `__` are reserved by Prometheus"
    if name == "le":
        return "`le` holds histogram bucket bounds"
    if name == "quantile":
        return "`quantile` holds summary quantiles"
    if name in owned:
        return "the exporter or the scrape sets it"
    return ""
