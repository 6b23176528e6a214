"""Every PromQL expression of a Prometheus rule file, read with the YAML reader of `contract.loader`.

A rule file is what `promtool check rules` loads, plus the Kubernetes form:

- a mapping with a `groups` list (`groups: []` is a file of 0 rules);
- JSON written the same way (YAML reads JSON, and so does promtool);
- an empty file, one of comments only, or `{}`: 0 rules, as promtool loads it;
- a `PrometheusRule` resource (`apiVersion: monitoring.coreos.com/...`, `kind: PrometheusRule`) with its groups
  under `spec.groups`, and a stream of documents (`---`) holding such resources, where documents of other
  Kubernetes kinds (a `ConfigMap`, a `Deployment` beside the rules) are skipped.

`read_rule_file` returns None for anything else, so that `contract.promql.sources` can say what the file is.

What promtool (and Prometheus, at load) would refuse in a file it can read is a `rules/invalid` problem of the
source, one per mistake, while the expressions are still checked: a field Prometheus does not know, a group
without a name or with the name of an earlier group, a rule with both or neither of `record` and `alert`, an
empty `expr`, a recording rule with `for`, `keep_firing_for` or `annotations`, a duration or a `limit` Prometheus
cannot read, a recorded name, label name or annotation name that is not one (`contract.checks.rule_name`'s
patterns), an alert's label or annotation that is no Go template (`contract.checks.rule_template`). A shape no
rule file has (a group or rule that is not a mapping, a rule without `expr`) is bad input (`input/rule-file`).
"""

from __future__ import annotations

import difflib
from typing import Any

from contract import duration
from contract.checks.rule_name import LABEL_NAME, RECORD_NAME
from contract.checks.rule_template import template_error
from contract.loader import Path, SourceMap
from contract.problems import Problem, input_error
from contract.promql.anchors import TextIndex, YamlScalar
from contract.promql.expression import Expression, Source, suppressions

# the group of the Prometheus Operator's resources; its version (`v1`) is not what makes a file a rule file
_OPERATOR_GROUP = "monitoring.coreos.com/"
_KIND = "PrometheusRule"

INVALID = "rules/invalid"
# The fields Prometheus reads: what 2.42 knows, plus a group's `query_offset` and `labels` of later releases (a
# file may be written for one); the Prometheus Operator also knows a group's `partial_response_strategy`.
_FILE_FIELDS = ("groups",)
_GROUP_FIELDS = ("name", "interval", "query_offset", "limit", "labels", "rules")
_RESOURCE_GROUP_FIELDS = (*_GROUP_FIELDS, "partial_response_strategy")
_RULE_FIELDS = ("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations")


def read_rule_file(file: str, text: str, documents: list[tuple[Any, SourceMap]]) -> Source | None:
    """The rules of `text`, parsed into `documents` (`contract.loader.load_yaml_all`); None if it is no rule file."""
    source = Source(file, "rules")
    if not documents or (len(documents) == 1 and documents[0][0] in (None, {})):
        return source   # promtool loads these as 0 rules
    if not any(_is_rule_resource(data) or _is_rule_groups(data) for data, _ in documents):
        return None
    index = TextIndex(text)
    for number, (data, smap) in enumerate(documents, 1):
        if _is_rule_resource(data):
            spec = data.get("spec")
            groups = spec.get("groups") if isinstance(spec, dict) else None
            if not isinstance(groups, list):
                line, col = smap.locate(("spec", "groups"))
                raise input_error(file, "input/rule-file", f"a `{_KIND}` holds its rule groups in a `spec.groups` "
                                  "list", line, col)
            metadata = data.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            prefix = f'{_KIND} "{name}" ' if isinstance(name, str) and len(documents) > 1 else ""
            _RuleReader(source, index, smap, prefix, _RESOURCE_GROUP_FIELDS).groups(groups, ("spec", "groups"))
        elif _is_rule_groups(data):
            reader = _RuleReader(source, index, smap, "", _GROUP_FIELDS)
            reader.unknown_fields(data, (), "a rule file", _FILE_FIELDS, "")
            reader.groups(data["groups"] or [], ("groups",))   # `groups: null` is 0 groups, as promtool loads it
        elif not (data is None or (isinstance(data, dict) and "kind" in data)):
            # an empty document, or a resource of another kind among the rules, is skipped; anything else is not
            # what a stream of rules holds
            line, col = smap.locate(())
            raise input_error(file, "input/rule-file", f"document {number} is neither rule groups nor a Kubernetes "
                              "resource", line, col)
    return source


