from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.problems import Problem

# Functions an alert template may call in Prometheus 2.42: Go's text/template
# built-ins and Prometheus' own (tests run each through promtool).
FUNCTIONS = frozenset({
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery",
    "eq", "ge", "gt", "le", "lt", "ne",
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title",
    "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024", "humanizeDuration",
    "humanizePercentage", "humanizeTimestamp", "toTime", "pathPrefix", "externalURL", "parseDuration",
})
# Prometheus declares these before it expands an alert's labels and annotations.
PREDECLARED = frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"})
# Valid Go template words that this check does not follow: rejecting them
# keeps it from passing a template it cannot judge.
UNSUPPORTED = frozenset({"define", "template", "block", "nil"})
BLOCKS = frozenset({"if", "with", "range"})
KEYWORDS = BLOCKS | {"else", "end", "break", "continue"}

_SPACE = frozenset(" \t\r\n")
_TERMINATORS = _SPACE | frozenset(".,|:()")
_SPACES = re.compile(r"[ \t\r\n]+")
_NUMBER_END = re.compile(r"[ \t\r\n|()}]")
_TOKEN = re.compile(r"""
      (?P<declare>:=) | (?P<assign>=) | (?P<pipe>\|) | (?P<comma>,) | (?P<lparen>\() | (?P<rparen>\))
    | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])
    | (?P<field>(?:\.[A-Za-z_]\w*)+|\.)
    | (?P<variable>\$\w*(?:\.[A-Za-z_]\w*)*)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<string>"(?:[^"\\\n]|\\[\\"ntr])*")
    | (?P<raw>`[^`]*`)
""", re.VERBOSE)


class TemplateError(ValueError):
    """A template Prometheus would refuse to load; the message says what is wrong."""


class _Token(NamedTuple):
    kind: str    # a group of _TOKEN, "space", or "close" (the action's `}}`)
    text: str


_CLOSE = _Token("close", "}}")


@dataclass
class _Block:
    keyword: str
    variables: set[str] = field(default_factory=set)
    seen_else: bool = False


