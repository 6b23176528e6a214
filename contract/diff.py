"""Field-level changes between two contracts, each breaking or compatible.

Breaking means a dashboard panel, rule or alert written against the old
contract can stop matching: a series name disappears or changes, a label or
a label value it may filter on disappears, bucket bounds it may select
vanish, an exposition path stops. Adding things is compatible. A metric
whose new declaration says `renamed_from: <old name>` is reported as one
rename (breaking) instead of a removal plus an addition. Alerts and SLOs
(`alerts:`, `slos:`) are compared by name: a removed alert or SLO is
breaking (Alertmanager routes and silences name alerts), a changed
objective, SLI or alert is a compatible change.
"""

from __future__ import annotations

from collections.abc import Iterator

from contract.alerting import AlertName, alert_names
from contract.loader import LoadedContract
from contract.model import Contract, Metric
from contract.naming import ExpositionPath, expose
from contract.problems import Problem


def diff(old: LoadedContract, new: LoadedContract, users: dict[str, list[str]] | None = None) -> list[Problem]:
    """The changes; `users` (old metric name -> panels and rules) names what each breaking one breaks."""
    changes = list(_diff(old, new))
    if not users:
        return changes
    return [p._replace(message=f"{p.message}; breaks {', '.join(users[p.metric])}")
            if p.severity == "error" and users.get(p.metric) else p for p in changes]


def _change(lc: LoadedContract, path: tuple[str | int, ...], kind: str, breaking: bool, message: str,
            metric: str) -> Problem:
    return lc.at(path, f"diff/{kind}", message, severity="error" if breaking else "info", metric=metric)


def _diff(old: LoadedContract, new: LoadedContract) -> Iterator[Problem]:
    old_index = {m.name: i for i, m in enumerate(old.contract.metrics)}
    new_index = {m.name: i for i, m in enumerate(new.contract.metrics)}
    renamed = {m.renamed_from: m.name for m in new.contract.metrics
               if m.renamed_from and m.renamed_from in old_index and m.renamed_from not in new_index}

    for name, i in old_index.items():
        if name not in new_index and name not in renamed:
            yield _change(old, ("metrics", i, "name"), "metric-removed", True, f"metric `{name}` was removed", name)
    for name, j in new_index.items():
        m = new.contract.metrics[j]
        before_name = name if name in old_index else next((o for o, n in renamed.items() if n == name), None)
        if before_name is None:
            yield _change(new, ("metrics", j, "name"), "metric-added", False, f"metric `{name}` was added", name)
            continue
        before = old.contract.metrics[old_index[before_name]]
        if before_name != name:
            yield _change(new, ("metrics", j, "name"), "metric-renamed", True,
                          f"metric `{before_name}` was renamed to `{name}`", before_name)
        yield from _metric_changes(new, j, before, m, old.contract.exposition)

    old_paths, new_paths = old.contract.exposition, new.contract.exposition
    for path in old_paths:
        if path not in new_paths:
            yield _change(new, ("exposition",), "exposition-removed", True,
                          f"exposition path {path} was removed; its series stop", "")
    for path in new_paths:
        if path not in old_paths:
            yield _change(new, ("exposition",), "exposition-added", False, f"exposition path {path} was added", "")
    yield from _slo_changes(old, new)
    yield from _alert_changes(old, new)


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
        if old_values == new_values:
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
