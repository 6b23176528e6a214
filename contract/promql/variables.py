"""Grafana template variables in PromQL, replaced by stand-ins the parser accepts.

Grafana interpolates `$var`, `${var}`, `${var:format}`, `[[var]]` and its
built-ins (`$__rate_interval`, `$__range_s`, ...) before Prometheus sees a
query. The stand-in depends on where the variable sits:

- in a range `[...]` or after `offset`: a duration. `$__rate_interval` is
  4×scrape_interval (Grafana's floor for it) and user variables get the same,
  so neither trips `promql/rate-window`; `$__interval` is scrape_interval,
  Grafana's default minimum step, which does trip it: that is the bug
  `$__rate_interval` exists for.
- `$__range_s`, `$__range_ms`, `$__interval_ms`, `$__from`, `$__to`: numbers
  wherever they are (`[${__range_s}s]` is a duration again).
- in a string (a label value, a regex): `PLACEHOLDER_MARK`, name,
  `PLACEHOLDER_MARK`; a character no regex treats specially, which the
  label-value check skips.
- in a grouping list `by (...)`, `on (...)`: a label name starting with
  `LABEL_PLACEHOLDER`, which the grouping check ignores and which leaves the
  label flow open.
- anywhere else: a metric name starting with `LABEL_PLACEHOLDER` (unknown,
  open labels), or a number when the parser rejects the name there
  (`topk($n, ...)`); `Expansion.bare` says whether there was such a choice.

User variables are replaced only when the dashboard declares them (or when
the declared set is unknown): Grafana leaves `$1` in `label_replace` alone.
Every replacement is recorded, so offsets in the expanded text map back to
the text as written.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

PLACEHOLDER_MARK = "\ue000"
LABEL_PLACEHOLDER = "__gvar_"

_VARIABLE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")
_GROUPING_WORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_NUMERIC = frozenset({"__range_s", "__range_ms", "__interval_ms", "__from", "__to"})
_IDENT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:")
_QUOTES = (('"', '\\"'), ("'", "\\'"))   # quotes that a backslash escapes, with their escaped form
RANGE_SECONDS = 3600.0   # what `$__range` stands for


class Expansion:
    __slots__ = ("text", "segments", "bare")

    def __init__(self, text: str, segments: list[tuple[int, int, int, int]] | None = None, bare: bool = False) -> None:
        self.text = text
        # (expanded start, expanded end, original start, original end) per replacement
        self.segments = segments or []
        self.bare = bare   # a variable stood where a metric name or a number could go

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


def duration_text(seconds: float) -> str:
    """A PromQL duration literal for a number of seconds (`1h`, `90s`, `250ms`)."""
    if seconds != int(seconds):
        return f"{round(seconds * 1000)}ms"
    whole = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def expand(text: str, scrape_seconds: float, declared: frozenset[str] | None = None, *,
           bare_numbers: bool = False) -> Expansion:
    """Replace Grafana variables in `text`; `declared` is the dashboard's variable names."""
    if "$" not in text and "[[" not in text:
        return Expansion(text)
    durations, numbers = _builtins(scrape_seconds)
    out: list[str] = []
    segments: list[tuple[int, int, int, int]] = []
    bare = False
    pos = 0
    length = 0
    for match in _VARIABLE.finditer(text):
        groups = match.groups()
        name = groups[0] or groups[1] or groups[3]
        start, end = match.span()
        if not name.startswith("__") and declared is not None and name not in declared:
            continue
        where = _context(text, start)
        if name in _NUMERIC:
            value = numbers[name]
        elif where == "string":
            value = PLACEHOLDER_MARK + name + PLACEHOLDER_MARK
        elif where == "duration":
            value = durations.get(name, durations["__rate_interval"])
        elif where == "grouping":
            value = LABEL_PLACEHOLDER + name
        elif name in durations:
            value = durations[name]
        else:
            bare = True
            value = "1" if bare_numbers else LABEL_PLACEHOLDER + name
            # a name glued to other name characters stays a name
            glued = (start > 0 and text[start - 1] in _IDENT_CHARS) or (end < len(text) and text[end] in _IDENT_CHARS)
            if glued:
                value = LABEL_PLACEHOLDER + name
        out.append(text[pos:start])
        length += start - pos
        segments.append((length, length + len(value), start, end))
        out.append(value)
        length += len(value)
        pos = end
    if not segments:
        return Expansion(text)
    out.append(text[pos:])
    return Expansion("".join(out), segments, bare)


@lru_cache(maxsize=8)
def _builtins(scrape_seconds: float) -> tuple[dict[str, str], dict[str, str]]:
    """Stand-ins of Grafana's built-in variables: (durations, numbers)."""
    durations = {
        "__rate_interval": duration_text(4 * scrape_seconds),
        "__interval": duration_text(scrape_seconds),
        "__range": duration_text(RANGE_SECONDS),
    }
    numbers = {
        "__range_s": str(int(RANGE_SECONDS)), "__range_ms": str(int(RANGE_SECONDS * 1000)),
        "__interval_ms": str(round(scrape_seconds * 1000)), "__from": "0", "__to": "0",
    }
    return durations, numbers


def _context(text: str, at: int) -> str:
    """Where offset `at` sits: "string", "duration", "grouping" or "bare".

    Quotes, brackets and parentheses are counted in the text before `at`;
    a bracket inside a string literal can fool this, which costs at most a
    stand-in of the wrong kind.
    """
    for quote, escaped in _QUOTES:
        count = text.count(quote, 0, at)
        if count and (count - text.count(escaped, 0, at)) % 2:
            return "string"
    if text.count("`", 0, at) % 2:   # no escapes in raw strings
        return "string"
    if text.rfind("[", 0, at) > text.rfind("]", 0, at):
        return "duration"
    opened = text.rfind("(", 0, at)
    if opened > text.rfind(")", 0, at) and _word_before(text, opened) in _GROUPING_WORDS:
        return "grouping"
    return "duration" if _word_before(text, at) == "offset" else "bare"


def _word_before(text: str, at: int) -> str:
    """The lowercased identifier ending just before `at` (spaces skipped), or ""."""
    head = text[:at].rstrip()
    start = end = len(head)
    while start > 0 and (head[start - 1].isalnum() or head[start - 1] == "_"):
        start -= 1
    return head[start:end].lower()
