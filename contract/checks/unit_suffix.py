from __future__ import annotations

from collections.abc import Iterator

from contract.checks.base import ContractCheck
from contract.checks.event_ops import ALLOWED_OPS
from contract.loader import LoadedContract
from contract.model import Metric
from contract.naming import PROMETHEUS_STYLE, UNIT_SUFFIXES, family_name, sanitize_name, unit_word
from contract.problems import Problem

# unit words a name may end in, and the unit they stand for
_WORD_UNITS = {word: unit for unit, word in UNIT_SUFFIXES.items() if word}
# time units other than the second, and the `scale` that turns a value in that unit into seconds, written
# as YAML reads a number (`1e-06` without a dot is a string to YAML 1.1)
_TO_SECONDS = {"ms": "0.001", "us": "0.000001", "ns": "0.000000001", "min": "60", "h": "3600", "d": "86400"}
_TIME_WORDS = {UNIT_SUFFIXES[u] for u in _TO_SECONDS} | {"seconds"}


class UnitSuffix(ContractCheck):
    """The unit and the name's unit word must agree, and durations are in seconds.

    A name ending in a unit word (`_seconds`, `_bytes`) with a different
    declared unit gets a second suffix from the exporters
    (`…_seconds_milliseconds`). A duration in `ms`, `us`, `ns`, `min`, `h`
    or `d` works, but OpenTelemetry's conventions and Prometheus' naming
    guidance both measure time in seconds, and a `_milliseconds` series next
    to everyone else's `_seconds` invites wrong arithmetic: the warning says
    which unit, name and `scale` to declare instead. A Prometheus-style name
    without its unit word is exposed with it appended, so dashboards must
    query a name the contract never spells; that is a warning naming the
    exposed name. Dotted OpenTelemetry names and `semconv` metrics are
    always rewritten by the exporters, so they are not asked to spell it.
    """

    id = "contract/unit-suffix"
    summary = ("a unit word ending the name must match the unit; warnings for a duration not in seconds and a name "
               "without its unit word")

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        for i, m in enumerate(lc.contract.metrics):
            base = sanitize_name(m.name)
            if m.type == "counter":
                base = base.removesuffix("_total")
            stem, _, tail = base.rpartition("_")
            word = unit_word(m.unit)
            if tail in _WORD_UNITS and tail != word:
                if tail in _TIME_WORDS and (m.unit in _TO_SECONDS or m.unit == "s"):
                    yield self.at(lc, ("metrics", i, "unit"), f"`{m.name}` ends in `_{tail}` but its unit is "
                                  f"`{m.unit}`; " + _to_seconds(m, stem, tail), metric=m.name)
                else:
                    yield self.at(lc, ("metrics", i, "unit"),
                                  f"`{m.name}` ends in `_{tail}` but its unit is `{m.unit}`; "
                                  f"declare unit `{_WORD_UNITS[tail]}`", metric=m.name)
            elif m.unit in _TO_SECONDS:
                yield self.warn(lc, ("metrics", i, "unit"),
                                f"`{m.name}` has unit `{m.unit}`, but OpenTelemetry and Prometheus measure durations "
                                "in seconds; " + _to_seconds(m, stem if tail in (word, m.unit) else base, word),
                                metric=m.name)
            elif word and not base.endswith("_" + word) and not m.semconv and PROMETHEUS_STYLE.fullmatch(m.name):
                exposed = family_name(m, "otel-python")
                yield self.warn(lc, ("metrics", i, "name"),
                                f"`{m.name}` has unit `{m.unit}` and is exposed as `{exposed}`; "
                                f"name it `{exposed}`", metric=m.name)


def _to_seconds(m: Metric, stem: str, tail: str) -> str:
    """What makes a time metric a seconds metric: the unit, the name (when it spells one) and the scale."""
    steps = []
    if m.unit != "s":
        steps.append("declare unit `s`")
    if tail != "seconds" and PROMETHEUS_STYLE.fullmatch(m.name) and not m.semconv:
        steps.append(f"name it `{stem}_seconds`")
    if m.unit in _TO_SECONDS:
        steps.append(f"{ALLOWED_OPS[m.type][0]} its field with `scale: {_TO_SECONDS[m.unit]}`")
        if m.type == "histogram":
            steps.append("give its buckets in seconds")
    if len(steps) == 1:
        return steps[0]
    return ", ".join(steps[:-1]) + " and " + steps[-1]
