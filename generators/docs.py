"""`out/METRICS.md`: the catalogue of the contract, for readers who don't read YAML.

Built after the other generators: which panels and rules use a metric is
read from the dashboards and rule files just rendered
(`contract.promql.usage`). `write` puts it where `docs --output` says,
replacing no file but a catalogue; into the out dir it goes as `generate`
writes there (`generators.outputs.write_one`).
"""

from __future__ import annotations

import os
import stat
from collections import defaultdict

from contract import alerting
from contract.cardinality import estimate
from contract.catalog import Catalog
from contract.loader import LoadedContract
from contract.model import Label, Op, Selection, Slo, ValueSpec
from contract.naming import expose
from contract.problems import input_error
from contract.promql.sources import load_source
from contract.promql.usage import metric_users
from generators.common import is_checked_output, marker, os_reason, replace_file

PATH = "METRICS.md"
# the first line of every catalogue (`marker`): how `write` knows a file it may replace
_OPENING = b"<!-- generated from "
_CLOSING = b" - do not edit -->"


def generate(lc: LoadedContract, files: dict[str, str]) -> dict[str, str]:
    c = lc.contract
    users = usage(lc, files)
    feeders: dict[str, list[str]] = defaultdict(list)
    for event in c.events:
        for op in event.ops:
            feeders[op.metric].append(f"`{event.event}` ({_op(op)})")
    estimates = {m.name: estimate(m, c.exposition) for m in c.metrics}
    alerted: dict[str, list[str]] = defaultdict(list)
    for a in alerting.alert_names(c):
        for name in a.metrics:
            alerted[name].append(f"{_escape(a.name)} ({a.kind})")
    slos: dict[str, list[str]] = defaultdict(list)
    for slo in c.slos:
        for name in alerting.slo_metrics(slo):
            slos[name].append(f"`{slo.name}` ({slo.objective:g}%)")
    bounded = [n for n in estimates.values() if n is not None]
    total = f"{sum(bounded)}" + ("" if len(bounded) == len(estimates) else " (plus labels without a closed set)")
    out = [f"<!-- {marker(lc)} -->", f"# {c.service} metrics", "",
           f"{len(c.metrics)} metrics in namespace `{c.namespace}`, exposed through "
           f"{' and '.join(c.exposition)}; estimated series: {total}"
           + (f" (budget {c.max_series})." if c.max_series else "."), "",
           "| metric | type | unit | labels | est. series | used by |", "|---|---|---|---|---|---|"]
    for m in c.metrics:
        used = users.get(m.name, [])
        out.append(f"| [`{m.name}`](#{m.name}) | {m.type} | `{m.unit}` | {', '.join(m.label_names) or '-'} | "
                   f"{_est(estimates[m.name])} | {len(used) or '**unused**'} |")
    for m in c.metrics:
        out += ["", f"## `{m.name}`", "", _escape(m.help), "",
                f"- type: {m.type}, unit `{m.unit}`" + (f", buckets {', '.join(f'{b:g}' for b in m.buckets)}"
                                                       if m.buckets else "")]
        if m.labels:
            out.append("- labels: " + "; ".join(_label(label) for label in m.labels))
        out.append("- series:")
        out += [f"  - {path}: " + ", ".join(f"`{s}`" for s in expose(m, path).series) for path in c.exposition]
        out.append(f"- estimated series: {_est(estimates[m.name])}"
                   + (f" (budget {m.max_series})" if m.max_series else ""))
        out.append("- fed by: " + (", ".join(feeders[m.name]) or "no event"))
        out.append("- used by: " + (", ".join(users.get(m.name, [])) or "nothing"))
        if alerted[m.name]:
            out.append("- alerts: " + ", ".join(alerted[m.name]))
        if slos[m.name]:
            out.append("- SLOs: " + ", ".join(slos[m.name]))
    if alerting.has_alerts(c):
        out += ["", "## Alerts and SLOs", "",
                "In `prometheus/alerts.yml`, each proven by `prometheus/alerts_test.yml`.", "",
                "| alert | kind | metrics |", "|---|---|---|"]
        out += [f"| {_escape(a.name)} | {a.kind} | {', '.join(f'`{n}`' for n in a.metrics) or 'every scrape job'} |"
                for a in alerting.alert_names(c)]
        if c.slos:
            out += ["", "| SLO | objective | SLI | description |", "|---|---|---|---|"]
            out += [f"| `{slo.name}` | {slo.objective:g}% | {_sli(slo)} | "
                    f"{_escape(slo.description) if slo.description else '-'} |" for slo in c.slos]
    unused = [m.name for m in c.metrics if not users.get(m.name)]
    out += ["", "## Not used by any panel or rule", ""]
    out += [f"- `{name}`" for name in unused] or ["Every metric is used."]
    return {PATH: "\n".join(out) + "\n"}


