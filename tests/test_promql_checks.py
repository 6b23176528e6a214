"""Table tests for every PromQL check against the qortex contract, messages pinned.

Each row is a panel target (an expression, or (expression, legend)) and the
problems it yields as `check@column: message`, the column counted from the
start of the expression in the dashboard file (or of the legend). Rows
with `[]` are the near misses that must pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.promql.checks.registry import PROMQL_CHECKS
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from tests.promql_util import lint, lint_short, qortex_catalog

Target = str | tuple[str, str]

CASES: dict[str, list[tuple[Target, list[str]]]] = {
    "promql/syntax": [
        ("rate(qortex_queries_total[5m])", []),
        ("rate(qortex_queries_total[5m]", ["promql/syntax@0: invalid PromQL: unclosed left parenthesis"]),
        ("rate(qortex_queries_total[5m]) +", ["promql/syntax@0: invalid PromQL: invalid promql query"]),
        ("rate(qortex_queries_total[5x])", ["promql/syntax@0: invalid PromQL: bad number or duration syntax: 5x"]),
        ('sum by (qortex.mode) (rate(qortex_queries_total{x="a.b"}[5m]))', [
            'promql/syntax@8: invalid PromQL: `qortex.mode` has a dot, so it must be quoted, which only Prometheus 3 '
            'reads: `{"qortex.mode"}` as a metric, `"qortex.mode"` as a label']),
    ],
    "promql/too-complex": [
        ("(" * 127 + "up" + ")" * 127, []),
        ("(" * 129 + "up" + ")" * 129,
         ["promql/too-complex@0: too complex to check: the expression nests brackets deeper than 128 levels"]),
        (" + ".join(["up"] * 514), ["promql/too-complex@0: too complex to check: the expression has more than 512 "
                                    "operators"]),
    ],
    "promql/unknown-metric": [
        ("up", []),
        ("qortex_queries_created", []),
        ("target_info", []),
        ("rate(qortex_queries[5m])", [
            "promql/unknown-metric@5: `qortex_queries` is not in the contract; did you mean `qortex_queries_total` "
            "(counter qortex_queries)?"]),
        ("qortex_factor_mean_total", [
            "promql/unknown-metric@0: `qortex_factor_mean_total` is not in the contract; did you mean "
            "`qortex_factor_mean` (gauge qortex_factor_mean)?"]),
        ("rate(qortex_queries_bucket[5m])", [
            "promql/unknown-metric@5: `qortex_queries_bucket` is not in the contract; did you mean "
            "`qortex_queries_total` (counter qortex_queries)?"]),
        ("rate(qortex_query_duration_bucket[5m])", [
            "promql/unknown-metric@5: `qortex_query_duration_bucket` is not in the contract; did you mean "
            "`qortex_query_duration_seconds_bucket` (histogram qortex_query_duration_seconds)?"]),
        ("qortex_query_duration_seconds", [
            "promql/unknown-metric@0: `qortex_query_duration_seconds` is not in the contract; did you mean "
            "`qortex_query_duration_seconds_bucket` (histogram qortex_query_duration_seconds)?"]),
        ("rate(qortex_query_duration_seconds_total[5m])", [
            "promql/unknown-metric@5: `qortex_query_duration_seconds_total` is not in the contract; did you mean "
            "`qortex_query_duration_seconds_count` (histogram qortex_query_duration_seconds)?"]),
        ("qortex_kg_coverage_ratio", [
            "promql/unknown-metric@0: `qortex_kg_coverage_ratio` is not in the contract; did you mean "
            "`qortex_kg_coverage` (gauge qortex_kg_coverage)?"]),
        ("rate(qortex_querys_total[5m])", [
            "promql/unknown-metric@5: `qortex_querys_total` is not in the contract; did you mean "
            "`qortex_queries_total` (counter qortex_queries)?"]),
        ("rate(qortex_nope_total[5m])", ["promql/unknown-metric@5: `qortex_nope_total` is not in the contract"]),
        ("job:qortex_nope:rate5m", [
            "promql/unknown-metric@0: `job:qortex_nope:rate5m` is not in the contract and no recording rule "
            "records it"]),
        # a regex names the series: anchored at both ends, as Prometheus does
        ('sum(rate({__name__=~"qortex_queries_total|qortex_query_errors_total"}[5m]))', []),
        ('count({__name__!~"qortex_.*", job="qortex"})', []),
        ('count({__name__=~"[[:alpha:]]+_nope"})', []),   # a POSIX class: RE2's reading, not Python's
        ('sum(rate({__name__=~"qortex_querys_total"}[5m]))', [
            "promql/unknown-metric@21: the `__name__` regex `qortex_querys_total` matches no series of the contract; "
            "did you mean `qortex_queries_total` (counter qortex_queries)?"]),
        ('count({__name__=~"qortex_(vec|graph)_nope.*"})', [
            "promql/unknown-metric@18: the `__name__` regex `qortex_(vec|graph)_nope.*` matches no series of the "
            "contract"]),
        ('count({__name__=~"qortex_queries"})', [
            "promql/unknown-metric@18: the `__name__` regex `qortex_queries` matches no series of the contract; did "
            "you mean `qortex_queries_total` (counter qortex_queries)?"]),
        # an unknown metric's labels are unknown: no follow-up problems
        (("histogram_quantile(0.9, sum by (le, mode) (rate(nope_bucket[5m]) * on(le, mode) group_left nope))",
          "{{mode}}"),
         ["promql/unknown-metric@48: `nope_bucket` is not in the contract",
          "promql/unknown-metric@91: `nope` is not in the contract"]),
    ],
    "promql/unknown-label": [
        ('rate(qortex_queries_total{job="q", instance="a", service_name="s"}[5m])', []),
        # the generated stack scrapes the Collector with `honor_labels`: no `exported_*` labels on any path
        ('rate(qortex_queries_total{exported_job="x"}[5m])', [
            "promql/unknown-label@26: `qortex_queries_total` has no label `exported_job`; its labels: `mode`"]),
        ('rate(qortex_query_duration_seconds_bucket{le="1.0"}[5m])', []),
        ('rate(qortex_queries_total{stage="x"}[5m])', [
            "promql/unknown-label@26: `qortex_queries_total` has no label `stage`; its labels: `mode`"]),
        ('rate(qortex_queries_total{mdoe="vec"}[5m])', [
            "promql/unknown-label@26: `qortex_queries_total` has no label `mdoe`; did you mean `mode`?"]),
        ('rate(qortex_edges_promoted_total{mode="x"}[5m])', [
            "promql/unknown-label@33: `qortex_edges_promoted_total` has no label `mode`; it has no contract labels"]),
        ('rate(qortex_query_duration_seconds_count{le="1"}[5m])', [
            "promql/unknown-label@41: `qortex_query_duration_seconds_count` has no label `le`; it has no contract "
            "labels"]),
        # the labels of every series the regex names
        ('count by (mode) ({__name__=~"qortex_queries_total|qortex_query_errors_total", stage="ppr"})', []),
        ('count by (mode) ({__name__=~"qortex_queries_total|qortex_query_errors_total", mdoe="vec"})', [
            "promql/unknown-label@78: the selected series has no label `mdoe`; did you mean `mode`?"]),
    ],
    "promql/label-value": [
        ('rate(qortex_queries_total{mode=~"(vec|graph|other)"}[5m])', []),
        ('rate(qortex_queries_total{mode=~"v.*"}[5m])', []),
        ('rate(qortex_queries_total{mode=""}[5m])', []),
        ('rate(qortex_queries_total{mode="vecc"}[5m])', [
            "promql/label-value@32: `vecc` is not a value of label `mode` of `qortex_queries_total`; allowed: "
            "`vec`, `graph`, `other`"]),
        ('rate(qortex_queries_total{mode!="grpah"}[5m])', [
            "promql/label-value@33: `grpah` is not a value of label `mode` of `qortex_queries_total`; allowed: "
            "`vec`, `graph`, `other`"]),
        ('rate(qortex_queries_total{mode=~"vec|grph"}[5m])', [
            "promql/label-value@37: `grph` is not a value of label `mode` of `qortex_queries_total`; allowed: "
            "`vec`, `graph`, `other`"]),
        ('count({__name__=~"qortex_queries_total|qortex_query_errors_total", mode="graph"})', []),
        ('count({__name__=~"qortex_queries_total|qortex_query_errors_total", mode="grpah"})', [
            "promql/label-value@73: `grpah` is not a value of label `mode` of the selected series; allowed: `vec`, "
            "`graph`, `other`"]),
    ],
    "promql/grouping-label": [
        ("sum by (mode, job) (rate(qortex_queries_total[5m]))", []),
        ("sum without (stage) (rate(qortex_queries_total[5m]))", []),
        ("rate(qortex_queries_total[5m]) / ignoring(mode) sum without (stage) (rate(qortex_query_errors_total[5m]))",
         []),
        ("rate(qortex_queries_total[5m]) * on(job) group_left(stage) rate(qortex_query_errors_total[5m])", []),
        ("sum by (stage) (rate(qortex_queries_total[5m]))", [
            "promql/grouping-label@8: `sum by (stage)`: the input does not carry label `stage` (it carries `mode`)"]),
        ("sum(rate(qortex_queries_total[5m])) by (stage)", [
            "promql/grouping-label@40: `sum by (stage)`: the input does not carry label `stage` (it carries "
            "`mode`)"]),
        ("sum by (outcome) (sum by (mode) (rate(qortex_queries_total[5m])))", [
            "promql/grouping-label@8: `sum by (outcome)`: the input does not carry label `outcome` (it carries "
            "`mode`)"]),
        ("rate(qortex_queries_total[5m]) / on(stage) rate(qortex_query_errors_total[5m])", [
            "promql/grouping-label@36: `on (stage)` of `/`: the left-hand side does not carry label `stage` (it "
            "carries `mode`)"]),
        ("rate(qortex_queries_total[5m]) * on(job) group_left(outcome) rate(qortex_query_errors_total[5m])", [
            "promql/grouping-label@52: `group_left (outcome)` of `*`: the right-hand side does not carry label "
            "`outcome` (it carries `stage`)"]),
    ],
    "promql/vector-matching": [
        ("sum by (job) (rate(qortex_queries_total[5m])) / sum by (job) (rate(qortex_query_errors_total[5m]))", []),
        ("rate(qortex_query_duration_seconds_bucket[5m]) / ignoring(le) group_left "
         "rate(qortex_query_duration_seconds_count[5m])", []),
        ("sum(rate(qortex_queries_total[5m])) or vector(0)", []),
        # the Collector's labels are on one path's series only: the other path's series match `_created`
        ("rate(qortex_queries_total[5m]) and qortex_queries_created", []),
        # `on` lists what is matched: a label missing there is `promql/grouping-label`'s
        ("rate(qortex_queries_total[5m]) / on(job) group_left sum by (job) (rate(qortex_queries_total[5m]))", []),
        ("sum by (job) (rate(qortex_query_errors_total[5m])) / sum(rate(qortex_queries_total[5m]))", [
            "promql/vector-matching@51: the sides of `/` never match, so the result is always empty: label `job` is "
            "only on the left-hand side; match `on (...)` labels both sides carry, or aggregate both sides `by` the "
            "same labels"]),
        ("sum by (mode) (rate(qortex_queries_total[5m])) > sum by (stage) (rate(qortex_query_errors_total[5m]))", [
            "promql/vector-matching@47: the sides of `>` never match, so the result is always empty: label `mode` is "
            "only on the left-hand side and label `stage` is only on the right-hand side; match `on (...)` labels "
            "both sides carry, or aggregate both sides `by` the same labels"]),
        ("sum by (job) (rate(qortex_queries_total[5m])) unless sum by (mode) (rate(qortex_queries_total[5m]))", [
            "promql/vector-matching@46: the sides of `unless` never match, so it removes nothing: label `job` is "
            "only on the left-hand side and label `mode` is only on the right-hand side; match `on (...)` labels "
            "both sides carry, or aggregate both sides `by` the same labels"]),
        ("rate(qortex_query_duration_seconds_bucket[5m]) / ignoring(le) group_left sum by (job) "
         "(rate(qortex_query_duration_seconds_count[5m]))", [
            "promql/vector-matching@47: the sides of `/` never match, so the result is always empty: label "
            "`instance` is only on the left-hand side; match `on (...)` labels both sides carry, or aggregate both "
            "sides `by` the same labels"]),
        # signs are not operators
        ("-sum by (job) (rate(qortex_queries_total[5m])) * -1 + -sum(rate(qortex_queries_total[5m]))", [
            "promql/vector-matching@52: the sides of `+` never match, so the result is always empty: label `job` is "
            "only on the left-hand side; match `on (...)` labels both sides carry, or aggregate both sides `by` the "
            "same labels"]),
    ],
    "promql/result-type": [
        ("max_over_time(rate(qortex_queries_total[5m])[30m:1m])", []),
        ("rate(qortex_queries_total[5m])[30m:1m]", [
            "promql/result-type@0: the expression gives a range vector, which a panel cannot use (it needs an "
            "instant vector or a scalar); apply a function over its range, such as `rate()` or `max_over_time()`"]),
        ('("qortex")', [
            "promql/result-type@0: the expression gives a string, which a panel cannot use (it needs an instant "
            "vector or a scalar); select series instead"]),
    ],
    "promql/legend-label": [
        (("rate(qortex_queries_total[5m])", "{{mode}} {{job}}"), []),
        (("rate(qortex_ppr_iterations_bucket[5m])", "{{le}}"), []),
        (('label_replace(rate(qortex_queries_total[5m]), "kind", "$1", "mode", "(.*)")', "{{kind}}"), []),
        (("sum by (job) (rate(qortex_queries_total[5m]))", "{{job}}: {{ mode }}"), [
            "promql/legend-label@legend+9: legend `{{ mode }}` names a label the query result does not carry (it "
            "carries only scrape and exporter labels)"]),
        (("histogram_quantile(0.9, rate(qortex_query_duration_seconds_bucket[5m]))", "{{le}}"), [
            "promql/legend-label@legend+0: legend `{{le}}` names a label the query result does not carry (it "
            "carries only scrape and exporter labels)"]),
        (("sum(rate(qortex_queries_total[5m]))", "{{mode}}"), [
            "promql/legend-label@legend+0: legend `{{mode}}` names a label the query result does not carry (it "
            "carries none)"]),
    ],
    "promql/rate-on-gauge": [
        ("deriv(qortex_factor_mean[5m])", []),
        ("rate(qortex_query_duration_seconds_count[5m])", []),
        ("rate(qortex_factor_mean[5m])", [
            "promql/rate-on-gauge@5: `rate()` of `qortex_factor_mean`, which is not a counter (gauge "
            "qortex_factor_mean); use `deriv()` or `delta()` for a gauge"]),
        ("increase(qortex_buffer_edges[1h])", [
            "promql/rate-on-gauge@9: `increase()` of `qortex_buffer_edges`, which is not a counter (gauge "
            "qortex_buffer_edges); use `deriv()` or `delta()` for a gauge"]),
        ("rate(sum(qortex_factor_mean)[5m:1m])", [
            "promql/rate-on-gauge@9: `rate()` of `qortex_factor_mean`, which is not a counter (gauge "
            "qortex_factor_mean); use `deriv()` or `delta()` for a gauge"]),
        ("rate(qortex_queries_created[5m])", [
            "promql/rate-on-gauge@5: `rate()` of `qortex_queries_created`, which is not a counter (the creation "
            "time of counter qortex_queries); use `deriv()` or `delta()` for a gauge"]),
        ("deriv(qortex_queries_total[5m])", [
            "promql/rate-on-gauge@6: `deriv()` of counter `qortex_queries_total` breaks at every counter reset; "
            "use `rate()` or `increase()`"]),
        ('rate({__name__=~"qortex_queries_total|qortex_query_errors_total"}[5m])', []),
        ('rate({__name__=~"qortex_queries_total|qortex_factor_mean"}[5m])', [
            "promql/rate-on-gauge@5: `rate()` of `qortex_factor_mean`, which is not a counter (gauge "
            "qortex_factor_mean); use `deriv()` or `delta()` for a gauge"]),
    ],
    "promql/counter-without-rate": [
        ("count(qortex_queries_total)", []),
        ("increase(qortex_queries_total[1h])", []),
        ("absent(qortex_queries_total)", []),
        ("qortex_factor_mean and on(job) qortex_queries_total", []),
        ("qortex_edges_promoted_total", [
            "promql/counter-without-rate@0: counter `qortex_edges_promoted_total` is plotted raw; wrap it in "
            "`rate()` or `increase()`, since its value restarts from zero with the process"]),
        ("sum(qortex_queries_total)", [
            "promql/counter-without-rate@4: counter `qortex_queries_total` is plotted raw; wrap it in `rate()` or "
            "`increase()`, since its value restarts from zero with the process"]),
        ("histogram_quantile(0.9, qortex_query_duration_seconds_bucket)", [
            "promql/counter-without-rate@24: counter `qortex_query_duration_seconds_bucket` is plotted raw; wrap "
            "it in `rate()` or `increase()`, since its value restarts from zero with the process"]),
    ],
    "promql/quantile-without-le": [
        ("histogram_quantile(0.9, sum by (le) (rate(qortex_query_duration_seconds_bucket[5m])))", []),
        ("histogram_quantile(0.9, rate(nope_bucket[5m]))", [
            "promql/unknown-metric@29: `nope_bucket` is not in the contract"]),
        ("histogram_quantile(0.9, sum(rate(qortex_query_duration_seconds_bucket[5m])))", [
            "promql/quantile-without-le@0: `histogram_quantile()` input has lost the `le` label; keep it when "
            "aggregating, as in `sum by (le) (...)`"]),
        ("sum by (job) (rate(qortex_queries_total[5m])) + histogram_quantile(0.9, sum by (job) "
         "(rate(qortex_query_duration_seconds_bucket[5m])))", [
            "promql/quantile-without-le@48: `histogram_quantile()` input has lost the `le` label; keep it when "
            "aggregating, as in `sum by (le) (...)`"]),
        ("histogram_quantile(0.9, rate(qortex_query_duration_seconds_sum[5m]))", [
            "promql/quantile-without-le@0: `histogram_quantile()` input is not a `_bucket` series"]),
        ("histogram_quantile(0.5, qortex_factor_mean)", [
            "promql/quantile-without-le@0: `histogram_quantile()` input is not a `_bucket` series"]),
        ("histogram_fraction(0, 0.1, sum(rate(qortex_query_duration_seconds_bucket[5m])))", [
            "promql/quantile-without-le@0: `histogram_fraction()` input has lost the `le` label; keep it when "
            "aggregating, as in `sum by (le) (...)`"]),
    ],
    "promql/native-histogram": [
        ("histogram_quantile(0.9, sum by (le) (rate(qortex_query_duration_seconds_bucket[5m])))", []),
        ("histogram_count(rate(nope[5m]))", ["promql/unknown-metric@21: `nope` is not in the contract"]),
        ("histogram_count(rate(qortex_query_duration_seconds_bucket[5m]))", [
            "promql/native-histogram@0: `histogram_count()` reads native histograms only, and its input is a classic "
            "histogram's `_bucket` series, so it returns nothing; query the histogram's `_count` series instead"]),
        ("histogram_avg(rate(qortex_query_duration_seconds_bucket[5m]))", [
            "promql/native-histogram@0: `histogram_avg()` reads native histograms only, and its input is a classic "
            "histogram's `_bucket` series, so it returns nothing; divide the histogram's `_sum` series by its "
            "`_count` series instead"]),
        ("histogram_sum(rate(qortex_query_duration_seconds_sum[5m]))", [
            "promql/native-histogram@0: `histogram_sum()` reads native histograms only, and its input holds none, so "
            "it returns nothing"]),
        ("histogram_fraction(0, 0.1, sum by (le) (rate(qortex_query_duration_seconds_bucket[5m])))", [
            "promql/native-histogram@0: `histogram_fraction()` of classic `_bucket` series returns nothing on "
            "Prometheus 2, which reads native histograms only there; only recent Prometheus 3 releases interpolate "
            "classic buckets"]),
    ],
    "promql/rate-window": [
        ("rate(qortex_queries_total[30s])", []),
        ("rate(qortex_queries_total[$__rate_interval])", []),
        ("max_over_time(qortex_factor_mean[10s])", []),
        ("rate(qortex_queries_total[20s])", [
            "promql/rate-window@26: `rate()` over `[20s]` is shorter than 2×scrape_interval (30s); use "
            "`[$__rate_interval]`"]),
        ("irate(qortex_queries_total[15s])", [
            "promql/rate-window@27: `irate()` over `[15s]` is shorter than 2×scrape_interval (30s); use "
            "`[$__rate_interval]`"]),
        ("rate(qortex_queries_total[$__interval])", [
            "promql/rate-window@26: `rate()` over `[$__interval]` (15s) is shorter than 2×scrape_interval (30s); "
            "use `[$__rate_interval]`"]),
        ("deriv(qortex_factor_mean[1m] offset 5m) or rate(qortex_queries_total[10s])", [
            "promql/rate-window@69: `rate()` over `[10s]` is shorter than 2×scrape_interval (30s); use "
            "`[$__rate_interval]`"]),
    ],
    "promql/le-normalized": [
        ('sum by (le) (rate(qortex_query_duration_seconds_bucket{le="1.0"}[5m]))', []),
        ('sum(rate(qortex_query_duration_seconds_bucket{le="+Inf"}[5m]))', []),
        ('sum(rate(qortex_query_duration_seconds_bucket{le=~"1|2"}[5m]))', []),   # regexes are not judged
        ('sum(rate(qortex_query_duration_seconds_bucket{le="1"}[5m]))', [
            'promql/le-normalized@50: `le="1"` matches no series on Prometheus 3, which stores this value as `1.0`; '
            'write `le=~"1\\\\.0|1"` to cover every spelling of it']),
        ('sum(rate(qortex_query_duration_seconds_bucket{le!="2.50"}[5m]))', [
            'promql/le-normalized@51: `le!="2.50"` excludes no series on Prometheus 3, which stores this value as '
            '`2.5`; write `le!="2.5"`']),
    ],
    "promql/utf8-name": [
        ("sum by (mode) (rate(qortex_queries_total[5m]))", []),
        ('sum by ("mode") (rate({"qortex_queries_total"}[5m]))', [
            "promql/utf8-name@8: label name `mode` is quoted, which only Prometheus 3 parses; write it bare, `mode`, "
            "which every version reads",
            "promql/utf8-name@23: metric name `qortex_queries_total` is quoted, which only Prometheus 3 parses; "
            "write it bare, `qortex_queries_total`, which every version reads"]),
    ],
}

ROWS = [(check, target, expected) for check, rows in CASES.items() for target, expected in rows]


def test_every_promql_check_has_a_table() -> None:
    dashboard_checks = {c.id for c in PROMQL_CHECKS} - {"rules/name-convention"}   # rule-file rows are below
    assert set(CASES) == dashboard_checks
    for check, rows in CASES.items():
        assert any(not expected for _, expected in rows), f"{check} needs a passing row"
        assert any(any(e.startswith(check + "@") for e in expected) for _, expected in rows), f"{check} never fails"


@pytest.mark.parametrize(("check", "target", "expected"), ROWS, ids=[f"{c}:{i}" for i, (c, _, _) in enumerate(ROWS)])
def test_check_table(check: str, target: str | tuple[str, str], expected: list[str]) -> None:
    assert lint_short(target) == expected


def test_regexes_python_reads_otherwise_are_left_to_the_parser() -> None:
    """RE2, not Python, decides: `[[:alpha:]]` is a POSIX class to RE2 and a warned-about nested set to Python."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")   # and nothing is printed about them
        assert lint_short('sum(rate(qortex_queries_total{job=~"[[:alpha:]]+-ex"}[5m]))') == []
        assert lint_short('sum(rate(qortex_queries_total{job!~"x[a&&b]"}[5m]))') == []
        # Python reads this as a set of `[:alph` followed by `]`; RE2 finds the outer set unclosed
        assert lint_short('sum(rate(qortex_queries_total{job=~"[[:alpha:]"}[5m]))') == [
            "promql/syntax@0: invalid PromQL: illegal regex for [[:alpha:]"]


