"""`prometheus/alerts.yml` and `prometheus/alerts_test.yml`: alerting rules and SLOs, each proven by promtool tests.

Written for a contract with `alerts:` or `slos:` (README, "Alerts and SLOs"); the PromQL is the tool's, built
from contract metrics (`contract.alerting`), so it passes `check` by construction.

`alerts.yml` holds one group `<service>.alerts`: the target-down alert (`up == 0` on the scrape jobs the
stack's paths come through, `stack.paths`: the direct one, named after the service, and the Collector's), one
metrics-stopped rule per watched metric (a scrape job of the service's paths is up, yet no series of it has had
the service's job for `window`; one alert for the service, whatever the metric's labels), and the threshold
alerts. The service's series carry its name as `job` on every path (`stack.series_job`); the Collector's `up`
does not (`stack.scrape_job`), so the metrics-stopped rule gives it the service's job before matching. Each SLO
gets a group `<service>.slo.<name>`: its error ratio over 5m, 30m, 1h, 2h, 6h, 1d and 3d
(`job:<family>:slo_error_ratio_rate<w>`), the burn rate of each (`job:<family>:slo_burn_rate<w>`: the ratio over
the error budget), the budget remaining over 30 days, and the page and ticket alerts of the SRE workbook's
multi-window multi-burn-rate table (`contract.alerting.BURN_RULES`). Recordings come before the alerts that read
them: within a group Prometheus evaluates in order.

`alerts_test.yml` proves every alert with promtool. Each SLO gets input series, one scenario per `job` value,
that burn its budget steadily at 20 and at 0.5 times its even rate (2% and 0.05% errors on a 99.9% objective),
and four per burn rule (`scenarios`): just above its factor over its long window (a longer window would see
less), just below it with the errors in the window's recent half (a window shorter by a tenth would see them
above), above it over the long window with the short one quiet (a short window twice as long would see them),
and a burst in the last half of the short window (a short window half as long would see it above). Which alert
fires in which scenario is computed from the error counts the inputs carry (`_burns`), so a changed factor or
window in alerts.yml makes `promtool test rules` fail; the exception is the 3x-over-1d ticket rule, which
whenever it holds leaves 1x over 3d holding too, so a change that makes it less sensitive changes nothing
tests/test_slo.py could see. Each metrics-stopped rule gets, per path of the stack (that path's labels and scrape
target), series that stop (its alert fires, once) and one that keeps going beside
a stopped one (no alert); target down, on each scrape job, an instance that goes down beside one that stays
up; each threshold alert a job whose series make it fire and one whose series keep it quiet, each as close to
the threshold as a quarter above or a fifth below (the nearest bucket, for a quantile).

promtool evaluates every rule at every evaluation step up to a test's last eval time, and the ticket alert's
test spans four days: the tests evaluate hourly (inputs stay per minute, so every window holds the samples it
would in production) and assert at whole hours. Prometheus 3 selects a range without the sample at its start
(Prometheus 2 with it); every scenario fires the same alerts either way (`_fires` computes both), so the tests
pass on promtool 2 and 3 (tests/test_rules_promtool3.py).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from contract import alerting
from contract.alerting import BURN_RULES, WINDOW_MINUTES, WINDOWS, BurnRule, Resolved, SloNames
from contract.loader import LoadedContract
from contract.model import Metric, Selection, Slo, ThresholdAlert, duration_seconds
from contract.naming import ExpositionPath
from contract.problems import InputError, input_error
from generators import rules
from generators.common import hash_header
from generators.stack import ALERTS_FILE, scrape_job, series_job

TESTS_FILE = "prometheus/alerts_test.yml"
EVALUATION_MINUTES = 60
# events per minute in SLO test inputs: large enough that rounding error counts to whole numbers moves a burn
# rate by far less than the margins below, small enough that four days of them stay exact in a float
EVENTS_PER_MINUTE = 1_000_000
# how far above and below a burn rule's factor its scenarios burn
ABOVE, BELOW = Fraction(11, 10), Fraction(9, 10)
# what the SLO input counters hold when a test starts, in events: counters that ran before it, so rate()
# extrapolates every one of them alike (a counter near zero at a window's start is extrapolated less, towards
# zero only) and a ratio of two rates is the ratio of their increases, on Prometheus 2 and 3 alike
COUNTER_START = 10 * EVENTS_PER_MINUTE
# the steady burns of a worked example: 2% and 0.05% errors on a 99.9% objective
FAST, SLOW = Fraction(20), Fraction(1, 2)
# the page scenarios need six hours of history and room before it; the ticket ones three days and a day more
PAGE_MINUTES = 9 * 60
TICKET_MINUTES = 4 * 24 * 60
# the jobs of a threshold alert's test
FIRES, QUIET = "fires", "quiet"
# when the metrics-stopped and target-down inputs stop (minutes)
STOP_MINUTE = 120
DOWN_MINUTE = 60
# when a scenario burns within this fraction of a factor, its outcome would hang on float rounding
_MARGIN = Fraction(1, 100)
# the series of a family with several that stop with it: the observation count of a histogram or summary
_WATCHED_SUFFIX = {"histogram": "_count", "summary": "_count"}


def generate(lc: LoadedContract) -> dict[str, str]:
    if not alerting.has_alerts(lc.contract):
        return {}
    header = hash_header(lc)
    return {
        ALERTS_FILE: header + rules.dump({"groups": rule_groups(lc)}),
        TESTS_FILE: header + rules.dump(rule_tests(lc)),
    }


# ── alerts.yml ─────────────────────────────────────────────────────────────


def rule_groups(lc: LoadedContract) -> list[dict[str, Any]]:
    c = lc.contract
    groups = []
    if c.alerts is not None:
        rules_ = [target_down(lc), *(metric_stopped(lc, m) for m in alerting.watched_metrics(c))]
        rules_ += [threshold(lc, i) for i in range(len(c.alerts.thresholds))]
        groups.append({"name": f"{c.service}.alerts", "rules": rules_})
    for i, slo in enumerate(c.slos):
        groups.append({"name": f"{c.service}.slo.{slo.name}", "rules": slo_rules(lc, i)})
    return groups


def scrape_jobs(lc: LoadedContract) -> list[str]:
    """The scrape jobs whose `up` says whether the stack's paths can bring series in (`stack.scrape_job`)."""
    c = lc.contract
    return list(dict.fromkeys(scrape_job(c, path) for path in c.stack_paths))


