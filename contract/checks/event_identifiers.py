from __future__ import annotations

import keyword
from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract, Path
from contract.problems import Problem


def _is_identifier(name: str) -> bool:
    """What the generated module can write as a class name and as an attribute read: `event.<name>`."""
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


class EventIdentifiers(ContractCheck):
    """Event names and the event fields ops and spans read are Python identifiers.

    The generated module handles an event by its class name and reads each
    field as an attribute of the event (`event.latency_ms`), so both must be
    ASCII identifiers that are not Python keywords: an ASCII letter or `_`,
    then letters, digits and `_`. `E-2`, `class`, `None`, `read.bytes` and an
    empty name are not; rename the field, or give the event class a
    property with an identifier's name that returns it. This covers the fields
    of ops (`add`/`record`/`set`, label and `when` fields) and of spans
    (`key` and attribute fields), and the events that start and end spans.
    """

    id = "contract/event-identifier"
    summary = "event names and the event fields ops and spans read must be python identifiers"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for path, name, kind, where in self._names(lc):
            if _is_identifier(name):
                continue
            # an empty name would show as nothing between backticks: say it instead
            subject = f"{kind} `{name}`" if name else f"the empty {kind} name"
            if kind == "event":
                message = f"{subject} is not a python identifier, so no event class can carry that name"
            else:
                message = (f"{subject} {where} is not a python identifier; the generated handler reads it as an "
                           "attribute of the event")
            yield self.at(lc, path, message)

    @staticmethod
    def _names(lc: LoadedContract) -> Iterator[tuple[Path, str, str, str]]:
        """(location, name, "event" or "field", what the field belongs to) of every name the module writes as code."""
        c = lc.contract
        for i, e in enumerate(c.events):
            yield ("events", i, "event"), e.event, "event", ""
            of = f"of `{e.event}`"
            for j, op in enumerate(e.ops):
                at: Path = ("events", i, "ops", j)
                if op.value.field is not None:
                    yield at + (op.operation, "field"), op.value.field, "field", of
                for label, source in op.labels.items():
                    if source.field is not None:
                        yield at + ("labels", label, "field"), source.field, "field", of
                if op.when is not None:
                    yield at + ("when", "field"), op.when.field, "field", of
        for i, s in enumerate(c.spans):
            yield ("spans", i, "start", "event"), s.start.event, "event", ""
            yield ("spans", i, "key"), s.key, "field", f"(the key of span `{s.name}`)"
            for attr, name in s.start.attributes.items():
                yield ("spans", i, "start", "attributes", attr), name, "field", f"of `{s.start.event}`"
            for k, end in enumerate(s.end):
                yield ("spans", i, "end", k, "event"), end.event, "event", ""
                for attr, name in end.attributes.items():
                    yield ("spans", i, "end", k, "attributes", attr), name, "field", f"of `{end.event}`"
