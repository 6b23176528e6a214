"""Grafana template variables in PromQL, replaced by what the dashboard declares for them.

Grafana interpolates `$var`, `${var}`, `${var:format}`, `[[var]]` and its
built-ins (`$__rate_interval`, `$__range_s`, ...) before Prometheus sees a
query. Here each variable is replaced by the values the dashboard itself
declares for it (custom options, `current`, constants, interval choices,
textbox defaults; `contract.promql.grafana` collects them), so the checks
judge the queries Grafana would send. Each declared value is tried: the
first expansion gives every variable its first value, and each further
value of a variable gets an expansion of its own (`Expansion.choice` says
which) with the other variables at their first value, so an expression
has one expansion per declared value, not one per combination. Past
`MAX_EXPANSIONS` (hostile input) the rest is not tried, and the first
expansion says how many values that leaves out (`Expansion.untried`).

Where a variable sits is found by lexing the text with PromQL's own rules
(strings with their escapes, raw strings, `#` comments to the end of the
line), then reading the tokens before it:

- in a comment: left alone.
- in a string (a label value, a regex): `PLACEHOLDER_MARK`, name,
  `PLACEHOLDER_MARK`, whatever is declared (Grafana escapes values there
  by format); a character no regex treats specially, which the label-value
  check skips.
- in a range `[...]` or after `offset`: a duration. `$__interval` is the
  panel's (or target's) min interval, else the scrape interval (the
  datasource's `timeInterval`, which the generated datasource sets to it);
  `$__rate_interval` is Grafana's max($__interval + scrape, 4×scrape),
  where a target's min step stands for the scrape interval. Undeclared
  user variables stand for 4×scrape_interval, so they never trip
  `promql/rate-window`.
- `$__range_s`, `$__range_ms`, `$__interval_ms`, `$__from`, `$__to`:
  numbers wherever they are (`[${__range_s}s]` is a duration again).
- in a grouping list `by (...)`, `on (...)`: undeclared, a label name
  starting with `LABEL_PLACEHOLDER`, which the grouping check ignores and
  which leaves the label flow open.
- between two operands (`x $op y`): undeclared, `+` (`==` before `bool`).
- a scalar argument (`topk($k, ...)`, `histogram_quantile($q, ...)`):
  undeclared, `1`.
- anywhere else: undeclared, a metric name starting with
  `LABEL_PLACEHOLDER` (unknown, open labels); glued to a name
  (`app_${x}_total`) the value, or that stand-in, becomes part of it.

User variables are replaced only when the dashboard declares them (or when
the declared set is unknown): Grafana leaves `$1` in `label_replace` alone.
Every replacement is recorded, so offsets in the expanded text map back to
the text as written.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

PLACEHOLDER_MARK = "\ue000"
LABEL_PLACEHOLDER = "__gvar_"
MAX_EXPANSIONS = 1000   # expansions of one expression: the first, then one per further declared value
RANGE_SECONDS = 3600.0   # what `$__range` stands for

_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
# PromQL's lexical rules, and Grafana variables as tokens of their own. A quoted string ends at its closing quote or
# at a line break (PromQL allows none inside); a raw string may span lines; a comment runs to the end of its line.
_LEX = re.compile(r"""(?x)
    (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"? | '(?:[^'\\\n]|\\.)*'? | `[^`]*`?)
  | (?P<var>\$\w+ | \[\[\w+?(?::\w+)?\]\] | \$\{\w+(?:\.[^:^}]+)?(?::[^}]+)?\})
  | (?P<word>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<number>[0-9.][0-9a-zA-Z.]*)
  | (?P<open>[(\[{]) | (?P<close>[)\]}])
  | (?P<space>\s+)
  | (?P<other>.)
""")
# the string and comment tokens of `_LEX` alone: scanning left to right, a `#` inside a string is the string's
_QUOTED = re.compile(r"""\#[^\n]*|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?|`[^`]*`?""")
_GROUPING_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
# words after which an operand comes, not an operator
_OPERAND_NEXT = frozenset({"and", "or", "unless", "atan2", "bool", "offset"}) | _GROUPING_WORDS
_NUMERIC = frozenset({"__range_s", "__range_ms", "__interval_ms", "__from", "__to"})
_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:")
# the arguments (by index) of functions and aggregations that are scalars (Prometheus docs)
_SCALAR_ARGS: dict[str, frozenset[int]] = {
    "topk": frozenset({0}), "bottomk": frozenset({0}), "limitk": frozenset({0}), "limit_ratio": frozenset({0}),
    "quantile": frozenset({0}), "histogram_quantile": frozenset({0}), "histogram_fraction": frozenset({0, 1}),
    "quantile_over_time": frozenset({0}), "predict_linear": frozenset({1}), "holt_winters": frozenset({1, 2}),
    "double_exponential_smoothing": frozenset({1, 2}), "clamp": frozenset({1, 2}), "clamp_min": frozenset({1}),
    "clamp_max": frozenset({1}), "round": frozenset({1}), "vector": frozenset({0}),
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}

