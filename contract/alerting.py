"""What the contract's `alerts:` and `slos:` mean in PromQL: selections resolved to series, SLO windows and names.

One place for the facts that the checks (`contract/checks/alerts.py`, `contract/checks/slos.py`), the generator
(`generators/alerts.py`), the dashboards (`dashboards/lib.py`) and `diff` and `docs` share:

- a `Selection` (`{metric, match}`) resolved to the series name and label matchers every declared exposition path
  agrees on (`resolve`), or the located reasons it cannot be;
- the SLO windows and the multi-window multi-burn-rate table of the SRE workbook (`BURN_RULES`), the error budget
  of an objective (`budget`) and the names of an SLO's recorded series (`SloNames`);
- the alert names the contract makes Prometheus fire (`alert_names`);
- the one template form alert labels and annotations may use, `{{ $labels.<name> }}`: the generated promtool tests
  must know each alert's text exactly, so they expand it themselves (`expand`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from contract.model import Contract, Metric, Selection, Slo
from contract.naming import BARE_METRIC, expose, record_part

Path = tuple[str | int, ...]
Severity = Literal["page", "ticket"]

# The SLI windows, shortest first, and how long each is in minutes.
WINDOWS: tuple[str, ...] = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
WINDOW_MINUTES: dict[str, int] = {"5m": 5, "30m": 30, "1h": 60, "2h": 120, "6h": 360, "1d": 1440, "3d": 4320}
# the period the remaining error budget is counted over (Sloth's default)
PERIOD = "30d"


@dataclass(frozen=True)
class BurnRule:
    """Alert at `severity` when the budget burns faster than `factor` times its even rate over both windows."""

    severity: Severity
    factor: float
    long: str
    short: str


# The SRE workbook's table ("Alerting on SLOs", multiwindow, multi-burn-rate alerts): 2% of a 30-day budget in an
# hour, 5% in six hours, 10% in a day, 10% in three days. The short window (1/12 of the long one) ends the alert
# soon after the burning stops.
BURN_RULES: tuple[BurnRule, ...] = (
    BurnRule("page", 14.4, "1h", "5m"),
    BurnRule("page", 6, "6h", "30m"),
    BurnRule("ticket", 3, "1d", "2h"),
    BurnRule("ticket", 1, "3d", "6h"),
)
FASTEST = max(rule.factor for rule in BURN_RULES)

# labels an alert's expression leaves on it, by kind (what `{{ $labels.<name> }}` may name)
TARGET_DOWN_LABELS = ("instance", "job")
JOB_LABELS = ("job",)
SLO_LABELS = ("job", "slo")
# labels of the alert series that rule labels must not replace: the tests and routes rely on them
PROTECTED_LABELS = frozenset({"alertname", "job", "slo", "instance", "le"})

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_RE2_META = re.compile(r"([\\.+*?()|\[\]{}^$])")
# names PromQL reads bare (every Prometheus version); any other is written as a string
_BARE_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# the template form alert labels and annotations may use
LABEL_REF = re.compile(r"\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def camel(text: str) -> str:
    """`my-svc` -> `MySvc`: an alert name's part from a service or SLO name."""
    return "".join(token[:1].upper() + token[1:] for token in _TOKEN.findall(text)) or "Service"


def target_down_name(c: Contract) -> str:
    return f"{camel(c.service)}TargetDown"


def metrics_stopped_name(c: Contract) -> str:
    return f"{camel(c.service)}MetricStopped"


def slo_alert_name(slo: Slo) -> str:
    return slo.alerting.name or f"{camel(slo.name)}BudgetBurn"


def has_alerts(c: Contract) -> bool:
    """Whether the contract declares alerts or SLOs, and so gets `prometheus/alerts.yml`."""
    return c.alerts is not None or bool(c.slos)


def watched_metrics(c: Contract) -> tuple[Metric, ...]:
    """The metrics the metrics-stopped alert watches: those marked `required`, else every counter an event feeds."""
    required = tuple(m for m in c.metrics if m.required)
    if required:
        return required
    fed = {op.metric for event in c.events for op in event.ops}
    return tuple(m for m in c.metrics if m.type == "counter" and m.name in fed)


@dataclass(frozen=True)
class AlertName:
    name: str
    kind: str          # "target down", "metrics stopped", "threshold", "SLO"
    path: Path         # where the contract declares it
    metrics: tuple[str, ...]


