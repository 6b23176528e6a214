"""Limits before parsers: input that crashed the interpreter, hung, or ended in a traceback.

Every row runs the real CLI. Bad input is one located line on stderr and exit 2, with nothing written. An
expression over a PromQL limit (`promql/too-complex`: longer than 64 KiB, brackets nested deeper than 128 levels,
more than 512 operators) is not bad input: like an expression that does not parse (`promql/syntax`) it is a
problem of that one expression, reported on stdout with exit 1 while the rest of the file is still checked. Rows
that could crash the interpreter or hang run it as a child process: a crash is then a return code (-11), a hang a
time-out, never a lost test run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from generators.cli import main
from tests.conftest import QORTEX_CONTRACT
from tests.test_bad_input import LINE

DEEP = 50_000   # levels: PyYAML's C composer overflowed the stack at about 24,000
PROBLEM = re.compile(r"^\S.*?: error\[[a-z-]+/[a-z0-9-]+\]: \S[^\n]*\n$")


def cli(cwd: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generators", *argv], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", check=False, timeout=120, env={**os.environ, **(env or {})})


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def dashboard(*exprs: str, title: str = "t") -> str:
    return json.dumps({"panels": [{"title": title, "targets": [{"expr": e} for e in exprs]}]})


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "good.yaml").write_bytes(QORTEX_CONTRACT.read_bytes())
    (tmp_path / "d.json").write_text('{"panels": []}\n')
    return tmp_path


def assert_bad_input(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert LINE.match(proc.stderr), proc.stderr[-2000:]
    assert proc.stderr == expected + "\n"


# ── YAML nested far past any limit: every command that reads a contract, and both rule-file readers ─────────

NESTINGS = {   # (text after `nested: `, line and column where the 66th collection opens)
    "flow-sequences": ("[" * DEEP + "]" * DEEP, "3:73"),
    "flow-mappings": ("{a: " * DEEP + "1" + "}" * DEEP, "3:265"),
    "block-sequences": ("\n" + "- " * DEEP + "x", "4:129"),
    # where a node may start without a blank before it: after `,`, after a JSON-like key's `:`, after a tab
    "flow-entries": ("[a," * DEEP + "a" + "]" * DEEP, "3:201"),
    "json-like-keys": ('{"a":' * DEEP + "1" + "}" * DEEP, "3:329"),
    "tab-separated": ("[\t" * DEEP + "]" * DEEP, "3:137"),
}
CONTRACT_COMMANDS = {
    "validate": ["validate", "c.yaml"],
    "names": ["names", "c.yaml"],
    "generate": ["generate", "c.yaml", "--out", "out"],
    "docs": ["docs", "c.yaml", "--output", "METRICS.md"],
    "diff-new": ["diff", "good.yaml", "c.yaml"],
    "check": ["check", "c.yaml", "d.json"],
}


@pytest.mark.parametrize("command", sorted(CONTRACT_COMMANDS))
def test_a_contract_nested_50000_deep_is_one_line(command: str, project: Path) -> None:
    nested, where = NESTINGS["flow-sequences"]
    (project / "c.yaml").write_text(f"contract: 1\nservice: svc\nnested: {nested}\n")
    before = tree(project)
    proc = cli(project, *CONTRACT_COMMANDS[command])
    assert_bad_input(proc, f"c.yaml:{where}: error[input/too-deep]: nesting deeper than 64 levels")
    assert tree(project) == before


@pytest.mark.parametrize("style", sorted(NESTINGS))
def test_every_style_of_deep_yaml_is_one_line(style: str, project: Path) -> None:
    nested, where = NESTINGS[style]
    (project / "c.yaml").write_text(f"contract: 1\nservice: svc\nnested: {nested}\n")
    assert_bad_input(cli(project, "validate", "c.yaml"),
                     f"c.yaml:{where}: error[input/too-deep]: nesting deeper than 64 levels")


@pytest.mark.parametrize("command", ["validate", "analyze"])
def test_an_integer_longer_than_python_converts_is_one_line(command: str, project: Path) -> None:
    """Python refuses to convert integers of more than 4,300 digits (a guard against quadratic parsing)."""
    digits = "9" * 5000
    (project / "c.yaml").write_text(f"contract: 1\nservice: svc\nmax_series: {digits}\n")
    (project / "r.yml").write_text(f"groups:\n- name: g\n  interval: {digits}\n  rules: []\n")
    argv = ["validate", "c.yaml"] if command == "validate" else ["analyze", "r.yml"]
    where = "c.yaml:3:13" if command == "validate" else "r.yml:3:13"
    assert_bad_input(cli(project, *argv), f"{where}: error[input/yaml]: the number `99999999999999999999...` "
                     "has 5000 characters, more than a number may have")


@pytest.mark.parametrize("command", ["check", "analyze"])
def test_a_rule_file_nested_50000_deep_is_one_line(command: str, project: Path) -> None:
    (project / "r.yml").write_text("groups:\n- name: g\n  rules: " + "[" * DEEP + "]" * DEEP + "\n")
    argv = ["check", "good.yaml", "r.yml"] if command == "check" else ["analyze", "r.yml"]
    # the rule group's sequence is the second level, its mapping the third: the 63rd `[` is the 66th collection
    assert_bad_input(cli(project, *argv), "r.yml:3:72: error[input/too-deep]: nesting deeper than 64 levels")


def test_json_nested_1000_deep_is_one_line(project: Path) -> None:
    (project / "x.json").write_text('{"panels": [], "x": ' + "[" * 1000 + "]" * 1000 + "}")
    # the object is the first level: the 256th `[` is the 257th
    assert_bad_input(cli(project, "check", "good.yaml", "x.json"),
                     "x.json:1:276: error[input/too-deep]: nesting deeper than 256 levels")


# ── PromQL over a limit: one problem of that expression (exit 1), the interpreter never reaches the parser ───

EXPRESSIONS = {
    "5000-terms": (" + ".join(["up"] * 5000), "the expression has more than 512 operators"),
    "10000-parentheses": ("(" * 10_000 + "up" + ")" * 10_000, "the expression nests brackets deeper than 128 levels"),
    "1000-parentheses": ("(" * 1000 + "up" + ")" * 1000, "the expression nests brackets deeper than 128 levels"),
    "10-mb-label-value": ('up{job="' + "x" * 10_000_000 + '"}',
                          "the expression is 10000010 characters long, more than 65536"),
}


@pytest.mark.parametrize("case", sorted(EXPRESSIONS))
def test_a_dashboard_expression_over_a_limit_is_one_problem(case: str, project: Path) -> None:
    expr, reason = EXPRESSIONS[case]
    (project / "x.json").write_text(dashboard(expr))
    proc = cli(project, "check", "good.yaml", "x.json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    # the expression is not echoed below the problem: it is what is too large
    where = 'x.json:1:50: error[promql/too-complex]: panel "t" target A'
    assert proc.stdout == f"{where}: too complex to check: {reason}\n"
    assert proc.stderr == "checked 1 expressions in 1 files\n"


def test_5000_or_terms_in_a_rule_file_are_one_problem(project: Path) -> None:
    (project / "r.yml").write_text("groups:\n- name: g\n  rules:\n  - record: job:up:or\n    expr: "
                                   + " or ".join(["up"] * 5000) + "\n")
    proc = cli(project, "check", "good.yaml", "r.yml")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stdout == ('r.yml:5:11: error[promql/too-complex]: group "g" rule "job:up:or": too complex to check: '
                           "the expression has more than 512 operators\n")
    assert proc.stderr == "checked 1 expressions in 1 files\n"


def test_analyze_reports_an_expression_over_a_limit_as_not_parsed(project: Path) -> None:
    (project / "x.json").write_text(dashboard(" + ".join(["up"] * 5000)))
    proc = cli(project, "analyze", "x.json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stdout == ('x.json:1: target panel "t" target A: does not parse: the expression has more than 512 '
                           "operators\n")


def test_the_rest_of_the_file_is_still_checked(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.json").write_text(dashboard(" or ".join(["up"] * 600), "nope_metric"))
    assert main(["check", str(project / "good.yaml"), str(project / "x.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(": ", 2)[1] for line in out if PROBLEM.match(line + "\n")] == [
        "error[promql/too-complex]", "error[promql/unknown-metric]"]


BOUNDARIES = [   # (expression, why it is refused, or "" when it is parsed)
    ("(" * 128 + "up" + ")" * 128, ""),
    ("(" * 129 + "up" + ")" * 129, "the expression nests brackets deeper than 128 levels"),
    (" + ".join(["up"] * 513), ""),
    (" + ".join(["up"] * 514), "the expression has more than 512 operators"),
    (" OR ".join(["up"] * 514), "the expression has more than 512 operators"),
    ("up" + "[1m:]" * 513, "the expression has more than 512 operators"),
    ('up{job="' + "(" * 1000 + "+" * 1000 + '"}', ""),                         # inside a string
    ("up # " + "(" * 1000 + "\n", ""),                                        # inside a comment
    ("sum(up{" + ", ".join(f'a{i}!="x"' for i in range(600)) + "})", ""),      # matchers, not operators
    ('up{job="' + "x" * (65_536 - 10) + '"}', ""),
    ('up{job="' + "x" * (65_537 - 10) + '"}', "the expression is 65537 characters long, more than 65536"),
]


def test_the_promql_limits_are_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.json").write_text(dashboard(*(expr for expr, _ in BOUNDARIES)))
    assert main(["analyze", str(tmp_path / "x.json"), "--format", "json"]) == 1
    rows = json.loads(capsys.readouterr().out)["expressions"]
    assert [(row["parsed"], row["error"]) for row in rows] == [(not why, why) for _, why in BOUNDARIES]


# ── tracebacks and hangs before ─────────────────────────────────────────────────────────────────────────────

def test_library_panels_that_are_not_objects_are_skipped(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elements = {"a": 1, "b": [2], "c": "x", "d": {"model": {"title": "lib", "targets": [{"expr": "nope_metric"}]}}}
    (project / "x.json").write_text(json.dumps({"__elements": elements, "panels": []}))
    assert main(["check", str(project / "good.yaml"), str(project / "x.json")]) == 1
    out = capsys.readouterr()
    assert out.out == (f'{project / "x.json"}:1:99: error[promql/unknown-metric]: panel "lib" target A: '
                       "`nope_metric` is not in the contract\n    nope_metric\n")


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_a_lone_surrogate_in_an_expression_is_printed_escaped(fmt: str, project: Path) -> None:
    # `\ud800` in JSON decodes to a lone surrogate, which no encoding can write
    (project / "x.json").write_text('{"panels": [{"title": "t", "targets": [{"expr": "up{job=\\"\\ud800\\"}"}]}]}')
    proc = cli(project, "check", "good.yaml", "x.json", "--format", fmt)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    message = 'panel "t" target A: invalid PromQL: U+D800 is a lone surrogate, not a character'
    if fmt == "text":
        assert proc.stdout == f'x.json:1:50: error[promql/syntax]: {message}\n    up{{job="\\ud800"}}\n'
    elif fmt == "github":
        assert proc.stdout == f"::error file=x.json,line=1,col=50,title=promql/syntax::{message}\n"
    else:
        assert json.loads(proc.stdout)["problems"][0]["expr"] == 'up{job="\ud800"}'


def test_an_ascii_only_output_gets_escapes(project: Path) -> None:
    (project / "x.json").write_text(dashboard("nope_metric", title="café"))
    proc = cli(project, "check", "good.yaml", "x.json", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert proc.stdout == ('x.json:1:58: error[promql/unknown-metric]: panel "caf\\xe9" target A: `nope_metric` is '
                           "not in the contract\n    nope_metric\n")


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_control_sequences_from_input_never_reach_the_terminal(fmt: str, project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.json").write_text(dashboard('nope_metric{job="\x1b[2J"}', title="x\x1b[31mred\nline"))
    assert main(["check", str(project / "good.yaml"), str(project / "x.json"), "--format", fmt]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    where = 'panel "x\\x1b[31mred\\nline" target A'
    if fmt == "text":   # one line per problem, then the indented expression
        assert out == (f"{project / 'x.json'}:1:69: error[promql/unknown-metric]: {where}: `nope_metric` is not in "
                       'the contract\n    nope_metric{job="\\x1b[2J"}\n')
    else:
        assert out == (f"::error file={project / 'x.json'},line=1,col=69,title=promql/unknown-metric::{where}: "
                       "`nope_metric` is not in the contract\n")


def test_analyze_never_prints_control_sequences(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.json").write_text(dashboard("up", title="x\x1b[31mred"))
    assert main(["analyze", str(project / "x.json")]) == 0
    assert capsys.readouterr().out == f'{project / "x.json"}:1: target panel "x\\x1b[31mred" target A: metrics: up; ' \
                                      "labels: -\n"


def test_a_multi_line_expression_is_echoed_on_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "r.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n      sum(\n"
                                   "        nope_metric\n      ) > 0\n")
    assert main(["check", str(project / "good.yaml"), str(project / "r.yml")]) == 1
    assert capsys.readouterr().out == (f'{project / "r.yml"}:7:9: error[promql/unknown-metric]: group "g" rule "A": '
                                       "`nope_metric` is not in the contract\n    sum( nope_metric ) > 0\n")


@pytest.mark.parametrize("command", ["validate", "check"])
def test_a_fifo_is_refused_not_waited_on(command: str, project: Path) -> None:
    fifo = project / ("c.yaml" if command == "validate" else "x.json")
    os.mkfifo(fifo)
    argv = ["validate", fifo.name] if command == "validate" else ["check", "good.yaml", fifo.name]
    assert_bad_input(cli(project, *argv), f"{fifo.name}: error[input/not-a-file]: is not a regular file")


@pytest.mark.parametrize(("command", "limit"), [("validate", "2 MiB, the limit for a contract"),
                                                ("check", "64 MiB, the limit for an input file")])
def test_a_file_over_the_size_limit_is_refused_unread(command: str, limit: str, project: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    big = project / ("c.yaml" if command == "validate" else "x.json")
    with open(big, "wb") as fh:   # sparse: no disk space taken, and never read
        fh.truncate(64 * 1024 * 1024 + 1)
    argv = ["validate", str(big)] if command == "validate" else ["check", str(project / "good.yaml"), str(big)]
    assert main(argv) == 2
    out = capsys.readouterr()
    assert out.err == f"{big}: error[input/too-large]: larger than {limit}\n"
    assert out.out == ""


# ── what stays accepted ─────────────────────────────────────────────────────────────────────────────────────

def test_a_deep_but_fine_dashboard_passes(project: Path) -> None:
    """Nested 49 levels (a collapsed row's panel with options nested 40 deep), and an expression 102 brackets deep
    with 399 operators: under every limit, and clean."""
    term = "sum by (mode) (rate(qortex_queries_total[5m]))"
    options: dict[str, object] = {"value": 1}
    for _ in range(40):
        options = {"nested": options}
    panel = {"type": "timeseries", "title": "Deep", "fieldConfig": {"defaults": {"custom": options}},
             "targets": [{"refId": "A", "expr": "(" * 100 + " + ".join([term] * 200) + ")" * 100,
                          "legendFormat": "{{mode}}"}]}
    (project / "x.json").write_text(json.dumps({"panels": [{"type": "row", "collapsed": True, "panels": [panel]}]}))
    proc = cli(project, "check", "good.yaml", "x.json")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "checked 1 expressions in 1 files\n")


def test_a_rule_file_with_thousands_of_brackets_passes(project: Path) -> None:
    """Thousands of `[` (a rate window in every rule) are no nesting: such a file is read whole."""
    rules = "".join(f"  - record: job_mode_{i}:qortex_queries:rate5m\n"
                    f"    expr: sum by (job, mode) (rate(qortex_queries_total[5m]))\n" for i in range(6000))
    (project / "r.yml").write_text("groups:\n- name: g\n  rules:\n" + rules)
    proc = cli(project, "check", "good.yaml", "r.yml")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "checked 6000 expressions in 1 files\n")
