from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from contract import alerting
from contract.checks.alerts import duplicate_names, text_problems
from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.model import Contract, Selection, Slo
from contract.problems import Problem

# the shortest SLI window, in seconds: a rate over it needs two scrapes
_SHORTEST = 60 * alerting.WINDOW_MINUTES[alerting.WINDOWS[0]]


class Slos(ContractCheck):
    """`slos:` must describe SLOs whose rules and alerts the tool can write, and prove with promtool tests.

    An SLO's name is unique. Its SLI counts events of contract metrics: the
    error and total counters of `sli.events` (`{metric, match}`, matching
    label values of the metrics' closed sets; when both name one metric,
    the errors are a part of the total and some series are not errors), or
    the histogram of `sli.latency`, whose `threshold` must be one of its
    bucket bounds (an observation above it is an error). The objective
    leaves an error budget the fastest page alert can detect: at 14.4 times
    its even rate the budget must stay below all events, so the objective
    is above 93.06%. The shortest SLI window, 5m, must hold two scrapes. The
    alert name (`alerting.name`, by default the SLO name in CamelCase with
    `BudgetBurn`) is unique; labels and annotations follow `contract/alert`,
    and may template `{{ $labels.job }}` and `{{ $labels.slo }}`.
    """

    id = "contract/slo"
    summary = "service level objectives must count contract metrics, leave a budget a page can catch, use known text"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        if not c.slos:
            return
        if _SHORTEST < 2 * c.scrape_seconds:
            yield self.at(lc, ("scrape_interval",), f"scrape interval `{c.scrape_interval}` leaves fewer than two "
                          f"scrapes in an SLO's shortest window ({alerting.WINDOWS[0]}); scrape at least every "
                          f"{_SHORTEST // 2}s")
        seen: set[str] = set()
        for i, slo in enumerate(c.slos):
            path = ("slos", i)
            if slo.name in seen:
                yield self.at(lc, path + ("name",), f"SLO name `{slo.name}` is given twice; each SLO needs its own")
            seen.add(slo.name)
            budget = alerting.budget(slo)
            if Decimal(repr(alerting.FASTEST)) * budget >= 1:
                yield self.at(lc, path + ("objective",), f"objective {slo.objective:g}% of SLO `{slo.name}` leaves "
                              f"an error budget of {alerting.decimal_text(budget * 100)}%: its page alert, at "
                              f"{alerting.FASTEST:g} times the budget's even rate, could never fire; use an "
                              "objective above 93.06%")
            yield from self.sli(lc, c, path, slo)
            alert = alerting.slo_alert_name(slo)
            texts = (("alerting",), slo.alerting), (("alerting", "page_alert"), slo.alerting.page_alert), \
                (("alerting", "ticket_alert"), slo.alerting.ticket_alert)
            for below, text in texts:
                yield from text_problems(self, lc, path + below, text, alert, alerting.SLO_LABELS)
            problem = alerting.template_problem(slo.description, ())
            if problem is not None:
                yield self.at(lc, path + ("description",), f"the description of SLO `{slo.name}` becomes an "
                              f"annotation, which {problem}")
        yield from duplicate_names(self, lc, slo=True)

    def sli(self, lc: LoadedContract, c: Contract, path: alerting.Path, slo: Slo) -> Iterator[Problem]:
        events, latency = slo.sli.events, slo.sli.latency
        if events is not None:
            errors, total = events.error_query, events.total_query
            problems = [*self.counter(lc, c, path + ("sli", "events", "error_query"), slo, errors),
                        *self.counter(lc, c, path + ("sli", "events", "total_query"), slo, total)]
            yield from problems
            if problems or errors.metric != total.metric:
                return
            m = c.metric(total.metric)
            assert m is not None   # resolved
            at = path + ("sli", "events", "error_query", "match")
            if not alerting.narrows(errors, total):
                yield self.at(lc, at, f"SLO `{slo.name}`: `error_query` must select a part of `total_query`, which "
                              "it does not", metric=m.name)
            elif alerting.outside(m, errors, total) is None:
                yield self.at(lc, at, f"SLO `{slo.name}`: `error_query` selects all of `total_query`, so every event "
                              "would be an error", metric=m.name)
            return
        assert latency is not None   # an SLI has one of the two
        at = path + ("sli", "latency")
        found, unresolved = alerting.resolve(c, latency.selection)
        for below, message, key in unresolved:
            yield self.at(lc, at + below, f"SLO `{slo.name}`: {message}", key=key, metric=latency.metric)
        if found is None:
            return
        m = found.metric
        if m.type != "histogram":
            yield self.at(lc, at + ("metric",), f"SLO `{slo.name}` measures latency with `{m.name}`, a {m.type}; "
                          "that needs a histogram", metric=m.name)
        elif latency.threshold not in (m.buckets or ()):
            bounds = ", ".join(f"{b:g}" for b in m.buckets or ()) or "none"
            yield self.at(lc, at + ("threshold",), f"SLO `{slo.name}`: threshold {latency.threshold:g} is not a "
                          f"bucket bound of `{m.name}` (its bounds: {bounds}); the SLI counts the observations "
                          "up to a bound", metric=m.name)

    def counter(self, lc: LoadedContract, c: Contract, at: alerting.Path, slo: Slo, selection: Selection
                ) -> Iterator[Problem]:
        """Problems of a selection an events SLI counts: it must resolve, to a counter."""
        found, problems = alerting.resolve(c, selection)
        for below, message, key in problems:
            yield self.at(lc, at + below, f"SLO `{slo.name}`: {message}", key=key, metric=selection.metric)
        if found is not None and found.metric.type != "counter":
            yield self.at(lc, at + ("metric",), f"SLO `{slo.name}` counts events of `{found.metric.name}`, a "
                          f"{found.metric.type}; that needs a counter", metric=found.metric.name)
