"""The check ids reported outside the two check registries, documented as data.

A contract check (`contract/checks/`) or a PromQL check
(`contract/promql/checks/`) is a class whose docstring is its documentation.
The ids below are reported by other code: the model validation of the
contract and of YAML dashboards, dashboards as code, `check` (over the out
dir), `live-check` and `diff`. Each entry is its id's documentation, in the
shape of a check's (id, severity, summary, text), so `metrics-contract rules`
and the README's check tables treat both alike. tests/test_rules_doc.py fails
when the code reports an id of these families that has no entry here, or
an entry names an id nothing reports.

Bad-input ids of other families (`input/*`, `config/*`, `usage/*`, `init/*`,
`generate/*`, `docs/*`, `exposition/*`: a file that cannot be read, parsed or
written, a wrong argument) are not checks: their one-line message says what
to fix, and they are not listed.
"""

from __future__ import annotations

from typing import NamedTuple

from contract.problems import Severity

# the families of check ids; an id of any other family is bad input
CHECK_FAMILIES = ("contract", "promql", "rules", "check", "dashboard", "live", "diff")


class Reported(NamedTuple):
    id: str
    severity: Severity   # the worst it reports; `doc` says when it is milder
    summary: str         # one line, lowercase
    doc: str             # its documentation: a first sentence, a blank line, the rest