_USER_DURATION = "user duration"   # the key of an undeclared duration's stand-in: no variable has this name
# positions whose declared values are substituted; elsewhere (strings, label names) only a stand-in goes
_VALUE_POSITIONS = frozenset({"duration", "grouping", "operator", "scalar", "bare", "name"})


class Expansion:
    __slots__ = ("text", "segments", "choice", "untried")

    def __init__(self, text: str, segments: list[tuple[int, int, int, int]] | None = None,
                 choice: tuple[str, str] | None = None) -> None:
        self.text = text
        # (expanded start, expanded end, original start, original end) per replacement
        self.segments = segments or []
        self.choice = choice   # (variable, value) this expansion tries beyond the first one; None for the first
        self.untried = 0       # on the first expansion: the declared values left untried past `MAX_EXPANSIONS`

    @property
    def note(self) -> str:
        """What a problem found only in this expansion adds to its message: which value it was found with."""
        return f" (with `${self.choice[0]}` = `{self.choice[1]}`)" if self.choice else ""

    def original(self, offset: int) -> int:
        """Offset in the text as written for an offset in the expanded text."""
        if not self.segments:
            return offset
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return offset
        exp_start, exp_end, orig_start, orig_end = self.segments[i]
        if offset < exp_end:
            return orig_start
        return orig_end + (offset - exp_end)

    def original_end(self, offset: int) -> int:
        """Like `original`, for an end offset (a span ending inside a replacement covers all of it)."""
        if not self.segments:
            return offset
        i = bisect_right(self._starts, offset - 1) - 1
        if i >= 0:
            exp_start, exp_end, orig_start, orig_end = self.segments[i]
            if offset <= exp_end:
                return orig_end
        return self.original(offset)

    @property
    def _starts(self) -> list[int]:
        return [s[0] for s in self.segments]


class Occurrence(NamedTuple):
    start: int
    end: int
    name: str
    position: str   # comment | string | label | duration | grouping | operator | scalar | bare | name
    before_bool: bool = False   # an operator followed by `bool` (a comparison)


def duration_text(seconds: float) -> str:
    """A PromQL duration literal for a number of seconds (`1h`, `90s`, `250ms`)."""
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def interval_seconds(text: object) -> float:
    """Seconds of a Grafana interval setting (`2m`, `>10s`, `1m30s`); 0.0 when unset or not a duration."""
    if not isinstance(text, str):
        return 0.0
    text = text.strip().lstrip(">").strip()   # `>10s`: Grafana's old way of writing "at least"
    if not text or "".join(m.group(0) for m in _DURATION_PART.finditer(text)) != text:
        return 0.0
    return sum(float(m.group(1)) * _DURATION_UNITS[m.group(2)] for m in _DURATION_PART.finditer(text))


