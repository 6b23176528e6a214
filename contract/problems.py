"""Problems are data: every check and the loader report through `Problem`.

Renderers turn a list of problems into text, JSON or GitHub annotations; the
CLI picks one with `--format`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal, NamedTuple

# "info" reports something noteworthy that never fails a run (e.g. a compatible contract change)
Severity = Literal["error", "warning", "info"]

FORMATS = ("text", "json", "github")


class Problem(NamedTuple):
    """One finding at a place in a file; compared field by field, so problems sort by file, line and column."""

    file: str
    line: int
    column: int
    check: str
    message: str
    severity: Severity = "error"
    location: str = ""
    expr: str = ""
    metric: str = ""

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        if self.line and self.column:
            where += f":{self.column}"
        return f"{one_line(where)}: {self.severity}[{self.check}]: {one_line(self.message)}"


def one_line(text: str) -> str:
    """Escape what is not printable (control characters such as ESC or a line break, lone surrogates) so that text
    taken from input can neither break the one-line format nor reach the terminal as a control sequence."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """Bad input: rendered as located lines (usually one) and exit code 2."""

    def __init__(self, problem: Problem, *more: Problem) -> None:
        super().__init__(problem.text())
        self.problems = (problem, *more)

    @classmethod
    def many(cls, problems: list[Problem]) -> InputError:
        return cls(*problems)


def input_error(file: str, check: str, message: str, line: int = 0, column: int = 0) -> InputError:
    return InputError(Problem(file=file, line=line, column=column, check=check, message=message))


def render(problems: Iterable[Problem], fmt: str) -> str:
    items = sorted(problems)
    if fmt == "json":
        keys = ("check", "severity", "file", "line", "column", "location", "expr", "metric", "message")
        rows = [{k: getattr(p, k) for k in keys} for p in items]
        return json.dumps({"problems": rows}, indent=2, sort_keys=False) + "\n"
    if fmt == "github":
        lines = []
        for p in items:
            level = {"error": "error", "warning": "warning", "info": "notice"}[p.severity]
            props = f"file={_property(p.file)}"
            if p.line:
                props += f",line={p.line}"
            if p.column:
                props += f",col={p.column}"
            lines.append(f"::{level} {props},title={_property(p.check)}::{_percent(one_line(p.message))}")
        return "".join(line + "\n" for line in lines)
    out = []
    for p in items:
        out.append(p.text())
        if p.expr:   # its lines joined (layout only), so that each problem stays a line and an indented line
            out.append("    " + one_line(" ".join(line.strip() for line in p.expr.strip().splitlines())))
    return "".join(line + "\n" for line in out)


def _percent(text: str) -> str:
    """A GitHub workflow command's data: `%` and line breaks percent-encoded (`one_line` removed the breaks)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """A workflow command's property value, where `:` and `,` would end it."""
    return _percent(one_line(text)).replace(":", "%3A").replace(",", "%2C")


def exit_code(problems: Iterable[Problem], strict: bool = False) -> int:
    severities = {p.severity for p in problems}
    if "error" in severities or (strict and "warning" in severities):
        return 1
    return 0
