from __future__ import annotations

import re
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem

METRIC_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class InvalidName(ContractCheck):
    """Metric and label names must be valid Prometheus names as written.

    Metric names match `[a-zA-Z_][a-zA-Z0-9_]*` (colons are reserved for
    recording rules) and label names `[a-zA-Z_][a-zA-Z0-9_]*`. OpenTelemetry
    would accept `a.b` and translate it to `a_b`, but then the contract, the
    code and the dashboards would spell one metric two ways.
    """

    id = "contract/invalid-name"
    summary = "metric and label names must be valid Prometheus names"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            if not METRIC_NAME.match(m.name):
                yield self.at(lc, ("metrics", i, "name"),
                              f"metric name `{m.name}` is not a valid Prometheus name "
                              "(letters, digits and `_`, not starting with a digit)", metric=m.name)
            for j, label in enumerate(m.labels):
                if not LABEL_NAME.match(label.name):
                    yield self.at(lc, ("metrics", i, "labels", j, "name"),
                                  f"label name `{label.name}` of `{m.name}` is not a valid Prometheus label name",
                                  metric=m.name)