def label_choices(label: str, declared: frozenset[str] | None,
                  values: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The label names `label` stands for where a name is written alone (`label_values(x, $label)`): itself, or
    the values the dashboard declares for the variable it is (none when it declares none: nothing to judge)."""
    match = _VARIABLE.fullmatch(label)
    if match is None:
        return (label,)
    name = match.group(1) or match.group(2) or match.group(4)
    if declared is not None and name not in declared:
        return ()
    return values.get(name, ())


def expand(text: str, scrape_seconds: float, declared: frozenset[str] | None = None,
           values: Mapping[str, tuple[str, ...]] | None = None, *, min_interval: float = 0.0,
           min_step: float = 0.0) -> Expansion:
    """The first expansion of `text` (see `expansions`)."""
    return expansions(text, scrape_seconds, declared, values, min_interval=min_interval, min_step=min_step)[0]


def expansions(text: str, scrape_seconds: float, declared: frozenset[str] | None = None,
               values: Mapping[str, tuple[str, ...]] | None = None, *, min_interval: float = 0.0,
               min_step: float = 0.0, max_length: int = 64 * 1024) -> list[Expansion]:
    """`text` with Grafana variables replaced, once per declared value to try (at least once).

    `declared` is the dashboard's variable names (None: unknown, every
    variable is replaced), `values` the values it declares for them,
    `min_interval` and `min_step` the panel's and target's settings in
    seconds (0: none). Replacing stops once the text is longer than
    `max_length`.
    """
    if "$" not in text and "[[" not in text:
        return [Expansion(text)]
    found = [o for o in occurrences(text) if o.position != "comment"
             and (o.name.startswith("__") or declared is None or o.name in declared)]
    if not found:
        return [Expansion(text)]
    values = values or {}
    # the values of each variable that sits where a value goes, in order of first use
    tried: dict[str, tuple[str, ...]] = {}
    for o in found:
        if o.position in _VALUE_POSITIONS and not o.name.startswith("__") and values.get(o.name):
            tried.setdefault(o.name, values[o.name])
    first = {name: choices[0] for name, choices in tried.items()}
    assignments: list[tuple[dict[str, str], tuple[str, str] | None]] = [(first, None)]
    untried = 0
    for name, choices in tried.items():
        room = MAX_EXPANSIONS - len(assignments)
        # a list of any length: only as many as may be tried are taken, the rest only counted
        assignments += [({**first, name: value}, (name, value)) for value in choices[1:1 + room]]
        untried += max(0, len(choices) - 1 - room)
    stand_ins = _stand_ins(scrape_seconds, min_interval, min_step)
    if len(assignments) == 1:   # no further value is declared (so none is left untried)
        return [_replace(text, found, first, stand_ins, None, max_length)]
    out: list[Expansion] = []
    seen: set[str] = set()
    for assignment, choice in assignments:
        expansion = _replace(text, found, assignment, stand_ins, choice, max_length)
        if expansion.text not in seen:
            seen.add(expansion.text)
            out.append(expansion)
    out[0].untried = untried
    return out


def _replace(text: str, found: list[Occurrence], assignment: dict[str, str], stand_ins: dict[str, str],
             choice: tuple[str, str] | None, max_length: int) -> Expansion:
    out: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    pos = length = 0
    for o in found:
        if length > max_length:
            # long declared values used many times could build a text of any size: past the limit the rest
            # stays as written, and the text, longer than the limit, is refused before it is parsed
            break
        value = _value(o, assignment, stand_ins)
        out.append(text[pos:o.start])
        length += o.start - pos
        segments.append((length, length + len(value), o.start, o.end))
        out.append(value)
        length += len(value)
        pos = o.end
    out.append(text[pos:])
    return Expansion("".join(out), segments, choice)


def _value(o: Occurrence, assignment: dict[str, str], stand_ins: dict[str, str]) -> str:
    """What replaces one occurrence: a declared value, or a stand-in chosen by its position."""
    name, where = o.name, o.position
    if name in _NUMERIC:
        return stand_ins[name]
    if where == "string":
        return PLACEHOLDER_MARK + name + PLACEHOLDER_MARK
    if where == "label":
        return LABEL_PLACEHOLDER + name
    if name in assignment and where in _VALUE_POSITIONS:
        return assignment[name]
    if name in stand_ins:   # `$__interval`, `$__rate_interval`, `$__range`
        return stand_ins[name]
    if where == "duration":
        return stand_ins[_USER_DURATION]
    if where == "operator":
        return "==" if o.before_bool else "+"
    if where == "scalar":
        return "1"
    return LABEL_PLACEHOLDER + name   # a grouping label, a metric name or part of one


@lru_cache(maxsize=16)   # a few distinct intervals per run, asked once per expression with variables
def _stand_ins(scrape_seconds: float, min_interval: float, min_step: float) -> dict[str, str]:
    """What Grafana's built-in variables (and an undeclared duration) stand for; shared: never modified."""
    scrape = min_step or scrape_seconds   # Grafana reads a target's min step as the scrape interval
    interval = min_step or min_interval or scrape_seconds
    return {
        "__interval": duration_text(interval),
        "__rate_interval": duration_text(max(interval + scrape, 4 * scrape)),
        "__range": duration_text(RANGE_SECONDS),
        _USER_DURATION: duration_text(4 * scrape_seconds),
        "__range_s": str(int(RANGE_SECONDS)), "__range_ms": str(int(RANGE_SECONDS * 1000)),
        "__interval_ms": str(round(interval * 1000)), "__from": "0", "__to": "0",
    }


def occurrences(text: str) -> list[Occurrence]:
    """Every Grafana variable in `text`, in text order, with the grammar position it sits in."""
    # the common cases, every variable in a label value (`job=~"$job"`) or alone in a range
    # (`[$__rate_interval]`), need only where the strings and comments are: the rest of the grammar is for the others
    quoted = [token.span() for token in _QUOTED.finditer(text)]
    ends = [end for _, end in quoted]
    found: list[Occurrence] = []
    for m in _VARIABLE.finditer(text):
        start, end = m.span()
        name = m.group(1) or m.group(2) or m.group(4)
        k = bisect_right(ends, start)
        if k < len(quoted) and quoted[k][0] <= start:   # inside that string or comment
            found.append(Occurrence(start, end, name, "comment" if text[quoted[k][0]] == "#" else "string"))
        elif _alone_in_range(text, start, end):
            found.append(Occurrence(start, end, name, "duration"))
        else:
            return lexed_occurrences(text)
    return found


