"""The corpus of field-style dashboards and rule files (tests/corpus/build.py), checked row by row.

Every valid expression must be clean, every broken one reported with exactly its check ids, at its panel and
refId (or variable, annotation, rule); no problem may land anywhere else (a skipped Loki target), and every
file and contract must be read. `python -m tests.corpus.count -v` prints the same results as counts.
"""

from __future__ import annotations

import pytest

from tests.corpus.build import corpus, write
from tests.corpus.count import Outcome, Run, counts, run

ROWS = [row for f in corpus() for row in f.rows]


def _id(index: int) -> str:
    row = ROWS[index]
    return f"{row.file}:{row.where}" + (f"[{row.topic}]" if row.topic else "")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> Run:
    directory = tmp_path_factory.mktemp("corpus")
    return run(directory, write(directory))


def _outcome(result: Run, index: int) -> Outcome:
    row = ROWS[index]
    [outcome] = [o for o in result.outcomes if o.row == row]
    return outcome


@pytest.mark.parametrize("index", range(len(ROWS)), ids=_id)
def test_row(result: Run, index: int) -> None:
    outcome = _outcome(result, index)
    assert outcome.unread == ""
    assert sorted(outcome.reported) == sorted(outcome.row.expect), outcome.row.expr


def test_every_file_is_read_and_nothing_lands_elsewhere(result: Run) -> None:
    assert result.unread == ()
    assert result.stray == ()


def test_the_corpus_has_both_kinds_of_rows() -> None:
    broken = [row for row in ROWS if row.expect]
    assert len(ROWS) > 60 and len(broken) > 15 and len(ROWS) - len(broken) > 40
    assert len({(row.file, row.where) for row in ROWS}) == len(ROWS)   # a row is one place


def test_counts_are_what_the_rows_say(result: Run) -> None:
    assert counts(result) == (len(ROWS), 0, 0, 0)

