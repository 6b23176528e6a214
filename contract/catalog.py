"""Every series name the contract makes Prometheus hold, as plain data.

PromQL checks look names up here instead of in the pydantic model: a
`Catalog` is built once from a `LoadedContract` and cached as plain data
(see `contract/cache.py`), so checking dashboards and rule files never imports
pydantic when the contract has not changed. This module therefore imports
the model and naming rules only inside `build_catalog`.
"""

from __future__ import annotations

import marshal

from contract.records import NamedTuple

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Literal

    from contract.loader import LoadedContract

    # what a series is within its family; everything but "gauge" and "synthetic"
    # is cumulative (a counter in Prometheus terms)
    Part = Literal["total", "bucket", "count", "sum", "created", "gauge", "synthetic"]

CUMULATIVE: frozenset[str] = frozenset({"total", "bucket", "count", "sum"})

# Prometheus writes these for every scrape target; alerting writes ALERTS.
# Relabelling may add target labels, so their label sets stay open.
SCRAPE_SERIES = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE")

# suffixes stripped when guessing what an unknown name meant, longest first
_GUESS_SUFFIXES = ("_created", "_bucket", "_count", "_total", "_ratio", "_sum", "")


class SeriesInfo(NamedTuple):
    name: str
    metric: str                      # contract metric name ("" for synthetic series)
    mtype: str                       # contract type: counter | updowncounter | gauge | histogram
    part: Part
    labels: frozenset[str]           # union over the declared exposition paths, once scraped
    values: dict[str, tuple[str, ...]]   # closed value sets (`Label.allowed_values()`)
    open: bool = False               # labels beyond `labels` may exist

    @property
    def cumulative(self) -> bool:
        return self.part in CUMULATIVE


class Catalog:
    __slots__ = ("service", "scrape_seconds", "paths", "_series", "_infos", "_all", "_metrics", "_aliases", "_names",
                 "infra_labels", "all_labels", "rules", "_guesses", "memo")

    def __init__(self, service: str, scrape_seconds: float, paths: tuple[str, ...], series: dict[str, SeriesInfo],
                 metrics: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] | None, aliases: dict[str, str] | None,
                 infra_labels: frozenset[str], all_labels: frozenset[str],
                 rules: tuple[tuple[str, str, tuple[str, ...]], ...] = (), names: bytes | None = None,
                 raw: dict[str, tuple[Any, ...]] | None = None) -> None:
        self.service = service
        self.scrape_seconds = scrape_seconds
        self.paths = paths
        # series name -> its SeriesInfo fields. A catalog read from the cache gets them as plain tuples (`raw`)
        # and makes a SeriesInfo of one when it is first looked up (`info`): a run looks up few of a large
        # contract's series, and making all 23,000 of a 10,000-metric contract took 10-14 ms.
        self._series: Mapping[str, tuple[Any, ...]] = series if raw is None else raw
        self._infos: dict[str, SeriesInfo] = series if raw is None else {}   # made so far
        self._all: dict[str, SeriesInfo] | None = series if raw is None else None
        self._metrics = metrics
        self._aliases = aliases
        # `metrics` and `aliases` as marshal data, read on first use (None: given as dicts)
        self._names = names
        self.infra_labels = infra_labels     # exporter and scrape labels of the declared paths
        self.all_labels = all_labels
        # the contract's recording rules: (recorded name, expr, label names the rule sets)
        self.rules = rules
        self._guesses: dict[str, tuple[str, str] | None] = {}
        self.memo: dict[str, Any] = {}   # tables derived by users of the catalog

    def info(self, name: str) -> SeriesInfo | None:
        """The series `name` of the contract, or None."""
        info = self._infos.get(name)
        if info is None:
            raw = self._series.get(name)
            if raw is None:
                return None
            info = self._infos[name] = tuple.__new__(SeriesInfo, raw)
        return info

    @property
    def series(self) -> dict[str, SeriesInfo]:
        """Every series of the contract: name -> SeriesInfo."""
        if self._all is None:
            info = self.info
            self._all = {name: info(name) for name in self._series}  # type: ignore[misc]
        return self._all

    @property
    def metrics(self) -> dict[str, tuple[str, tuple[str, ...], dict[str, str]]]:
        """contract metric -> (type, contract labels as exposed, {part: series name})"""
        if self._metrics is None:
            self._read_names()
        return self._metrics  # type: ignore[return-value]

    @property
    def aliases(self) -> dict[str, str]:
        """Many spellings of a metric (contract name, family with and without the unit word, ...) -> contract metric
        name, for did-you-mean."""
        if self._aliases is None:
            self._read_names()
        return self._aliases  # type: ignore[return-value]

    def _read_names(self) -> None:
        self._metrics, self._aliases = marshal.loads(self._names)  # type: ignore[arg-type]

    def data(self) -> tuple[Any, ...]:
        """The catalog as plain values (what `marshal` stores); `Catalog.from_data` makes it again.

        `metrics` and `aliases` go in as marshal data of their own: only a
        did-you-mean and the out dir's unused-metric warnings read them, and
        for a large contract they are most of what loading the catalog
        costs (10,000 metrics: about 60% of its bytes).
        """
        series = {name: tuple(info) for name, info in self._series.items()}
        names = self._names
        if names is None:
            names = marshal.dumps((self._metrics, self._aliases))
        return (self.service, self.scrape_seconds, self.paths, series, self.infra_labels, self.all_labels, self.rules,
                names)

    @classmethod
    def from_data(cls, data: tuple[Any, ...]) -> Catalog:
        service, scrape_seconds, paths, series, infra_labels, all_labels, rules, names = data
        return cls(service, scrape_seconds, paths, {}, None, None, infra_labels, all_labels, rules, names, raw=series)

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
                    return series, f"{self.metrics[metric][0]} {metric}"
        import difflib  # here: only an unknown name needs it

        close = difflib.get_close_matches(name, [s for s in self.series if self.series[s].metric], n=1, cutoff=0.8)
        if close:
            info = self.series[close[0]]
            return close[0], f"{info.mtype} {info.metric}"
        return None

    def _series_for(self, metric: str, suffix: str) -> str:
        mtype, _, parts = self.metrics[metric]
        wanted = suffix.lstrip("_")
        if mtype == "histogram" and wanted == "total":
            wanted = "count"
        if wanted in parts:
            return parts[wanted]
        main = {"counter": "total", "histogram": "bucket"}.get(mtype, "gauge")
        return parts[main]

    def interesting(self, labels: frozenset[str]) -> list[str]:
        """Labels worth naming in a message: not the ones every series carries."""
        return sorted(labels - self.infra_labels)


