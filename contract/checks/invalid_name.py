from __future__ import annotations

import re
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem

# The OpenTelemetry API's instrument name syntax (opentelemetry-api's `_name_regex`): the SDK refuses any other
# name, so the generated module could not create the instrument.
METRIC_NAME = re.compile(r"[a-zA-Z][-_./a-zA-Z0-9]{0,254}")
# Attribute names as the semantic conventions write them (`http.request.method`), and Prometheus label names.
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.]*")


class InvalidName(ContractCheck):
    """Metric names are OpenTelemetry instrument names; label names are attribute or Prometheus label names.

    A metric name starts with an ASCII letter, then letters, digits, `_`,
    `.`, `-` and `/`, at most 255 characters (what the OpenTelemetry API
    accepts): `qortex_queries` and `http.server.request.duration` both are.
    A label name starts with a letter or `_`, then letters, digits, `_` and
    `.`: `mode` and `http.request.method` both are. Every exporter turns the
    other characters into `_` (`http_server_request_duration_seconds`,
    `http_request_method`); `metrics-contract names` shows the result per
    path, and the checks, dashboards and rules use that exposed form. Two
    names that translate to the same one are reported by `contract/collision`.
    """

    id = "contract/invalid-name"
    summary = "metric names must be OpenTelemetry instrument names, label names attribute names"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            if not METRIC_NAME.fullmatch(m.name):
                yield self.at(lc, ("metrics", i, "name"),
                              f"metric name `{m.name}` is not a valid instrument name (an ASCII letter, then letters, "
                              "digits, `_`, `.`, `-` or `/`, at most 255 characters)", metric=m.name)
            for j, label in enumerate(m.labels):
                if not LABEL_NAME.fullmatch(label.name):
                    yield self.at(lc, ("metrics", i, "labels", j, "name"),
                                  f"label name `{label.name}` of `{m.name}` is not valid (a letter or `_`, then "
                                  "letters, digits, `_` or `.`)", metric=m.name)
