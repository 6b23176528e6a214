"""Every PromQL expression in Grafana dashboards and Prometheus rule files, located.

`load_source` decides what a file is by its content (a JSON object with
`panels` or `rows` is a dashboard, a YAML mapping with `groups` is a rule
file) and returns its expressions. Each `Expression` keeps where it came
from: file, an `Anchor` that turns an offset in the expression into a file
line and column, and a human-readable `where` (`panel "Arm Pulls" target A`,
`group "qortex" rule "job:x:rate5m"`, `variable "mode"`).

Dashboards: panels, panels inside collapsed rows, legacy `rows[].panels`,
each target's `expr` and `legendFormat`, Prometheus annotation queries, and
templating queries (`label_values(metric, label)`, `label_values(label)`,
`query_result(expr)`, `metrics(regex)`). Targets whose datasource is not
Prometheus (Loki, Tempo, Grafana's own, ...) are counted in
`Source.skipped`, not checked; a target with no datasource, or one named by
a plain string that cannot be resolved, is taken to be Prometheus.

Python's JSON parser keeps no positions, and most expressions never need
one: `JsonString` finds where a value is written only when a problem is
reported, by scanning the file for that key with that value and taking the
n-th such occurrence in document order (the reader walks the dashboard in
document order, noting each string it anchors; repeats are counted when a
position is first needed).
"""

from __future__ import annotations

import re

from contract import fastyaml
from contract.problems import InputError, input_error
from contract.yamlsrc import SourceMap, read_text

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Literal

    from contract.yamlsrc import Path

    Kind = Literal["panel", "annotation", "variable", "rule"]

# patterns left to re's own cache of compiled patterns are only compiled when a run needs them
_SUPPRESS = r"metrics-contract:\s*ignore\[([^\]]*)\]"


class TextIndex:
    """Line starts of one file's text, computed when a position is first needed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def line_col(self, offset: int) -> tuple[int, int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        # imported here: only a problem's position needs it, and a cold import costs 0.5 ms
        from bisect import bisect_right

        row = bisect_right(self._starts, offset) - 1
        return row + 1, offset - self._starts[row] + 1


class Anchor:
    """Maps an offset in a string value to the (line, column) it was written at."""

    __slots__ = ()

    def position(self, offset: int) -> tuple[int, int]:
        raise NotImplementedError


class Shifted(Anchor):
    """A substring of another anchored string, starting `base` characters in."""

    __slots__ = ("inner", "base")

    def __init__(self, inner: Anchor, base: int) -> None:
        self.inner = inner
        self.base = base

    def position(self, offset: int) -> tuple[int, int]:
        return self.inner.position(self.base + offset)


class JsonDoc:
    """A JSON file's text and the strings anchored in it; their offsets are found on first use."""

    def __init__(self, text: str) -> None:
        self.index = TextIndex(text)
        self.anchored: list[tuple[str, str]] = []   # (key, value) of each `JsonString`, in document order
        self._occurrences: list[int] | None = None
        self._values: dict[str, dict[str, list[int]]] = {}

    def anchor(self, key: str, value: str) -> JsonString:
        """The string `value` of `key`, met next in document order."""
        self.anchored.append((key, value))
        return JsonString(self, len(self.anchored) - 1)

    def quote(self, n: int) -> int | None:
        """Offset of the opening quote of the n-th anchored string: if it is the k-th anchored with that key and
        value, the k-th `"key": "value"` in the file."""
        if self._occurrences is None:
            seen: dict[tuple[str, str], int] = {}
            self._occurrences = []
            for pair in self.anchored:
                self._occurrences.append(seen.get(pair, 0))
                seen[pair] = self._occurrences[-1] + 1
        key, value = self.anchored[n]
        occurrence = self._occurrences[n]
        table = self._values.get(key)
        if table is None:
            table = {}
            pattern = r'(?<!\\)"' + re.escape(key) + r'"\s*:\s*("(?:[^"\\]|\\.)*")'
            for match in re.finditer(pattern, self.index.text):
                try:
                    decoded = load_json(match.group(1))
                except ValueError:
                    continue
                table.setdefault(decoded, []).append(match.start(1))
            self._values[key] = table
        found = table.get(value)
        if not found:
            return None
        return found[min(occurrence, len(found) - 1)]