def build_catalog(lc: LoadedContract) -> Catalog:
    from contract.naming import PATHS, expose, sanitize_label, unit_word

    contract = lc.contract
    series: dict[str, SeriesInfo] = {}
    metrics: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {}
    aliases: dict[str, str] = {}
    infra: set[str] = set()
    # one object per distinct label set and value table: marshal then writes and reads each once (a cached
    # catalog of 10,000 metrics loads about a third faster than with a value table per metric)
    interned: dict[frozenset[str], frozenset[str]] = {}
    shared_values: dict[tuple[tuple[str, tuple[str, ...]], ...], dict[str, tuple[str, ...]]] = {}
    for path in contract.exposition:
        infra |= set(PATHS[path].exporter_labels) | set(PATHS[path].scrape_labels)
    for m in contract.metrics:
        if m.name in metrics:  # a duplicate is reported by `contract/duplicate`
            continue
        exposures = [expose(m, path) for path in contract.exposition]
        labels: dict[str, set[str]] = {}
        parts: dict[str, str] = {}
        for e in exposures:
            for s in e.series:
                labels.setdefault(s, set()).update(e.labels_of(s))
                parts.setdefault(_part(s, e.family, e.prom_type), s)
            aliases.setdefault(e.family, m.name)
            word = unit_word(m.unit)
            if word and e.family.endswith("_" + word):
                aliases.setdefault(e.family[: -len(word) - 1], m.name)
        values: dict[str, tuple[str, ...]] = {}
        for label in m.labels:
            allowed = label.allowed_values()
            if allowed is not None:
                for path in contract.exposition:
                    values[sanitize_label(label.name, path)] = allowed
        values = shared_values.setdefault(tuple(values.items()), values)   # likewise (never changed once built)
        for s, names in labels.items():
            family = next(e.family for e in exposures if s in e.series)
            prom_type = exposures[0].prom_type
            label_set = frozenset(names)
            label_set = interned.setdefault(label_set, label_set)
            series.setdefault(s, SeriesInfo(name=s, metric=m.name, mtype=m.type, part=_part(s, family, prom_type),
                                            labels=label_set, values=values))
        metrics[m.name] = (m.type, exposures[0].labels, parts)
        for alias in (m.name, m.name.removesuffix("_total"), m.name.replace(".", "_")):
            aliases.setdefault(alias, m.name)
    for path in contract.exposition:
        for extra in PATHS[path].info_series:
            series.setdefault(extra, SeriesInfo(name=extra, metric="", mtype="gauge", part="synthetic",
                                                labels=frozenset(PATHS[path].scrape_labels), values={}, open=True))
    for name in SCRAPE_SERIES:
        series.setdefault(name, SeriesInfo(name=name, metric="", mtype="gauge", part="synthetic",
                                           labels=frozenset({"instance", "job"}), values={}, open=True))
    every: set[str] = set(infra)
    for info in series.values():
        every |= info.labels
    return Catalog(service=contract.service, scrape_seconds=contract.scrape_seconds, paths=tuple(contract.exposition),
                   series=series, metrics=metrics, aliases=aliases, infra_labels=frozenset(infra),
                   all_labels=frozenset(every),
                   rules=tuple((r.record, r.expr, tuple(r.labels)) for r in contract.rules if r.record))


def _part(series: str, family: str, prom_type: str) -> Part:
    tail = series[len(family):]
    if tail == "_created":
        return "created"
    if prom_type == "counter":
        return "total"
    if prom_type == "histogram":
        return {"_bucket": "bucket", "_count": "count", "_sum": "sum"}[tail]  # type: ignore[return-value]
    return "gauge"
