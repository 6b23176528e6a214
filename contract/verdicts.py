"""Expressions known to check clean, kept between runs of `check`.

A pre-commit run usually follows an edit of a few expressions in files
holding many. An expression's problems depend only on the contract, the
code, the checks switched off in `ignore`, and the expression itself (its
text, kind, legend, Grafana variables, recorded name and labels,
suppressions), unless it selects a series recorded by a rule, whose labels
come from that rule. So a clean verdict, once reached, stays true for the
same expression under the same contract, code and `ignore`: `Linter.check`
skips such expressions and takes from the entry what later expressions need
(the labels a recording rule yields, the contract series it selects).
Expressions with problems and expressions selecting recorded series are
always checked.

One file per contract cache key (`contract.cache.ContractCache.key`: the
contract's bytes and path, the code state) and `ignore` set, as `marshal`
data in the cache directory, under the rule of `contract.cachebase`.
"""

from __future__ import annotations

from contract.cachebase import cache_dir, load_entry, slot, store_entry
from contract.sources import Expression

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Iterable

FORMAT = 1       # bump when the entry's shape changes
MAX_ENTRIES = 500_000   # beyond this, only what the last run met is kept

# what an entry remembers: the recorded flow of a recording rule as a tuple
# (see `contract.promql.Flow`), or None; the contract series it selects
Entry = tuple[tuple[frozenset[str], bool, bool | None, bool] | None, tuple[str, ...]]


def verdict_key(e: Expression) -> str:
    """Every field of `e` that a PromQL check reads, or that decides which checks run.

    (The tests of empty fields spare a rule, which has none of them, a call each.)
    """
    variables, suppressed, var_label, var_metrics = e.variables, e.suppressed, e.var_label, e.var_metrics
    return "\0".join((
        e.kind, e.text, e.legend, "L" if e.legend_anchor is not None else "",
        "" if variables is None else "$" + ",".join(sorted(variables)),
        e.record, "R" if e.record_anchor is not None else "", ",".join(e.rule_labels),
        ",".join(sorted(suppressed)) if suppressed else "",
        "" if var_label is None else repr(var_label), "" if var_metrics is None else repr(var_metrics)))


class Verdicts:
    def __init__(self, contract_key: str, ignore: Iterable[str], directory: str | None = None) -> None:
        self.directory = directory or cache_dir()
        self.ignore = tuple(sorted(set(ignore)))
        self.name = f"{contract_key}-{slot(self.ignore)}.verdicts.marshal"
        self.known: dict[str, Entry] = self._load()
        self.met: dict[str, Entry] = {}    # entries this run used or added
        self.added = False

    def _load(self) -> dict[str, Entry]:
        stored = load_entry(self.directory, self.name)
        try:
            fmt, ignore, known = stored
        except (TypeError, ValueError):
            return {}   # no file, or one this version cannot read: nothing known
        # the name holds only a checksum of `ignore`: the entry holds it whole
        return known if fmt == FORMAT and ignore == self.ignore and isinstance(known, dict) else {}

    def get(self, key: str) -> Entry | None:
        entry = self.known.get(key)
        if entry is not None:
            self.met[key] = entry
        return entry

    def add(self, key: str, entry: Entry) -> None:
        self.met[key] = entry
        self.added = True

    def save(self) -> None:
        if not self.added:
            return
        known = self.known
        known.update(self.met)
        store_entry(self.directory, self.name, (FORMAT, self.ignore, known if len(known) <= MAX_ENTRIES else self.met))
