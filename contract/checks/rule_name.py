from __future__ import annotations

import re
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem

# What Prometheus 2.42 accepts: a recorded name is a metric name, so it may
# hold the colons of `level:metric:operations`; label and annotation names may not.
RECORD_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class RuleName(ContractCheck):
    """The names in the contract's `rules:` must be names Prometheus accepts.

    `promtool check rules` (and Prometheus, at load) rejects the whole rule
    file over one bad name: a recorded name that is not a metric name
    (`[a-zA-Z_:][a-zA-Z0-9_:]*`), or a label or annotation name that is not
    a label name (`[a-zA-Z_][a-zA-Z0-9_]*`). Label names starting with `__`
    are reserved for Prometheus' own use (`__name__` is the metric name), so
    rules may not set them either. An alert needs a name: it becomes the
    `alertname` label of every alert it fires.
    """

    id = "contract/rule-name"
    summary = "recorded, alert, label and annotation names in `rules:` must be names Prometheus accepts"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, rule in enumerate(lc.contract.rules):
            if rule.record is not None and not RECORD_NAME.match(rule.record):
                yield self.at(lc, ("rules", i, "record"),
                              f"recorded name `{rule.record}` is not a valid metric name "
                              "(letters, digits, `_` and `:`, not starting with a digit)")
            if rule.alert == "":
                yield self.at(lc, ("rules", i, "alert"), "an alerting rule needs a non-empty `alert` name")
            given = rule.record if rule.record is not None else rule.alert
            name = f"`{given}`" if given else f"{i + 1} (unnamed)"
            for key in rule.labels:
                if not LABEL_NAME.match(key):
                    yield self.at(lc, ("rules", i, "labels", key), f"label name `{key}` of rule {name} is not a "
                                  "valid label name (letters, digits and `_`, not starting with a digit)", key=True)
                elif key.startswith("__"):
                    yield self.at(lc, ("rules", i, "labels", key),
                                  f"label name `{key}` of rule {name} starts with `__`, which Prometheus reserves",
                                  key=True)
            for key in rule.annotations:
                if not LABEL_NAME.match(key):
                    yield self.at(lc, ("rules", i, "annotations", key), f"annotation name `{key}` of rule {name} is "
                                  "not a valid label name (letters, digits and `_`, not starting with a digit)",
                                  key=True)