@pytest.mark.parametrize("regex", ["a\\\\Z", "(?a)x", "\\\\N{LATIN SMALL LETTER A}"])
def test_regexes_re2_rejects_are_syntax_errors(regex: str) -> None:
    """Python's `re` accepts each of these; promql_parser (RE2 syntax, as Prometheus) does not, and decides."""
    import re

    re.compile(regex.replace("\\\\", "\\"))
    problems = lint_short(f'sum(rate(qortex_queries_total{{mode=~"{regex}"}}[5m]))')
    assert len(problems) == 1 and problems[0].startswith("promql/syntax@0: invalid PromQL: ")


def test_names_holding_a_variable_are_not_judged() -> None:
    """A textbox variable with no value stands in the name or the regex: which series it names is unknown."""
    assert lint_short('sum(rate({__name__="$metric"}[5m]))', variables=("metric",)) == []
    assert lint_short('sum(rate({__name__=~"qortex_nope_.*|$metric"}[5m]))', variables=("metric",)) == []
    assert lint_short('sum(rate({__name__=~"qortex_nope_.*|qortex_nada"}[5m]))') == [
        "promql/unknown-metric@21: the `__name__` regex `qortex_nope_.*|qortex_nada` matches no series of the "
        "contract"]


def test_every_check_has_documentation() -> None:
    ids = [c.id for c in PROMQL_CHECKS]
    assert len(set(ids)) == len(ids)
    for check in PROMQL_CHECKS:
        doc = type(check).__doc__ or ""
        assert doc.strip() and check.summary and check.summary[0].islower(), check.id
        assert check.id.startswith(("promql/", "rules/"))


