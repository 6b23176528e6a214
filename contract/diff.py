"""Field-level changes between two contracts, each breaking or compatible.

Breaking means a dashboard panel, rule or alert written against the old
contract can stop matching: a series name disappears or changes, a label or
a label value it may filter on disappears, bucket bounds it may select
vanish, an exposition path stops, a generated recording rule is renamed, the
service's `job` or a scrape job changes, a rule of `rules:` goes. Adding
things is compatible.

A metric is matched across the contracts by name; a new metric that says
`renamed_from: <old name>`, or an added metric whose series and labels are
those of a removed one on every path the old contract declares, is one
rename instead of a removal plus an addition. A rename is breaking when the
exposed series change, and compatible when only the contract's spelling does
(`svc_requests_total` -> `svc_requests`: the exporter writes `_total` either
way).

Alerts and SLOs (`alerts:`, `slos:`) and the rules of `rules:` are compared by
name: a removed one is breaking (queries read a record; Alertmanager routes
and silences name alerts), an added one compatible, and a changed objective,
SLI or alert of `alerts:` and `slos:` is a compatible change.

What `generate` names after a contract (recording rules, jobs) comes from the
generators, a higher layer: the caller passes it in as `Generated`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from contract.alerting import AlertName, alert_names
from contract.loader import LoadedContract
from contract.model import Contract, Metric
from contract.naming import ExpositionPath, expose
from contract.problems import Problem


@dataclass(frozen=True)
class Generated:
    """The names `generate` gives a contract's outputs, which queries and routes written against them use."""

    records: dict[str, tuple[str, ...]]   # metric -> its generated recording rules' names, in the generator's order
    job: str                              # the `job` label of the service's series
    scrape_jobs: tuple[str, ...]          # the scrape jobs of the generated prometheus.yml


def diff(old: LoadedContract, new: LoadedContract, users: dict[str, list[str]] | None = None,
         generated: tuple[Generated, Generated] | None = None) -> list[Problem]:
    """The changes; `users` (old metric name -> panels and rules) names what each breaking one breaks;
    `generated` (old, new) adds the changes of generated names."""
    changes = list(_diff(old, new, generated))
    if not users:
        return changes
    return [p._replace(message=f"{p.message}; breaks {', '.join(users[p.metric])}")
            if p.severity == "error" and users.get(p.metric) else p for p in changes]


def _change(lc: LoadedContract, path: tuple[str | int, ...], kind: str, breaking: bool, message: str,
            metric: str) -> Problem:
    return lc.at(path, f"diff/{kind}", message, severity="error" if breaking else "info", metric=metric)


