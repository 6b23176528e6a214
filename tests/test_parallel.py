"""A check split between processes finds exactly what one process finds, in the same order."""

from __future__ import annotations

import os

import pytest

import contract.lint
from contract.lint import Linter
from contract.parallel import can_fork, fork_map
from contract.sources import load_source
from tests.promql_util import dashboard_text, qortex_catalog

pytestmark = pytest.mark.skipif(not can_fork(), reason="checks are split between processes only where fork is the norm")

# Rules that select series recorded further up, further down (unknown labels
# until their rule is reached) and not at all, with problems on either side
# of every place the file is split.
RULES = """\
groups:
  - name: a
    rules:
      - record: job:qortex_queries:rate5m
        expr: sum by (job, mode) (rate(qortex_queries_total[5m]))
      - record: job:qortex_queries:mode_share
        expr: sum by (job, mode) (job:qortex_queries:rate5m) / ignoring(mode) group_left sum by (job) (job:late:x)
      - record: job:qortex_querys:rate5m
        expr: sum by (job) (rate(qortex_queries_total{mod="vec"}[5m]))
      - record: job:qortex_queries:by_outcome
        expr: sum by (outcome) (job:qortex_queries:rate5m)
  - name: b
    rules:
      - record: job:late:x
        expr: sum by (job) (rate(qortex_feedback_total[1m]))
      - record: job:qortex_feedback:rate5m
        expr: sum by (job, outcome) (rate(qortex_feedback_total{outcome="acepted"}[5m]))
      - record: job:qortex_queries:gauge_rate
        expr: rate(qortex_active_queries[5m])
      - record: job:qortex_queries:bare
        expr: qortex_queries_total
"""

PANELS = [
    "sum by (mode) (job:qortex_queries:rate5m)",
    "sum by (outcome) (job:qortex_queries:rate5m)",
    "sum by (route) (job:late:x)",
    "rate(qortex_querys_total[5m])",
    "sum(job:qortex_feedback:rate5m{outcome=\"accepted\"})",
    "histogram_quantile(0.9, rate(qortex_query_duration_seconds_bucket[5m]))",
]


def _sources() -> list:  # type: ignore[type-arg]
    return [load_source("d.json", dashboard_text(*PANELS).encode()), load_source("r.yml", RULES.encode())]


@pytest.mark.parametrize("jobs", [2, 3, 5])
def test_split_check_equals_one_process(jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    alone = Linter(qortex_catalog()).check(_sources())
    assert len(alone.problems) >= 8   # problems before, after and across every split
    monkeypatch.setattr(contract.lint, "MIN_PER_JOB", 1)
    split = Linter(qortex_catalog(), jobs=jobs).check(_sources())
    assert [p.text() for p in split.problems] == [p.text() for p in alone.problems]
    assert split.problems == alone.problems
    assert (split.expressions, split.files, split.skipped, split.selected) == (
        alone.expressions, alone.files, alone.skipped, alone.selected)


def test_small_checks_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []
    monkeypatch.setattr(contract.lint, "fork_map", lambda work, pieces: started.append(pieces) or [])
    Linter(qortex_catalog(), jobs=8).check(_sources())
    assert started == []


def test_a_failing_child_piece_is_done_in_the_parent() -> None:
    parent = os.getpid()

    def work(piece: int) -> tuple[int, int]:
        if os.getpid() != parent and piece == 2:
            raise RuntimeError("only in the child")
        return piece, piece * piece

    assert fork_map(work, [0, 1, 2, 3]) == [(0, 0), (1, 1), (2, 4), (3, 9)]
    with pytest.raises(ChildProcessError):   # every child was waited for
        os.waitpid(-1, os.WNOHANG)


def test_children_are_reaped_when_the_parent_piece_fails() -> None:
    parent = os.getpid()

    def work(piece: int) -> int:
        if os.getpid() == parent and piece == 0:
            raise ValueError("parent piece")
        return piece

    with pytest.raises(ValueError, match="parent piece"):
        fork_map(work, [0, 1, 2])
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