def test_full_problem_line_and_fields() -> None:
    [problem] = lint(("grafana/qortex.json", '{"panels": [{"title": "Arm Pulls", "targets": [\n'
                                             '  {"refId": "A", "expr": "rate(qortex_queries[5m])"}]}]}'))
    assert problem.text() == (
        "grafana/qortex.json:2:32: error[promql/unknown-metric]: panel \"Arm Pulls\" target A: `qortex_queries` is "
        "not in the contract; did you mean `qortex_queries_total` (counter qortex_queries)?")
    assert (problem.location, problem.expr, problem.metric) == (
        'panel "Arm Pulls" target A', "rate(qortex_queries[5m])", "qortex_queries")


# ── rules/name-convention, on rule files ───────────────────────────────────

RULES = """\
groups:
  - name: qortex
    rules:
      - record: {name}
        expr: {expr}
"""


@pytest.mark.parametrize(("name", "expr", "expected"), [
    ("job:qortex_queries:rate5m", "sum by (job) (rate(qortex_queries_total[5m]))", []),
    ("job:qortex_query_duration_seconds:p99", "histogram_quantile(0.99, sum by (job, le) "
     "(rate(qortex_query_duration_seconds_bucket[5m])))", []),
    ("qortex:job:qortex_queries:rate5m", "sum by (job) (rate(qortex_queries_total[5m]))",
     ['r.yml:4:17: warning[rules/name-convention]: group "qortex" rule "qortex:job:qortex_queries:rate5m": '
      "recording rule `qortex:job:qortex_queries:rate5m` is not named `level:metric:operations`"]),
    ("qortex_queries_rate5m", "sum by (job) (rate(qortex_queries_total[5m]))",
     ['r.yml:4:17: warning[rules/name-convention]: group "qortex" rule "qortex_queries_rate5m": recording rule '
      "`qortex_queries_rate5m` is not named `level:metric:operations`"]),
    ("job:qortex_querys:rate5m", "sum by (job) (rate(qortex_queries_total[5m]))",
     ['r.yml:4:17: warning[rules/name-convention]: group "qortex" rule "job:qortex_querys:rate5m": recording rule '
      "`job:qortex_querys:rate5m` names metric `qortex_querys`, but its expression selects `qortex_queries_total`"]),
])
def test_rule_name_convention(name: str, expr: str, expected: list[str]) -> None:
    problems = lint(("r.yml", RULES.format(name=name, expr=expr)))
    assert [p.text() for p in problems] == expected


