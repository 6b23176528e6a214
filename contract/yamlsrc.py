"""YAML to plain Python values, keeping where every key and value came from.

PyYAML's own constructors lose positions, accept duplicate keys and expand
aliases without limit. Here the document is composed into nodes (with the C
parser when present) and converted by hand, so every value has a
`file:line:col`, a repeated key is an error, and alias expansion is capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from contract.problems import InputError, input_error

try:  # the C parser is several times faster on large files
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]
MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


@dataclass
class SourceMap:
    """Positions (1-based line, column) of values and of mapping keys by path."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        for end in range(len(path), -1, -1):
            sub = path[:end]
            if sub in table:
                return table[sub]
            if key and sub in self.values:
                return self.values[sub]
        return (1, 1)


def read_text(file: str, data: bytes | None = None) -> str:
    """Decode a file as UTF-8, turning I/O and decoding failures into located errors."""
    if data is None:
        try:
            with open(file, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise input_error(file, "input/not-found", "no such file") from None
        except IsADirectoryError:
            raise input_error(file, "input/not-a-file", "is a directory, not a file") from None
        except OSError as exc:
            raise input_error(file, "input/unreadable", f"cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise input_error(
            file, "input/encoding", f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line, column
        ) from None


def load_yaml(file: str, text: str) -> tuple[Any, SourceMap]:
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
