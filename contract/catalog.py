"""Every series name the contract makes Prometheus hold, as plain data.

PromQL checks look names up here instead of in the pydantic model. A
`Catalog` is built from a loaded contract (`Catalog.from_contract`) and
kept between runs as JSON (`to_data` / `from_data`, see `contract.cache`),
so checking dashboards and rule files against an unchanged contract never
builds the model.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from contract.naming import PATHS, expose, sanitize_label, unit_word

if TYPE_CHECKING:
    from contract.loader import LoadedContract

# what a series is within its family; "total", "bucket", "count", "sum" and "native" (a native histogram's
# one series) are cumulative (a counter in Prometheus terms); "quantile" is a summary's family series, "info" an
# info's `_info` series, "state" a stateset's series, "untyped" a series of unknown kind (neither counter nor
# gauge functions can be judged on it)
Part = Literal["total", "bucket", "count", "sum", "created", "gauge", "synthetic", "quantile", "info", "state",
               "untyped", "native"]
CUMULATIVE: frozenset[str] = frozenset({"total", "bucket", "count", "sum", "native"})

# Prometheus writes these for every scrape target; alerting writes ALERTS.
# Relabelling may add target labels, so their label sets stay open.
SCRAPE_SERIES = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE")

# suffixes stripped when guessing what an unknown name meant, longest first
_GUESS_SUFFIXES = ("_created", "_bucket", "_count", "_total", "_ratio", "_sum", "")


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    name: str
    metric: str                      # contract metric name ("" for synthetic series)
    mtype: str                       # contract type (`contract.model.MetricType`)
    part: Part
    labels: frozenset[str]           # union over the declared exposition paths, once scraped
    values: dict[str, tuple[str, ...]]   # closed value sets (`Label.allowed_values()`), by exposed label name
    open: bool = False               # labels beyond `labels` may exist

    @property
    def cumulative(self) -> bool:
        return self.part in CUMULATIVE


@dataclass(frozen=True, slots=True)
class MetricNames:
    """One contract metric's type, labels as exposed, and series name per part (`total`, `bucket`, ...)."""

    mtype: str
    labels: tuple[str, ...]
    parts: dict[str, str]


@dataclass(frozen=True, slots=True)
class RecordedRule:
    """A recording rule declared in the contract."""

    record: str
    expr: str
    labels: tuple[str, ...]          # label names the rule sets