def write(target: str, text: str) -> None:
    """Write the catalogue `text` to the file `target` (`metrics-contract docs --output`): a new file, or one
    that opens with the marker of a catalogue, so that a file of the user's is never replaced. Missing
    parent dirs are made."""
    try:
        mode: int | None = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:   # a parent that is a file, a name too long, ...
        raise input_error(target, "docs/write", f"cannot write: {os_reason(exc)}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise input_error(target, "docs/output", "is a directory; give the file to write the catalogue to")
    if mode is not None and not stat.S_ISREG(mode):
        raise input_error(target, "docs/output", "is not a regular file; `metrics-contract docs` replaces only "
                          "a catalogue it wrote")
    try:
        if mode is not None:
            with open(target, "rb") as fh:
                first = fh.readline(64 * 1024).rstrip(b"\n")
            if not (first.startswith(_OPENING) and first.endswith(_CLOSING)):
                raise input_error(target, "docs/output", "not a catalogue written by `metrics-contract docs`; "
                                  "move it away or give another file")
        parent = os.path.dirname(os.path.abspath(target))
        if not os.path.lexists(parent):   # a parent that is a file: writing says "not a directory"
            os.makedirs(parent)
        replace_file(target, text.encode("utf-8"))
    except OSError as exc:
        raise input_error(target, "docs/write", f"cannot write: {os_reason(exc)}") from None


def usage(lc: LoadedContract, files: dict[str, str]) -> dict[str, list[str]]:
    """Contract metric -> the panels and rules (in `files`) that query it."""
    sources = [load_source(rel, text.encode("utf-8")) for rel, text in files.items() if is_checked_output(rel)]
    return metric_users(Catalog.from_contract(lc), sources)


def _sli(slo: Slo) -> str:
    events, latency = slo.sli.events, slo.sli.latency
    if events is not None:
        return f"errors {_selection(events.error_query)} of {_selection(events.total_query)}"
    assert latency is not None   # an SLI has one of the two
    return f"{_selection(latency.selection)} slower than {latency.threshold:g}"


def _selection(selection: Selection) -> str:
    narrowed = ", ".join(f"{name}={' or '.join(selection.values(name) or ())}" for name in selection.match)
    return f"`{selection.metric}`" + (f" ({_escape(narrowed)})" if narrowed else "")


def _op(op: Op) -> str:
    return f"{op.operation} {_value(op.value)}" + (f" when `{op.when.field}`" if op.when else "")


def _value(v: ValueSpec) -> str:
    if v.field is None:
        return f"{v.const:g}"
    return f"`{v.field}`" + (f" × {v.scale:g}" if v.scale is not None else "")


def _label(label: Label) -> str:
    if label.values is None:
        return f"`{label.name}` (open)"
    values = ", ".join(f"`{v}`" for v in label.values)
    return f"`{label.name}` ({values}" + ("; others recorded as `other`)" if label.guard else ")")


def _est(n: int | None) -> str:
    return "unbounded" if n is None else str(n)


def _escape(text: str) -> str:
    # help texts are data: keep them from turning into markdown structure or HTML
    return text.replace("\\", "\\\\").replace("<", "&lt;").replace("\n", " ").replace("|", "\\|") or "(no help)"

