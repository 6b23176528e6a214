from __future__ import annotations

import re
from collections.abc import Iterator

from contract.problems import Problem
from contract.promql.checks.base import Context, PromqlCheck


class Syntax(PromqlCheck):
    """Every expression must parse as PromQL once Grafana variables are expanded.

    The parser reports no position, so the problem points at the start of the
    expression. Grafana variables are replaced first (see
    `contract/promql/variables.py`); a variable the dashboard does not declare is
    left in place and shows up here, as it would in Prometheus.

    A name with a dot written bare (`http.server.duration_bucket`,
    `sum by (service.name)`) is never PromQL: the problem points at that name
    instead and says how to quote it (`{"http.server.duration_bucket"}`,
    `"service.name"`), which Prometheus 3 reads (see `promql/utf8-name`).
    """

    id = "promql/syntax"
    summary = "every expression must be valid PromQL once Grafana variables are expanded"
    unparsed_only = True

    def run(self, ctx: Context) -> Iterator[Problem]:
        error = ctx.analysis.error
        if error is None or ctx.analysis.too_complex:   # `promql/too-complex` reports that one
            return
        dotted = _bare_dotted(ctx.expansion.text)
        if dotted is None:
            yield ctx.at(self, f"invalid PromQL: {error}")
            return
        name = dotted.group("name")
        if len(name) > _SHOWN:   # a message names it, not repeats a name of any length
            name = name[:_SHOWN - 3] + "..."
        yield ctx.at(self, f"invalid PromQL: `{name}` has a dot, so it must be quoted, which only Prometheus 3 "
                           f"reads: `{{\"{name}\"}}` as a metric, `\"{name}\"` as a label", offset=dotted.start())


_SHOWN = 80   # characters of a name a message shows
# strings and comments, skipped; or a name with a dot outside them (a number starts with a digit or a point)
_DOTTED = re.compile(r"""(?x)
    "(?:[^"\\\n]|\\.)*"? | '(?:[^'\\\n]|\\.)*'? | `[^`]*`? | \#[^\n]*
  | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*(?:\.[a-zA-Z0-9_:]+)+)
""")


def _bare_dotted(text: str) -> re.Match[str] | None:
    """The first name with a dot outside strings and comments, which no PromQL parser accepts unquoted."""
    return next((m for m in _DOTTED.finditer(text) if m.group("name")), None)
