"""`prometheus/rules.yml` and `prometheus/rules_test.yml`: recording rules and their promtool tests.

Names follow `level:metric:operations` (README, "Recording rules"):

- counter:   `job:<family>:rate<W>m`     = sum by (job, <labels>) (rate(<family>_total[<W>m]))
- histogram: `job:<family>:p50_rate<W>m` (also p95, p99) = histogram_quantile over the bucket rates
             `job:<family>:mean_rate<W>m` = rate of `_sum` / rate of `_count`

Series and label names are the ones `contract.naming.expose` gives on the declared paths (which agree): a path
without suffixes (`prometheus-otlp:NoTranslation`) has a counter's rate read from `<family>`, and a name PromQL
cannot write bare (the UTF-8 paths keep `a.b`) is quoted, `{"a.b_total"}`, as Prometheus 3 reads it. A recorded
name stays one every Prometheus reads: `job:a_b:rate5m` (`contract.naming.record_part`).

`job` is the level: every rule keeps `job` and the metric's declared labels.
The service's series carry its name as `job` on every path (the Collector's
through `honor_labels`, `stack.series_job`), so the rules read one service
whichever path it exposes through; an application exposes through one path at
a time, and two at once under one job would be summed. `<family>` is the series family name without `_total`/`_bucket`;
`<W>` is five minutes or four scrape intervals, whichever is longer, in whole
minutes. Gauges and up-down counters get no rules: they are read as they are.

promtool compares floats bit for bit, so each expected value repeats
Prometheus' float operations on the synthesized input, and the input is chosen
so that those come out round. Each metric gets a test group per declared
path, whose inputs carry that path's labels (`series_labels`), so no sum in a
test covers two paths. The tests pass on promtool 2 and 3 alike
(tests/test_rules_promtool3.py): every input series starts at zero a minute
into the rules' window, so neither version extrapolates, and Prometheus 3's
window, which leaves out the sample at its start, holds the same samples.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from contract.alerting import label_name, quote, series_selector
from contract.loader import LoadedContract
from contract.model import Contract, Metric, Rule
from contract.naming import PATHS, ExpositionPath, Exposure, expose, record_part
from contract.problems import input_error
from generators.common import hash_header
from generators.stack import RULES_FILE, scrape_job, scrape_target, series_job

QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
# A rate window needs several scrapes in it to survive a missed one; four is
# the usual floor, five minutes the usual default.
MIN_WINDOW_MINUTES = 5
SCRAPES_PER_WINDOW = 4
# Value of every label whose real value the generator cannot know.
PLACEHOLDER = "example"
# Counter test inputs grow at distinct powers of two up to 2**(POWERS - 1)
# per second: far below the float limit even over the longest windows.
POWERS = 512


def generate(lc: LoadedContract) -> dict[str, str]:
    header = hash_header(lc)
    return {
        RULES_FILE: header + dump({"groups": rule_groups(lc)}),
        "prometheus/rules_test.yml": header + dump(rule_tests(lc)),
    }


def window_minutes(c: Contract) -> int:
    return max(MIN_WINDOW_MINUTES, math.ceil(SCRAPES_PER_WINDOW * c.scrape_seconds / 60))


def exposure(lc: LoadedContract, metric: Metric) -> Exposure:
    """The metric's series as every declared path exposes them (they must agree)."""
    first, *others = (expose(metric, p) for p in lc.contract.exposition)
    for other in others:
        if (other.core_series, other.labels) != (first.core_series, first.labels):
            raise input_error(lc.file, "generate/path-divergence",
                              f"`{metric.name}` is exposed differently on {first.path} and {other.path}; "
                              f"rules need one series name")
    return first


@dataclass(frozen=True)
class Recording:
    record: str
    expr: str


def counter_series(e: Exposure) -> str:
    """A counter's one series: `<family>_total`, or the family alone on a path that appends no suffixes."""
    (series,) = e.core_series
    return series


