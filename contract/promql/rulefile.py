"""Every PromQL expression of a Prometheus rule file, read with the YAML reader of `contract.loader`.

A rule file is what `promtool check rules` loads, plus the Kubernetes form:

- a mapping with a `groups` list (`groups: []` is a file of 0 rules);
- JSON written the same way (YAML reads JSON, and so does promtool);
- an empty file, one of comments only, or `{}`: 0 rules, as promtool loads it;
- a `PrometheusRule` resource (`apiVersion: monitoring.coreos.com/...`, `kind: PrometheusRule`) with its groups
  under `spec.groups`, and a stream of documents (`---`) holding such resources, where documents of other
  Kubernetes kinds (a `ConfigMap`, a `Deployment` beside the rules) are skipped.

`read_rule_file` returns None for anything else, so that `contract.promql.sources` can say what the file is.
"""

from __future__ import annotations

from typing import Any

from contract.loader import Path, SourceMap
from contract.problems import input_error
from contract.promql.anchors import TextIndex, YamlScalar
from contract.promql.expression import Expression, Source, suppressions

# the group of the Prometheus Operator's resources; its version (`v1`) is not what makes a file a rule file
_OPERATOR_GROUP = "monitoring.coreos.com/"
_KIND = "PrometheusRule"


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
            _read_groups(source, index, groups, smap, ("spec", "groups"), prefix)
        elif _is_rule_groups(data):
            _read_groups(source, index, data["groups"], smap, ("groups",), "")
        elif not (data is None or (isinstance(data, dict) and "kind" in data)):
            # an empty document, or a resource of another kind among the rules, is skipped; anything else is not
            # what a stream of rules holds
            line, col = smap.locate(())
            raise input_error(file, "input/rule-file", f"document {number} is neither rule groups nor a Kubernetes "
                              "resource", line, col)
    return source


def _is_rule_groups(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("groups"), list)


def _is_rule_resource(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("kind") != _KIND:
        return False
    version = data.get("apiVersion")
    return isinstance(version, str) and version.startswith(_OPERATOR_GROUP)


def _read_groups(source: Source, index: TextIndex, groups: list[Any], smap: SourceMap, at: Path, prefix: str) -> None:
    """The expressions of `groups`, found at `at` in the document `smap` maps; `prefix` names their resource."""
    file = source.file
    for gi, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("rules", []), list):
            line, col = smap.locate((*at, gi))
            raise input_error(file, "input/rule-file", "a rule group is a mapping with `name` and a `rules` list",
                              line, col)
        group_name = str(group.get("name", ""))
        for ri, rule in enumerate(group.get("rules") or []):
            path = (*at, gi, "rules", ri)
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
            source.expressions.append(Expression(
                text=str(rule["expr"]), kind="rule", file=file, where=f'{prefix}group "{group_name}" rule "{name}"',
                anchor=YamlScalar(index, smap, path + ("expr",)), suppressed=suppressed, record=recorded,
                record_anchor=record_anchor, rule_labels=rule_labels, group=group_name, rule=name))
