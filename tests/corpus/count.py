"""Run the checker over the corpus and count what it gets wrong: `python -m tests.corpus.count [-v]`.

Counts, over every row of `tests.corpus.build`: false errors (a check id reported where the row does not expect
it, or a problem at a place that is no row, such as a skipped Loki target), misses (an expected id not
reported), and parse failures (`promql/syntax` where the expression is valid, and files or contracts that
cannot be read at all). `-v` lists each wrong row. The same run is what tests/test_corpus.py asserts on.
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import NamedTuple

from contract.catalog import Catalog
from contract.loader import load_contract
from contract.problems import InputError, Problem
from contract.promql.expression import Source
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from tests.corpus.build import CorpusFile, Row, write


class Outcome(NamedTuple):
    row: Row
    reported: frozenset[str]   # check ids reported at the row's place
    unread: str = ""           # why its file (or the file's contract) could not be read

    @property
    def false(self) -> frozenset[str]:
        return self.reported - self.row.expect

    @property
    def missed(self) -> frozenset[str]:
        return frozenset() if self.unread else self.row.expect - self.reported


class Run(NamedTuple):
    outcomes: tuple[Outcome, ...]
    stray: tuple[str, ...]     # problems at places that are no row of their file
    unread: tuple[str, ...]    # files (or contracts) that could not be read, one line each


def run(directory: Path, files: tuple[CorpusFile, ...]) -> Run:
    """Check every corpus file written in `directory` against its contract, as `check CONTRACT FILE...` does."""
    outcomes: list[Outcome] = []
    stray: list[str] = []
    unread: list[str] = []
    for contract in sorted({f.contract for f in files}):
        group = [f for f in files if f.contract == contract]
        try:
            catalog = Catalog.from_contract(load_contract(str(directory / contract)))
        except InputError as exc:
            reason = _first(exc, directory)
            unread.extend(f"{f.name}: contract {reason}" for f in group)
            outcomes.extend(Outcome(row, frozenset(), reason) for f in group for row in f.rows)
            continue
        sources: list[Source] = []
        read: list[CorpusFile] = []
        for f in group:
            try:
                sources.append(load_source(str(directory / f.name)))
                read.append(f)
            except InputError as exc:
                reason = _first(exc, directory)
                unread.append(reason)
                outcomes.extend(Outcome(row, frozenset(), reason) for row in f.rows)
        found: dict[tuple[str, str], set[str]] = defaultdict(set)
        for p in Linter(catalog).check(sources).problems:
            found[(Path(p.file).name, p.location)].add(p.check)
        places = set()
        for f in read:
            for row in f.rows:
                places.add((f.name, row.where))
                outcomes.append(Outcome(row, frozenset(found.get((f.name, row.where), ()))))
        for (name, where), checks in sorted(found.items()):
            if (name, where) not in places:
                stray.extend(f"{name}: {where or '(no place)'}: {check}" for check in sorted(checks))
    return Run(tuple(outcomes), tuple(stray), tuple(unread))


def _first(exc: InputError, directory: Path) -> str:
    problem: Problem = exc.problems[0]
    return problem.text().replace(f"{directory}/", "")


class Counts(NamedTuple):
    rows: int
    false_errors: int
    missed: int
    parse_failures: int

    def line(self) -> str:
        return (f"{self.rows} rows: {self.false_errors} false errors, {self.missed} missed, "
                f"{self.parse_failures} parse failures")


def counts(result: Run) -> Counts:
    false = sum(len(o.false) for o in result.outcomes) + len(result.stray)
    missed = sum(len(o.missed) for o in result.outcomes)
    syntax = sum("promql/syntax" in o.false for o in result.outcomes)
    return Counts(len(result.outcomes), false, missed, syntax + len(result.unread))


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        result = run(Path(tmp), write(Path(tmp)))
    print(counts(result).line())
    if "-v" in argv:
        for line in result.unread:
            print(f"  not read: {line}")
        for o in result.outcomes:
            if (o.false or o.missed) and not o.unread:
                topic = f" [{o.row.topic}]" if o.row.topic else ""
                what = ", ".join([f"false {c}" for c in sorted(o.false)] + [f"missed {c}" for c in sorted(o.missed)])
                print(f"  {o.row.file}: {o.row.where}{topic}: {what}")
        for line in result.stray:
            print(f"  stray: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