def counter_records(e: Exposure, w: int) -> list[Recording]:
    by = _by(("job", *e.labels))
    return [Recording(f"job:{record_part(e.family)}:rate{w}m",
                      f"sum by ({by}) (rate({series_selector(counter_series(e))}[{w}m]))")]


def histogram_records(e: Exposure, w: int) -> list[Recording]:
    by = _by(("job", *e.labels))
    bucket_by = _by(("job", *e.labels, "le"))

    def rate(suffix: str) -> str:
        return f"rate({series_selector(e.family + suffix)}[{w}m])"

    records = [
        Recording(f"job:{record_part(e.family)}:{name}_rate{w}m",
                  f"histogram_quantile({q!r}, sum by ({bucket_by}) ({rate('_bucket')}))")
        for name, q in QUANTILES
    ]
    records.append(Recording(f"job:{record_part(e.family)}:mean_rate{w}m",
                             f"sum by ({by}) ({rate('_sum')}) / sum by ({by}) ({rate('_count')})"))
    return records


def rule_groups(lc: LoadedContract) -> list[dict[str, Any]]:
    c = lc.contract
    w = window_minutes(c)
    counters: list[Recording] = []
    histograms: list[Recording] = []
    for m in c.metrics:
        if m.type == "counter":
            counters += counter_records(exposure(lc, m), w)
        elif m.type == "histogram":
            histograms += histogram_records(exposure(lc, m), w)
    groups = [
        {"name": f"{c.service}.counters", "rules": _recordings(counters)},
        {"name": f"{c.service}.histograms", "rules": _recordings(histograms)},
        # Contract order, not sorted: within a group Prometheus evaluates in
        # order, so a rule reading another rule sees this evaluation's value.
        {"name": f"{c.service}.custom", "rules": [_custom(r) for r in c.rules]},
    ]
    return sorted((g for g in groups if g["rules"]), key=lambda g: g["name"])


def _recordings(records: list[Recording]) -> list[dict[str, str]]:
    return [{"record": r.record, "expr": r.expr} for r in sorted(records, key=lambda r: r.record)]


def _custom(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"record": rule.record} if rule.record else {"alert": rule.alert}
    out["expr"] = rule.expr
    if rule.for_:
        out["for"] = rule.for_
    if rule.labels:
        out["labels"] = dict(sorted(rule.labels.items()))
    if rule.annotations:
        out["annotations"] = dict(sorted(rule.annotations.items()))
    return out


# ── promtool tests ──────────────────────────────────────────────────────────


