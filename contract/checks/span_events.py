from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem


class SpanEvents(ContractCheck):
    """A span starts and ends on distinct events.

    An event that both starts and ends a span (or ends it twice) would open
    and immediately close it, or shadow one end mapping with another.
    """

    id = "contract/span-events"
    summary = "a span's start and end events must be distinct"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, s in enumerate(lc.contract.spans):
            seen = {s.start.event}
            for j, end in enumerate(s.end):
                if end.event in seen:
                    role = "starts" if end.event == s.start.event else "already ends"
                    yield self.at(lc, ("spans", i, "end", j, "event"),
                                  f"event `{end.event}` {role} span `{s.name}`; start and end events must differ")
                seen.add(end.event)
