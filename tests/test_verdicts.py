"""Clean verdicts kept between runs: a run that uses them reports exactly what a run without them reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.lint import Linter, Report
from contract.sources import Expression, Source, load_source
from contract.verdicts import Verdicts, verdict_key
from tests.promql_util import dashboard_text, qortex_catalog

RULES = """\
groups:
  - name: a
    rules:
      - record: job:qortex_queries:rate5m
        expr: {first}
      - record: job:qortex_queries:by_mode
        expr: sum by (job, mode) (job:qortex_queries:rate5m)
      - record: job:qortex_feedback:rate5m
        expr: sum by (job, outcome) (rate(qortex_feedback_total[5m]))
      - record: job:qortex_feedback:typo
        expr: sum by (job) (rate(qortex_feedback_total{{outcome="acepted"}}[5m]))
"""
FIRST = "sum by (job, mode) (rate(qortex_queries_total[5m]))"
PANELS = ("sum by (mode) (job:qortex_queries:by_mode)", "sum by (outcome) (job:qortex_feedback:rate5m)",
          "rate(qortex_queries_total[5m])", "sum(qortex_queries_total)")


def _sources(first: str = FIRST) -> list[Source]:
    return [load_source("d.json", dashboard_text(*PANELS).encode()),
            load_source("r.yml", RULES.format(first=first).encode())]


def _check(tmp_path: Path, first: str = FIRST, ignore: tuple[str, ...] = ()) -> tuple[Report, list[str]]:
    """A run with the verdicts kept in tmp_path, and the expressions it analysed."""
    analysed: list[str] = []
    linter = Linter(qortex_catalog(), ignore)
    context = linter.context
    linter.context = lambda e: analysed.append(e.text) or context(e)  # type: ignore[method-assign]
    verdicts = Verdicts("k", ignore, str(tmp_path))
    report = linter.check(_sources(first), verdicts)
    verdicts.save()
    return report, analysed


def _alone(first: str = FIRST, ignore: tuple[str, ...] = ()) -> Report:
    return Linter(qortex_catalog(), ignore).check(_sources(first))


def _same(a: Report, b: Report) -> None:
    assert [p.text() for p in a.problems] == [p.text() for p in b.problems]
    assert (a.expressions, a.files, a.selected) == (b.expressions, b.files, b.selected)


def test_equal_parts_of_entries_are_one_object(tmp_path: Path) -> None:
    """What lets marshal write each label set once (`contract.lint._entry`), also after a round trip."""
    rules = "groups:\n  - name: g\n    rules:\n" + "".join(
        f"      - record: job:qortex_queries:r{i}\n"
        f"        expr: sum by (job, mode) (rate(qortex_queries_total[{i}m]))\n" for i in range(1, 6))
    verdicts = Verdicts("k", (), str(tmp_path))
    Linter(qortex_catalog()).check([load_source("r.yml", rules.encode())], verdicts)
    verdicts.save()
    for entries in (verdicts.met, Verdicts("k", (), str(tmp_path)).known):
        assert len(entries) == 5
        assert len({id(flow) for flow, _ in entries.values()}) == 1
        assert len({id(names) for _, names in entries.values()}) == 1
        assert {flow for flow, _ in entries.values()} == {(frozenset({"job", "mode"}), False, False, False)}


def test_second_run_analyses_only_what_was_not_clean(tmp_path: Path) -> None:
    first, analysed = _check(tmp_path)
    _same(first, _alone())
    assert len(analysed) == 8 and len(first.problems) == 2   # the typo'd rule, the raw counter in a sum
    second, analysed = _check(tmp_path)
    _same(second, _alone())
    # left to analyse: the two problems, and what selects recorded series
    assert sorted(analysed) == sorted([
        'sum by (job) (rate(qortex_feedback_total{outcome="acepted"}[5m]))', "sum(qortex_queries_total)",
        "sum by (job, mode) (job:qortex_queries:rate5m)", "sum by (mode) (job:qortex_queries:by_mode)",
        "sum by (outcome) (job:qortex_feedback:rate5m)"])


def test_a_changed_rule_reaches_what_selects_its_series(tmp_path: Path) -> None:
    _check(tmp_path)
    changed = "sum by (job) (rate(qortex_queries_total[5m]))"   # no more `mode`
    report, analysed = _check(tmp_path, changed)
    _same(report, _alone(changed))
    assert changed in analysed
    assert [(p.file, p.check) for p in report.problems if p.check == "promql/grouping-label"] == [
        ("r.yml", "promql/grouping-label")]   # `by (job, mode)` of the rule that selects the changed one


def test_verdicts_are_kept_per_ignore_set(tmp_path: Path) -> None:
    quiet = ("promql/counter-without-rate", "promql/label-value")
    report, _ = _check(tmp_path, ignore=quiet)
    assert report.problems == []
    report, analysed = _check(tmp_path)
    _same(report, _alone())
    assert len(analysed) == 8


def test_an_unreadable_file_is_nothing_known(tmp_path: Path) -> None:
    _check(tmp_path)
    [path] = tmp_path.glob("*.verdicts.marshal")
    path.write_bytes(b"\x00garbage")
    report, analysed = _check(tmp_path)
    _same(report, _alone())
    assert len(analysed) == 8


# fields that only say where an expression is, never what a check finds in it
WHERE_ONLY = {"file", "where", "anchor", "panel_id", "panel_title", "ref_id", "group", "rule"}


@pytest.mark.parametrize("field", [f for f in Expression.__slots__ if f not in WHERE_ONLY])
def test_every_other_field_changes_the_key(field: str) -> None:
    base = Expression(text="x", kind="panel", file="f", where="w", anchor=None)  # type: ignore[arg-type]
    changed = Expression(text="x", kind="panel", file="f", where="w", anchor=None)  # type: ignore[arg-type]
    other = {"text": "y", "kind": "rule", "legend": "{{a}}", "legend_anchor": object(), "suppressed": frozenset({"a"}),
             "variables": frozenset(), "record": "a:b:c", "record_anchor": object(), "rule_labels": ("a",),
             "var_label": ("a", 1), "var_metrics": ("a", 1)}
    setattr(changed, field, other[field])
    assert verdict_key(changed) != verdict_key(base)
