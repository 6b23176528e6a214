from __future__ import annotations

from collections.abc import Iterator

from contract import alerting
from contract.checks.base import ContractCheck
from contract.checks.rule_name import LABEL_NAME
from contract.loader import LoadedContract
from contract.model import AlertText, Contract, ThresholdAlert, duration_seconds
from contract.problems import Problem

# what each query kind reads, as a contract type
_TYPE = {"rate": "counter", "ratio": "counter", "quantile": "histogram"}


class AlertRules(ContractCheck):
    """`alerts:` must describe alerts the tool can write, and prove with promtool tests.

    Per service the tool writes a target-down alert (`up == 0`) and a
    metrics-stopped alert: a job that is up but has not exposed a watched
    metric for `window` (the metrics marked `required: true`, else every
    counter an event feeds), a window of at least two scrape intervals.
    Each threshold alert names a contract metric (`metric`, narrowed by
    `match` to label values, from the label's closed set when it has one),
    a `query` its type answers (`rate` and `ratio` of counters, `quantile`
    of a histogram), labels to keep apart (`by`) among the metric's own and
    not narrowed by `match`, and a rate window of at least two scrape
    intervals. A `ratio`'s denominator (`of`, by default the metric without
    `match`) must include the numerator when both are one metric, and
    leave some series out of it. The alert must be able to fire and to be
    quiet: `above: 1` on a ratio of a selection to its own superset never
    fires, nor does a quantile above the highest bucket bound. Alert names
    are unique; label and annotation names are label names, the labels
    `alertname`, `job`, `instance`, `slo` and `le` are the alert series'
    own, and labels and annotations may template only `{{ $labels.<name> }}`
    of a label the alert carries: the generated tests must know each
    alert's text.
    """

    id = "contract/alert"
    summary = "alerts must name contract metrics and labels, be able to fire and stay quiet, and use known text"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        alerts = c.alerts
        if alerts is None:
            return
        yield from text_problems(self, lc, ("alerts", "target_down"), alerts.target_down,
                                 alerting.target_down_name(c), alerting.TARGET_DOWN_LABELS)
        yield from text_problems(self, lc, ("alerts", "metrics_stopped"), alerts.metrics_stopped,
                                 alerting.metrics_stopped_name(c), alerting.JOB_LABELS)
        window = alerts.metrics_stopped.window
        if duration_seconds(window) < 2 * c.scrape_seconds:
            yield self.at(lc, ("alerts", "metrics_stopped", "window"),
                          f"metrics-stopped `window` `{window}` is shorter than two scrape intervals "
                          f"({c.scrape_interval} each): one missed scrape would raise the alert")
        yield from duplicate_names(self, lc, slo=False)
        for i, t in enumerate(alerts.thresholds):
            yield from self.threshold(lc, c, ("alerts", "thresholds", i), t)

    def threshold(self, lc: LoadedContract, c: Contract, path: alerting.Path, t: ThresholdAlert) -> Iterator[Problem]:
        resolved, problems = alerting.resolve(c, t.selection)
        for below, message, key in problems:
            yield self.at(lc, path + below, f"alert `{t.alert}`: {message}", key=key, metric=t.metric)
        if resolved is None:
            return
        m = resolved.metric
        if m.type != _TYPE[t.query]:
            yield self.at(lc, path + ("query",), f"alert `{t.alert}` asks for the {t.query} of `{m.name}`, a "
                          f"{m.type}; that needs a {_TYPE[t.query]}", metric=m.name)
            return
        carried = list(alerting.JOB_LABELS)
        for k, name in enumerate(t.by):
            if name in t.match or t.query == "ratio" and name in t.denominator.match:
                yield self.at(lc, path + ("by", k), f"alert `{t.alert}` keeps `{name}` apart, which its `match` "
                              "narrows: keep apart labels the query leaves open", metric=m.name)
                return
            if name not in resolved.labels:
                known = ", ".join(f"`{n}`" for n in m.label_names) or "none"
                yield self.at(lc, path + ("by", k), f"alert `{t.alert}` keeps `{name}` apart, which is not a label "
                              f"of `{m.name}` (its labels: {known})", metric=m.name)
                return
            carried.append(resolved.labels[name])
        if t.window is not None and duration_seconds(t.window) < 2 * c.scrape_seconds:
            yield self.at(lc, path + ("window",), f"alert `{t.alert}`: `window` `{t.window}` is shorter than two "
                          f"scrape intervals ({c.scrape_interval} each); a rate needs two samples in it",
                          metric=m.name)
        bounded = True
        if t.query == "ratio":
            denominator = t.denominator
            over, problems = alerting.resolve(c, denominator)
            for below, message, key in problems:
                yield self.at(lc, path + ("of",) + below, f"alert `{t.alert}`: {message}", key=key,
                              metric=denominator.metric)
            if over is None:
                return
            if over.metric.type != "counter":
                yield self.at(lc, path + ("of", "metric"), f"alert `{t.alert}` divides by `{over.metric.name}`, a "
                              f"{over.metric.type}; a ratio of rates needs a counter", metric=over.metric.name)
                return
            missing = [name for name in t.by if name not in over.labels]
            if missing:
                yield self.at(lc, path + ("by",), f"alert `{t.alert}` keeps `{missing[0]}` apart, which is not a "
                              f"label of its denominator `{over.metric.name}`", metric=over.metric.name)
                return
            if over.metric.name == m.name:
                if not alerting.narrows(t.selection, denominator):
                    yield self.at(lc, path + ("match",), f"alert `{t.alert}`: the numerator must select a part of "
                                  f"its denominator (`of`), which it does not", metric=m.name)
                    return
                if alerting.outside(m, t.selection, denominator) is None:
                    yield self.at(lc, path + ("match",), f"alert `{t.alert}`: the numerator selects all of its "
                                  "denominator, so the ratio is always 1", metric=m.name)
                    return
            else:
                bounded = False
        inputs = alerting.threshold_inputs(t.query, t.above is not None, t.threshold, bounded=bounded,
                                           bounds=tuple(m.buckets or ()), q=t.quantile or 0.0)
        if isinstance(inputs, str):
            yield self.at(lc, path + ("above" if t.above is not None else "below",), f"alert `{t.alert}` {inputs}",
                          metric=m.name)
        if t.query == "quantile" and not m.buckets:
            yield self.at(lc, path + ("metric",), f"alert `{t.alert}`: histogram `{m.name}` needs explicit "
                          "`buckets`", metric=m.name)
        yield from text_problems(self, lc, path, t, t.alert, tuple(carried))


