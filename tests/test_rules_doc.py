"""Check documentation from the checks themselves: `metrics-contract rules [ID]` and the README's check tables.

The README's two check tables are rendered from the same data as the
command; `UPDATE_README=1` rewrites just those two tables. The ids reported
outside the two registries are documented in `contract/reported.py`; a scan
of the package's source fails when the code reports a check id with no
documentation, or documentation names an id nothing reports.
"""

from __future__ import annotations

import ast
import json
import os
import re

import pytest

from contract.checks.registry import CONTRACT_CHECKS
from contract.promql.checks.registry import PROMQL_CHECKS
from contract.reported import CHECK_FAMILIES, REPORTED
from generators import rulesdoc
from generators.cli import main
from tests.conftest import ROOT

README = ROOT / "README.md"
UPDATE = "UPDATE_README=1 rewrites the README's check tables"
ROW = re.compile(r"^(\S+) +(error|warning|info) +(\S.*)$")


def test_readme_check_tables_are_generated_from_the_checks() -> None:
    rules = rulesdoc.all_rules()
    text = README.read_text(encoding="utf-8")
    expected = rulesdoc.with_tables(text, rules)
    if text != expected and os.environ.get("UPDATE_README") == "1":
        README.write_text(expected, encoding="utf-8")
        text = expected
    if text != expected:
        tables = "\n".join(f"{heading}\n\n{rulesdoc.markdown_table(rules, families)}"
                           for heading, families in rulesdoc.README_TABLES)
        pytest.fail(f"README.md's check tables differ from the checks ({UPDATE}); expected:\n\n{tables}")


def test_with_tables_replaces_only_the_two_tables() -> None:
    readme = ("# t\n\n### Contract checks\n\nintro\n\n| id | old |\n|---|---|\n| `x` | y |\n\nafter one\n\n"
              "### PromQL checks\n\n| a |\n|---|\n\nafter two\n")
    rules = (rulesdoc.Rule("contract/a", "error", "a must be", "A."),
             rulesdoc.Rule("promql/b", "warning", "b | c", "B."),
             rulesdoc.Rule("live/c", "error", "not listed", "C."))
    assert rulesdoc.with_tables(readme, rules) == (
        "# t\n\n### Contract checks\n\nintro\n\n| id | severity | summary |\n|---|---|---|\n"
        "| `contract/a` | error | a must be |\n\nafter one\n\n"
        "### PromQL checks\n\n| id | severity | summary |\n|---|---|---|\n| `promql/b` | warning | b \\| c |\n\n"
        "after two\n")


def test_with_tables_refuses_a_section_without_a_table() -> None:
    with pytest.raises(ValueError, match="README has no table under `### PromQL checks`"):
        rulesdoc.with_tables("### Contract checks\n\n| a |\n\n### PromQL checks\n\ntext\n### Limits\n\n| b |\n",
                             ())


# ── the data ─────────────────────────────────────────────────────────────────────────────────────────────────