def _names(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _same_series(before: Metric, after: Metric, paths: tuple[ExpositionPath, ...]) -> bool:
    """Whether both metrics expose the same series names and labels on every one of `paths`."""
    def shown(m: Metric, path: ExpositionPath) -> tuple[tuple[str, ...], tuple[str, ...]]:
        e = expose(m, path)
        return e.series, e.labels

    return all(shown(before, p) == shown(after, p) for p in paths)


def _diff(old: LoadedContract, new: LoadedContract, generated: tuple[Generated, Generated] | None
          ) -> Iterator[Problem]:
    old_index = {m.name: i for i, m in enumerate(old.contract.metrics)}
    new_index = {m.name: i for i, m in enumerate(new.contract.metrics)}
    old_paths = old.contract.exposition
    # old name -> new name
    renamed = {m.renamed_from: m.name for m in new.contract.metrics
               if m.renamed_from and m.renamed_from in old_index and m.renamed_from not in new_index}
    # a removal and an addition that expose the same series are one rename, declared or not
    added = [n for n in new_index if n not in old_index and n not in renamed.values()]
    for name, i in old_index.items():
        if name in new_index or name in renamed:
            continue
        was = old.contract.metrics[i]
        twin = next((n for n in added if _same_series(was, new.contract.metrics[new_index[n]], old_paths)), None)
        if twin is not None:
            renamed[name] = twin
            added.remove(twin)
    renamed_to = {n: o for o, n in renamed.items()}

    for name, i in old_index.items():
        if name not in new_index and name not in renamed:
            yield _change(old, ("metrics", i, "name"), "metric-removed", True, f"metric `{name}` was removed", name)
    for name, j in new_index.items():
        m = new.contract.metrics[j]
        before_name = name if name in old_index else renamed_to.get(name)
        if before_name is None:
            yield _change(new, ("metrics", j, "name"), "metric-added", False, f"metric `{name}` was added", name)
            continue
        before = old.contract.metrics[old_index[before_name]]
        same = _same_series(before, m, old_paths)
        if before_name != name:
            yield _change(new, ("metrics", j, "name"), "metric-renamed", not same,
                          f"metric `{before_name}` was renamed to `{name}`"
                          + ("; its series and labels stay the same on every path" if same else ""), before_name)
        yield from _metric_changes(new, j, before, m, old_paths)
        # a change of the metric's series names is reported as such, and its users include the generated rules
        if generated is not None and all(expose(before, p).series == expose(m, p).series for p in old_paths):
            yield from _record_changes(new, j, generated[0].records.get(before_name, ()),
                                       generated[1].records.get(name, ()))

    for path in old_paths:
        if path not in new.contract.exposition:
            yield _change(new, ("exposition",), "exposition-removed", True,
                          f"exposition path {path} was removed; its series stop", "")
    for path in new.contract.exposition:
        if path not in old_paths:
            yield _change(new, ("exposition",), "exposition-added", False, f"exposition path {path} was added", "")
    if generated is not None:
        yield from _job_changes(new, *generated)
    yield from _rule_changes(old, new)
    yield from _slo_changes(old, new)
    yield from _alert_changes(old, new)


def _record_changes(lc: LoadedContract, j: int, was: tuple[str, ...], now: tuple[str, ...]) -> Iterator[Problem]:
    """The generated recording rules of metric `j` that are no longer written under their old names.

    The problem names no metric: the panels that query the metric itself
    (its users) do not break, those that query the old rule names do.
    """
    gone = [r for r in was if r not in now]
    if not gone:
        return
    name = lc.contract.metrics[j].name
    if len(was) == len(now):   # the same kind of rules: the generator writes them in a fixed order
        pairs = ", ".join(f"`{a}` becomes `{b}`" for a, b in zip(was, now, strict=True) if a != b)
        message = f"the recording rules of `{name}` are renamed: {pairs}; queries of the old names go empty"
    else:
        message = (f"the recording rules {_names(gone)} of `{name}` are no longer written"
                   + (f" (it now gets {_names(now)})" if now else "") + "; queries of them go empty")
    yield _change(lc, ("metrics", j, "name"), "records-renamed", True, message, "")


def _job_changes(new: LoadedContract, before: Generated, after: Generated) -> Iterator[Problem]:
    """The service's series `job` and the generated scrape jobs: queries, alerts and routes select by them."""
    parts = []
    if before.job != after.job:
        parts.append(f"every series of the service changes `job` from `{before.job}` to `{after.job}`")
    gone = [j for j in before.scrape_jobs if j not in after.scrape_jobs]
    if gone:
        fresh = [j for j in after.scrape_jobs if j not in before.scrape_jobs]
        parts.append(f"the generated prometheus.yml no longer has scrape job {_names(gone)}"
                     + (f" (it has {_names(fresh)} instead)" if fresh else ""))
    if parts:
        at: tuple[str | int, ...] = (("service",) if before.job != after.job
                                     else ("stack", "paths") if new.contract.stack.paths else ("exposition",))
        yield _change(new, at, "job-changed", True, ", and ".join(parts), "")


def _rule_changes(old: LoadedContract, new: LoadedContract) -> Iterator[Problem]:
    """The rules of `rules:` by kind and name: a removed one is breaking (queries read a record, routes name an
    alert), an added one compatible."""
    before, after = _rules(old.contract), _rules(new.contract)
    for (kind, name), i in before.items():
        if (kind, name) not in after:
            why = ("queries of its series go empty" if kind == "record"
                   else "routes and silences that name it stop matching")
            yield _change(old, ("rules", i, kind), "rule-removed", True,
                          f"{_RULE_KINDS[kind]} rule `{name}` was removed; {why}", "")
    for (kind, name), j in after.items():
        if (kind, name) not in before:
            yield _change(new, ("rules", j, kind), "rule-added", False, f"{_RULE_KINDS[kind]} rule `{name}` was added",
                          "")


_RULE_KINDS = {"record": "recording", "alert": "alerting"}


def _rules(c: Contract) -> dict[tuple[str, str], int]:
    """(`record` or `alert`, name) -> index of the rule in `rules:`; a repeated name stands for its first rule."""
    index: dict[tuple[str, str], int] = {}
    for k, r in enumerate(c.rules):
        index.setdefault(("record", r.record) if r.record else ("alert", r.alert or ""), k)
    return index


def _slo_changes(old: LoadedContract, new: LoadedContract) -> Iterator[Problem]:
    before = {slo.name: (i, slo) for i, slo in enumerate(old.contract.slos)}
    after = {slo.name: (j, slo) for j, slo in enumerate(new.contract.slos)}
    for name, (i, _) in before.items():
        if name not in after:
            yield _change(old, ("slos", i, "name"), "slo-removed", True, f"SLO `{name}` was removed", "")
    for name, (j, slo) in after.items():
        if name not in before:
            yield _change(new, ("slos", j, "name"), "slo-added", False, f"SLO `{name}` was added", "")
            continue
        was = before[name][1]
        if was.objective != slo.objective:
            yield _change(new, ("slos", j, "objective"), "slo-objective-changed", False,
                          f"objective of SLO `{name}` changed from {was.objective:g}% to {slo.objective:g}%", "")
        if was.sli != slo.sli:
            yield _change(new, ("slos", j, "sli"), "slo-changed", False, f"the SLI of SLO `{name}` changed", "")


def _alert_changes(old: LoadedContract, new: LoadedContract) -> Iterator[Problem]:
    """Alerts by name: a removed one is breaking (routes, silences and inhibitions name it), a changed one not."""
    before = {a.name: a for a in alert_names(old.contract)}
    after = {a.name: a for a in alert_names(new.contract)}
    for name, a in before.items():
        if name not in after:
            yield _change(old, a.path, "alert-removed", True, f"{a.kind} alert `{name}` was removed; routes and "
                          "silences that name it stop matching", "")
    for name, a in after.items():
        if name not in before:
            yield _change(new, a.path, "alert-added", False, f"{a.kind} alert `{name}` was added", "")
        elif _definition(old.contract, before[name]) != _definition(new.contract, a):
            yield _change(new, a.path, "alert-changed", False, f"{a.kind} alert `{name}` changed", "")


def _definition(c: Contract, a: AlertName) -> object:
    """What an alert's rules and tests are made of, to compare across contracts."""
    if a.kind == "SLO":   # a changed objective or SLI is reported as the SLO's change
        return c.slos[int(a.path[1])].alerting
    assert c.alerts is not None   # the other alerts come from `alerts:`
    if a.kind == "threshold":
        return c.alerts.thresholds[int(a.path[2])]
    if a.kind == "metrics stopped":
        return c.alerts.metrics_stopped, a.metrics
    return c.alerts.target_down


def _metric_changes(lc: LoadedContract, j: int, before: Metric, m: Metric, old_paths: tuple[ExpositionPath, ...]
                    ) -> Iterator[Problem]:
    at = ("metrics", j)
    name = m.name
    # problems carry the old name: it is the one existing panels and rules query
    old = before.name
    if before.type != m.type:
        yield _change(lc, at + ("type",), "type-changed", True,
                      f"`{name}` changed type from {before.type} to {m.type}", old)
    if before.unit != m.unit:
        # a unit change is breaking only when it changes the exposed names
        same = all(expose(before, p).series == expose(m, p).series for p in old_paths
                   if before.type == m.type)
        yield _change(lc, at + ("unit",), "unit-changed", not same,
                      f"`{name}` changed unit from `{before.unit}` to `{m.unit}`"
                      + ("" if same else "; its series names change"), old)
    if before.help != m.help:
        yield _change(lc, at + ("help",), "help-changed", False, f"help of `{name}` changed", old)
    old_labels = {label.name: label for label in before.labels}
    new_labels = {label.name: label for label in m.labels}
    for gone in sorted(old_labels.keys() - new_labels.keys()):
        yield _change(lc, at + ("labels",), "label-removed", True, f"label `{gone}` of `{name}` was removed", old)
    for k, label in enumerate(m.labels):
        was = old_labels.get(label.name)
        if was is None:
            yield _change(lc, at + ("labels", k, "name"), "label-added", False,
                          f"label `{label.name}` was added to `{name}`", old)
            continue
        old_values, new_values = was.allowed_values(), label.allowed_values()
        # the order of a closed set is no query's concern
        if old_values == new_values or (old_values is not None and new_values is not None
                                        and set(old_values) == set(new_values)):
            continue
        dropped = sorted(set(old_values or ()) - set(new_values or ())) if new_values is not None else []
        if old_values is None:
            yield _change(lc, at + ("labels", k, "values"), "label-values-changed", True,
                          f"label `{label.name}` of `{name}` became a closed set; other values are recorded as "
                          "`other`" if label.guard else f"label `{label.name}` of `{name}` became a closed set", old)
        elif new_values is None:
            yield _change(lc, at + ("labels", k), "label-values-changed", False,
                          f"label `{label.name}` of `{name}` is no longer a closed set", old)
        elif dropped:
            yield _change(lc, at + ("labels", k, "values"), "label-values-changed", True,
                          f"label `{label.name}` of `{name}` no longer has value "
                          + ", ".join(f"`{v}`" for v in dropped), old)
        else:
            yield _change(lc, at + ("labels", k), "label-values-changed", False,
                          f"label `{label.name}` of `{name}` gained values", old)
    if before.buckets != m.buckets and m.type == before.type == "histogram":
        removed = sorted(set(before.buckets or ()) - set(m.buckets or ()))
        yield _change(lc, at + ("buckets",), "buckets-changed", bool(removed),
                      f"buckets of `{name}` changed" + (f"; bound(s) {', '.join(f'{b:g}' for b in removed)} "
                                                        "no longer exist" if removed else "; bounds were added"), old)