class JsonString(Anchor):
    __slots__ = ("doc", "n")

    def __init__(self, doc: JsonDoc, n: int) -> None:
        self.doc = doc
        self.n = n

    def position(self, offset: int) -> tuple[int, int]:
        quote = self.doc.quote(self.n)
        if quote is None:
            return 1, 1
        text = self.doc.index.text
        i = quote + 1
        for _ in range(offset):
            c = text[i] if i < len(text) else '"'
            if c == '"':
                break
            if c != "\\":
                i += 1
            elif text[i + 1:i + 2] != "u":
                i += 2
            elif 0xD800 <= int(text[i + 2:i + 6] or "0", 16) < 0xDC00 and text[i + 6:i + 8] == "\\u":
                i += 12   # a surrogate pair decodes to one character
            else:
                i += 6
        return self.doc.index.line_col(i)


class YamlScalar(Anchor):
    """The YAML scalar at `path` in a document: plain, quoted, or a `|`/`>` block.

    Where it starts is looked up only when a position is asked for, as the
    source map is built only then (`contract.fastyaml`)."""

    __slots__ = ("index", "smap", "path")

    def __init__(self, index: TextIndex, smap: SourceMap, path: Path) -> None:
        self.index = index
        self.smap = smap
        self.path = path

    def position(self, offset: int) -> tuple[int, int]:
        lines = self.index.lines
        at = self.smap.values.get(self.path, (1, 1))
        row = at[0] - 1
        first = lines[row] if row < len(lines) else ""
        start = at[1] - 1
        style = first[start:start + 1]
        if style in ("|", ">"):
            pieces = _block_pieces(lines, row + 1)
        else:
            pieces = _flow_pieces(lines, row, start + 1 if style in ("'", '"') else start)
        escapes = style if style in ("'", '"') else ""
        remaining = offset
        for r, col in pieces:
            line = lines[r]
            i = col
            while remaining and i < len(line):
                if escapes == '"' and line[i] == "\\" or escapes == "'" and line.startswith("''", i):
                    i += 2
                else:
                    i += 1
                remaining -= 1
            if remaining == 0:
                return r + 1, i + 1
            remaining -= 1   # the line break, folded or kept
        return at


def _block_pieces(lines: list[str], row: int) -> Iterator[tuple[int, int]]:
    """(row, first content column) of each line of a block scalar starting on `row`."""
    indent = next((len(line) - len(line.lstrip(" ")) for line in lines[row:] if line.strip()), 0)
    for r in range(row, len(lines)):
        line = lines[r]
        if line.strip() and len(line) - len(line.lstrip(" ")) < indent:
            return
        yield r, indent


def _flow_pieces(lines: list[str], row: int, column: int) -> Iterator[tuple[int, int]]:
    """The same for a plain or quoted scalar, whose continuation lines are folded."""
    yield row, column
    for r in range(row + 1, len(lines)):
        yield r, len(lines[r]) - len(lines[r].lstrip(" "))


class Expression:
    """One PromQL expression and where it came from; a plain class, as `check` never imports `dataclasses`."""

    __slots__ = ("text", "kind", "file", "where", "anchor", "legend", "legend_anchor", "suppressed", "variables",
                 "record", "record_anchor", "rule_labels", "var_label", "var_metrics", "panel_id", "panel_title",
                 "ref_id", "group", "rule")

    # positional in this order, too: a call to a class with keyword arguments packs them into a dict first,
    # which costs as much as the rest of reading a rule
    def __init__(self, text: str, kind: Kind, file: str, where: str, anchor: Anchor,
                 suppressed: frozenset[str] = frozenset(), variables: frozenset[str] | None = None,
                 record: str = "", record_anchor: Anchor | None = None, rule_labels: tuple[str, ...] = (),
                 group: str = "", rule: str = "", *, legend: str = "", legend_anchor: Anchor | None = None,
                 var_label: tuple[str, int] | None = None, var_metrics: tuple[str, int] | None = None,
                 panel_id: int | None = None, panel_title: str = "", ref_id: str = "") -> None:
        self.text = text
        self.kind = kind
        self.file = file
        self.where = where
        self.anchor = anchor
        self.legend = legend
        self.legend_anchor = legend_anchor
        self.suppressed = suppressed
        self.variables = variables      # Grafana variables to expand (None: not from a dashboard)
        self.record = record            # the metric a recording rule writes
        self.record_anchor = record_anchor
        self.rule_labels = rule_labels  # label names a rule sets
        self.var_label = var_label      # label_values(..., label): the label, its offset
        self.var_metrics = var_metrics  # metrics(regex): the regex, its offset
        self.panel_id = panel_id
        self.panel_title = panel_title
        self.ref_id = ref_id
        self.group = group
        self.rule = rule


class Source:
    __slots__ = ("file", "kind", "expressions", "skipped")

    def __init__(self, file: str, kind: Literal["dashboard", "rules"]) -> None:
        self.file = file
        self.kind = kind
        self.expressions: list[Expression] = []
        self.skipped = 0   # targets of other datasources