class GoTemplate:
    """A conservative parse of a Go text/template, as Prometheus parses alert labels and annotations.

    Text holds `{{ ... }}` actions: comments; pipelines of commands separated
    by `|`, each a list of operands (`.`, `.Field`, `$var.field`, strings,
    numbers, `true`/`false`, a parenthesised pipeline or a function), with an
    optional `$x :=` declaration; and the `if`/`else`/`with`/`range`/`end`
    blocks with `break`/`continue`. `check` raises `TemplateError` on what
    text/template rejects (an unclosed action, an unterminated string, an
    unknown function or variable, an unbalanced `{{end}}`) and on the shapes
    that only fail when the template runs or that this parser does not
    follow: arguments given to something that is not a function, `|` into a
    non-function, `define`/`template`/`block`, character constants and
    numbers other than decimal ones.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.blocks: list[_Block] = [_Block("", set(PREDECLARED))]
        self.tokens: list[_Token] = []
        self.at = 0

    def check(self) -> None:
        pos = 0
        while (start := self.text.find("{{", pos)) >= 0:
            pos = self.action(start + 2)
        if len(self.blocks) > 1:
            raise TemplateError(f"`{{{{{self.blocks[-1].keyword}}}}}` has no `{{{{end}}}}`")

    # ── one action: lex it, then parse its tokens ──

    def action(self, pos: int) -> int:
        """Check the action whose `{{` ends at `pos`; return the position after its `}}`."""
        text = self.text
        if text.startswith("-", pos) and text[pos + 1:pos + 2] in _SPACE:   # `{{- `: a trim marker
            pos += 2
        if text.startswith("/*", pos):
            return self.comment(pos)
        tokens: list[_Token] = []
        while not text.startswith("}}", pos):
            if pos >= len(text):
                raise TemplateError("unclosed action")
            spaces = _SPACES.match(text, pos)
            if spaces:
                pos = spaces.end()
                if text.startswith("-}}", pos):   # ` -}}`: a trim marker, then the end
                    pos += 1
                    break
                tokens.append(_Token("space", " "))
                continue
            token = _TOKEN.match(text, pos)
            if token is None or token.lastgroup is None:
                raise TemplateError(_lex_error(text[pos:]))
            pos = token.end()
            # as Go's lexer: a name ends at a space, `.`, `,`, `|`, `:`, a paren or the `}}`
            if token.lastgroup in ("word", "field", "variable") and pos < len(text) \
                    and text[pos] not in _TERMINATORS and not text.startswith("}}", pos):
                raise TemplateError(f"unexpected `{text[pos]}` after `{token.group()}`")
            tokens.append(_Token(token.lastgroup, token.group()))
        self.tokens, self.at = tokens, 0
        self.statement()
        return pos + 2

    def comment(self, pos: int) -> int:
        end = self.text.find("*/", pos + 2)
        if end < 0:
            raise TemplateError("unclosed comment")
        pos = end + 2
        if self.text[pos:pos + 1] in _SPACE and self.text.startswith("-}}", pos + 1):
            pos += 2
        if not self.text.startswith("}}", pos):
            raise TemplateError("comment ends before closing delimiter")
        return pos + 2

    def peek(self, *, spaces: bool = False) -> _Token:
        at = self.at
        while not spaces and at < len(self.tokens) and self.tokens[at].kind == "space":
            at += 1
        return self.tokens[at] if at < len(self.tokens) else _CLOSE

    def take(self, *, spaces: bool = False) -> _Token:
        token = self.peek(spaces=spaces)
        while not spaces and self.at < len(self.tokens) and self.tokens[self.at].kind == "space":
            self.at += 1
        self.at += 1
        return token

    def statement(self) -> None:
        first = self.peek()
        if first.kind == "word" and first.text in KEYWORDS:
            self.take()
            self.keyword(first.text)
        else:
            self.pipeline("command", "close")

    def keyword(self, word: str) -> None:
        if word in BLOCKS:
            # the block's scope starts with its own declarations
            self.blocks.append(_Block(word))
            self.pipeline(word, "close", pairs=word == "range")
            return
        if word in ("break", "continue"):
            if not any(b.keyword == "range" for b in self.blocks):
                raise TemplateError(f"`{{{{{word}}}}}` outside `{{{{range}}}}`")
            self.end_of_action(word)
            return
        top = self.blocks[-1]
        if not top.keyword:
            raise TemplateError(f"unexpected `{{{{{word}}}}}`")
        if word == "end":
            self.end_of_action(word)
            self.blocks.pop()
            return
        if top.seen_else:
            raise TemplateError("expected `{{end}}`; found `{{else}}`")
        if self.peek() == _Token("word", "if") and top.keyword == "if":
            # `else if` opens no block of its own: the `if`'s `{{end}}` closes it
            self.take()
            self.pipeline("if", "close")
            return
        self.end_of_action(word)
        top.seen_else = True

    def end_of_action(self, word: str) -> None:
        token = self.take()
        if token != _CLOSE:
            raise TemplateError(f"unexpected `{token.text}` after `{word}`")

    def pipeline(self, context: str, closer: str, *, pairs: bool = False) -> None:
        self.declarations(pairs)
        stages = 0
        while True:
            if self.peek().kind == closer:
                if not stages:
                    raise TemplateError(f"missing value for {context}")
                self.take()
                return
            if self.peek() == _CLOSE:
                raise TemplateError("unclosed left paren")
            kinds = self.command()
            if (stages or len(kinds) > 1) and kinds[0] != "function":
                raise TemplateError("a command that takes arguments or follows `|` must start with a function")
            stages += 1
            if self.peek().kind == "pipe":
                self.take()
                if self.peek().kind == closer:
                    raise TemplateError("missing command after `|`")

    def declarations(self, pairs: bool) -> None:
        """`$x :=`, `$x =` (of a declared variable), or `$i, $x :=` in a range."""
        start = self.at
        names: list[str] = []
        while self.peek().kind == "variable":
            names.append(self.take().text)
            if not (pairs and len(names) == 1 and self.peek().kind == "comma"):
                break
            self.take()
        operator = self.peek().kind
        if not names or operator not in ("declare", "assign") or (operator == "assign" and len(names) > 1):
            self.at = start   # not a declaration: the variable is the pipeline's first operand
            return
        self.take()
        for name in names:
            if "." in name or name == "$":
                raise TemplateError(f"cannot declare `{name}`")
        if operator == "assign":
            self.variable(names[0])
        else:
            self.blocks[-1].variables.update(names)

    def command(self) -> list[str]:
        """The kinds of the command's operands, up to the `|`, `)` or `}}` that ends it."""
        kinds = [self.operand()]
        while True:
            after = self.peek(spaces=True)
            if after.kind in ("pipe", "rparen", "close"):
                return kinds
            if after.kind != "space":
                raise TemplateError(f"unexpected `{after.text}` in operand")
            self.take(spaces=True)
            if self.peek().kind in ("pipe", "rparen", "close"):
                return kinds
            kinds.append(self.operand())

    def operand(self) -> str:
        token = self.take()
        if token.kind == "word":
            if token.text in ("true", "false"):
                return "literal"
            if token.text in UNSUPPORTED:
                raise TemplateError(f"`{token.text}` is not supported here")
            if token.text in KEYWORDS:
                raise TemplateError(f"unexpected `{token.text}` in command")
            if token.text not in FUNCTIONS:
                raise TemplateError(f"function `{token.text}` is not defined")
            return "function"
        if token.kind == "variable":
            self.variable(token.text.split(".")[0])
            return "variable"
        if token.kind == "lparen":
            self.pipeline("parenthesized pipeline", "rparen")
            return "pipeline"
        if token.kind in ("field", "number", "string", "raw"):
            return "literal"
        if token == _CLOSE:
            raise TemplateError("missing value for command")
        raise TemplateError(f"unexpected `{token.text}` in command")

    def variable(self, name: str) -> None:
        if not any(name in b.variables for b in self.blocks):
            raise TemplateError(f"undefined variable `{name}`")


