"""A check split between processes finds exactly what one process finds, in the same order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import contract.lint
import contract.parallel
from contract.lint import Linter, Report
from contract.parallel import can_fork, fork_map
from contract.sources import Source, load_source
from contract.verdicts import Verdicts
from tests.promql_util import dashboard_text, qortex_catalog

pytestmark = pytest.mark.skipif(not can_fork(), reason="checks are split between processes only on Linux")

# Rules that select series recorded further up, further down (unknown labels
# until their rule is reached) and not at all, with problems on either side
# of every place the expressions are split.
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
      - alert: Late
        expr: job:late:x > 1
"""

PANELS = [
    "sum by (mode) (job:qortex_queries:rate5m)",
    "sum by (outcome) (job:qortex_queries:rate5m)",
    "sum by (route) (job:late:x)",
    "rate(qortex_querys_total[5m])",
    "sum(job:qortex_feedback:rate5m{outcome=\"accepted\"})",
    "histogram_quantile(0.9, rate(qortex_query_duration_seconds_bucket[5m]))",
    "sum by (mode) (rate(qortex_queries_total[5m]))",
    "sum(rate(qortex_queries_total{mode=\"vec\"}[1m]))",
]


def _sources() -> list[Source]:
    return [load_source("d.json", dashboard_text(*PANELS).encode()), load_source("r.yml", RULES.encode())]


def _facts(report: Report) -> tuple[object, ...]:
    return report.problems, report.expressions, report.files, report.skipped, report.selected


@pytest.fixture
def split_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(contract.lint, "MIN_PER_JOB", 1)


@pytest.mark.parametrize("jobs", [2, 3, 5, 64])
def test_split_check_equals_one_process(jobs: int, split_always: None) -> None:
    alone = Linter(qortex_catalog()).check(_sources())
    assert len(alone.problems) >= 8   # problems before, after and across every split
    split = Linter(qortex_catalog()).check(_sources(), jobs=jobs)
    assert [p.text() for p in split.problems] == [p.text() for p in alone.problems]
    assert _facts(split) == _facts(alone)
    assert all(type(p) is type(alone.problems[0]) for p in split.problems)


def test_split_check_keeps_the_same_verdicts(tmp_path: Path, split_always: None) -> None:
    """Split or not, the same expressions are recorded as clean, and a second split run skips them all."""
    entries = []
    for jobs, directory in ((1, tmp_path / "one"), (3, tmp_path / "split")):
        verdicts = Verdicts("k" * 64, (), str(directory))
        first = Linter(qortex_catalog()).check(_sources(), verdicts, jobs)
        verdicts.save()
        entries.append(verdicts.met)
        again = Verdicts("k" * 64, (), str(directory))
        second = Linter(qortex_catalog()).check(_sources(), again, jobs)
        assert _facts(second) == _facts(first)
        assert again.met == verdicts.met and not again.added
    assert entries[0] == entries[1]
    assert len(entries[0]) >= 5   # clean expressions, recording rules among them


def test_the_pieces_run_in_other_processes(split_always: None, monkeypatch: pytest.MonkeyPatch) -> None:
    pids = []
    piece = Linter._piece

    def recording(self: Linter, work: tuple[list[object], list[int]]) -> object:
        pids.append(os.getpid())   # seen here only for the piece this process does itself
        return piece(self, work)  # type: ignore[arg-type]

    monkeypatch.setattr(Linter, "_piece", recording)
    alone = Linter(qortex_catalog()).check(_sources())
    assert pids == []
    split = Linter(qortex_catalog()).check(_sources(), jobs=3)
    assert pids == [os.getpid()]
    assert _facts(split) == _facts(alone)


def test_small_checks_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[object] = []
    monkeypatch.setattr(contract.parallel, "fork_map", lambda work, pieces: started.append(pieces) or [])
    for jobs in (8, 0):
        report = Linter(qortex_catalog()).check(_sources(), jobs=jobs)
        assert started == []
        assert report.expressions == len(PANELS) + 9


def test_jobs_0_splits_between_the_cpus_this_process_may_use(split_always: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    pieces: list[int] = []
    fork = contract.parallel.fork_map
    monkeypatch.setattr(contract.parallel, "available_cpus", lambda: 3)
    monkeypatch.setattr(contract.parallel, "fork_map", lambda work, p: pieces.append(len(p)) or fork(work, p))
    alone = Linter(qortex_catalog()).check(_sources())
    assert pieces == []
    split = Linter(qortex_catalog()).check(_sources(), jobs=0)
    assert pieces == [3]
    assert _facts(split) == _facts(alone)


def test_a_failing_child_piece_is_done_in_this_process() -> None:
    parent = os.getpid()

    def work(piece: int) -> tuple[int, int]:
        if os.getpid() != parent and piece == 2:
            raise RuntimeError("only in the child")
        return piece, piece * piece

    assert fork_map(work, [0, 1, 2, 3]) == [(0, 0), (1, 1), (2, 4), (3, 9)]
    with pytest.raises(ChildProcessError):   # every child was waited for
        os.waitpid(-1, os.WNOHANG)


def test_a_result_marshal_cannot_carry_is_computed_here() -> None:
    parent = os.getpid()
    # a child's result would be an object; done here instead, the piece gives itself
    assert fork_map(lambda piece: object() if os.getpid() != parent else piece, [1, 2]) == [1, 2]


def test_pieces_no_child_could_be_started_for_are_done_here(monkeypatch: pytest.MonkeyPatch) -> None:
    forks = []
    fork = os.fork

    def failing_after_one() -> int:
        if forks:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        forks.append(1)
        return fork()

    open_fds = len(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", failing_after_one)
    parent = os.getpid()
    assert fork_map(lambda piece: (piece, os.getpid() == parent), [0, 1, 2, 3]) == [
        (0, True), (1, False), (2, True), (3, True)]
    with pytest.raises(ChildProcessError):   # the one child was waited for
        os.waitpid(-1, os.WNOHANG)
    assert len(os.listdir("/proc/self/fd")) == open_fds   # and no pipe was left open


def test_children_are_reaped_when_this_process_fails() -> None:
    parent = os.getpid()

    def work(piece: int) -> int:
        if os.getpid() == parent and piece == 0:
            raise ValueError("parent piece")
        return piece

    with pytest.raises(ValueError, match="parent piece"):
        fork_map(work, [0, 1, 2])
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_no_split_while_other_threads_run() -> None:
    import threading

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not can_fork()
        assert fork_map(lambda piece: os.getpid(), [1, 2, 3]) == [os.getpid()] * 3
    finally:
        release.set()
        thread.join()
    assert can_fork()