def _alone_in_range(text: str, start: int, end: int) -> bool:
    """Whether `text[start:end]` stands alone in a range or before a subquery's step: `[ $w ]`, `[$w:1m]`."""
    before = start - 1
    while before >= 0 and text[before].isspace():
        before -= 1
    after = end
    while after < len(text) and text[after].isspace():
        after += 1
    return before >= 0 and text[before] == "[" and after < len(text) and text[after] in "]:"


def lexed_occurrences(text: str) -> list[Occurrence]:
    """`occurrences` by lexing the whole text: what the shortcut of the common cases must agree with."""
    found: list[Occurrence] = []
    # open brackets: [kind, owner, argument index]; kind is call, paren, group, range or braces; a call's owner is
    # its function or aggregation, a group's the aggregation before its keyword (`sum by (x) (...)`)
    stack: list[list[str | int]] = []
    prev = ""        # the previous significant token's kind: word, number, string, var, operator, open, close, other
    prev_text = ""   # and its text
    owner = ""       # the aggregation a grouping keyword belongs to
    closed_group = ""   # set just after a grouping list closes: the aggregation whose arguments may follow
    tokens = list(_LEX.finditer(text))
    for i, token in enumerate(tokens):
        kind, value = token.lastgroup or "other", token.group()
        if kind == "space":
            continue
        low = value.lower()
        if kind == "comment" or kind == "string":
            found += _in_token(token)
            if kind == "comment":
                continue
        elif kind == "var":
            occurrence = _occurrence(text, token, tokens, i, stack, prev, prev_text)
            found.append(occurrence)
            kind = "operator" if occurrence.position == "operator" else "var"
        elif kind == "word" and low in _GROUPING_WORDS:
            owner = prev_text.lower() if prev == "word" else ""
        elif value == "(":
            if prev == "word" and prev_text.lower() in _GROUPING_WORDS:
                stack.append(["group", owner, 0])
            elif prev == "word" and prev_text.lower() not in _OPERAND_NEXT:
                stack.append(["call", prev_text.lower(), 0])
            elif prev == "close" and closed_group:
                stack.append(["call", closed_group, 0])
            else:
                stack.append(["paren", "", 0])
        elif kind == "open":
            stack.append(["range" if value == "[" else "braces", "", 0])
        elif kind == "close":
            top = stack.pop() if stack else ["paren", "", 0]
            closed_group = str(top[1]) if top[0] == "group" else ""
        elif value == "," and stack:
            stack[-1][2] = int(stack[-1][2]) + 1
        if kind != "close":
            closed_group = ""
        prev, prev_text = kind, value
    return found


def _in_token(token: re.Match[str]) -> list[Occurrence]:
    """The variables inside one string or comment token of `_LEX`."""
    kind = "comment" if token.group().startswith("#") else "string"
    return [Occurrence(token.start() + m.start(), token.start() + m.end(), m.group(1) or m.group(2) or m.group(4),
                       kind) for m in _VARIABLE.finditer(token.group())]


def _occurrence(text: str, token: re.Match[str], tokens: list[re.Match[str]], i: int, stack: list[list[str | int]],
                prev: str, prev_text: str) -> Occurrence:
    """One variable token outside strings and comments, placed by the brackets around it and the token before."""
    groups = _VARIABLE.fullmatch(token.group())
    assert groups is not None   # the lexer's `var` is a `_VARIABLE`
    name = groups.group(1) or groups.group(2) or groups.group(4)
    start, end = token.span()
    top = stack[-1] if stack else None
    glued = (start > 0 and text[start - 1] in _IDENT_CHARS) or (end < len(text) and text[end] in _IDENT_CHARS)
    if top is not None and top[0] == "range" or prev == "word" and prev_text.lower() == "offset":
        position = "duration"
    elif top is not None and top[0] == "group":
        position = "grouping"
    elif top is not None and top[0] == "braces":
        position = "label"
    elif glued:
        position = "name"
    elif prev in ("number", "string", "close", "var") or prev == "word" and prev_text.lower() not in _OPERAND_NEXT:
        # right after an operand: an operator
        following = next((t for t in tokens[i + 1:] if t.lastgroup != "space"), None)
        return Occurrence(start, end, name, "operator",
                          following is not None and following.group().lower() == "bool")
    elif top is not None and top[0] == "call" and top[2] in _SCALAR_ARGS.get(str(top[1]), ()):
        position = "scalar"
    else:
        position = "bare"
    return Occurrence(start, end, name, position)