def _reported_in_source() -> set[str]:
    """Every check id the package's code reports, read from its source.

    An id is a string literal of a check family (`"check/stale-output"`);
    `diff` builds its ids as `diff/<kind>` from the kind each `_change` call
    passes, so those kinds are read from the calls.
    """
    id_literal = re.compile(rf"(?:{'|'.join(CHECK_FAMILIES)})/[a-z][a-z0-9-]*")
    found: set[str] = set()
    for package in ("contract", "generators", "dashboards"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "contract" / "reported.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id_literal.fullmatch(node.value):
                    found.add(node.value)
                elif (path.name == "diff.py" and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                      and node.func.id == "_change"):
                    kind = node.args[2]
                    assert isinstance(kind, ast.Constant) and isinstance(kind.value, str), ast.unparse(node)
                    found.add(f"diff/{kind.value}")
    return found


def test_every_reported_check_id_is_documented_and_every_documented_id_is_reported() -> None:
    documented = {r.id for r in rulesdoc.all_rules()}
    in_source = _reported_in_source()
    assert sorted(in_source - documented) == [], "reported but not documented: add them to contract/reported.py"
    assert sorted(documented - in_source) == [], "documented but reported nowhere"
    # a sanity floor for the scan itself: the ids it must see in any version of the code
    assert {"check/stale-output", "check/unused-metric", "contract/schema", "dashboard/unknown-metric",
            "diff/metric-removed", "live/missing-metric"} <= in_source


def test_every_rule_has_an_id_a_severity_a_summary_and_a_documentation() -> None:
    rules = rulesdoc.all_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    assert len(rules) == len(CONTRACT_CHECKS) + len(PROMQL_CHECKS) + len(REPORTED)
    for r in rules:
        assert re.fullmatch(r"[a-z]+/[a-z][a-z0-9-]*", r.id) and r.id.split("/")[0] in CHECK_FAMILIES, r.id
        assert r.severity in ("error", "warning", "info"), r.id
        # a summary is one lowercase line, no full stop: it is a table cell and a message-like phrase
        assert r.summary == r.summary.strip() and "\n" not in r.summary, r.id
        assert r.summary[0].islower() and not r.summary.endswith("."), r.id
        # the documentation opens with one sentence, then a blank line or nothing
        first, _, rest = r.doc.partition("\n")
        assert first.endswith(".") and (not rest or rest.startswith("\n")), r.id
        assert not any(line.startswith(" ") for line in r.doc.splitlines()), f"{r.id}: not dedented"


def test_the_registries_come_first_in_their_order() -> None:
    ids = [r.id for r in rulesdoc.all_rules()]
    registered = [c.id for c in CONTRACT_CHECKS] + [c.id for c in PROMQL_CHECKS]
    assert ids[:len(registered)] == registered
    assert ids[0] == "contract/invalid-name"
    assert ids[len(CONTRACT_CHECKS)] == "promql/syntax"


# ── the command ──────────────────────────────────────────────────────────────────────────────────────────────


def test_rules_lists_every_check_in_aligned_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    lines = out.out.splitlines()
    rows = [ROW.match(line) for line in lines]
    assert all(rows), [line for line, row in zip(lines, rows, strict=True) if not row]
    parsed = [m.groups() for m in rows if m]
    assert [p[0] for p in parsed] == [r.id for r in rulesdoc.all_rules()]
    assert ("promql/counter-without-rate", "warning",
            "panels should plot `rate()` or `increase()` of a counter, not its raw value") in parsed
    assert ("diff/metric-added", "info", "compatible: a metric was added") in parsed
    # the severity starts in one column, the summary in another
    assert len({m.start(2) for m in rows if m}) == 1
    assert len({m.start(3) for m in rows if m}) == 1


def test_rules_id_prints_the_dedented_docstring_with_id_severity_and_summary(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "promql/syntax"]) == 0
    assert capsys.readouterr().out == (
        "# promql/syntax\n"
        "\n"
        "severity: error\n"
        "summary: every expression must be valid PromQL once Grafana variables are expanded\n"
        "\n"
        "Every expression must parse as PromQL once Grafana variables are expanded.\n"
        "\n"
        "The parser reports no position, so the problem points at the start of the\n"
        "expression. Grafana variables are replaced first (see\n"
        "`contract/promql/variables.py`); a variable the dashboard does not declare is\n"
        "left in place and shows up here, as it would in Prometheus.\n"
        "\n"
        "A name with a dot written bare (`http.server.duration_bucket`,\n"
        "`sum by (service.name)`) is never PromQL: the problem points at that name\n"
        "instead and says how to quote it (`{\"http.server.duration_bucket\"}`,\n"
        "`\"service.name\"`), which Prometheus 3 reads (see `promql/utf8-name`).\n")


def test_rules_id_documents_an_id_reported_outside_the_registries(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "diff/metric-added"]) == 0
    assert capsys.readouterr().out == (
        "# diff/metric-added\n\nseverity: info\nsummary: compatible: a metric was added\n\n"
        "A new metric: compatible, nothing existing queries it yet.\n")


def test_rules_json_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["rules"]
    assert [r["id"] for r in data["rules"]] == [r.id for r in rulesdoc.all_rules()]
    assert all(list(r) == ["id", "severity", "summary", "doc"] for r in data["rules"])
    unused = next(r for r in data["rules"] if r["id"] == "check/unused-metric")
    assert unused["severity"] == "warning"
    assert unused["doc"].startswith("A contract metric that no dashboard panel, variable or rule queries is "
                                     "probably dead weight.\n\nReported by `check` over the whole out dir")


def test_rules_json_of_one_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "rules/name-convention", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == "rules/name-convention"
    assert data["severity"] == "warning"
    assert data["summary"] == "recording rules are named `level:metric:operations`"
    assert data["doc"].startswith("Recording rule names follow `level:metric:operations`.\n\nPrometheus' naming")


def test_an_unknown_rule_is_bad_input_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "promql/unknown-metrc"]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err == ("rules: error[usage/arguments]: unknown check `promql/unknown-metrc`; did you mean "
                       "`promql/unknown-metric`?\n")


def test_readme_points_at_the_command() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Contract checks"):text.index("### Limits")]
    assert "metrics-contract rules" in section
