"""Every PromQL expression of a Prometheus rule file, read with the YAML reader of `contract.loader`."""

from __future__ import annotations

from typing import Any

from contract.loader import SourceMap
from contract.problems import input_error
from contract.promql.anchors import TextIndex, YamlScalar
from contract.promql.expression import Expression, Source, suppressions


def read_rules(file: str, text: str, data: dict[str, Any], smap: SourceMap) -> Source:
    source = Source(file, "rules")
    index = TextIndex(text)
    expressions = source.expressions
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
            suppressed: frozenset[str] = frozenset()
            if isinstance(annotations, dict):
                suppressed = suppressed.union(*(suppressions(v) for v in annotations.values()))
            labels = rule.get("labels")
            rule_labels = tuple(str(k) for k in labels) if isinstance(labels, dict) else ()
            expressions.append(Expression(
                text=str(rule["expr"]), kind="rule", file=file, where=f'group "{group_name}" rule "{name}"',
                anchor=YamlScalar(index, smap, path + ("expr",)), suppressed=suppressed, record=recorded,
                record_anchor=record_anchor, rule_labels=rule_labels, group=group_name, rule=name))
    return source