def text_problems(check: ContractCheck, lc: LoadedContract, path: alerting.Path, text: AlertText, alert: str,
                  carried: tuple[str, ...]) -> Iterator[Problem]:
    """Names and templates of an alert's labels and annotations (`path`: where they are declared)."""
    for kind, table in (("labels", text.labels), ("annotations", text.annotations)):
        for key, value in table.items():
            at = path + (kind, key)
            what = "label" if kind == "labels" else "annotation"
            if not LABEL_NAME.match(key):
                yield check.at(lc, at, f"{what} name `{key}` of alert `{alert}` is not a valid label name (letters, "
                               "digits and `_`, not starting with a digit)", key=True)
            elif kind == "labels" and (key.startswith("__") or key in alerting.PROTECTED_LABELS):
                yield check.at(lc, at, f"label `{key}` of alert `{alert}` is the alert series' own; choose "
                               "another name", key=True)
            problem = alerting.template_problem(value, carried)
            if problem is not None:
                yield check.at(lc, at, f"{what} `{key}` of alert `{alert}` {problem}")


def duplicate_names(check: ContractCheck, lc: LoadedContract, *, slo: bool) -> Iterator[Problem]:
    """An alert name given a second time, by an SLO (`slo`) or by `alerts:`: the generated tests tell alerts apart
    by name."""
    seen: dict[str, str] = {}
    for a in alerting.alert_names(lc.contract):
        if a.name in seen and (a.kind == "SLO") == slo:
            yield check.at(lc, a.path, f"alert name `{a.name}` is taken by the {seen[a.name]} alert; give each alert "
                           "its own name")
        else:
            seen[a.name] = a.kind