def load_source(file: str, data: bytes | None = None) -> Source:
    text = read_text(file, data)
    head = text.lstrip("\ufeff \t\r\n")[:1]
    if head == "{":
        return _dashboard(file, text)
    if head and head != "[":
        value, smap = fastyaml.load(file, text)
        if isinstance(value, dict) and isinstance(value.get("groups"), list):
            return _rules(file, text, value, smap)
        if isinstance(value, dict) and "contract" in value:
            raise input_error(file, "input/unknown-file-kind", "is a contract, not a dashboard or rule file; give the "
                              "contract as the first argument", 1, 1)
    raise _unknown(file)


def _unknown(file: str) -> InputError:
    return input_error(file, "input/unknown-file-kind", "is neither a Grafana dashboard (JSON with `panels`) nor a "
                       "Prometheus rule file (YAML with `groups`)", 1, 1)


def suppressions(text: object) -> frozenset[str]:
    if not isinstance(text, str) or "metrics-contract" not in text:
        return frozenset()
    parts = (part.strip() for m in re.finditer(_SUPPRESS, text) for part in m.group(1).split(","))
    return frozenset(part for part in parts if part)


# ── Grafana dashboards ─────────────────────────────────────────────────────

_BUILTIN_DS = {"-- Grafana --": "grafana", "grafana": "grafana", "-- Dashboard --": "dashboard",
               "-- Mixed --": "mixed"}
_DS_VARIABLE = r"^\$\{?(\w+)\}?$"
_LABEL_VALUES = r"(?s)\s*label_values\(\s*(?:(.*?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$"
_QUERY_RESULT = r"(?s)\s*query_result\(\s*(.*?)\s*\)\s*$"
_METRICS = r"(?s)\s*metrics\(\s*(.*?)\s*\)\s*$"
_PROMETHEUS = ("prometheus", "default")


