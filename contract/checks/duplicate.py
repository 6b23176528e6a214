from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class Duplicate(ContractCheck):
    """A metric, a label of one metric, an event entry or a span is declared once.

    A second declaration would silently replace or merge with the first in
    every generator; it is reported at the second one.
    """

    id = "contract/duplicate"
    summary = "a metric, a label of one metric, an event entry or a span is declared once"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        seen: dict[str, int] = {}
        for i, m in enumerate(c.metrics):
            if m.name in seen:
                yield self.at(lc, ("metrics", i, "name"),
                              f"metric `{m.name}` is declared twice (first at metrics[{seen[m.name]}])",
                              metric=m.name)
            seen.setdefault(m.name, i)
            labels: set[str] = set()
            for j, label in enumerate(m.labels):
                if label.name in labels:
                    yield self.at(lc, ("metrics", i, "labels", j, "name"),
                                  f"label `{label.name}` of `{m.name}` is declared twice", metric=m.name)
                labels.add(label.name)
        events: set[str] = set()
        for i, e in enumerate(c.events):
            if e.event in events:
                yield self.at(lc, ("events", i, "event"),
                              f"event `{e.event}` is listed twice; put all its ops in one entry")
            events.add(e.event)
        spans: set[str] = set()
        for i, s in enumerate(c.spans):
            if s.name in spans:
                yield self.at(lc, ("spans", i, "name"), f"span `{s.name}` is declared twice")
            spans.add(s.name)