def alert_names(c: Contract) -> list[AlertName]:
    """Every alert name the contract's `alerts:` and `slos:` make Prometheus fire, in file order."""
    out: list[AlertName] = []
    if c.alerts is not None:
        out.append(AlertName(target_down_name(c), "target down", ("alerts",), ()))
        watched = tuple(m.name for m in watched_metrics(c))
        if watched:
            out.append(AlertName(metrics_stopped_name(c), "metrics stopped", ("alerts",), watched))
        for i, t in enumerate(c.alerts.thresholds):
            metrics = (t.metric,) if t.query != "ratio" else tuple(dict.fromkeys((t.metric, t.denominator.metric)))
            out.append(AlertName(t.alert, "threshold", ("alerts", "thresholds", i, "alert"), metrics))
    for i, slo in enumerate(c.slos):
        path: Path = ("slos", i, "alerting", "name") if slo.alerting.name else ("slos", i, "name")
        out.append(AlertName(slo_alert_name(slo), "SLO", path, slo_metrics(slo)))
    return out


def slo_metrics(slo: Slo) -> tuple[str, ...]:
    events, latency = slo.sli.events, slo.sli.latency
    if events is not None:
        return tuple(dict.fromkeys((events.error_query.metric, events.total_query.metric)))
    assert latency is not None   # an SLI has one of the two
    return (latency.metric,)


# ── selections ─────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Resolved:
    """A selection as every declared path exposes it: one family name and the matchers on exposed label names."""

    metric: Metric
    family: str
    labels: dict[str, str]                         # contract label -> exposed label, for every label of the metric
    matchers: tuple[tuple[str, tuple[str, ...]], ...]   # (exposed label, values), in contract order

    def selector(self, series: str, *extra: str) -> str:
        """`series{...}` (one series of the family, as `contract.naming.expose` names it), with the selection's
        matchers and `extra` ones (already PromQL)."""
        return series_selector(series, [_matcher(label, values) for label, values in self.matchers] + list(extra))


def _matcher(label: str, values: tuple[str, ...]) -> str:
    if len(values) == 1:
        return f"{label_name(label)}={quote(values[0])}"
    return f"{label_name(label)}=~{quote(regex_alternatives(values))}"


def quote(text: str) -> str:
    # a PromQL string: Go's escapes, which JSON's are a subset of
    return json.dumps(text, ensure_ascii=False)


def series_selector(name: str, matchers: Sequence[str] = ()) -> str:
    """`name{matchers}` in PromQL; a name PromQL cannot write bare (`a.b_total`, exposed as written by the UTF-8
    paths of Prometheus' own receiver) is a string inside the braces, `{"a.b_total", ...}`, as Prometheus 3 reads."""
    if BARE_METRIC.fullmatch(name):
        return name + (f"{{{', '.join(matchers)}}}" if matchers else "")
    return f"{{{', '.join((quote(name), *matchers))}}}"


def label_name(name: str) -> str:
    """A label name as PromQL writes it: bare, or quoted when it is no legacy name (`"http.method"`)."""
    return name if _BARE_LABEL.fullmatch(name) else quote(name)


def regex_alternatives(values: tuple[str, ...]) -> str:
    """A regex matching exactly the literal `values` (RE2 metacharacters escaped)."""
    return "|".join(_RE2_META.sub(r"\\\1", v) for v in values)


def resolve(c: Contract, selection: Selection) -> tuple[Resolved | None, list[tuple[Path, str, bool]]]:
    """The selection's series, or None and why not: (path below the selection, message, located at the key)."""
    m = c.metric(selection.metric)
    if m is None:
        return None, [(("metric",), f"`{selection.metric}` is not in the contract{suggest(c, selection.metric)}",
                       False)]
    exposures = [expose(m, path) for path in c.exposition]
    families = {e.family for e in exposures}
    if len(families) > 1:
        spelled = ", ".join(f"`{e.family}` on {e.path}" for e in exposures)
        return None, [(("metric",), f"`{m.name}` is exposed as {spelled}; a rule needs one series name", False)]
    labels: dict[str, str] = {}
    problems: list[tuple[Path, str, bool]] = []
    for k, label in enumerate(m.labels):
        exposed = {e.labels[k] for e in exposures}
        if len(exposed) > 1:
            problems.append((("metric",), f"label `{label.name}` of `{m.name}` is exposed as "
                             f"{', '.join(f'`{x}`' for x in sorted(exposed))} on different paths; a rule needs "
                             "one name", False))
        labels[label.name] = exposed.pop()
    matchers: list[tuple[str, tuple[str, ...]]] = []
    for name in selection.match:
        matched = m.label(name)
        values = selection.values(name) or ()
        if matched is None:
            known = ", ".join(f"`{n}`" for n in m.label_names) or "none"
            problems.append((("match", name), f"`{name}` is not a label of `{m.name}` (its labels: {known})", True))
            continue
        allowed = matched.allowed_values()
        for value in values:
            if allowed is not None and value not in allowed:
                problems.append((("match", name), f"`{value}` is not a value of label `{name}` of `{m.name}`; "
                                 f"allowed: {', '.join(f'`{v}`' for v in allowed)}", False))
        matchers.append((labels[name], values))
    if problems:
        return None, problems
    return Resolved(m, families.pop(), labels, tuple(matchers)), []


