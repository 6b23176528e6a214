"""YAML nodes to plain values with positions (see `contract.yamlsrc`)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from contract.problems import InputError, input_error
from contract.yamlsrc import Path, SourceMap

try:  # the C parser is several times faster on large files
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


def load(file: str, text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain values and their source map."""
    if not text.strip():
        raise input_error(file, "input/empty", "file is empty", 1, 1)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise input_error(file, "input/yaml", f"not valid YAML: {what}", line, col) from None
    except yaml.YAMLError as exc:
        raise input_error(file, "input/yaml", f"not valid YAML: {exc}", 1, 1) from None
    if root is None:
        raise input_error(file, "input/empty", "file holds no YAML document", 1, 1)
    return _Converter(file).run(root)


class _Converter:
    def __init__(self, file: str) -> None:
        self.file = file
        self.smap = SourceMap(file)
        self.scalars = SafeConstructor()
        self.visits = 0
        self.budget = 0

    def run(self, root: yaml.Node) -> tuple[Any, SourceMap]:
        unique = _count_unique(root)
        # Aliases may legitimately repeat a block a few times; a document that
        # expands far beyond its own size is an alias bomb.
        self.budget = max(4 * unique, unique + 10_000)
        return self.convert(root, (), 0), self.smap

    def fail(self, node: yaml.Node, check: str, message: str) -> InputError:
        mark = node.start_mark
        return input_error(self.file, check, message, mark.line + 1, mark.column + 1)

    def convert(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.visits += 1
        if self.visits > self.budget:
            raise self.fail(node, "input/alias-bomb", "alias expansion exceeds the size limit")
        if depth > MAX_DEPTH:
            raise self.fail(node, "input/too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        self.smap.values.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                raise self.fail(node, "input/yaml", f"unsupported YAML tag `{node.tag}`")
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                raise self.fail(node, "input/yaml", f"unsupported YAML tag `{node.tag}`")
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.scalars.construct_object(node, deep=True)
        except ConstructorError as exc:
            raise self.fail(node, "input/yaml", f"unsupported YAML value: {exc.problem}") from None

    def mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        explicit: set[Any] = set()
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        raise self.fail(src, "input/yaml", "a merge key `<<` needs a mapping")
                    merged.extend(src.value)
                continue
            key = self.scalar_key(key_node)
            if key in explicit:
                raise self.fail(key_node, "input/duplicate-key", f"duplicate key `{key}`")
            explicit.add(key)
            self.smap.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.convert(value_node, path + (key,), depth + 1)
        for key_node, value_node in merged:  # explicit keys win over merged ones
            key = self.scalar_key(key_node)
            if key not in out:
                out[key] = self.convert(value_node, path + (key,), depth + 1)
        return out

    def scalar_key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "input/yaml", "mapping keys must be plain scalars")
        key = self.scalars.construct_object(node)
        return key if isinstance(key, (str, int)) else str(key)


def _count_unique(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return len(seen)