def _lex_error(rest: str) -> str:
    first = rest[0]
    if first == '"':
        if re.match(r'"(?:[^"\\\n]|\\.)*"', rest):
            return "unsupported escape in quoted string"
        return "unterminated quoted string"
    if first == "`":
        return "unterminated raw quoted string"
    if first == "'":
        return "character constants are not supported here"
    if first.isdigit() or first in "+-.":
        return f"unsupported number syntax `{_NUMBER_END.split(rest, maxsplit=1)[0]}`"
    return f"unexpected `{first}` in action"


def template_error(text: str) -> str | None:
    """Why Prometheus would reject `text` as an alert template (or why this check cannot judge it); None if fine."""
    try:
        GoTemplate(text).check()
    except TemplateError as exc:
        return str(exc)
    return None


class RuleTemplate(ContractCheck):
    """The labels and annotations of alerting rules must be Go templates Prometheus can parse.

    Prometheus expands an alert's label and annotation values as Go
    text/template templates, and `promtool check rules` (and Prometheus,
    at load) rejects the whole rule file when one does not parse: a
    `{{ $value | humanize }` missing a brace, an unknown function, an
    undefined variable. The check is conservative: it also rejects valid
    templates of shapes it does not follow (see `GoTemplate`), never the
    reverse. Recording rules' labels are not templates and are not checked.
    """

    id = "contract/rule-template"
    summary = "alert labels and annotations in `rules:` must be Go templates Prometheus can parse"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, rule in enumerate(lc.contract.rules):
            if rule.alert is None:
                continue
            for section, values in (("labels", rule.labels), ("annotations", rule.annotations)):
                for key, text in values.items():
                    error = template_error(text)
                    if error:
                        kind = section[:-1]
                        yield self.at(lc, ("rules", i, section, key),
                                      f"{kind} `{key}` of alert `{rule.alert}` is not a valid Go template: {error}")