def suggest(c: Contract, name: str) -> str:
    """`; did you mean ...` for a name that is not a contract metric, or ""."""
    renamed = next((m.name for m in c.metrics if m.renamed_from == name), None)
    if renamed:
        return f"; it was renamed to `{renamed}`"
    for m in c.metrics:
        if any(name in expose(m, p).series for p in c.exposition):
            return f"; did you mean `{m.name}` (its series `{name}` is spelled by the exporter)?"
    close = difflib.get_close_matches(name, [m.name for m in c.metrics], n=1)
    return f"; did you mean `{close[0]}`?" if close else ""


# ── label values for test inputs ───────────────────────────────────────────

# the value of a label whose real values the contract does not close
PLACEHOLDER = "example"
OTHER_PLACEHOLDER = "example-2"


def choices(m: Metric, selection: Selection, name: str) -> tuple[str, ...]:
    """Values of the contract label `name` that a series the selection selects may carry."""
    given = selection.values(name) if selection.metric == m.name else None
    if given is not None:
        return given
    label = m.label(name)
    allowed = label.allowed_values() if label is not None else None
    return allowed or (PLACEHOLDER,)


def label_set(m: Metric, selection: Selection) -> dict[str, str]:
    """A contract label set of `m` that `selection` selects."""
    return {label.name: choices(m, selection, label.name)[0] for label in m.labels}


def narrows(inner: Selection, outer: Selection) -> bool:
    """Whether every series `inner` selects is one `outer` selects (both of the same metric)."""
    for name in outer.match:
        inner_values = inner.values(name)
        if inner_values is None or not set(inner_values) <= set(outer.values(name) or ()):
            return False
    return True


def outside(m: Metric, inner: Selection, outer: Selection) -> dict[str, str] | None:
    """A contract label set of `m` that `outer` selects and `inner` does not; None when there is none."""
    base = label_set(m, outer)
    for name in inner.match:
        excluded = set(inner.values(name) or ())
        label = m.label(name)
        candidates = outer.values(name) or (label.allowed_values() if label is not None else None) \
            or (PLACEHOLDER, OTHER_PLACEHOLDER)
        for value in candidates:
            if value not in excluded:
                return {**base, name: value}
    return None


# ── SLOs ───────────────────────────────────────────────────────────────────


def budget(slo: Slo) -> Decimal:
    """The error budget, 1 - objective, as the decimal the contract wrote (99.9 -> 0.001, not 0.0010000000000000009)."""
    return (Decimal(100) - Decimal(repr(slo.objective))) / Decimal(100)


def decimal_text(d: Decimal) -> str:
    """A decimal in plain notation without trailing zeros (0.001, 14.4, 6)."""
    text = format(d.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class SloNames:
    """The recorded series of one SLO; every one carries the label `slo`, and `job`."""

    part: str   # the `metric` of `level:metric:operations`: the family the SLI counts events of (`record_part`)

    def error_ratio(self, window: str) -> str:
        return f"job:{self.part}:slo_error_ratio_rate{window}"

    def burn_rate(self, window: str) -> str:
        return f"job:{self.part}:slo_burn_rate{window}"

    @property
    def budget_remaining(self) -> str:
        return f"job:{self.part}:slo_error_budget_remaining_ratio{PERIOD}"


def slo_names(c: Contract, slo: Slo) -> SloNames | None:
    """The names of the SLO's recorded series; None when its SLI names no series the contract exposes."""
    events, latency = slo.sli.events, slo.sli.latency
    selection = events.total_query if events is not None else latency.selection if latency is not None else None
    assert selection is not None   # an SLI has one of the two
    m = c.metric(selection.metric)
    if m is None:
        return None
    families = {expose(m, path).family for path in c.exposition}
    return SloNames(record_part(families.pop())) if len(families) == 1 else None


def le_spellings(bound: float) -> tuple[str, ...]:
    """How exporters write the `le` of a bucket bound: Python's `repr` (prometheus_client and the OpenTelemetry
    SDK's exporter: `1.0`; Prometheus 3's normalised form too) and Go's `%g` (the Collector, through
    client_golang: `1`); the same for most bounds (`0.5`)."""
    python = repr(float(bound))
    return tuple(dict.fromkeys((python, go_float(float(bound)))))


def go_float(x: float) -> str:
    """A finite `x` as Go's `strconv.FormatFloat(x, 'g', -1, 64)` writes it: the shortest digits that read back
    as `x`, in `%e` form when the decimal exponent is below -4 or at least 6."""
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)   # a finite number
    text = "".join(map(str, digits))
    point = len(text) + exponent     # where the decimal point goes in `text`
    exp = point - 1
    if x == 0:
        out = "0"
    elif exp < -4 or exp >= 6:
        out = text[0] + ("." + text[1:] if len(text) > 1 else "") + f"e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    elif point <= 0:
        out = "0." + "0" * -point + text
    elif point >= len(text):
        out = text + "0" * (point - len(text))
    else:
        out = text[:point] + "." + text[point:]
    return ("-" if sign else "") + out


