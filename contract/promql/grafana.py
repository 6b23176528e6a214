"""Every PromQL expression of a Grafana dashboard.

Panels, panels inside collapsed rows, legacy `rows[].panels`, library
panels (`__elements`), each target's `expr` and `legendFormat`, Prometheus
annotation queries (`expr`, or `target.expr` as current Grafana saves
them), and templating queries (`label_values(metric, label)`,
`label_values(label)`, `query_result(expr)`, `metrics(regex)`). Targets
whose datasource is not Prometheus (Loki, Tempo, Grafana's own, ...) are
counted in `Source.skipped`, not checked; a target with no datasource, or
one named by a plain string that cannot be resolved, is taken to be
Prometheus. A Prometheus query whose `expr` is `null` or missing is empty;
one that is neither a string nor `null` is bad input (`input/dashboard`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NoReturn

from contract.loader import check_json_nesting
from contract.problems import input_error
from contract.promql.anchors import JsonDoc, Shifted
from contract.promql.expression import Expression, Source, suppressions
from contract.promql.variables import interval_seconds

_BUILTIN_DS = {"-- Grafana --": "grafana", "grafana": "grafana", "-- Dashboard --": "dashboard",
               "-- Mixed --": "mixed"}
_DS_VARIABLE = re.compile(r"^\$\{?(\w+)\}?$")
# the label may be a Grafana variable (`label_values(app_temp, $label)`)
_LABEL_VALUES = re.compile(r"(?s)\s*label_values\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*|\$\w+|\$\{\w+\}|"
                           r"\[\[\w+\]\])\s*\)\s*$")
_LABEL_NAMES = re.compile(r"(?s)\s*label_names\(\s*(.*?)\s*\)\s*$")
_QUERY_RESULT = re.compile(r"(?s)\s*query_result\(\s*(.*?)\s*\)\s*$")
_METRICS = re.compile(r"(?s)\s*metrics\(\s*(.*?)\s*\)\s*$")
_PROMETHEUS = ("prometheus", "default")


def read_dashboard(file: str, text: str) -> Source | None:
    """The expressions of a dashboard; None if `text` is JSON but not a dashboard."""
    check_json_nesting(file, text)   # so that `json`, which recurses, never runs out of stack
    try:
        dash = json.loads(text)
    except ValueError as exc:   # json.JSONDecodeError, or an integer too long to convert
        msg, line, column = getattr(exc, "msg", str(exc)), getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        raise input_error(file, "input/json", f"not valid JSON: {msg.lower()}", line, column) from None
    if isinstance(dash, dict) and isinstance(dash.get("dashboard"), dict):
        dash = dash["dashboard"]   # the HTTP API's {"dashboard": ..., "meta": ...}
    if not isinstance(dash, dict) or not (isinstance(dash.get("panels"), list) or isinstance(dash.get("rows"), list)):
        return None
    return _DashboardReader(file, JsonDoc(text), dash).read()


class _DashboardReader:
    def __init__(self, file: str, doc: JsonDoc, dash: dict[str, Any]) -> None:
        self.file = file
        self.doc = doc
        self.dash = dash
        self.source = Source(file, "dashboard")
        self.ds_types: dict[str, str] = {}
        # an exported dashboard names its datasources `${DS_LOKI}` and declares their plugins in `__inputs`
        for item in _dicts(dash.get("__inputs")):
            name, plugin = item.get("name"), item.get("pluginId")
            if item.get("type") == "datasource" and isinstance(name, str) and isinstance(plugin, str) and plugin:
                self.ds_types[name] = plugin
        templating = dash.get("templating")
        self.variable_list = _dicts(templating.get("list")) if isinstance(templating, dict) else []
        names = set()
        values: dict[str, tuple[str, ...]] = {}
        for v in self.variable_list:
            name = v.get("name")
            if isinstance(name, str):
                names.add(name)
                if v.get("type") == "datasource":
                    query = v.get("query")
                    self.ds_types[name] = query if isinstance(query, str) and query else "default"
                declared = declared_values(v)
                if declared and name not in values:
                    values[name] = declared
        self.variables = frozenset(names)
        self.values = tuple(values.items())

    def read(self) -> Source:
        for key in self.dash:   # document order, which `JsonDoc.anchor` is called in
            if key == "panels" or key == "rows":
                for number, panel in enumerate(self.panels(key), 1):
                    self.panel(panel, number)
            elif key == "templating":
                self.templating()
            elif key == "annotations":
                self.annotations()
            elif key == "__elements":
                # an exported dashboard carries its library panels' models here;
                # the panels themselves only point at them by uid
                elements = self.dash["__elements"]
                models = [e.get("model") for e in _dicts(list(elements.values()))] if isinstance(elements, dict) else []
                for number, model in enumerate(_dicts(models), 1):
                    self.panel(model, number)
        return self.source

    def panels(self, key: str) -> Iterator[dict[str, Any]]:
        if key == "panels":
            for panel in _dicts(self.dash.get("panels")):
                yield panel
                yield from _dicts(panel.get("panels"))   # a collapsed row keeps its panels inside
        else:
            for row in _dicts(self.dash.get("rows")):
                yield from _dicts(row.get("panels"))

    def ds_type(self, ds: object) -> str:
        if ds is None:
            return "default"
        if isinstance(ds, dict):
            kind, uid = ds.get("type"), ds.get("uid")
            if isinstance(uid, str) and uid in _BUILTIN_DS:
                return _BUILTIN_DS[uid]
            if isinstance(kind, str) and kind and kind != "datasource":
                return kind
            return self.ds_type(uid) if isinstance(uid, str) else "default"
        if isinstance(ds, str):
            if ds in _BUILTIN_DS:
                return _BUILTIN_DS[ds]
            var = _DS_VARIABLE.match(ds)
            if var:
                return self.ds_types.get(var.group(1), "default")
        return "default"

    def panel(self, panel: dict[str, Any], number: int) -> None:
        targets = panel.get("targets")
        if not isinstance(targets, list) or not targets:
            return
        title = panel.get("title")
        panel_id = panel.get("id") if isinstance(panel.get("id"), int) else None
        if isinstance(title, str) and title:
            name = f'panel "{title}"'
        else:
            name = f"panel {panel_id}" if panel_id is not None else f"panel #{number}"
            title = ""
        panel_ds = self.ds_type(panel.get("datasource"))
        # the panel's "min interval" query option (`interval`; `minInterval` in some exports)
        min_interval = interval_seconds(panel.get("interval")) or interval_seconds(panel.get("minInterval"))
        suppressed = suppressions(panel.get("description"))
        expressions = self.source.expressions
        for i, target in enumerate(targets):
            if not isinstance(target, dict):
                continue
            text = target.get("expr")
            if text is None:
                continue
            ds = panel_ds
            if "datasource" in target:
                ds = self.ds_type(target["datasource"])
            elif ds == "mixed":
                ds = "default"
            ref = target.get("refId")
            ref_id = ref if isinstance(ref, str) and ref else _ref_id(i)
            if not isinstance(text, str):
                if ds in _PROMETHEUS:
                    self.not_a_query(text, f"{name} target {ref_id}")
                continue
            anchor = self.doc.anchor("expr", text)
            if ds not in _PROMETHEUS:
                self.source.skipped += 1
                continue
            if not text.strip():
                continue
            legend = target.get("legendFormat")
            legend_anchor = None
            if isinstance(legend, str) and legend:
                legend_anchor = self.doc.anchor("legendFormat", legend)
            else:
                legend = ""
            expressions.append(Expression(
                text=text, kind="panel", file=self.file, where=f"{name} target {ref_id}", anchor=anchor,
                suppressed=suppressed, variables=self.variables, values=self.values, min_interval=min_interval,
                min_step=interval_seconds(target.get("interval")), legend=legend, legend_anchor=legend_anchor,
                panel_id=panel_id, panel_title=title, ref_id=ref_id))

    def templating(self) -> None:
        for var in self.variable_list:
            query = var.get("query")
            if isinstance(query, dict):
                query = query.get("query")
            if not isinstance(query, str) or var.get("type") != "query":
                continue
            anchor = self.doc.anchor("query", query)
            if self.ds_type(var.get("datasource")) not in _PROMETHEUS:
                continue
            name = var.get("name")
            common: dict[str, Any] = {"kind": "variable", "file": self.file, "where": f'variable "{name}"',
                                      "suppressed": suppressions(var.get("description")),
                                      "variables": self.variables, "values": self.values}
            if match := _LABEL_VALUES.match(query):
                selector = match.group(1) or ""
                base = match.start(1) if match.group(1) else match.start(2)
                label = (match.group(2), match.start(2) - base)
                self.source.expressions.append(Expression(text=selector, anchor=Shifted(anchor, base),
                                                          var_label=label, **common))
            elif match := _QUERY_RESULT.match(query):
                self.source.expressions.append(Expression(text=match.group(1), anchor=Shifted(anchor, match.start(1)),
                                                          **common))
            elif match := _METRICS.match(query):
                self.source.expressions.append(Expression(text="", anchor=Shifted(anchor, match.start(1)),
                                                          var_metrics=(match.group(1), 0), **common))
            elif match := _LABEL_NAMES.match(query):
                if match.group(1):   # `label_names()` names no series
                    self.source.expressions.append(Expression(text=match.group(1),
                                                              anchor=Shifted(anchor, match.start(1)), **common))
            elif query.strip():
                # Grafana runs any other query as a series query (`up{job=~"a.*"}`): Prometheus parses it as
                # a selector, so it is checked like a target, and a broken `label_values(...)` fails to parse
                self.source.expressions.append(Expression(text=query, anchor=anchor, **common))

    def annotations(self) -> None:
        annotations = self.dash.get("annotations")
        items = annotations.get("list") if isinstance(annotations, dict) else None
        for item in _dicts(items):
            text = item.get("expr")
            target = item.get("target")
            if text is None and isinstance(target, dict):
                text = target.get("expr")   # where current Grafana keeps an annotation's query
            if item.get("builtIn") or text is None:
                continue
            where = f'annotation "{item.get("name", "")}"'
            prometheus = self.ds_type(item.get("datasource")) in _PROMETHEUS
            if not isinstance(text, str):
                if prometheus:
                    self.not_a_query(text, where)
                continue
            anchor = self.doc.anchor("expr", text)
            if not prometheus:
                self.source.skipped += 1
                continue
            if text.strip():
                self.source.expressions.append(Expression(
                    text=text, kind="annotation", file=self.file, where=where, anchor=anchor,
                    variables=self.variables, values=self.values))

    def not_a_query(self, value: object, where: str) -> NoReturn:
        """Refuse an `expr` that is neither a string nor `null`, at the first such `expr` of the file."""
        text = self.doc.index.text
        line, column = 1, 1
        decoder = json.JSONDecoder()
        for match in re.finditer(r'(?<!\\)"expr"\s*:\s*', text):
            try:
                found, _ = decoder.raw_decode(text, match.end())
            except ValueError:
                continue
            if found == value and type(found) is type(value):
                line, column = self.doc.index.line_col(match.end())
                break
        kind = "a number" if isinstance(value, (int, float)) and not isinstance(value, bool) else \
            "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else json.dumps(value)
        raise input_error(self.file, "input/dashboard", f"{where}: `expr` is {kind}, not a PromQL query",
                          line, column)


def declared_values(var: dict[str, Any]) -> tuple[str, ...]:
    """The values a dashboard declares for one variable, the current one first.

    `current` (the saved selection, one value or several), then by type:
    a custom variable's options (or its comma-separated `query`, where
    `text : value` names a value and `\\,` escapes a comma), an interval
    variable's choices, a constant's or a textbox's `query`. Values that
    are not values yet (`$__all`, another variable, an interval's `auto`)
    and empty ones are left out: where nothing is left, the variable gets a
    stand-in.
    """
    kind = var.get("type")
    found: list[object] = []
    current = var.get("current")
    if isinstance(current, dict):
        value = current.get("value")
        found.extend(value if isinstance(value, list) else [value])
    query = var.get("query")
    if kind in ("custom", "interval"):
        options = _dicts(var.get("options"))
        if options:
            found.extend(option.get("value") for option in options)
        elif isinstance(query, str):
            found.extend(_custom_values(query))
    elif kind in ("constant", "textbox"):
        found.append(query)
    out: list[str] = []
    for value in found:
        if not isinstance(value, str) or not value.strip() or "$" in value or kind == "interval" and value == "auto":
            continue
        if value not in out:
            out.append(value)
    return tuple(out)


def _custom_values(query: str) -> list[str]:
    """The values of a custom variable's query: `a, b`, `text : value`, `\\,` for a comma inside a value."""
    out = []
    for part in re.split(r"(?<!\\),", query):
        part = part.strip().replace("\\,", ",")
        named = re.fullmatch(r"(.*?\S) : (\S.*)", part)
        out.append(named.group(2) if named else part)
    return out


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _ref_id(i: int) -> str:
    """Grafana's refId for the i-th target when none is stored: A..Z, AA, AB, ..."""
    letters = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