# ── a mutated copy of the seed dashboard, caught where it was mutated ──────

MUTATIONS = [
    ("promql/syntax", '"rate(qortex_queries_total[5m])"', '"rate(qortex_queries_total[5m]"',
     'panel "Query Rate (queries/sec)" target A', 22),
    ("promql/unknown-metric", "rate(qortex_factor_updates_total[5m])", "rate(qortex_factor_updates[5m])",
     'panel "Factor Update Rate" target A', 137),
    ("promql/unknown-label", 'outcome=\\"rejected\\"', 'result=\\"rejected\\"',
     'panel "Feedback Accept/Reject Ratio" target B', 158),
    ("promql/label-value", 'outcome=\\"rejected\\"', 'outcome=\\"rejectd\\"',
     'panel "Feedback Accept/Reject Ratio" target B', 158),
    ("promql/grouping-label", "histogram_quantile(0.95, rate(qortex_vec_search_duration_seconds_bucket[5m]))",
     "histogram_quantile(0.95, sum by (le, mode) (rate(qortex_vec_search_duration_seconds_bucket[5m])))",
     'panel "Vec Search Latency (p50/p95)" target B', 68),
    ("promql/legend-label", '"legendFormat": "{{stage}}"', '"legendFormat": "{{mode}}"',
     'panel "Query Errors" target A', 86),
    ("promql/rate-on-gauge", '"expr": "qortex_factor_entropy"', '"expr": "rate(qortex_factor_entropy[5m])"',
     'panel "Factor Entropy" target A', 120),
    ("promql/counter-without-rate", "rate(qortex_enrichment_fallbacks_total[5m])",
     "qortex_enrichment_fallbacks_total", 'panel "Enrichment Fallbacks" target A', 304),
    ("promql/quantile-without-le", "histogram_quantile(0.95, rate(qortex_ingest_duration_seconds_bucket[5m]))",
     "histogram_quantile(0.95, sum(rate(qortex_ingest_duration_seconds_bucket[5m])))",
     'panel "Ingest Latency (p50/p95)" target B', 342),
    ("promql/rate-window", "rate(qortex_edges_promoted_total[1h])", "rate(qortex_edges_promoted_total[$__interval])",
     'panel "Buffer Size & Promotions" target B', 206),
]

SEED_WARNING = ("promql/counter-without-rate", 'panel "Total Promoted (lifetime)" target A')


@pytest.mark.parametrize(("check", "old", "new", "where", "line"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutated_seed_dashboard(seed_dir: Path, tmp_path: Path, check: str, old: str, new: str, where: str,
                                line: int) -> None:
    text = (seed_dir / "docker" / "grafana" / "dashboards" / "qortex.json").read_text()
    assert text.count(old) == 1
    mutated = tmp_path / "qortex.json"
    mutated.write_text(text.replace(old, new))
    problems = Linter(qortex_catalog()).check([load_source(str(mutated))]).problems
    found = [(p.check, p.location, p.line) for p in problems if (p.check, p.location) != SEED_WARNING]
    assert found == [(check, where, line)]