# ── alert labels and annotations ───────────────────────────────────────────


def template_problem(text: str, carried: tuple[str, ...]) -> str | None:
    """Why `text` cannot be an alert's label or annotation here, or None.

    Only `{{ $labels.<name> }}` of a label in `carried` may be templated: the generated tests expand it
    themselves; anything else (`$value`, functions) would make the text they expect unknowable.
    """
    for match in LABEL_REF.finditer(text):
        if match.group(1) not in carried:
            return (f"names `$labels.{match.group(1)}`, a label the alert does not carry (it carries: "
                    f"{', '.join(f'`{n}`' for n in carried) or 'none'})")
    if "{{" in LABEL_REF.sub("", text):
        return ("may template only `{{ $labels.<name> }}`: the generated promtool tests must know the alert's text, "
                "so `$value` and functions are not expanded here")
    return None


def expand(text: str, labels: dict[str, str]) -> str:
    """`text` with every `{{ $labels.<name> }}` replaced by the label's value, as Prometheus expands it."""
    return LABEL_REF.sub(lambda m: labels.get(m.group(1), "<no value>"), text)


# ── threshold alerts: the values their tests feed ──────────────────────────


@dataclass(frozen=True)
class ThresholdInputs:
    """What a threshold alert's test feeds to make it fire, and to keep it quiet.

    rate: per-second rates; ratio: numerator / denominator; quantile: the index of the bucket (in the metric's
    `buckets`, then +Inf) that every observation falls in.
    """

    fire: float
    quiet: float


def quantile_of_bucket(bounds: tuple[float, ...], k: int, q: float) -> float:
    """`histogram_quantile(q, ...)` (Prometheus 2.42) of a histogram whose observations all fall in bucket `k`."""
    if k == len(bounds):       # the +Inf bucket: the highest finite bound
        return bounds[-1]
    if k == 0 and bounds[0] <= 0:
        return bounds[0]
    start = bounds[k - 1] if k > 0 else 0.0
    return start + (bounds[k] - start) * q


def threshold_inputs(query: str, above: bool, x: float, *, bounded: bool = True,
                     bounds: tuple[float, ...] = (), q: float = 0.0) -> ThresholdInputs | str:
    """The inputs of a threshold alert's test, or why the alert can never fire or never be quiet.

    `bounded`: a ratio of a selection to a part of itself, which never exceeds 1.
    """
    what = "fire" if above else "be quiet"
    if query == "quantile":
        # the buckets whose value lies closest to the threshold on either side: a changed quantile, threshold or
        # comparison in the rule moves one of them across
        values = [quantile_of_bucket(bounds, k, q) for k in range(len(bounds) + 1)]
        over = [k for k, v in enumerate(values) if (v > x if above else v >= x)]
        under = [k for k, v in enumerate(values) if (v <= x if above else v < x)]
        if not over:
            return (f"can never {what}: the {q:g} quantile is at most {max(values):g} "
                    "(with every observation in its highest bucket)")
        if not under:
            return (f"can never {'be quiet' if above else 'fire'}: the {q:g} quantile is at least "
                    f"{min(values):g} (with every observation in its lowest bucket)")
        high = min(over, key=lambda k: values[k])
        low = max(under, key=lambda k: values[k])
        return ThresholdInputs(high, low) if above else ThresholdInputs(low, high)
    top = 1.0 if query == "ratio" and bounded else None
    noun = "a ratio of a selection to a part of itself" if top is not None else f"a {query}"
    if above and x < 0 or not above and x <= 0:
        return f"can never {'be quiet' if above else 'fire'}: {noun} is never negative"
    if top is not None and (above and x >= top or not above and x > top):
        return f"can never {what}: {noun} is at most 1"
    # a quarter above and a fifth below: a threshold moved by that much in the rule fails its test
    higher = 1.25 * x if x > 0 else 1.0
    if top is not None:
        higher = min(higher, (x + top) / 2) if x < top else top
    lower = 0.8 * x
    return ThresholdInputs(higher, lower) if above else ThresholdInputs(lower, higher)
