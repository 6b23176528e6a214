"""Read YAML files with positions, and load a contract from one.

PyYAML's own constructors lose positions, accept duplicate keys and expand
aliases without limit. Here a document is composed into nodes (with the C
parser when present) and converted by hand, so every value has a
`file:line:col`, a repeated key is an error, and alias expansion is capped.
Every failure, the contract model's included, becomes an `InputError`
located at `file:line:col`. Rule files are read with `load_yaml` too, which
is why the pydantic model is imported only by `load_contract`: a `check`
whose contract is cached reads rule files without building the model
classes (about 100 ms).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from contract.problems import InputError, Problem, Severity, input_error

if TYPE_CHECKING:
    from pydantic import ValidationError

    from contract.model import Contract

try:  # the C parser is several times faster on large files
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]

MAX_DEPTH = 64
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class SourceMap:
    """Positions (1-based line, column) of values and of mapping keys by path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}

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
        data = read_bytes(file)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col(data, exc.start)
        raise input_error(
            file, "input/encoding", f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line, column
        ) from None


def read_bytes(file: str) -> bytes:
    """A file's bytes; a missing, unreadable or non-regular file is a located error."""
    try:
        with open(file, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise input_error(file, "input/not-found", "no such file") from None
    except IsADirectoryError:
        raise input_error(file, "input/not-a-file", "is a directory, not a file") from None
    except OSError as exc:
        raise input_error(file, "input/unreadable", f"cannot read: {exc.strerror}") from None


def _line_col(text: bytes | str, offset: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(text, bytes) else "\n"
    before = text[:offset]
    return before.count(newline) + 1, offset - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]


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
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow (a control character, ...)
        line, col = _line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise input_error(file, "input/yaml", f"not valid YAML: character U+{code:04X} is not allowed",
                          line, col) from None
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
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        try:
            return self.scalars.construct_object(node, deep=True)
        except ConstructorError as exc:
            if isinstance(node, yaml.ScalarNode) and not node.style:   # plain `=` and `<<` resolve to such tags
                raise self.fail(node, "input/yaml", f"YAML reads `{node.value}` as a special value "
                                f"(`{node.tag}`); quote it") from None
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
        key = self.scalar(node)
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


# ── the contract ───────────────────────────────────────────────────────────

@dataclass(frozen=True)
class LoadedContract:
    contract: Contract
    source: SourceMap
    file: str
    sha256: str

    def at(self, path: Path, check: str, message: str, *, severity: Severity = "error", key: bool = False,
           metric: str = "") -> Problem:
        """A problem located at a path inside the contract document."""
        line, column = self.source.locate(path, key=key)
        return Problem(file=self.file, line=line, column=column, check=check, message=message,
                       severity=severity, metric=metric)


def load_contract(file: str, data: bytes | None = None) -> LoadedContract:
    from pydantic import ValidationError

    from contract.model import Contract

    text = read_text(file, data)
    raw, smap = load_yaml(file, text)
    if not isinstance(raw, dict) or "contract" not in raw:
        # anything else (a dashboard, a rule file) would drown in missing-field errors
        raise input_error(file, "contract/shape", "a contract is a YAML mapping with `contract: 1` at the top", 1, 1)
    try:
        contract = Contract.model_validate(raw)
    except ValidationError as exc:
        raise InputError.many(_located(exc, smap, raw)) from None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedContract(contract=contract, source=smap, file=file, sha256=digest)


def _located(exc: ValidationError, smap: SourceMap, raw: object) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[Path] = set()
    for err in exc.errors(include_url=False):
        path = _document_path(err["loc"], raw)
        if path in seen:
            continue
        seen.add(path)
        kind = err["type"]
        if kind == "extra_forbidden":
            line, col = smap.locate(path, key=True)
            message = f"unknown field `{path[-1]}`" + _in(path[:-1])
        elif kind == "missing":
            line, col = smap.locate(path[:-1])
            message = f"missing required field `{path[-1]}`" + _in(path[:-1])
        else:
            line, col = smap.locate(path)
            message = f"{_dotted(path)}: {_message(err)}" if path else _message(err)
        problems.append(Problem(file=smap.file, line=line, column=col, check="contract/schema", message=message))
    return problems


def _document_path(loc: tuple[int | str, ...], raw: object) -> Path:
    """The parts of a pydantic `loc` that are real keys or indices of the document.

    pydantic inserts model, union-member and validator names into `loc`;
    walking the document itself tells them apart from keys, even from keys
    that look like those names.
    """
    path: list[int | str] = []
    node = raw
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1:
            path.append(part)  # a missing field: a key the document lacks
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _in(path: Path) -> str:
    return f" in `{_dotted(path)}`" if path else ""


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: object) -> str:
    msg = str(err["msg"])  # type: ignore[index]
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    msg = msg.replace("\n", " ")
    return msg[:1].lower() + msg[1:]
