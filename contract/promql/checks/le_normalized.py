from __future__ import annotations

import math
import re
from collections.abc import Iterator

from contract.naming import yields_type
from contract.problems import Problem
from contract.promql import prometheus3
from contract.promql.analysis import Selector
from contract.promql.checks.base import Context, PromqlCheck
from contract.promql.variables import PLACEHOLDER_MARK

# a float as Go's strconv.ParseFloat reads it (decimal forms; Prometheus leaves any other value alone)
_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf(?:inity)?|nan)", re.IGNORECASE)
# the label each kind of series carries a float in, by the contract type that has it
_LABELS = {"le": "histogram", "quantile": "summary"}


class LeNormalized(PromqlCheck):
    """`le` and `quantile` matchers must spell the value as Prometheus stores it: `le="1.0"`, not `le="1"`.

    Prometheus 3 rewrites the `le` of classic-histogram buckets and the
    `quantile` of summaries it scrapes into its float form: `le="1"`
    becomes `le="1.0"`, while `0.5`, `1e+06` and `+Inf` stay. A matcher
    `le="1"` on a scraped histogram then silently matches nothing (and
    `le!="1"` excludes nothing). Series that arrive over OTLP (the
    `prometheus-otlp` and `otel-collector-remote-write` paths) are not
    rewritten: their bounds keep Go's fixed-point form (`1`, `1000000`).
    Each `=` or `!=` matcher holding a number is compared with the
    spellings of the declared paths, and the message gives the matcher to
    write: one value, or a regex of every spelling when the paths (or
    Prometheus 2 and 3, for the Collector's `%g`) differ.

    An error when the contract declares `prometheus-otlp`, whose series
    only a Prometheus 3 can hold; otherwise a warning, since on Prometheus
    2 the Collector's `le="1"` is stored as written and the query may be
    right there. Regex matchers, Grafana variables and series the contract
    does not know are not judged. The spellings are measured in
    tests/test_promql3.py (`contract/promql/prometheus3.py`).
    """

    id = "promql/le-normalized"
    summary = "bucket `le` and summary `quantile` matchers must spell values as Prometheus 3 stores them (`le=\"1.0\"`)"

    def run(self, ctx: Context) -> Iterator[Problem]:
        paths = ctx.catalog.paths
        certain = prometheus3.certain(paths)
        for sel in ctx.analysis.selectors:
            for label, op, value in sel.matchers:
                mtype = _LABELS.get(label)
                if mtype is None or op not in ("=", "!=") or PLACEHOLDER_MARK in value or not _carries(sel, mtype):
                    continue
                number = _number(value)
                if number is None:
                    continue
                own = [p for p in paths if yields_type(p, mtype)] or list(paths)
                stored = tuple(dict.fromkeys(prometheus3.stored(p, number) for p in own))
                if value in stored and len(stored) == 1:
                    continue
                # the fix must also hold where the server may be Prometheus 2 (the Collector's `%g`)
                spellings = stored if certain else tuple(dict.fromkeys(
                    stored + tuple(prometheus3.stored_by_prometheus2(p, number) for p in own)))
                yield ctx.at(self, _message(label, op, value, stored, own, spellings),
                             offset=ctx.matcher_value_offset(sel, label), severity=None if certain else "warning",
                             metric=ctx.metric_of(sel))


def _carries(sel: Selector, mtype: str) -> bool:
    """Whether the selector's series get the float rewrite: a histogram's buckets (directly or recorded from
    them) for `le`, a summary's quantile series for `quantile`."""
    if mtype == "histogram":
        return sel.flow.buckets is True
    return any(info.mtype == mtype for info in sel.infos)


def _number(value: str) -> float | None:
    """The float Prometheus reads from a label value, or None when it is not one."""
    if not _FLOAT.fullmatch(value):
        return None
    number = float(value)
    if math.isinf(number) and "inf" not in value.lower():
        return None   # out of range: ParseFloat fails and Prometheus keeps the value as written
    return number


def _message(label: str, op: str, value: str, stored: tuple[str, ...], paths: list[str],
             spellings: tuple[str, ...]) -> str:
    written = f"`{label}{op}{_quote(value)}`"
    if len(spellings) == 1:
        fix = f"`{label}{op}{_quote(spellings[0])}`"
    else:
        regex = "|".join(re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", s) for s in spellings)
        fix = f"`{label}{'=~' if op == '=' else '!~'}{_quote(regex)}` to cover every spelling of it"
    if value not in stored:
        where = " or ".join(f"`{s}`" for s in stored)
        effect = "matches no series" if op == "=" else "excludes no series"
        return f"{written} {effect} on Prometheus 3, which stores this value as {where}; write {fix}"
    others = ", ".join(f"`{p}` as `{prometheus3.stored(p, float(value))}`" for p in paths
                       if prometheus3.stored(p, float(value)) != value)
    return f"{written} misses the series Prometheus 3 stores with another spelling ({others}); write {fix}"


def _quote(text: str) -> str:
    """A PromQL double-quoted string (Go's escapes: a backslash and a quote are escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
