from __future__ import annotations

import re
from collections.abc import Iterator

from contract.problems import Problem
from contract.promql import prometheus3
from contract.promql.checks.base import Context, PromqlCheck

# a name Prometheus 2 reads bare: the legacy metric and label name syntax
_LEGACY = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_QUOTES = "\"'`"
# a string right after `{`, `(` or `,` (a name in braces or in a grouping list), or before a matcher's operator:
# where a quoted name can be. A superset (a function's string argument too), which spares the common case, label
# values only, from locating anything
_MAYBE_QUOTED = re.compile(r"""[{(,]\s*["'`]|["'`]\s*[=!]""")
_SHOWN = 80   # characters of a name a message shows


class Utf8Name(PromqlCheck):
    """Quoted metric and label names (`{"http.server.request.duration"}`) need Prometheus 3.

    Prometheus 3 reads UTF-8 names written in double quotes: a metric name
    as a bare string inside the braces (`{"a.b", le="0.5"}`), a label name
    before its matcher (`{"service.name"="shop"}`) or in a grouping list
    (`sum by ("service.name") (...)`). Such a name is resolved against the
    contract like any other (a `prometheus-otlp` path without underscore
    escaping keeps the dotted names). Prometheus 2 rejects the whole
    expression, so where the contract declares no path only Prometheus 3
    serves (`prometheus-otlp`), each quoted name is a warning; one that is a
    valid bare name (`{"le"="1.0"}`) should simply be written bare. A dotted
    name written bare is `promql/syntax`.
    """

    id = "promql/utf8-name"
    summary = "quoted UTF-8 metric and label names (`{\"a.b\"}`) parse only on Prometheus 3"
    severity = "warning"

    def run(self, ctx: Context) -> Iterator[Problem]:
        if ctx.analysis.error is not None or prometheus3.certain(ctx.catalog.paths):
            return
        text = ctx.expansion.text
        if _MAYBE_QUOTED.search(text) is None:   # no string where a name goes: no need to locate anything
            return
        locator = ctx.locator
        quoted: list[tuple[int, str, str]] = []   # (offset, name, what it names)
        for span in locator.selectors:
            if span.name is not None and text[span.start] == "{":   # the name came from a string in the braces
                at = text.find(span.name, span.start) - 1
                quoted.append((at if at >= 0 else span.start, span.name, "metric"))
            quoted += [(at, label, "label") for label, at, _ in span.matchers if text[at] in _QUOTES]
        for _, labels in locator.clauses:
            quoted += [(at, label, "label") for label, at in labels if text[at] in _QUOTES]
        for at, name, what in sorted(quoted):
            legacy = _LEGACY.fullmatch(name) is not None
            if len(name) > _SHOWN:   # a message names it, not repeats a name of any length
                name = name[:_SHOWN - 3] + "..."
            if legacy:
                fix = f"write it bare, `{name}`, which every version reads"
            else:
                fix = "Prometheus 2 rejects the whole expression"
            yield ctx.at(self, f"{what} name `{name}` is quoted, which only Prometheus 3 parses; {fix}", offset=at)