def _job_matcher(names: list[str]) -> str:
    if len(names) == 1:
        return f"job={alerting.quote(names[0])}"
    return f"job=~{alerting.quote(alerting.regex_alternatives(tuple(names)))}"


def _alert(name: str, expr: str, for_: str | None, labels: dict[str, str], annotations: dict[str, str]
           ) -> dict[str, Any]:
    out: dict[str, Any] = {"alert": name, "expr": expr}
    if for_ is not None and duration_seconds(for_) > 0:
        out["for"] = for_
    if labels:
        out["labels"] = dict(sorted(labels.items()))
    if annotations:
        out["annotations"] = dict(sorted(annotations.items()))
    return out


def target_down(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    assert c.alerts is not None
    spec = c.alerts.target_down
    # the Collector's target down stops every series pushed through it: the summary names the service it stops
    return _alert(alerting.target_down_name(c), f"up{{{_job_matcher(scrape_jobs(lc))}}} == 0", spec.for_,
                  {"severity": "page", **spec.labels},
                  {"summary": f"{{{{ $labels.job }}}} target {{{{ $labels.instance }}}} is down: no `{c.service}` "
                              "series come through it", **spec.annotations})


def watched_series(lc: LoadedContract, m: Metric) -> str:
    """The series whose absence means `m` stopped: a histogram's `_count`, else its one series (a counter's `_total`,
    or the family alone on a path without suffixes; a gauge)."""
    e = rules.exposure(lc, m)
    if e.prom_type in _WATCHED_SUFFIX:
        return e.family + _WATCHED_SUFFIX[e.prom_type]
    (series,) = e.core_series
    return series


def _counter_series(lc: LoadedContract, r: Resolved) -> str:
    """The series of the counter a selection selects (`_total` unless the declared paths append no suffixes)."""
    return rules.counter_series(rules.exposure(lc, r.metric))


def metric_stopped(lc: LoadedContract, m: Metric) -> dict[str, Any]:
    c = lc.contract
    assert c.alerts is not None
    spec = c.alerts.metrics_stopped
    # one alert for the service while a scrape target its series can come through is up, and none of its
    # series of the metric, whatever their labels, has been there for the window
    up = f"up{{{_job_matcher(scrape_jobs(lc))}}} == 1"
    if scrape_jobs(lc) == [series_job(c)]:
        alive = f"max by (job) ({up})"
    else:
        # the Collector's `up` has the Collector's job: any target up, as one series, takes the series' job
        # (one series: `label_replace` refuses to make two alike)
        alive = f"label_replace(max({up}), \"job\", {alerting.quote(series_job(c))}, \"job\", \".*\")"
    watched = alerting.series_selector(watched_series(lc, m))
    expr = f"{alive} unless on (job) max by (job) (present_over_time({watched}[{spec.window}]))"
    return _alert(alerting.metrics_stopped_name(c), expr, spec.for_,
                  {"severity": "ticket", "metric": m.name, **spec.labels},
                  {"summary": f"{{{{ $labels.job }}}} is up but exposed no `{m.name}` series for {spec.window}",
                   **spec.annotations})


@dataclass(frozen=True)
class Threshold:
    """A threshold alert resolved against the contract."""

    alert: ThresholdAlert
    numerator: Resolved
    denominator: Resolved | None
    by: tuple[str, ...]          # `job` and the exposed `by` labels
    window: str


def resolved_threshold(lc: LoadedContract, i: int) -> Threshold:
    c = lc.contract
    assert c.alerts is not None
    t = c.alerts.thresholds[i]
    path = ("alerts", "thresholds", i)
    numerator = _resolve(lc, path, t.selection)
    denominator = _resolve(lc, path + ("of",), t.denominator) if t.query == "ratio" else None
    by = ("job", *(numerator.labels[name] for name in t.by))
    return Threshold(t, numerator, denominator, by, t.window or f"{rules.window_minutes(c)}m")


def _resolve(lc: LoadedContract, path: alerting.Path, selection: Selection) -> Resolved:
    found, problems = alerting.resolve(lc.contract, selection)
    if found is None:
        below, message, key = problems[0]
        raise InputError(lc.at(path + below, "contract/alert", message, key=key))
    return found


def threshold_query(lc: LoadedContract, r: Threshold) -> str:
    t, w, by = r.alert, r.window, ", ".join(alerting.label_name(label) for label in r.by)
    numerator = r.numerator
    if t.query == "quantile":
        buckets = numerator.selector(numerator.family + "_bucket")
        return f"histogram_quantile({t.quantile!r}, sum by ({by}, le) (rate({buckets}[{w}])))"
    rate = f"sum by ({by}) (rate({numerator.selector(_counter_series(lc, numerator))}[{w}]))"
    if r.denominator is None:
        return rate
    return f"{rate} / sum by ({by}) (rate({r.denominator.selector(_counter_series(lc, r.denominator))}[{w}]))"


def threshold(lc: LoadedContract, i: int) -> dict[str, Any]:
    r = resolved_threshold(lc, i)
    t = r.alert
    comparison = ">" if t.above is not None else "<"
    if t.query == "quantile":
        what = f"the {t.quantile:g} quantile of {_described(t.selection)}"
    elif t.query == "ratio":
        what = f"the ratio of {_described(t.selection)} to {_described(t.denominator)}"
    else:
        what = f"the per-second rate of {_described(t.selection)}"
    summary = (f"{{{{ $labels.job }}}}: {what} over {r.window} is {'above' if t.above is not None else 'below'} "
               f"{rules.number(t.threshold)}")
    return _alert(t.alert, f"{threshold_query(lc, r)} {comparison} {rules.number(t.threshold)}", t.for_, dict(t.labels),
                  {"summary": summary, **t.annotations})


def _described(selection: Selection) -> str:
    """`metric` (label=value, ...) for an alert's summary."""
    narrowed = ", ".join(f"{name}={'|'.join(selection.values(name) or ())}" for name in selection.match)
    return f"`{selection.metric}`" + (f" ({narrowed})" if narrowed else "")


# ── SLO rules ──


@dataclass(frozen=True)
class SloSeries:
    """What an SLO's rules select: its names, and its SLI's series."""

    slo: Slo
    names: SloNames
    errors: Resolved | None       # events SLI
    total: Resolved               # events SLI: the total counter; latency SLI: the histogram
    le: tuple[str, ...] = ()      # latency SLI: the threshold's `le` spellings


def slo_series(lc: LoadedContract, i: int) -> SloSeries:
    c = lc.contract
    slo = c.slos[i]
    names = alerting.slo_names(c, slo)
    events, latency = slo.sli.events, slo.sli.latency
    path = ("slos", i, "sli")
    if names is None:
        raise input_error(lc.file, "contract/slo", f"SLO `{slo.name}` counts no series the contract exposes")
    if events is not None:
        return SloSeries(slo, names, _resolve(lc, path + ("events", "error_query"), events.error_query),
                         _resolve(lc, path + ("events", "total_query"), events.total_query))
    assert latency is not None   # an SLI has one of the two
    return SloSeries(slo, names, None, _resolve(lc, path + ("latency",), latency.selection),
                     alerting.le_spellings(latency.threshold))


def error_ratio(lc: LoadedContract, s: SloSeries, w: str) -> str:
    if s.errors is not None:
        total = f"sum by (job) (rate({s.total.selector(_counter_series(lc, s.total))}[{w}]))"
        errors = f"sum by (job) (rate({s.errors.selector(_counter_series(lc, s.errors))}[{w}]))"
        # `or`: a counter with labels has no series before its first error, and no errors is a ratio of 0
        return f"({errors} or 0 * {total}) / {total}"
    le = f"le={alerting.quote(s.le[0])}" if len(s.le) == 1 \
        else f"le=~{alerting.quote(alerting.regex_alternatives(s.le))}"
    return (f"1 - sum by (job) (rate({s.total.selector(s.total.family + '_bucket', le)}[{w}])) / "
            f"sum by (job) (rate({s.total.selector(s.total.family + '_count')}[{w}]))")


def slo_rules(lc: LoadedContract, i: int) -> list[dict[str, Any]]:
    s = slo_series(lc, i)
    slo, names = s.slo, s.names
    of = f"{{slo={alerting.quote(slo.name)}}}"
    budget = alerting.decimal_text(alerting.budget(slo))
    out: list[dict[str, Any]] = []
    out += [{"record": names.error_ratio(w), "expr": error_ratio(lc, s, w), "labels": {"slo": slo.name}}
            for w in WINDOWS]
    out += [{"record": names.burn_rate(w), "expr": f"{names.error_ratio(w)}{of} / {budget}",
             "labels": {"slo": slo.name}} for w in WINDOWS]
    # the budget left over the period: one minus the mean burn rate (Sloth's approximation: 5m ratios, unweighted)
    out.append({"record": names.budget_remaining,
                "expr": f"1 - avg_over_time({names.burn_rate(WINDOWS[0])}{of}[{alerting.PERIOD}])",
                "labels": {"slo": slo.name}})
    for severity in ("page", "ticket"):
        conditions = [f"({names.burn_rate(r.long)}{of} > {rules.number(r.factor)} and "
                      f"{names.burn_rate(r.short)}{of} > {rules.number(r.factor)})"
                      for r in BURN_RULES if r.severity == severity]
        labels, annotations = slo_alert_text(slo, severity)
        out.append(_alert(alerting.slo_alert_name(slo), " or ".join(conditions), None, labels, annotations))
    return out


def slo_alert_text(slo: Slo, severity: str) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations of the SLO's `severity` alert: defaults, then `alerting`'s, then its own."""
    own = slo.alerting.page_alert if severity == "page" else slo.alerting.ticket_alert
    speed = "fast" if severity == "page" else "steadily"
    annotations = {"summary": f"{{{{ $labels.job }}}}: SLO {slo.name} ({slo.objective:g}%) burns its error budget "
                              f"too {speed}"}
    if slo.description:
        annotations["description"] = slo.description
    return ({"severity": severity, **slo.alerting.labels, **own.labels},
            {**annotations, **slo.alerting.annotations, **own.annotations})


# ── alerts_test.yml ────────────────────────────────────────────────────────


def rule_tests(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    tests: list[dict[str, Any]] = []
    if c.alerts is not None:
        tests.append(target_down_test(lc))
        for m in alerting.watched_metrics(c):
            tests += metric_stopped_tests(lc, m)
        tests += [threshold_test(lc, i) for i in range(len(c.alerts.thresholds))]
    for i in range(len(c.slos)):
        tests += slo_tests(lc, i)
    return {"rule_files": [ALERTS_FILE.rsplit("/", 1)[1]], "evaluation_interval": f"{EVALUATION_MINUTES}m",
            "tests": tests}


def _step_after(minutes: float) -> int:
    """The first evaluation (in minutes) strictly after `minutes`."""
    return (math.floor(minutes / EVALUATION_MINUTES) + 1) * EVALUATION_MINUTES


def _firing_at(active: int, for_: str | None) -> int:
    """When an alert active from the evaluation at `active` fires: the first evaluation `for` after it."""
    hold = duration_seconds(for_) / 60 if for_ is not None else 0
    return active + math.ceil(hold / EVALUATION_MINUTES) * EVALUATION_MINUTES


def _group(name: str, inputs: list[dict[str, str]], alert_tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "interval": "1m", "input_series": inputs, "alert_rule_test": alert_tests}


def _exp(series: dict[str, str], labels: dict[str, str], annotations: dict[str, str]) -> dict[str, Any]:
    """One expected alert: the alert series' labels, with the rule's labels and annotations expanded from them."""
    out: dict[str, Any] = {"exp_labels": dict(sorted({**series, **{k: alerting.expand(v, series)
                                                                    for k, v in labels.items()}}.items()))}
    if annotations:
        out["exp_annotations"] = {k: alerting.expand(v, series) for k, v in sorted(annotations.items())}
    return out


def _alert_test(name: str, at: int, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"eval_time": f"{at}m", "alertname": name,
            "exp_alerts": sorted(expected, key=lambda e: json.dumps(e["exp_labels"], sort_keys=True))}


def target_down_test(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    assert c.alerts is not None
    rule = target_down(lc)
    # on every scrape job one instance stays up, one goes down after DOWN_MINUTE: the first evaluation after sees
    # it, `for` later it fires, once per job
    fires = _firing_at(_step_after(DOWN_MINUTE), c.alerts.target_down.for_)
    inputs, expected = [], []
    for job in scrape_jobs(lc):
        up, down = {"job": job, "instance": "replica-1"}, {"job": job, "instance": "replica-2"}
        inputs += [{"series": rules.selector("up", up), "values": f"1x{fires}"},
                   {"series": rules.selector("up", down), "values": f"1x{DOWN_MINUTE} 0x{fires - DOWN_MINUTE - 1}"}]
        expected.append(_exp(down, rule.get("labels", {}), rule.get("annotations", {})))
    return _group("target down: on each scrape job, one instance of two goes down", inputs,
                  [_alert_test(rule["alert"], fires, expected)])


def metric_stopped_tests(lc: LoadedContract, m: Metric) -> list[dict[str, Any]]:
    """Per path of the stack, as an application exposes through one at a time (that path's scrape target up, its
    series with its labels): every series of `m` stops, one alert for the service. Then one series stops while
    another keeps going (or, for a metric with a single series, it keeps going): no alert. In both, every other
    watched metric keeps going: its rule, which fires under the same alert name, stays quiet."""
    c = lc.contract
    assert c.alerts is not None
    spec = c.alerts.metrics_stopped
    rule = metric_stopped(lc, m)
    # the evaluation that first finds no sample in the window after the stop, then `for` later
    fires = _firing_at(_step_after(STOP_MINUTE + duration_seconds(spec.window) / 60), spec.for_)
    label_sets = rules.label_sets(m, rules.exposure(lc, m))[:2]
    keeps = ("one series stops, another keeps going" if len(label_sets) > 1 else "the series keeps going")
    others = [other for other in alerting.watched_metrics(c) if other.name != m.name]
    out = []
    for path in c.stack_paths:
        # the path's own scrape target answers (the Collector's, behind it)
        up = rules.selector("up", rules.up_labels(lc, path))
        going = [_watched_input(lc, other, path, rules.label_sets(other, rules.exposure(lc, other))[0], fires)
                 for other in others]
        for what, stopped in (("every series stops", len(label_sets)), (keeps, len(label_sets) - 1)):
            inputs = [{"series": up, "values": f"1x{fires}"}]
            inputs += [_watched_input(lc, m, path, labels, STOP_MINUTE if k < stopped else fires)
                       for k, labels in enumerate(label_sets)]
            inputs += going
            expected = [_exp({"job": series_job(c)}, rule["labels"], rule["annotations"])] \
                if stopped == len(label_sets) else []
            out.append(_group(f"metrics stopped: `{m.name}` on {path}: {what}", inputs,
                              [_alert_test(rule["alert"], fires, expected)]))
    return out


def _watched_input(lc: LoadedContract, m: Metric, path: ExpositionPath, labels: dict[str, str], minutes: int
                   ) -> dict[str, str]:
    """The watched series of `m` with its exposed `labels` as `path` brings it in, there for `minutes` minutes: a
    counter (or a histogram's count) growing, a gauge steady."""
    counts = rules.exposure(lc, m).prom_type in ("counter", "histogram", "summary")
    return {"series": rules.selector(watched_series(lc, m), {**rules.series_labels(lc, path), **labels}),
            "values": f"0+60x{minutes}" if counts else f"1x{minutes}"}


def _labels_of(r: Resolved, contract_labels: dict[str, str]) -> dict[str, str]:
    """Contract label values as the exposed labels of `r`'s metric."""
    return {r.labels[name]: value for name, value in contract_labels.items()}


def threshold_test(lc: LoadedContract, i: int) -> dict[str, Any]:
    r = resolved_threshold(lc, i)
    t = r.alert
    m = r.numerator.metric
    bounded = r.denominator is None or r.denominator.metric.name == m.name
    inputs_ = alerting.threshold_inputs(t.query, t.above is not None, t.threshold, bounded=bounded,
                                        bounds=tuple(m.buckets or ()), q=t.quantile or 0.0)
    if isinstance(inputs_, str):
        raise input_error(lc.file, "contract/alert", f"alert `{t.alert}` {inputs_}")
    window = math.ceil(duration_seconds(r.window) / 60)
    fires = _firing_at(max(EVALUATION_MINUTES, math.ceil(window / EVALUATION_MINUTES) * EVALUATION_MINUTES), t.for_)
    rule = threshold(lc, i)
    inputs: list[dict[str, str]] = []
    expected = []
    for job, value in ((FIRES, inputs_.fire), (QUIET, inputs_.quiet)):
        contract_labels = alerting.label_set(m, t.selection)
        inputs += _threshold_inputs(lc, r, job, contract_labels, value, fires)
        if job == FIRES:
            series = {"job": job, **{r.numerator.labels[n]: contract_labels[n] for n in t.by}}
            expected.append(_exp(series, rule.get("labels", {}), rule.get("annotations", {})))
    return _group(f"threshold alert `{t.alert}`: one job fires, one stays quiet", inputs,
                  [_alert_test(t.alert, fires, expected)])


def _threshold_inputs(lc: LoadedContract, r: Threshold, job: str, contract_labels: dict[str, str], value: float,
                      minutes: int) -> list[dict[str, str]]:
    t = r.alert
    numerator = r.numerator
    labels = {"job": job, **_labels_of(numerator, contract_labels)}
    if t.query == "rate":
        return [_counter(_counter_series(lc, numerator), labels, Fraction(value) * 60, minutes)]
    if t.query == "quantile":
        bounds = tuple(numerator.metric.buckets or ())
        les = [repr(float(b)) for b in bounds] + ["+Inf"]
        # every observation (one a second) in bucket `value`: cumulative counts are zero below it
        return [_counter(f"{numerator.family}_bucket", {**labels, "le": le}, Fraction(60 if k >= value else 0),
                         minutes) for k, le in enumerate(les)]
    denominator = r.denominator
    assert denominator is not None   # a ratio
    part = Fraction(round(Fraction(value) * EVENTS_PER_MINUTE))
    if _fires_at(t, part / EVENTS_PER_MINUTE) != (job == FIRES):
        raise input_error(lc.file, "contract/alert", f"alert `{t.alert}`: no whole-number input puts the ratio on "
                          f"the right side of {rules.number(t.threshold)}")
    if denominator.metric.name != numerator.metric.name:
        # the `by` labels as the numerator's, or the two sides would not match
        kept = {name: contract_labels[name] for name in t.by}
        other = {"job": job, **_labels_of(denominator, {**alerting.label_set(denominator.metric, t.denominator),
                                                       **kept})}
        return [_counter(_counter_series(lc, numerator), labels, part, minutes),
                _counter(_counter_series(lc, denominator), other, Fraction(EVENTS_PER_MINUTE), minutes)]
    rest = alerting.outside(numerator.metric, t.selection, t.denominator)
    assert rest is not None   # the check refuses a numerator that selects all of its denominator
    rest_labels = {"job": job, **_labels_of(numerator, rest)}
    series = _counter_series(lc, numerator)
    return [_counter(series, labels, part, minutes), _counter(series, rest_labels, EVENTS_PER_MINUTE - part, minutes)]


def _fires_at(t: ThresholdAlert, value: Fraction) -> bool:
    """Whether the alert's condition holds for `value`."""
    x = Fraction(t.threshold)
    return value > x if t.above is not None else value < x


def _counter(name: str, labels: dict[str, str], per_minute: Fraction, minutes: int) -> dict[str, str]:
    return {"series": rules.selector(name, labels), "values": f"0+{rules.number(float(per_minute))}x{minutes}"}


# ── SLO tests ──


@dataclass(frozen=True)
class Scenario:
    """Errors per minute, as a burn rate of the budget, in segments from the start of a test to its end."""

    job: str
    segments: tuple[tuple[int, Fraction], ...]   # (minutes, burn rate)


def scenarios(minutes: int, rules_: tuple[BurnRule, ...], steady: bool) -> list[Scenario]:
    out = []
    if steady:
        out += [Scenario(f"steady-{rules.number(float(b))}x", ((minutes, b),)) for b in (FAST, SLOW)]
    for r in rules_:
        long, short = WINDOW_MINUTES[r.long], WINDOW_MINUTES[r.short]
        f = Fraction(r.factor).limit_denominator(1000)
        name = f"{r.severity}-{r.long}"
        out.append(Scenario(f"{name}-above", ((minutes - long, Fraction(0)), (long, ABOVE * f))))
        # the same errors as just below the factor over the long window, all in its recent half: any window
        # shorter by a tenth or more would see them above it
        out.append(Scenario(f"{name}-below", ((minutes - long // 2, Fraction(0)), (long // 2, 2 * BELOW * f))))
        # above the factor over the long window, but nothing in the short one: a short window twice as long
        # would see twice the factor
        out.append(Scenario(f"{name}-reset", ((minutes - long, Fraction(0)), (long - 2 * short, ABOVE * f),
                                              (short, 2 * ABOVE * f), (short, Fraction(0)))))
        # above the factor over the long window (all but its last three short windows), then quiet, then a burst
        # in the last half of the short window: just below the factor over the short window as Prometheus 3 sees
        # it (its last short - 1 minutes, see `_burns`), below it over all of it (Prometheus 2), about twice that
        # over a window half as long; and quiet enough over the last three short windows that a slower rule
        # (whose long window is that) does not fire in its stead
        early = long - 3 * short
        out.append(Scenario(f"{name}-recent", ((minutes - long, Fraction(0)), (early, ABOVE * f * long / early),
                                               (3 * short - short // 2, Fraction(0)),
                                               (short // 2, BELOW * f * Fraction(short - 1, short // 2)))))
    return out


def _error_counts(s: Scenario, budget: Fraction) -> list[int] | None:
    """Errors in each minute of the scenario (of EVENTS_PER_MINUTE events); None when it needs more errors than
    events (a burn rate above 1 / budget)."""
    counts: list[int] = []
    for length, burn in s.segments:
        errors = round(burn * budget * EVENTS_PER_MINUTE)
        if errors > EVENTS_PER_MINUTE:
            return None
        counts += [errors] * length
    return counts


def _burns(counts: list[int], budget: Fraction, left_open: bool) -> dict[str, Fraction]:
    """The burn rate over each SLI window at the end of the inputs, as Prometheus 2 (`left_open` false) or 3
    computes it.

    Samples are a minute apart and the tests evaluate at whole minutes. Prometheus 2 selects a window of w
    minutes with the samples at both of its ends: the last w minutes' increments. Prometheus 3 selects it
    left-open, without the sample at its start: the last w - 1 minutes' increments, which rate() extrapolates
    to the window by the same factor for every counter, since they all start far from zero
    (`COUNTER_START`). Either way the error ratio is the errors over the events of those minutes; a window
    longer than the inputs counts all of them.
    """
    out = {}
    for w in WINDOWS:
        span = min(WINDOW_MINUTES[w] - left_open, len(counts))
        out[w] = Fraction(sum(counts[len(counts) - span:]), span * EVENTS_PER_MINUTE) / budget
    return out


def _fires(counts: list[int], budget: Fraction, severity: str) -> bool:
    """Whether the `severity` alert fires at the end of the inputs; the same on Prometheus 2 and 3."""
    outcomes = set()
    for left_open in (False, True):
        burns = _burns(counts, budget, left_open)
        fired = False
        for r in BURN_RULES:
            if r.severity != severity:
                continue
            factor = Fraction(r.factor).limit_denominator(1000)
            for w in (r.long, r.short):
                # an invariant of the scenarios, not of the contract: their burns keep away from every factor
                assert abs(burns[w] - factor) > _MARGIN * factor, \
                    f"a burn of {float(burns[w])} is too close to {factor}"
            fired = fired or (burns[r.long] > factor and burns[r.short] > factor)
        outcomes.add(fired)
    # an invariant of the scenarios too: a window's first minute never decides an outcome
    assert len(outcomes) == 1, "a scenario fires on one Prometheus version only"
    return outcomes.pop()


def slo_tests(lc: LoadedContract, i: int) -> list[dict[str, Any]]:
    s = slo_series(lc, i)
    slo = s.slo
    budget = Fraction(alerting.budget(slo))
    name = alerting.slo_alert_name(slo)
    out = []
    pages = tuple(r for r in BURN_RULES if r.severity == "page")
    tickets = tuple(r for r in BURN_RULES if r.severity == "ticket")
    for title, minutes, rules_, steady in (("page", PAGE_MINUTES, pages, True),
                                           ("ticket", TICKET_MINUTES, tickets, False)):
        inputs: list[dict[str, str]] = []
        expected = []
        for scenario in scenarios(minutes, rules_, steady):
            counts = _error_counts(scenario, budget)
            if counts is None:
                continue
            inputs += _slo_inputs(lc, s, scenario.job, counts)
            for severity in ("page", "ticket"):
                if _fires(counts, budget, severity):
                    labels, annotations = slo_alert_text(slo, severity)
                    expected.append(_exp({"job": scenario.job, "slo": slo.name}, labels, annotations))
        out.append(_group(f"SLO {slo.name}: {title} scenarios", inputs,
                          [_alert_test(name, minutes, expected)]))
    return out


def _slo_inputs(lc: LoadedContract, s: SloSeries, job: str, counts: list[int]) -> list[dict[str, str]]:
    """The SLI's input series for one scenario: EVENTS_PER_MINUTE events a minute, `counts` of them errors."""
    good = [EVENTS_PER_MINUTE - n for n in counts]
    total, errors = s.total, s.errors
    total_selection = s.slo.sli.events.total_query if s.slo.sli.events is not None else None
    if errors is None:   # latency: the good ones fall in the threshold's bucket
        latency = s.slo.sli.latency
        assert latency is not None
        labels = {"job": job, **_labels_of(total, alerting.label_set(total.metric, latency.selection))}
        return [{"series": rules.selector(f"{total.family}_count", labels),
                 "values": _cumulative([EVENTS_PER_MINUTE] * len(counts))},
                {"series": rules.selector(f"{total.family}_bucket", {**labels, "le": s.le[0]}),
                 "values": _cumulative(good)}]
    assert total_selection is not None and s.slo.sli.events is not None
    error_selection = s.slo.sli.events.error_query
    error_labels = {"job": job, **_labels_of(errors, alerting.label_set(errors.metric, error_selection))}
    if errors.metric.name != total.metric.name:
        total_labels = {"job": job, **_labels_of(total, alerting.label_set(total.metric, total_selection))}
        return [{"series": rules.selector(_counter_series(lc, errors), error_labels), "values": _cumulative(counts)},
                {"series": rules.selector(_counter_series(lc, total), total_labels),
                 "values": _cumulative([EVENTS_PER_MINUTE] * len(counts))}]
    rest = alerting.outside(total.metric, error_selection, total_selection)
    assert rest is not None   # the check refuses errors that are all of the total
    series = _counter_series(lc, total)
    return [{"series": rules.selector(series, error_labels), "values": _cumulative(counts)},
            {"series": rules.selector(series, {"job": job, **_labels_of(total, rest)}),
             "values": _cumulative(good)}]


def _cumulative(per_minute: list[int]) -> str:
    """A counter from `COUNTER_START` growing by `per_minute[k]` in minute k+1, in promtool's expanding notation."""
    parts: list[str] = []
    value = COUNTER_START
    k = 0
    while k < len(per_minute):
        step = per_minute[k]
        run = 1
        while k + run < len(per_minute) and per_minute[k + run] == step:
            run += 1
        # `a+bxn` is a, a+b, ..., a+n*b: the first segment starts at the counter's start, the next ones one step on
        if not parts:
            parts.append(f"{value}+{step}x{run}")
        else:
            parts.append(f"{value + step}+{step}x{run - 1}")
        value += step * run
        k += run
    return " ".join(parts) if parts else str(COUNTER_START)