class _JsonContext:
    """What `json.JSONDecoder()` gives its scanner: the settings `_json.make_scanner` reads."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}.__getitem__


_JSON_SPACE = " \t\n\r"
_scan_json: Any = None


def load_json(text: str) -> Any:
    """`json.loads(text)`, without importing `json` for a valid document.

    Importing `json` (its decoder, encoder and scanner modules) costs a cold
    `check` about 2 ms, and its decoder is a thin layer over the C scanner
    of `_json`, which this calls itself, as `json.loads` would: skip white
    space, scan one value, allow only white space after it. Whatever the
    scanner does not read whole goes to `json.loads`, which raises its own
    error for it; so does everything where `_json` is missing.
    """
    global _scan_json
    if _scan_json is None:
        try:
            import _json
        except ImportError:
            _scan_json = False
        else:   # it reads the settings off any object, as json.decoder gives it a JSONDecoder
            _scan_json = _json.make_scanner(_JsonContext)  # type: ignore[arg-type]
    if _scan_json:
        try:
            value, end = _scan_json(text, len(text) - len(text.lstrip(_JSON_SPACE)))
        except (StopIteration, ValueError):
            end = -1
        if end >= 0 and not text[end:].strip(_JSON_SPACE):
            return value
    import json

    return json.loads(text)


def _dashboard(file: str, text: str) -> Source:
    try:
        dash = load_json(text)
    except ValueError as exc:   # json.JSONDecodeError, without importing json for a valid file
        msg, line, column = getattr(exc, "msg", str(exc)), getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        raise input_error(file, "input/json", f"not valid JSON: {msg.lower()}", line, column) from None
    if isinstance(dash, dict) and isinstance(dash.get("dashboard"), dict):
        dash = dash["dashboard"]   # the HTTP API's {"dashboard": ..., "meta": ...}
    if not isinstance(dash, dict) or not (isinstance(dash.get("panels"), list) or isinstance(dash.get("rows"), list)):
        raise _unknown(file)
    return _DashboardReader(file, JsonDoc(text), dash).read()


class _DashboardReader:
    def __init__(self, file: str, doc: JsonDoc, dash: dict[str, Any]) -> None:
        self.file = file
        self.doc = doc
        self.dash = dash
        self.source = Source(file, "dashboard")
        self.ds_types: dict[str, str] = {}
        templating = dash.get("templating")
        self.variable_list = _dicts(templating.get("list")) if isinstance(templating, dict) else []
        names = set()
        for v in self.variable_list:
            name = v.get("name")
            if isinstance(name, str):
                names.add(name)
                if v.get("type") == "datasource":
                    query = v.get("query")
                    self.ds_types[name] = query if isinstance(query, str) and query else "default"
        self.variables = frozenset(names)

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
                models = [e.get("model") for e in elements.values()] if isinstance(elements, dict) else []
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
            var = re.match(_DS_VARIABLE, ds)
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
        suppressed = suppressions(panel.get("description"))
        expressions = self.source.expressions
        for i, target in enumerate(targets):
            if not isinstance(target, dict):
                continue
            text = target.get("expr")
            if not isinstance(text, str):
                continue
            anchor = self.doc.anchor("expr", text)
            ds = panel_ds
            if "datasource" in target:
                ds = self.ds_type(target["datasource"])
            elif ds == "mixed":
                ds = "default"
            if ds not in _PROMETHEUS:
                self.source.skipped += 1
                continue
            if not text.strip():
                continue
            ref = target.get("refId")
            ref_id = ref if isinstance(ref, str) and ref else _ref_id(i)
            legend = target.get("legendFormat")
            legend_anchor = None
            if isinstance(legend, str) and legend:
                legend_anchor = self.doc.anchor("legendFormat", legend)
            else:
                legend = ""
            expressions.append(Expression(
                text, "panel", self.file, f"{name} target {ref_id}", anchor, suppressed, self.variables,
                legend=legend, legend_anchor=legend_anchor, panel_id=panel_id, panel_title=title, ref_id=ref_id))

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
                      "suppressed": suppressions(var.get("description")), "variables": self.variables}
            if match := re.match(_LABEL_VALUES, query):
                selector = match.group(1) or ""
                base = match.start(1) if match.group(1) else match.start(2)
                label = (match.group(2), match.start(2) - base)
                self.source.expressions.append(Expression(text=selector, anchor=Shifted(anchor, base),
                                                          var_label=label, **common))
            elif match := re.match(_QUERY_RESULT, query):
                self.source.expressions.append(Expression(text=match.group(1), anchor=Shifted(anchor, match.start(1)),
                                                          **common))
            elif match := re.match(_METRICS, query):
                self.source.expressions.append(Expression(text="", anchor=Shifted(anchor, match.start(1)),
                                                          var_metrics=(match.group(1), 0), **common))

    def annotations(self) -> None:
        annotations = self.dash.get("annotations")
        items = annotations.get("list") if isinstance(annotations, dict) else None
        for item in _dicts(items):
            text = item.get("expr")
            if item.get("builtIn") or not isinstance(text, str):
                continue
            anchor = self.doc.anchor("expr", text)
            if self.ds_type(item.get("datasource")) not in _PROMETHEUS:
                self.source.skipped += 1
                continue
            if text.strip():
                self.source.expressions.append(Expression(
                    text=text, kind="annotation", file=self.file, where=f'annotation "{item.get("name", "")}"',
                    anchor=anchor, variables=self.variables))


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


# ── Prometheus rule files ──────────────────────────────────────────────────

def _rules(file: str, text: str, data: dict[str, Any], smap: SourceMap) -> Source:
    source = Source(file, "rules")
    index = TextIndex(text)
    expressions = source.expressions
    unsuppressed: frozenset[str] = frozenset()
    for gi, group in enumerate(data["groups"]):
        if not isinstance(group, dict) or not isinstance(group.get("rules", []), list):
            line, col = smap.locate(("groups", gi))
            raise input_error(file, "input/rule-file", "a rule group is a mapping with `name` and a `rules` list",
                              line, col)
        group_name = str(group.get("name", ""))
        for ri, rule in enumerate(group.get("rules") or []):
            path = ("groups", gi, "rules", ri)
            if not isinstance(rule, dict) or "expr" not in rule or not isinstance(rule["expr"], (str, int, float)):
                line, col = smap.locate(path)
                raise input_error(file, "input/rule-file", "a rule is a mapping with `record` or `alert` and `expr`",
                                  line, col)
            record = rule.get("record")
            if record is None:
                name = str(rule.get("alert", ""))
                recorded = ""
                record_anchor = None
            else:
                name = recorded = str(record)
                record_anchor = YamlScalar(index, smap, path + ("record",))
            annotations = rule.get("annotations")
            suppressed = unsuppressed
            if isinstance(annotations, dict):
                suppressed = suppressed.union(*(suppressions(v) for v in annotations.values()))
            labels = rule.get("labels")
            rule_labels = tuple(str(k) for k in labels) if isinstance(labels, dict) else ()
            expressions.append(Expression(
                str(rule["expr"]), "rule", file, f'group "{group_name}" rule "{name}"',
                YamlScalar(index, smap, path + ("expr",)), suppressed, None, recorded, record_anchor, rule_labels,
                group_name, name))
    return source
