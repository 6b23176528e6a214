from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import UNIT_SUFFIXES, family_name, unit_word
from contract.problems import Problem

# unit words a name may end in, and the unit they stand for
_WORD_UNITS = {word: unit for unit, word in UNIT_SUFFIXES.items() if word}


class UnitSuffix(ContractCheck):
    """The unit and the name's unit word must agree.

    A name ending in a unit word (`_seconds`, `_bytes`) with a different
    declared unit gets a second suffix from the exporters
    (`…_seconds_milliseconds`). A name without its unit word is exposed with
    it appended, so dashboards must query a name the contract never spells;
    that is reported as a warning naming the exposed name.
    """

    id = "contract/unit-suffix"
    summary = "a metric's unit must match the unit word its name ends in"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            base = m.name.removesuffix("_total") if m.type == "counter" else m.name
            tail = base.rsplit("_", 1)[-1]
            word = unit_word(m.unit)
            if tail in _WORD_UNITS and tail != word:
                yield self.at(lc, ("metrics", i, "unit"),
                              f"`{m.name}` ends in `_{tail}` but its unit is `{m.unit}`; "
                              f"declare unit `{_WORD_UNITS[tail]}`", metric=m.name)
            elif word and not base.endswith("_" + word):
                exposed = family_name(m, "otel-python")
                yield self.warn(lc, ("metrics", i, "name"),
                                f"`{m.name}` has unit `{m.unit}` and is exposed as `{exposed}`; "
                                f"name it `{exposed}`", metric=m.name)
