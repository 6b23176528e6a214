"""What Prometheus 3 does differently from 2, as facts the PromQL checks read.

- It parses quoted UTF-8 metric and label names (`{"http.server.request.duration"}`); Prometheus 2 rejects
  them (`promql/utf8-name`).
- It stores the `le` of classic-histogram buckets and the `quantile` of summaries it scrapes in one float
  form, `FormatOpenMetricsFloat` (`promql/le-normalized`); series that arrive over OTLP keep the translator's
  fixed-point form.

Measured in tests/test_promql3.py against Prometheus 3.16 (`tests.peer_bins`); what each path sends is its
data in `contract.naming.PATHS` (`bounds`, `prometheus3_only`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from functools import cache

from contract.naming import PATHS, PathFacts

# the facts of every path by name (`catalog.paths` holds the names as plain strings)
_FACTS: dict[str, PathFacts] = {path: facts for path, facts in PATHS.items()}


@cache   # asked once per expression, of the one tuple of declared paths
def certain(paths: tuple[str, ...]) -> bool:
    """Whether the declared paths say the server is Prometheus 3."""
    return any(_FACTS[p].prometheus3_only for p in paths)


def stored(path: str, number: float) -> str:
    """How Prometheus 3 stores the bound or quantile `number` of a series that came over `path`."""
    if _FACTS[path].bounds == "otlp":
        return "+Inf" if number == math.inf else go_shortest(number, "f")
    return openmetrics_float(number)


def stored_by_prometheus2(path: str, number: float) -> str:
    """How Prometheus 2 stores it: as the exporter wrote it."""
    if _FACTS[path].bounds == "go" and math.isfinite(number):
        return go_shortest(number, "g")
    return stored(path, number)


def openmetrics_float(x: float) -> str:
    """`x` as Prometheus' `labels.FormatOpenMetricsFloat` writes it: Go's shortest `%g`, with `.0` appended when
    that has neither a point nor an exponent; `+Inf`, `-Inf` and `NaN` for the special values."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    text = go_shortest(x, "g")
    return text if "." in text or "e" in text else text + ".0"


def go_shortest(x: float, fmt: str) -> str:
    """A finite `x` as Go's `strconv.FormatFloat(x, fmt, -1, 64)` writes it, for `fmt` "f" or "g": the shortest
    digits that read back as `x` (Python's `repr` finds the same ones); "g" uses the exponent form (`1e+06`) when
    the decimal exponent is below -4 or at least 6."""
    exact = Decimal(repr(x)).normalize()
    sign, digits, exponent = exact.as_tuple()
    assert isinstance(exponent, int)   # finite
    exp = len(digits) + exponent - 1   # of the first digit
    if fmt == "f" or x == 0 or -4 <= exp < 6:
        return format(exact, "f")
    text = "".join(map(str, digits))
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
