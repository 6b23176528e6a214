from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract, Path
from contract.problems import Problem


class LabelMap(ContractCheck):
    """A label's `map:` records only values its closed set allows, and its ranges do not overlap.

    A map turns a value before it is recorded, in the generated module's API
    and its event handlers alike: a table (`map: {"200": ok, "404": missing}`)
    by key, an int value by its digits; ranges of numbers (`map: [{from: 500,
    to: 599, value: 5xx}]`), `from` and `to` included. On a label with a closed
    set, every value a map gives must be in the set (or be `other` when the
    label is guarded): a value outside it would be recorded as `other` every
    time, which is a mistake in the map, not in the caller. Two ranges that
    share a number would make the order of the list decide the value.
    """

    id = "contract/label-map"
    summary = "a label map must record values of the label's closed set, and its ranges must not overlap"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            for j, label in enumerate(m.labels):
                at = ("metrics", i, "labels", j, "map")
                allowed = label.allowed_values()
                if allowed is not None:
                    shown = ", ".join(f"`{v}`" for v in allowed)
                    # positions only for what is reported: finding one walks the document
                    outside: list[tuple[Path, str]] = [((_as_written(lc, at, key),), value)
                                                       for key, value in label.table.items() if value not in allowed]
                    outside += [((k, "value"), r.value) for k, r in enumerate(label.ranges) if r.value not in allowed]
                    for where, value in outside:
                        yield self.at(lc, at + where, f"map of label `{label.name}` of `{m.name}` records "
                                      f"`{value}`, which is not in its closed set {shown}", metric=m.name)
                # by start; each range is compared with the one reaching furthest among those before it
                reach: tuple[int, float] | None = None   # (index, `to`)
                for k, r in sorted(enumerate(label.ranges), key=lambda item: (item[1].from_, item[0])):
                    if reach is not None and r.from_ <= reach[1]:
                        first, later = sorted((reach[0], k))
                        yield self.at(lc, at + (later,), f"map range {later + 1} of label `{label.name}` of "
                                      f"`{m.name}` overlaps range {first + 1}", metric=m.name)
                    if reach is None or r.to > reach[1]:
                        reach = (k, r.to)


def _as_written(lc: LoadedContract, at: Path, key: str) -> str | int:
    """A table key as the document holds it, to locate it: `200:` is read as the int 200 (the model keeps `"200"`)."""
    if lc.source.position(at + (key,)) is None and key.lstrip("-").isascii() and key.lstrip("-").isdigit():
        return int(key)
    return key