def _is_rule_groups(data: Any) -> bool:
    return isinstance(data, dict) and "groups" in data and (data["groups"] is None or isinstance(data["groups"], list))


def _is_rule_resource(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("kind") != _KIND:
        return False
    version = data.get("apiVersion")
    return isinstance(version, str) and version.startswith(_OPERATOR_GROUP)


class _RuleReader:
    """The expressions of one document's rule groups, and what Prometheus would refuse in them."""

    def __init__(self, source: Source, index: TextIndex, smap: SourceMap, prefix: str,
                 group_fields: tuple[str, ...]) -> None:
        self.source = source
        self.index = index
        self.smap = smap
        self.prefix = prefix   # names the resource the groups belong to, when the file holds several
        self.group_fields = group_fields

    def problem(self, path: Path, where: str, message: str, *, key: bool = False) -> None:
        line, col = self.smap.locate(path, key=key)
        self.source.problems.append(Problem(self.source.file, line, col, INVALID,
                                            f"{where}: {message}" if where else message, location=where))

    def text(self, value: Any, path: Path) -> str | None:
        """A scalar as Prometheus reads it into a string (a number or `null` as written); None for a list or a
        mapping, which it cannot read as one."""
        if isinstance(value, str):
            return value
        if isinstance(value, (list, dict)):
            return None
        written = self.smap.scalar(path)
        return written if written is not None else str(value)

    def unknown_fields(self, data: dict[Any, Any], path: Path, what: str, known: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in known:
                near = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean `{near[0]}`?" if near else f" (known: {', '.join(known)})"
                self.problem((*path, key), where, f"`{key}` is not a field of {what}{hint}", key=True)

    def groups(self, groups: list[Any], at: Path) -> None:
        """The expressions of `groups`, found at `at` in the document."""
        seen: set[str] = set()
        for gi, group in enumerate(groups):
            path = (*at, gi)
            rules = group.get("rules") if isinstance(group, dict) else None
            if not isinstance(group, dict) or not isinstance(rules, list) and rules is not None:
                line, col = self.smap.locate(path)
                raise input_error(self.source.file, "input/rule-file", "a rule group is a mapping with `name` and a "
                                  "`rules` list", line, col)
            raw = group.get("name")
            group_name = self.text(raw, (*path, "name")) if raw is not None else ""
            where = f'{self.prefix}group "{group_name or ""}"'
            self.unknown_fields(group, path, "a rule group", self.group_fields, where)
            if group_name is None:
                self.problem((*path, "name"), where, "a group's `name` must be a string, not a list or a mapping")
            elif not group_name:
                self.problem((*path, "name") if "name" in group else path, where, "a rule group needs a `name`")
            elif group_name in seen:
                self.problem((*path, "name"), where, f"group name `{group_name}` is repeated; Prometheus needs the "
                             "groups of a file named apart")
            seen.add(group_name or "")
            for field in ("interval", "query_offset"):
                self.duration(group, path, field, where)
            limit = group.get("limit")
            # a count; Prometheus reads it from a float too
            if isinstance(limit, bool) or not isinstance(limit, (int, float, type(None))):
                self.problem((*path, "limit"), where, "`limit` must be a number")
            for ri, rule in enumerate(rules or []):
                self.rule(rule, (*path, "rules", ri), group_name or "")

    def duration(self, data: dict[Any, Any], path: Path, field: str, where: str) -> bool:
        """Whether `field` of `data` holds a duration other than zero; a problem when it holds none at all."""
        value = data.get(field)
        if value is None:
            return False
        text = self.text(value, (*path, field))
        found = duration.seconds(text) if text is not None else None
        if found is not None:
            return found > 0
        shown = f"`{text}`" if text else "empty" if text is not None else "a list or a mapping"
        self.problem((*path, field), where, f"`{field}` is {shown}, not a duration like `30s`, `5m` or `1h30m`")
        return False

    def rule(self, rule: Any, path: Path, group_name: str) -> None:
        if not isinstance(rule, dict) or "expr" not in rule or not isinstance(rule["expr"], (str, int, float)):
            line, col = self.smap.locate(path)
            raise input_error(self.source.file, "input/rule-file", "a rule is a mapping with `record` or `alert` and "
                              "`expr`", line, col)
        # as Prometheus reads them: a name written empty is no name
        record = self.text(rule["record"], (*path, "record")) if "record" in rule else ""
        alert = self.text(rule["alert"], (*path, "alert")) if "alert" in rule else ""
        name = record or alert or ""
        where = f'{self.prefix}group "{group_name}" rule "{name}"'
        self.unknown_fields(rule, path, "a rule", _RULE_FIELDS, where)
        text = str(rule["expr"])
        annotations = rule.get("annotations")
        labels = rule.get("labels")
        if record is None or alert is None:
            field = "record" if record is None else "alert"
            self.problem((*path, field), where, f"`{field}` must be a name, not a list or a mapping")
        elif record and alert:
            self.problem(path, where, "a rule has `record` or `alert`, not both")
        elif not record and not alert:
            self.problem(path, where, "a rule needs a `record` or an `alert` name")
        elif record and not RECORD_NAME.fullmatch(record):
            self.problem((*path, "record"), where, f"recorded name `{record}` is not a valid metric name (letters, "
                         "digits, `_` and `:`, not starting with a digit)")
        if not text.strip():
            self.problem((*path, "expr"), where, "`expr` is empty")
        for field in ("for", "keep_firing_for"):
            if self.duration(rule, path, field, where) and record:
                self.problem((*path, field), where, f"a recording rule cannot have `{field}`")
        if record and annotations:
            self.problem((*path, "annotations"), where, "a recording rule cannot have `annotations`")
        # an alert's labels and annotations are Go templates; a recording rule's labels are plain values
        templates = bool(alert) and not record
        self.values(labels, path, "labels", "label", where, templates)
        self.values(annotations, path, "annotations", "annotation", where, templates)
        suppressed: frozenset[str] = frozenset()
        if isinstance(annotations, dict):
            suppressed = suppressed.union(*(suppressions(v) for v in annotations.values()))
        rule_labels = tuple(str(k) for k in labels) if isinstance(labels, dict) else ()
        source, index, smap = self.source, self.index, self.smap
        source.expressions.append(Expression(
            text=text, kind="rule", file=source.file, where=where, anchor=YamlScalar(index, smap, (*path, "expr")),
            suppressed=suppressed, record=record or "",
            record_anchor=YamlScalar(index, smap, (*path, "record")) if record else None,
            rule_labels=rule_labels, group=group_name, rule=name))

    def values(self, values: Any, path: Path, field: str, kind: str, where: str, templates: bool) -> None:
        """The names and values of a rule's `labels` or `annotations`."""
        if values is None:
            return
        if not isinstance(values, dict):
            self.problem((*path, field), where, f"`{field}` must be a mapping of names to values")
            return
        for key, value in values.items():
            at = (*path, field, key)
            name = str(key)
            if not LABEL_NAME.fullmatch(name):
                self.problem(at, where, f"{kind} name `{name}` is not a valid label name (letters, digits and `_`, "
                             "not starting with a digit)", key=True)
            elif kind == "label" and name == "__name__":
                self.problem(at, where, "label `__name__` is the metric name, which a rule cannot set", key=True)
            text = self.text(value, at)
            if text is None:
                self.problem(at, where, f"{kind} `{name}` must be one value, not a list or a mapping")
            elif templates and (error := template_error(text)):
                self.problem(at, where, f"{kind} `{name}` is not a valid Go template: {error}")