REPORTED: tuple[Reported, ...] = (
    Reported("contract/schema", "error", "the contract must have the keys, types and values of its model", """
        The contract must fit its model: known keys, values of the right type, enumerated values from their set.

        Checked before every other contract check, when the contract is
        loaded: a misspelt key (with the nearest known one), a missing
        required field, a string where a number belongs, a metric type or an
        exposition path that does not exist. Each problem is located at its
        YAML node and names the place as a reader of the contract would
        (`metric `svc_requests` label 1`). Bad input: every command that
        reads the contract exits 2, after listing every such problem.
        """),
    Reported("contract/shape", "error", "a contract is a YAML mapping with `contract: 1` at the top", """
        A contract file is a YAML mapping with a top-level `contract:` key.

        Anything else (a dashboard, a rule file, a list) would fail the model
        in dozens of places; this one line says what the file should be.
        Bad input: exit 2.
        """),
    Reported("check/stale-output", "error",
             "every file `generate` owns in the out dir must be what it writes now", """
        Every file `generate` wrote (its manifest lists them) must be byte for byte what it writes now.

        `check` without files renders every output in memory and compares:
        a file edited by hand, generated from an older contract, missing,
        or no longer generated (left over) is reported, at the first line
        that differs. Files beside them that the manifest does not list are
        never judged. Run `metrics-contract generate`; never edit a
        generated file.
        """),
    Reported("check/unused-metric", "warning",
             "every contract metric should be queried by a panel or a rule of the out dir", """
        A contract metric that no dashboard panel, variable or rule queries is probably dead weight.

        Reported by `check` over the whole out dir (not for a list of files),
        at the metric's name in the contract. A warning: a metric may be
        meant for ad-hoc queries; suppress it with the `ignore` list.
        """),
    Reported("rules/invalid", "error", "a rule file must be one Prometheus loads", """
        A rule file must be one `promtool check rules` (and Prometheus, at load) accepts.

        Prometheus refuses the whole file over one mistake, so `check` reports
        each one at its place, while still checking every expression: a field
        Prometheus does not know (a group's `query_offset` and `labels` of
        later releases are accepted), a group without a `name` or with the
        name of an earlier group of the file, a rule with both or neither of
        `record` and `alert`, an empty `expr`, a recording rule with `for`,
        `keep_firing_for` or `annotations`, a duration that is not one
        (`5x`, `1.5m`), a `limit` that is no number, a recorded name that is
        not a metric name, a label or annotation name that is not a label
        name (or the label `__name__`), a label or annotation that is not a
        single value, and an alert's label or annotation that is no Go
        template. Names and templates are judged as `contract/rule-name` and
        `contract/rule-template` judge the contract's `rules:` (templates
        conservatively: a shape the check does not follow, such as `define`,
        is refused too). Reported by `check` for every rule file it reads.
        """),
    Reported("promql/untried-values", "warning",
             "every declared value of a dashboard's variables should be tried", """
        An expression whose variables declare more values than `check` tries has values nobody judged.

        `check` expands a panel's Grafana variables once per declared value
        (each variable's values in turn, the others at their first), so a
        value that breaks the query is found. Past 1000 expansions of one
        expression (hostile input) the rest is left untried, and this
        warning at the expression says how many were.
        """),
    Reported("dashboard/load", "error", "a dashboard file must load: a `.py` defining `DASHBOARD` or a YAML dashboard",
             """
        A configured dashboard file must be a Python file that defines `DASHBOARD` or a YAML dashboard.

        A `.py` file is run as its own module; it must run without raising
        and assign `DASHBOARD = lib.dashboard(...)` of `dashboards.lib`. A
        `.yaml`/`.yml` file is one mapping with `title` and `rows`. The
        failure is located at its line when one is known. Bad input: exit 2.
        """),
    Reported("dashboard/schema", "error", "a YAML dashboard must have the keys, types and values of its model", """
        A YAML dashboard file must fit the dashboard model, as the contract's `dashboards:` section does.

        The same validation as `contract/schema`: an unknown key (with the
        nearest known one), a field the panel kind does not take, a wrong
        type or value, each at its YAML node. Bad input: exit 2.
        """),
    Reported("dashboard/unknown-metric", "error", "a dashboard must name metrics of the contract", """
        A dashboard query must name a metric the contract declares.

        Dashboards name contract metrics, never Prometheus series. The
        suggestion knows renames (`renamed_from`), the series an exporter
        spells for a metric (`qortex_queries_total` is `qortex_queries`) and
        close names. Reported at the panel's line (or the dashboard's, for
        `job_metric`); bad input: `generate`, `check` and `docs` exit 2.
        """),
    Reported("dashboard/unknown-slo", "error", "a dashboard's SLO query must name an SLO of the contract", """
        `lib.sli`, `lib.budget_remaining` and `lib.burn_rates` must name one of the contract's `slos:`.

        They read the series the SLO's rules record in `prometheus/alerts.yml`; an SLO the contract does
        not declare has none. The suggestion is the closest SLO name. Reported at the panel's line; bad
        input: `generate`, `check` and `docs` exit 2.
        """),
    Reported("dashboard/unknown-label", "error", "a dashboard may group only by labels the metric declares", """
        `by=` may name only labels of the metric, the scrape labels every path adds, and `le` of a histogram.

        A label the metric does not carry would group nothing apart and show
        one unlabelled line. Bad input: exit 2.
        """),
    Reported("dashboard/metric-type", "error", "a dashboard query kind must fit the metric's type", """
        A query kind must fit the metric's type.

        `rate` and `increase` take a counter, `gauge` a gauge or an
        updowncounter, `quantiles` and `buckets` a histogram. The type is
        judged as Prometheus sees it on the first declared path (an
        updowncounter is a gauge there). Bad input: exit 2.
        """),
    Reported("dashboard/legend-label", "error", "a legend may name only labels the query keeps", """
        A `{{label}}` in a legend must be a label the query keeps.

        Grafana renders a missing label as an empty string, so every line of
        the panel would get the same legend. The query keeps its `by=`
        labels. Bad input: exit 2.
        """),
    Reported("dashboard/path-divergence", "error",
             "a queried series or label must be spelled the same on every declared path", """
        The series and labels a dashboard queries must be spelled the same on every declared exposition path.

        One dashboard serves every path; a name that differs (a gauge with
        unit `1` gains `_ratio` through the Collector) would leave the panel
        empty on one of them. `contract/path-divergence` reports the metric
        itself. Bad input: exit 2.
        """),
    Reported("dashboard/unit", "error", "a panel's unit must be derivable from the metric's, or given", """
        A panel needs a Grafana unit: derived from the metric's unit for the query kind, or passed as `unit=`.

        A unit with no Grafana counterpart (an unusual UCUM unit) is reported
        with the metric, so the panel never shows raw numbers without a unit
        by accident. Bad input: exit 2.
        """),
    Reported("dashboard/mixed-units", "error", "a panel's queries must share one unit, or the panel gives one", """
        The queries of one panel must derive the same unit, or the panel passes `unit=`.

        A panel has one axis unit: seconds and bytes on one panel would show
        one of them wrongly. Bad input: exit 2.
        """),
    Reported("dashboard/layout", "error", "the panels of a line must split the 24 grid columns evenly", """
        Each line of a row holds 1, 2, 3, 4, 6, 8, 12 or 24 panels, which share the 24 columns evenly.

        `layout(panels)` splits any number of panels into such lines. Bad
        input: exit 2.
        """),
    Reported("dashboard/duplicate-name", "error", "two dashboards must not write the same file", """
        No two dashboards may be rendered to the same `grafana/<name>.json`.

        The name is a file dashboard's `name` or file stem, or a section
        dashboard's `name` or title slug; the second one is reported. Bad
        input: exit 2.
        """),
    Reported("dashboard/duplicate-uid", "error", "two dashboards must not share a Grafana uid", """
        No two dashboards may share a Grafana uid.

        Grafana would load only one of them. Bad input: exit 2.
        """),
    Reported("live/missing-metric", "error", "every contract metric must be exposed by the live target", """
        Every contract metric must appear on the live target, as its exposition path names it.

        Reported at the metric in the contract. A family a /metrics endpoint
        announces without samples (a labelled metric nothing recorded yet)
        counts as exposed; through Prometheus, only series with samples do.
        """),
    Reported("live/undeclared-metric", "error", "a live series inside the namespace must be declared", """
        A series the target exposes inside the contract's namespace must belong to a contract metric.

        Series outside the namespace (the runtime's, other libraries') are
        not judged.
        """),
    Reported("live/type-mismatch", "error", "a live series must have the type the contract gives it", """
        The type the target declares (`# TYPE`, or Prometheus' metadata) must be the one the contract implies.

        An updowncounter is a gauge in Prometheus; prometheus_client's
        `_created` series may be a gauge family of its own. `unknown` and
        `untyped` are not judged.
        """),
    Reported("live/label-mismatch", "error", "a live series must carry exactly the declared labels", """
        A metric's series must carry exactly the labels the contract declares, as the path exposes them.

        Exporter and scrape labels (`job`, `instance`, `otel_scope_*`) and
        `le` are left out of the comparison; reported once per metric.
        """),
    Reported("live/label-value", "error", "a live label with a closed set must hold only its values", """
        Every value of a label with a closed value set must be one of them (or `other` when guarded).

        A value outside the set is a series no dashboard filter expects.
        """),
    Reported("diff/metric-removed", "error", "breaking: a metric was removed", """
        A metric of the old contract is gone (and no new metric says `renamed_from` it).

        Breaking: every panel and rule that queries it goes empty; `diff`
        names them when the out dir holds them.
        """),
    Reported("diff/metric-added", "info", "compatible: a metric was added", """
        A new metric: compatible, nothing existing queries it yet.
        """),
    Reported("diff/metric-renamed", "error", "a metric was renamed; breaking when its series change", """
        A metric was renamed: it says `renamed_from: <old name>`, or it exposes the series of a removed one.

        Either way it is one rename instead of a removal plus an addition.
        Breaking (error) when its series names or labels change on a path
        of the old contract; compatible (info) when only the contract's
        spelling changes (`svc_requests_total` -> `svc_requests`, `a.b` ->
        `a_b`: `metrics-contract names` shows the same series). Its other
        changes are compared with the old metric's.
        """),
    Reported("diff/type-changed", "error", "breaking: a metric's type changed", """
        A metric's type changed: its series (`_total`, `_bucket`) and the functions that apply change.
        """),
    Reported("diff/unit-changed", "error", "a metric's unit changed; breaking when its series names change",
             """
        A metric's unit changed.

        Breaking (error) when an old exposition path then exposes other
        series names (the unit word is a suffix); compatible (info) when
        the names stay.
        """),
    Reported("diff/help-changed", "info", "compatible: a metric's help changed", """
        A metric's help text changed: compatible, no query depends on it.
        """),
    Reported("diff/label-removed", "error", "breaking: a label was removed", """
        A label of a metric is gone: queries that filter or group on it match nothing or lose a dimension.
        """),
    Reported("diff/label-added", "info", "compatible: a label was added", """
        A label was added to a metric: compatible, existing selectors and aggregations still match its series.
        """),
    Reported("diff/label-values-changed", "error",
             "a label's closed set changed; breaking when values go or the set closes", """
        The closed value set of a label changed.

        Breaking (error) when values disappear or an open label becomes a
        closed set (other values stop, or become `other` when guarded);
        compatible (info) when values are added or the set opens. A
        reordered set is no change.
        """),
    Reported("diff/buckets-changed", "error", "histogram buckets changed; breaking when bounds go", """
        A histogram's bucket bounds changed.

        Breaking (error) when a bound disappears: a query on its `le` matches
        nothing; compatible (info) when bounds are only added.
        """),
    Reported("diff/exposition-removed", "error", "breaking: an exposition path was removed", """
        An exposition path is no longer declared: the series it exposes stop.
        """),
    Reported("diff/exposition-added", "info", "compatible: an exposition path was added", """
        A new exposition path: compatible; the contract checks make sure it exposes the same names.
        """),
    Reported("diff/slo-removed", "error", "breaking: an SLO was removed", """
        An SLO of the old contract is gone: its recorded series stop, and panels that show them go empty.
        """),
    Reported("diff/slo-added", "info", "compatible: an SLO was added", """
        A new SLO: compatible, nothing existing reads its series yet.
        """),
    Reported("diff/slo-objective-changed", "info", "an SLO's objective changed", """
        An SLO's objective changed: its error budget, burn rates and alerts follow.

        Compatible: every series keeps its name; the change is listed so a reviewer sees the alerting move.
        """),
    Reported("diff/slo-changed", "info", "an SLO's SLI changed", """
        The events an SLO counts (its SLI) changed.

        Compatible: the recorded series keep their names (unless the SLI's total moves to another metric,
        which renames them: panels of the SLO then need a regenerate).
        """),
    Reported("diff/alert-removed", "error", "breaking: an alert was removed", """
        An alert name the old contract made Prometheus fire is gone.

        Breaking: Alertmanager routes, silences and inhibitions that name it stop matching, and whatever
        it watched goes unwatched. Renaming an alert (`alerting.name`, a threshold's `alert`) is a removal
        and an addition.
        """),
    Reported("diff/alert-added", "info", "compatible: an alert was added", """
        A new alert name: compatible, though routes may need an entry for it.
        """),
    Reported("diff/alert-changed", "info", "an alert's rule changed", """
        An alert kept its name but its rule changed: a threshold, window, `for`, labels or annotations.

        Compatible by name; routes that match on its labels may need a look.
        """),
    Reported("diff/new-contract", "info", "the revision of `diff --against` has no contract: nothing to compare", """
        `diff --against REV` found the commit but no contract in it (or `HEAD` has no commit yet).

        The contract is new, so no change can break anything: one info line,
        exit 0. An unknown revision or no repository is bad input instead.
        """),
    Reported("diff/old-invalid", "warning", "the old contract does not load: nothing to compare", """
        The old contract (`--against REV`, or OLD) does not load: bad YAML, or a value its model rejects.

        A commit cannot be changed, and a newer release may check more
        strictly than the one that accepted it: one warning at the first
        reason, exit 0, so that it never blocks the commit that fixes the
        contract. A new contract that does not load is bad input (exit 2).
        """),
    Reported("diff/records-renamed", "error", "breaking: a metric's generated recording rules are renamed", """
        The recording rules `generate` writes for a metric get other names (`job:<family>:rate<W>m`).

        Their window `<W>` follows `scrape_interval` (five minutes or four
        scrape intervals, whichever is longer), and their family the
        metric's series: panels and rules that query the old names go empty.
        The line names the old and the new rules.
        """),
    Reported("diff/job-changed", "error", "breaking: the service's `job` or a generated scrape job changed", """
        The `job` of the service's series (its `service`) or a scrape job of the generated prometheus.yml changed.

        Queries, alerts and routes that select `job="<old>"` (or `up` of the
        old scrape job) stop matching. The line names the old and new jobs.
        """),
    Reported("diff/rule-removed", "error", "breaking: a rule of `rules:` was removed", """
        A recording or alerting rule of `rules:` is gone.

        Breaking: queries of a removed record go empty; routes, silences and
        inhibitions that name a removed alert stop matching. Renaming a rule
        is a removal and an addition.
        """),
    Reported("diff/rule-added", "info", "compatible: a rule was added to `rules:`", """
        A new recording or alerting rule in `rules:`: compatible, nothing existing reads it yet.
        """),
)
