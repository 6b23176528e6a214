"""Read input files within limits, YAML files with positions, and load a contract from one.

Every input file is read by `read_bytes`, which refuses what is not a
regular file and what is larger than MAX_INPUT_BYTES (a contract:
MAX_CONTRACT_BYTES) before reading it; the
nesting of a YAML or JSON text is measured before the parser that would
recurse on it sees it (`check_yaml_nesting`, `check_json_nesting`).

PyYAML's own constructors lose positions, accept duplicate keys and expand
aliases without limit. Here a document is composed into nodes (with the C
parser when present) and converted by hand, so every value has a
`file:line:col`, a repeated key is an error, and alias expansion is capped.
Every failure, the contract model's included (worded by
`contract/schema_errors.py`), becomes an `InputError` located at
`file:line:col`. Rule files are read with `load_yaml` too, which
is why the pydantic model is imported only by `load_contract`: a `check`
whose contract is cached reads rule files without building the model
classes (about 100 ms).
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from contract.problems import InputError, Problem, Severity, input_error

if TYPE_CHECKING:
    from pydantic import BaseModel

    from contract.model import Contract

try:  # the C parser is several times faster on large files
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]
M = TypeVar("M", bound="BaseModel")

# Limits on input, checked before any parser sees the text: PyYAML's C parser builds nodes recursively and
# crashes the interpreter (a stack overflow, not an exception) at about 24,000 levels of nesting.
MAX_INPUT_BYTES = 64 * 1024 * 1024   # any file read: a dashboard, rule file, exposition, pyproject.toml
# A contract is written by hand: a few thousand lines. Composed YAML takes many times its text's size in memory
# (a node with two marks per item of `[a,a,...]`), so a contract gets a limit of its own, far below that of the
# files other tools write.
MAX_CONTRACT_BYTES = 2 * 1024 * 1024
_INPUT_FILE = "an input file"
MAX_DEPTH = 64                       # YAML nesting: collections inside collections (see `check_yaml_nesting`)
MAX_JSON_DEPTH = 256                 # JSON nesting: Python's parser recurses, up to the interpreter's recursion limit
_MERGE_TAG = "tag:yaml.org,2002:merge"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_STR_TAG = "tag:yaml.org,2002:str"


class SourceMap:
    """Positions (1-based line, column) of values and mapping keys by path, read from the node graph.

    Positions are wanted only for problems, so none is recorded while a
    document is converted; `locate` walks the composed nodes along a path.
    """

    def __init__(self, file: str, root: yaml.Node | None = None) -> None:
        self.file = file
        self.root = root
        # each mapping's keys, indexed on its first lookup: a run that locates many problems in one
        # large mapping (a `map:` of thousands of entries) would scan it once per problem otherwise
        self._keys: dict[int, dict[Any, tuple[yaml.Node, yaml.Node]]] = {}

    def _walk(self, path: Path) -> list[tuple[yaml.Node | None, yaml.Node]]:
        """(key node or None, value node) of each prefix of `path` the document has, root first."""
        if self.root is None:
            return []
        steps: list[tuple[yaml.Node | None, yaml.Node]] = [(None, self.root)]
        node = self.root
        for part in path:
            found: tuple[yaml.Node | None, yaml.Node] | None = None
            if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                found = (None, node.value[part])
            elif isinstance(node, yaml.MappingNode):
                if id(node) not in self._keys:
                    self._keys[id(node)] = _key_index(node)
                found = self._keys[id(node)].get(part)
            if found is None:
                break
            steps.append(found)
            node = found[1]
        return steps

    def position(self, path: Path) -> tuple[int, int] | None:
        """Where the value at `path` starts, if the document has it."""
        steps = self._walk(path)
        return _mark(steps[-1][1]) if len(steps) == len(path) + 1 else None

    def scalar(self, path: Path) -> str | None:
        """The scalar at `path` as written (`yes`, `1.0`, `"200"` with its quotes), if the document has one there."""
        steps = self._walk(path)
        node = steps[-1][1] if len(steps) == len(path) + 1 else None
        if not isinstance(node, yaml.ScalarNode):
            return None
        quote = node.style if node.style in ("'", '"') else ""
        return f"{quote}{node.value}{quote}"

    def locate(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Position of `path` (its key with `key=True`), or of its nearest ancestor that the document has."""
        for key_node, value_node in reversed(self._walk(path)):
            return _mark(key_node if key and key_node is not None else value_node)
        return (1, 1)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _key_index(node: yaml.MappingNode) -> dict[Any, tuple[yaml.Node, yaml.Node]]:
    """The (key, value) nodes of a mapping by key; explicit keys win over merged ones, as in conversion."""
    index: dict[Any, tuple[yaml.Node, yaml.Node]] = {}
    merged: list[tuple[yaml.Node, yaml.Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE_TAG:
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            merged.extend(pair for src in sources if isinstance(src, yaml.MappingNode) for pair in src.value)
        elif isinstance(key_node, yaml.ScalarNode):
            index.setdefault(_key_value(key_node), (key_node, value_node))
    for key_node, value_node in merged:
        if isinstance(key_node, yaml.ScalarNode):
            index.setdefault(_key_value(key_node), (key_node, value_node))
    index.pop(None, None)   # keys that convert to no usable value are never looked up
    return index


def _key_value(node: yaml.ScalarNode) -> Any:
    try:
        key = SafeConstructor().construct_object(node, deep=True)
    except (ConstructorError, ValueError):
        return None
    return key if isinstance(key, (str, int)) else str(key)


def read_text(file: str, data: bytes | None = None, limit: int = MAX_INPUT_BYTES, of: str = _INPUT_FILE) -> str:
    """Decode a file as UTF-8, turning I/O and decoding failures into located errors; `limit`: its size limit, the
    one of `of` (what the file is, for the message)."""
    if data is None:
        data = read_bytes(file, limit, of)
    elif len(data) > limit:   # bytes that came another way (`git show`, the out dir read already)
        raise _too_large(file, limit, of)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = line_col(data, exc.start)
        raise input_error(
            file, "input/encoding", f"byte 0x{data[exc.start]:02x} is not valid UTF-8", line, column
        ) from None


def read_bytes(file: str, limit: int = MAX_INPUT_BYTES, of: str = _INPUT_FILE) -> bytes:
    """A file's bytes; a missing, unreadable, non-regular or too large file (over `limit`, the one of `of`) is a
    located error.

    The file is opened without blocking and judged by `fstat` of what was opened (no race with a rename): a
    FIFO would otherwise wait for a writer forever and a device (`/dev/zero`) never end.
    """
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise input_error(file, "input/not-found", "no such file") from None
    except IsADirectoryError:
        raise input_error(file, "input/not-a-file", "is a directory, not a file") from None
    except OSError as exc:
        raise input_error(file, "input/unreadable", f"cannot read: {exc.strerror}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise input_error(file, "input/not-a-file", "is a directory, not a file")
        if stat.S_ISREG(st.st_mode):
            raise _too_large(file, limit, of)
        raise input_error(file, "input/not-a-file", "is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)   # one byte more tells a file that grew past the limit
        except OSError as exc:
            raise input_error(file, "input/unreadable", f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise _too_large(file, limit, of)
    return data


def _too_large(file: str, limit: int, of: str) -> InputError:
    return input_error(file, "input/too-large", f"larger than {limit // (1024 * 1024)} MiB, the limit for {of}")


def line_col(text: bytes | str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in a text or its bytes."""
    newline = b"\n" if isinstance(text, bytes) else "\n"
    before = text[:offset]
    return before.count(newline) + 1, offset - (before.rfind(newline) + 1) + 1  # type: ignore[arg-type]


# ── nesting, measured before the document is composed ───────────────────
#
# libyaml's composer builds nodes recursively in C: a document nested about 24,000 levels deep overflows the C
# stack and the interpreter dies before any Python-level limit applies. Its event parser keeps its own stack, so
# one pass over the events, stopped at the first collection too deep, finds what composing would crash on.

# No text whose bound below stays under this can overflow the composer: the pass over the events is skipped.
_SAFE_NESTING = 5_000


# A `[` or `{` that can open a flow collection the composer descends into: one at the start of a token that may
# begin a node, i.e. after a blank, a line break, `[`, `{`, `,`, `?` or `:`. After any other character it is part
# of a plain scalar (`rate(x{a="b"}[5m])` in a rule), or libyaml refuses the text before composing past it (a
# collection right after a scalar, a quote, a closing bracket, an anchor or a tag is a syntax error). The bracket
# comes first in the pattern and the character before it is looked at behind it: a pattern that starts with a
# character set is scanned for that set, one that starts with a lookbehind is tried at every character.
_FLOW_OPENER = re.compile(r"[\[{](?<![^\s\[{,?:].)")


def _nesting_bound(text: str) -> int:
    """An upper bound of a YAML text's nesting: each flow collection opens with its own `[` or `{` where a node may
    start, and each block collection sits deeper in its line than its parent, except a sequence written at its
    key's indentation."""
    longest = max(map(len, text.splitlines()), default=0)
    return len(_FLOW_OPENER.findall(text)) + 2 * (longest + 1)


def check_yaml_nesting(file: str, text: str) -> None:
    """`input/too-deep` where a YAML text nests collections deeper than MAX_DEPTH, before it is composed.

    YAML errors met on the way are raised as PyYAML raises them, for `load_yaml` to locate.
    """
    if _nesting_bound(text) <= _SAFE_NESTING:
        return
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH + 1:   # MAX_DEPTH counts levels below the root collection, as the conversion does
                mark = event.start_mark
                line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
                raise input_error(file, "input/too-deep", f"nesting deeper than {MAX_DEPTH} levels", line, column)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|([\[{])|[\]}]')
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def check_json_nesting(file: str, text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """`input/too-deep` where a JSON text nests arrays and objects deeper than `limit`: brackets outside
    strings, counted before `json` reads it."""
    # the depth of the brackets left once the strings are gone, counted in C; a text too deep is walked again,
    # token by token, for the position to report
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) <= limit:
        return
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        if token.group(1):
            depth += 1
            if depth > limit:
                line, column = line_col(text, token.start())
                raise input_error(file, "input/too-deep", f"nesting deeper than {limit} levels", line, column)
        elif text[token.start()] != '"':
            depth -= 1


def load_yaml(file: str, text: str) -> tuple[Any, SourceMap]:
    """Parse one YAML document into plain values and their source map."""
    if not text.strip():
        raise input_error(file, "input/empty", "file is empty", 1, 1)
    try:
        roots = _compose(file, text, stream=False)
        if not roots:
            raise input_error(file, "input/empty", "file holds no YAML document", 1, 1)
        return _Converter(file, len(text)).convert(roots[0], 0), SourceMap(file, roots[0])
    except MemoryError:
        pass
    raise _out_of_memory(file)


def _out_of_memory(file: str) -> InputError:
    """The last resort for a file within the size limits that composes into more nodes than memory holds.

    Raised after the `except` block, not in it: the MemoryError's traceback would keep the nodes alive."""
    return input_error(file, "input/too-large", "too large to load: it does not fit in the memory available")


def load_yaml_all(file: str, text: str) -> list[tuple[Any, SourceMap]]:
    """Parse every document of a YAML stream (`---` between them), each into plain values and its source map.

    An empty stream (or one of comments only) has no document. Positions are the stream's, so every source map
    locates in the whole text. The alias budget is the whole text's, shared by the documents.
    """
    converter = _Converter(file, len(text))
    try:
        return [(converter.convert(root, 0), SourceMap(file, root)) for root in _compose(file, text, stream=True)]
    except MemoryError:
        pass
    raise _out_of_memory(file)


def _compose(file: str, text: str, *, stream: bool) -> list[yaml.Node]:
    """The composed root node of `text` (none when it holds no document; more than one is an error), or with
    `stream` every document's, with every YAML error turned into a located `input/yaml`."""
    try:
        check_yaml_nesting(file, text)
        if stream:
            return list(yaml.compose_all(text, Loader=_Loader))
        root = yaml.compose(text, Loader=_Loader)
        return [] if root is None else [root]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = (exc.problem or exc.context or "invalid YAML").strip()
        raise input_error(file, "input/yaml", f"not valid YAML: {what}", line, col) from None
    except yaml.reader.ReaderError as exc:   # a character YAML does not allow (a control character, ...)
        line, col = line_col(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise input_error(file, "input/yaml", f"not valid YAML: character U+{code:04X} is not allowed",
                          line, col) from None
    except yaml.YAMLError as exc:
        raise input_error(file, "input/yaml", f"not valid YAML: {exc}", 1, 1) from None


class _Converter:
    """Plain values from composed nodes: tags checked, duplicate keys and alias bombs refused."""

    def __init__(self, file: str, size: int) -> None:
        self.file = file
        self.scalars = SafeConstructor()
        self.visits = 0
        # A document without aliases has about one node per character at the most (a key, a dash, a
        # bracket), so only aliases expanding a document far beyond its own size (an alias bomb)
        # reach twice that, plus room for the smallest files.
        self.budget = 2 * size + 10_000

    def fail(self, node: yaml.Node, check: str, message: str) -> InputError:
        line, column = _mark(node)
        return input_error(self.file, check, message, line, column)

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self.visits += 1
        if self.visits > self.budget:
            raise self.fail(node, "input/alias-bomb", "alias expansion exceeds the size limit")
        if depth > MAX_DEPTH:
            raise self.fail(node, "input/too-deep", f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                raise self.fail(node, "input/yaml", f"unsupported YAML tag `{node.tag}`")
            return self.mapping(node, depth)
        if node.tag != _SEQ_TAG:
            raise self.fail(node, "input/yaml", f"unsupported YAML tag `{node.tag}`")
        return [self.convert(item, depth + 1) for item in node.value]

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG:   # most scalars: the node's text is the value
            return node.value
        try:
            return self.scalars.construct_object(node, deep=True)
        except ConstructorError as exc:
            if isinstance(node, yaml.ScalarNode) and not node.style:   # plain `=` and `<<` resolve to such tags
                raise self.fail(node, "input/yaml", f"YAML reads `{node.value}` as a special value "
                                f"(`{node.tag}`); quote it") from None
            raise self.fail(node, "input/yaml", f"unsupported YAML value: {exc.problem}") from None
        except ValueError:   # an integer of more digits than Python converts (sys.get_int_max_str_digits)
            raise self.fail(node, "input/yaml", f"the number `{node.value[:20]}...` has {len(node.value)} "
                            "characters, more than a number may have") from None

    def mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
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
            if key in out:
                raise self.fail(key_node, "input/duplicate-key", f"duplicate key `{key}`")
            out[key] = self.convert(value_node, depth + 1)
        for key_node, value_node in merged:  # explicit keys win over merged ones
            key = self.scalar_key(key_node)
            if key not in out:
                out[key] = self.convert(value_node, depth + 1)
        return out

    def scalar_key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, "input/yaml", "mapping keys must be plain scalars")
        key = self.scalar(node)
        return key if isinstance(key, (str, int)) else str(key)


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
    from contract.model import Contract

    text = read_text(file, data, MAX_CONTRACT_BYTES, "a contract")
    raw, smap = load_yaml(file, text)
    if not isinstance(raw, dict) or "contract" not in raw:
        # anything else (a dashboard, a rule file) would drown in missing-field errors
        raise input_error(file, "contract/shape", "a contract is a YAML mapping with `contract: 1` at the top", 1, 1)
    contract = validate_model(Contract, raw, smap, "contract/schema")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedContract(contract=contract, source=smap, file=file, sha256=digest)


def validate_model(model: type[M], raw: object, smap: SourceMap, check: str) -> M:
    """`model` from a document's plain values (a YAML dashboard file); its errors located as a contract's are,
    under the id `check`."""
    from pydantic import ValidationError

    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        from contract.schema_errors import problems

        raise InputError.many(problems(exc, smap, raw, model=model, check=check)) from None