def rule_tests(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    w = window_minutes(c)
    tests = []
    for m in sorted(c.metrics, key=lambda m: exposure(lc, m).family):
        for path in c.exposition:
            if m.type == "counter":
                tests.append(_counter_test(lc, m, w, path))
            elif m.type == "histogram":
                tests.append(_histogram_test(lc, m, w, path))
    return {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": tests}


def series_labels(lc: LoadedContract, path: ExpositionPath) -> dict[str, str]:
    """Labels Prometheus and the exporter add to the service's series through `path`, as test inputs carry them.

    `job` is the service's on every path (`stack.series_job`). `instance` is the
    scrape target's where the application is scraped itself (the direct scrape
    job); behind the Collector and on the pushed paths it is the pushing
    service's `service.instance.id`, unknown here like every other exporter label.
    """
    c = lc.contract
    facts = PATHS[path]
    labels = dict.fromkeys(facts.exporter_labels + facts.scrape_labels, PLACEHOLDER)
    labels["job"] = series_job(c)
    if facts.scraped == "service":
        labels["instance"] = scrape_target(c, path)
    return dict(sorted(labels.items()))


def up_labels(lc: LoadedContract, path: ExpositionPath) -> dict[str, str]:
    """The `job` and `instance` of the `up` series that says whether `path`'s scrape target answers."""
    return {"job": scrape_job(lc.contract, path), "instance": scrape_target(lc.contract, path)}


def label_sets(m: Metric, e: Exposure) -> list[dict[str, str]]:
    """Every combination of the metric's label values: closed sets in full, open labels once."""
    choices = [label.allowed_values() or (PLACEHOLDER,) for label in m.labels]
    return [dict(zip(e.labels, combo, strict=True)) for combo in itertools.product(*choices)]


def _series_sets(lc: LoadedContract, m: Metric, e: Exposure,
                 path: ExpositionPath) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """(input labels, labels the rules keep) for every label combination on `path`."""
    path_labels = series_labels(lc, path)
    for contract_labels in label_sets(m, e):
        yield {**path_labels, **contract_labels}, {"job": path_labels["job"], **contract_labels}


def _counter_test(lc: LoadedContract, m: Metric, w: int, path: ExpositionPath) -> dict[str, Any]:
    e = exposure(lc, m)
    (record,) = counter_records(e, w)
    inputs, samples = [], []
    # a distinct power of two per series, so a rule that mixes series up fails
    # and the per-second rate stays exact; they repeat after POWERS series,
    # so that the inputs stay finite floats however many series there are
    for i, (labels, kept) in enumerate(_series_sets(lc, m, e, path)):
        per_minute = 60 * 2 ** (i % POWERS)
        inputs.append(_input(counter_series(e), labels, per_minute, w))
        samples.append(_sample(record.record, kept, prom_rate(per_minute, w)))
    return _test_group(f"`{m.name}` on {path}", w, inputs, [(record.record, samples)])


def prom_rate(per_minute: float, w: int) -> float:
    """`rate(x[<w>m])` over a `_ 0+<per_minute>x<w-1>` input at `<w>m`, as Prometheus 2.42 and 3 compute it.

    The window has no sample at its start (the input starts a minute later),
    so Prometheus 2's closed window and Prometheus 3's left-open one hold the
    same w samples: w - 1 increments. The first is zero, so neither
    extrapolates towards the start (a counter is not extrapolated below
    zero), and the last is at the window's end: the factor is `1.0 / range`
    (the same float operations, in the same order).
    """
    return (per_minute * (w - 1)) * (1.0 / (60 * w))


@dataclass(frozen=True)
class Distribution:
    """Cumulative per-minute bucket increments and the values the rules must compute from them."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]      # per finite bucket, then +Inf (the observation count)
    sum_per_minute: float
    quantiles: dict[str, float]
    mean: float


def distribution(bounds: tuple[float, ...], w: int) -> Distribution:
    """Put each quantile's rank exactly on a bucket's cumulative count.

    With 100 observations q * 100 is an integer for every quantile, so it can
    equal a bucket's cumulative count; Prometheus' interpolation
    `start + (end - start) * ((rank - below) / (count - below))` then has a
    factor of exactly 1, its product is exact on every platform (fused
    multiply-add or not), and the expected value below repeats its float
    operations. A quantile beyond the last finite bucket is that bucket's
    bound. The mean is a power of two near the median, as far as the `_sum`
    input stays a finite, normal float (bounds near the float limits).
    """
    n = len(bounds)
    # 1-based bucket each quantile lands in, increasing, spread over the buckets
    targets = [max(1, min((n + 1) // 2, n - 2)), n - 1, n] if n >= 3 else list(range(1, n + 1))
    # rate() multiplies by 1/range, which is inexact: for a few windows a
    # rank misses its count by an ulp unless every count is scaled up
    for scale in range(1, 100):
        total = 100 * scale
        ranks = [round(q * total) for _, q in QUANTILES]
        anchors = [(0, 0), *zip(targets, ranks, strict=False), (n + 1, total)]
        cumulative: list[int] = []
        for (k0, c0), (k1, c1) in itertools.pairwise(anchors):
            cumulative += [c0 + (c1 - c0) * (i - k0) // (k1 - k0) for i in range(k0 + 1, k1 + 1)]
        rates = [prom_rate(60 * c, w) for c in cumulative]
        rank_rates = [q * rates[-1] for _, q in QUANTILES]
        if all(rank_rates[i] == rates[k - 1] for i, k in enumerate(targets)):
            break
    else:
        raise AssertionError(f"no exact histogram input for a {w}m window")
    quantiles = {}
    for i, (name, _) in enumerate(QUANTILES):
        if i < len(targets):
            k = targets[i]
            start = bounds[k - 2] if k > 1 else 0.0
            below = rates[k - 2] if k > 1 else 0.0
            quantiles[name] = start + (bounds[k - 1] - start) * ((rank_rates[i] - below) / (rates[k - 1] - below))
        else:
            quantiles[name] = bounds[-1]
    mean = _mean(abs(bounds[targets[0] - 1]), 60 * total * (w - 1))
    sum_per_minute = 60 * mean * total
    return Distribution(bounds=bounds, cumulative=tuple(cumulative), sum_per_minute=sum_per_minute,
                        quantiles=quantiles, mean=prom_rate(sum_per_minute, w) / rates[-1])


def _mean(median: float, top: int) -> float:
    """A power of two near `median` whose `top` multiple (the `_sum` input's last value) is finite.

    It is at least the smallest normal float, so the mean rate the rule
    computes from it is not rounded to a subnormal or zero.
    """
    exponent = round(math.log2(median)) if median else 0
    highest = math.floor(math.log2(sys.float_info.max / top))
    return 2.0 ** max(sys.float_info.min_exp - 1, min(exponent, highest))


def _histogram_test(lc: LoadedContract, m: Metric, w: int, path: ExpositionPath) -> dict[str, Any]:
    e = exposure(lc, m)
    if not m.buckets:
        raise input_error(lc.file, "generate/buckets", f"histogram `{m.name}` needs explicit `buckets`")
    d = distribution(tuple(float(b) for b in m.buckets), w)
    records = histogram_records(e, w)
    inputs = []
    expected: dict[str, list[dict[str, Any]]] = {r.record: [] for r in records}
    les = [number(b) for b in d.bounds] + ["+Inf"]
    values = [*(d.quantiles[name] for name, _ in QUANTILES), d.mean]
    for labels, kept in _series_sets(lc, m, e, path):
        for le, count in zip(les, d.cumulative, strict=True):
            inputs.append(_input(f"{e.family}_bucket", {**labels, "le": le}, 60 * count, w))
        inputs.append(_input(f"{e.family}_count", labels, 60 * d.cumulative[-1], w))
        inputs.append(_input(f"{e.family}_sum", labels, d.sum_per_minute, w))
        for record, value in zip(records, values, strict=True):
            expected[record.record].append(_sample(record.record, kept, value))
    return _test_group(f"`{m.name}` on {path}", w, inputs, sorted(expected.items()))


def _input(series: str, labels: dict[str, str], per_minute: float, w: int) -> dict[str, str]:
    # no sample at minute 0, then a counter from zero growing by `per_minute` every minute up to the window's end
    # (`prom_rate`): a window of w minutes whose first minute the series does not cover, on Prometheus 2 and 3
    return {"series": selector(series, labels), "values": f"_ 0+{number(per_minute)}x{w - 1}"}


def _sample(record: str, labels: dict[str, str], value: float) -> dict[str, Any]:
    return {"labels": selector(record, labels), "value": float(value)}


def _test_group(name: str, w: int, inputs: list[dict[str, str]],
                expected: list[tuple[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    return {
        "name": name,
        "interval": "1m",
        "input_series": inputs,
        "promql_expr_test": [
            {"expr": record, "eval_time": f"{w}m", "exp_samples": sorted(samples, key=lambda s: s["labels"])}
            for record, samples in expected
        ],
    }


def selector(name: str, labels: dict[str, str]) -> str:
    """A series as promtool reads test inputs and expected samples: `name{label="value", ...}`, sorted by label."""
    return series_selector(name, [f"{label_name(k)}={quote(v)}" for k, v in sorted(labels.items())])


def number(x: float) -> str:
    # whole numbers as integers, but not the hundreds of digits of one near the float limit
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else repr(float(x))


def _by(labels: tuple[str, ...]) -> str:
    return ", ".join(label_name(label) for label in labels)


def dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1 << 16)