@dataclass(frozen=True)
class Catalog:
    service: str
    scrape_seconds: float
    paths: tuple[str, ...]
    series: dict[str, SeriesInfo]    # every series name -> what it is
    metrics: dict[str, MetricNames]  # contract metric -> its names
    # many spellings of a metric (contract name, family with and without the unit word, ...) -> contract metric
    aliases: dict[str, str]
    infra_labels: frozenset[str]     # exporter and scrape labels of the declared paths
    all_labels: frozenset[str]
    rules: tuple[RecordedRule, ...] = ()
    _guesses: dict[str, tuple[str, str] | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_contract(cls, lc: LoadedContract) -> Catalog:
        contract = lc.contract
        series: dict[str, SeriesInfo] = {}
        metrics: dict[str, MetricNames] = {}
        aliases: dict[str, str] = {}
        infra: set[str] = set()
        for path in contract.exposition:
            infra |= set(PATHS[path].exporter_labels) | set(PATHS[path].scrape_labels)
            infra |= set(contract.target_labels_of(path))   # declared: the scrape or relabelling adds them
        for m in contract.metrics:
            if m.name in metrics:  # a duplicate is reported by `contract/duplicate`
                continue
            exposures = [expose(m, path) for path in contract.exposition]
            values: dict[str, tuple[str, ...]] = {}
            for label in m.labels:
                # a stateset's states are its values as declared: prometheus_client's Enum exposes no `other` state
                allowed = label.values if m.type == "stateset" and label.name == m.name else label.allowed_values()
                if allowed is not None:
                    for path in contract.exposition:
                        values[sanitize_label(label.name, path)] = allowed
            labels: dict[str, set[str]] = {}
            families: dict[str, str] = {}
            parts: dict[str, str] = {}
            for e in exposures:
                for s in e.series:
                    labels.setdefault(s, set()).update(e.labels_of(s), contract.target_labels_of(e.path))
                    families.setdefault(s, e.family)
                    parts.setdefault(_part(s, e.family, e.prom_type), s)
                aliases.setdefault(e.family, m.name)
                word = unit_word(m.unit)
                if word and e.family.endswith("_" + word):
                    aliases.setdefault(e.family[: -len(word) - 1], m.name)
            prom_type = exposures[0].prom_type
            for s, names in labels.items():
                series.setdefault(s, SeriesInfo(name=s, metric=m.name, mtype=m.type,
                                                part=_part(s, families[s], prom_type), labels=frozenset(names),
                                                values=values))
            metrics[m.name] = MetricNames(mtype=m.type, labels=exposures[0].labels, parts=parts)
            for alias in (m.name, m.name.removesuffix("_total"), m.name.replace(".", "_")):
                aliases.setdefault(alias, m.name)
        for path in contract.exposition:
            for extra in PATHS[path].info_series:
                series.setdefault(extra, SeriesInfo(name=extra, metric="", mtype="gauge", part="synthetic",
                                                    labels=frozenset(PATHS[path].scrape_labels).union(
                                                        contract.target_labels_of(path)), values={},
                                                    open=True))
        every_path = frozenset(label for path in contract.exposition for label in contract.target_labels_of(path))
        for name in SCRAPE_SERIES:
            series.setdefault(name, SeriesInfo(name=name, metric="", mtype="gauge", part="synthetic",
                                               labels=frozenset({"instance", "job"}) | every_path, values={},
                                               open=True))
        every: set[str] = set(infra)
        for info in series.values():
            every |= info.labels
        return cls(service=contract.service, scrape_seconds=contract.scrape_seconds,
                   paths=tuple(contract.exposition), series=series, metrics=metrics, aliases=aliases,
                   infra_labels=frozenset(infra), all_labels=frozenset(every),
                   rules=tuple(RecordedRule(r.record, r.expr, tuple(r.labels)) for r in contract.rules if r.record))

    # ── JSON ───────────────────────────────────────────────────────────────

    def to_data(self) -> dict[str, Any]:
        """The catalog as JSON values; `from_data` reads them back into an equal catalog."""
        return {
            "service": self.service, "scrape_seconds": self.scrape_seconds, "paths": list(self.paths),
            "series": [[i.name, i.metric, i.mtype, i.part, sorted(i.labels),
                        {k: list(v) for k, v in i.values.items()}, i.open] for i in self.series.values()],
            "metrics": {name: [n.mtype, list(n.labels), n.parts] for name, n in self.metrics.items()},
            "aliases": self.aliases, "infra_labels": sorted(self.infra_labels),
            "all_labels": sorted(self.all_labels),
            "rules": [[r.record, r.expr, list(r.labels)] for r in self.rules],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Catalog:
        """The catalog `to_data` gave; any other shape raises ValueError, TypeError or KeyError."""
        series = {}
        for name, metric, mtype, part, labels, values, is_open in data["series"]:
            series[_str(name)] = SeriesInfo(name=_str(name), metric=_str(metric), mtype=_str(mtype), part=_str(part),
                                            labels=_strings(labels), values=_value_table(values),
                                            open=_bool(is_open))
        metrics = {_str(name): MetricNames(mtype=_str(mtype), labels=tuple(_strings(labels, ordered=True)),
                                           parts={_str(k): _str(v) for k, v in _dict(parts).items()})
                   for name, (mtype, labels, parts) in _dict(data["metrics"]).items()}
        scrape = data["scrape_seconds"]
        if not isinstance(scrape, (int, float)) or isinstance(scrape, bool):
            raise TypeError("scrape_seconds")
        return cls(service=_str(data["service"]), scrape_seconds=float(scrape),
                   paths=tuple(_strings(data["paths"], ordered=True)), series=series, metrics=metrics,
                   aliases={_str(k): _str(v) for k, v in _dict(data["aliases"]).items()},
                   infra_labels=_strings(data["infra_labels"]), all_labels=_strings(data["all_labels"]),
                   rules=tuple(RecordedRule(_str(r), _str(e), tuple(_strings(ls, ordered=True)))
                               for r, e, ls in data["rules"]))

    # ── lookups ────────────────────────────────────────────────────────────

    def suggest(self, name: str) -> tuple[str, str] | None:
        """(series, "type metric") that `name` most likely meant, or None."""
        if name not in self._guesses:
            self._guesses[name] = self._suggest(name)
        return self._guesses[name]

    def _suggest(self, name: str) -> tuple[str, str] | None:
        for suffix in _GUESS_SUFFIXES:
            if suffix and not name.endswith(suffix):
                continue
            core = name[: -len(suffix)] if suffix else name
            metric = self.aliases.get(core)
            if metric is not None:
                series = self._series_for(metric, suffix)
                if series != name:
                    return series, f"{self.metrics[metric].mtype} {metric}"
        # a metric's main series before its `_created` (which only prometheus_client exposes): an old name
        # is far likelier to have meant `x_total` than `x_created`, unless it asks for a creation time itself
        created = name.endswith("_created")
        for pool in ([s for s, i in self.series.items() if i.metric and (i.part == "created") == created],
                     [s for s, i in self.series.items() if i.metric and (i.part == "created") != created]):
            close = difflib.get_close_matches(name, pool, n=1, cutoff=0.8)
            if close:
                info = self.series[close[0]]
                return close[0], f"{info.mtype} {info.metric}"
        return None

    def _series_for(self, metric: str, suffix: str) -> str:
        names = self.metrics[metric]
        wanted = suffix.lstrip("_")
        if names.mtype in ("histogram", "summary") and wanted == "total":
            wanted = "count"
        if wanted in names.parts:
            return names.parts[wanted]
        return names.parts[_MAIN_PART.get(names.mtype, "gauge")]

    def interesting(self, labels: frozenset[str]) -> list[str]:
        """Labels worth naming in a message: not the ones every series carries."""
        return sorted(labels - self.infra_labels)


def _part(series: str, family: str, prom_type: str) -> Part:
    tail = series[len(family):]
    if tail == "_created":
        return "created"
    if prom_type == "counter":
        return "total"
    if prom_type == "histogram":
        return {"_bucket": "bucket", "_count": "count", "_sum": "sum"}[tail]  # type: ignore[return-value]
    if prom_type == "summary":
        return {"": "quantile", "_count": "count", "_sum": "sum"}[tail]  # type: ignore[return-value]
    return _SINGLE_PARTS.get(prom_type, "gauge")


# by contract type, the series a name that fits no part of the metric most likely meant (default "gauge")
_MAIN_PART: dict[str, Part] = {"counter": "total", "histogram": "bucket", "summary": "quantile", "info": "info",
                               "stateset": "state", "untyped": "untyped", "native_histogram": "native"}

# the part of the one series of the types that have one (a gauge's is "gauge")
_SINGLE_PARTS: dict[str, Part] = {"info": "info", "stateset": "state", "untyped": "untyped",
                                  "native_histogram": "native"}


def _str(value: object) -> Any:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, not {type(value).__name__}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, not {type(value).__name__}")
    return value


def _dict(value: object) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, not {type(value).__name__}")
    return value


def _strings(value: object, ordered: bool = False) -> Any:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, not {type(value).__name__}")
    items = [_str(v) for v in value]
    return items if ordered else frozenset(items)


def _value_table(value: object) -> dict[str, tuple[str, ...]]:
    return {_str(k): tuple(_strings(v, ordered=True)) for k, v in _dict(value).items()}
