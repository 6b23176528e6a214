"""A fast path for the block-style YAML that rule files are written in.

`contract.yamlsrc.load_yaml` builds a PyYAML node tree, which costs more
than `promtool check rules` spends on a whole large rule file. This reader
handles the subset rule files use (block mappings and sequences, plain,
quoted and `|`/`>` block scalars, comments) line by line and produces the
same values and the same `SourceMap`; on anything else (flow collections,
anchors, tags, multi-line flow scalars, duplicate keys, tabs, odd
indentation) it gives up and `load` falls back to `load_yaml`, which also
reports any error. `tests/test_fastyaml.py` checks the two agree.

Importing PyYAML alone costs more than reading a typical rule file, whose
scalars are nearly all strings, so it is imported only for a plain scalar
that YAML 1.1 may read as something else (`maybe_typed`) or a double-quoted
one with escapes.
"""

from __future__ import annotations

import re

from contract.yamlsrc import Path, SourceMap, load_yaml

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from typing import Any

_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-/]*)[ ]*:(?:[ ]+|$)")
_BLOCK_HEADER = r"([|>])([+-]?)[ ]*(?:#.*)?$"   # compiled by re.match when a block scalar first needs it
_STR_TAG = "tag:yaml.org,2002:str"
# PyYAML's implicit resolvers (`yaml.resolver.Resolver.yaml_implicit_resolvers`)
# match a plain scalar starting with a letter only if it is one of _WORDS
# (bools and nulls); the others (numbers, dates, `<<`, `=`, `~`, `!`, `&`,
# `*`) start with one of _SYMBOLIC and hold nothing but _SYMBOLIC_CHARS, so
# `5m` or `0.5x` are strings. tests/test_fastyaml.py holds these to PyYAML.
_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF null Null NULL".split())
_SYMBOLIC = frozenset("+-.0123456789<=~!&*")
_SYMBOLIC_CHARS = _SYMBOLIC | frozenset("_:eExXabcdfABCDFinINTtZ \t")
_FLOW_STARTS = frozenset("{[]},&*!%@`?:|>\"'")
_NOT_PLAIN_START = _FLOW_STARTS | frozenset("#-")   # what `value` reads otherwise than as a plain string, or refuses


def maybe_typed(plain: str) -> bool:
    """Whether YAML 1.1 may resolve this (non-empty) plain scalar to something other than a string."""
    if plain[0] in _SYMBOLIC:
        return _SYMBOLIC_CHARS.issuperset(plain)
    return plain in _WORDS


class _Fallback(Exception):
    pass


def load(file: str, text: str) -> tuple[Any, SourceMap]:
    """`load_yaml(file, text)`, faster for plain block-style documents."""
    try:
        value = FastReader(text).run()
    except _Fallback:
        return load_yaml(file, text)
    return value, _DeferredSourceMap(file, text)


class _DeferredSourceMap(SourceMap):
    """Positions are consulted only to report a problem, and recording them
    costs about as much as the values: the document is read again, this time
    recording them, when `values` or `keys` is first used."""

    __slots__ = ("text",)

    def __init__(self, file: str, text: str) -> None:  # `values` and `keys` stay unset
        self.file = file
        self.text = text

    def __getattr__(self, name: str) -> Any:  # only called for unset slots
        if name not in ("values", "keys"):
            raise AttributeError(name)
        smap = SourceMap(self.file)
        FastReader(self.text, smap).run()
        self.values, self.keys = smap.values, smap.keys
        return getattr(smap, name)


class FastReader:
    """Reads the values; records their positions too if given a `SourceMap`."""

    def __init__(self, text: str, smap: SourceMap | None = None) -> None:
        if "\t" in text or "\r" in text or text.startswith("\ufeff"):
            raise _Fallback
        self.lines = lines = text.split("\n")
        stripped = [line.lstrip(" ") for line in lines]
        self.indents = [len(line) - len(rest) for line, rest in zip(lines, stripped, strict=True)]
        # index of the first line at or after i that is neither blank nor a comment
        self.nexts = nexts = [len(lines)] * (len(lines) + 1)
        for i in range(len(lines) - 1, -1, -1):
            rest = stripped[i]
            nexts[i] = i if rest and rest[0] != "#" else nexts[i + 1]
        self.smap = smap
        self.i = 0
        self.tags: dict[str, str] = {}

    def run(self) -> Any:
        at = self.nexts[0]
        if at == len(self.lines):
            raise _Fallback
        if self.lines[at].startswith(("---", "...", "%")):
            raise _Fallback
        value = self.node((), self.indents[at])
        if self.nexts[self.i] != len(self.lines):
            raise _Fallback
        return value

    def node(self, path: Path, indent: int) -> Any:
        line = self.lines[self.nexts[self.i]]
        if line.startswith("- ", indent) or line[indent:] == "-":
            return self.sequence(path, indent)
        return self.mapping(path, indent)

    def mapping(self, path: Path, indent: int, match: re.Match[str] | None = None) -> dict[str, Any]:
        """The mapping at `indent`; `match` is its first key's if the caller has matched it already."""
        out: dict[str, Any] = {}
        lines, indents, nexts, smap = self.lines, self.indents, self.nexts, self.smap
        end = len(lines)
        sub = path   # a key's own path is built only when positions are recorded
        while True:
            at = nexts[self.i]
            if at == end:
                break
            here = indents[at]
            if here < indent:
                break
            line = lines[at]
            if match is None:
                match = _KEY.match(line, indent)
            if here > indent or not match:
                raise _Fallback
            key = match[1]
            # a key starts with a letter or `_`, so YAML 1.1 may read it as a bool or null only if it is a word
            if key in out or key in _WORDS:
                raise _Fallback
            if smap is not None:
                if not out:
                    smap.values.setdefault(path, (at + 1, indent + 1))
                sub = path + (key,)
                smap.keys[sub] = (at + 1, indent + 1)
            self.i = at + 1
            start = match.end()
            rest = line[start:]
            # most values of a rule file are plain strings on the key's line: read here what `value` would
            # read, without its call; anything else, or recording positions, goes through `value`
            if (smap is None and rest and rest[0] not in _NOT_PLAIN_START and rest[-1] not in " :"
                    and " #" not in rest and ": " not in rest and not maybe_typed(rest)):
                out[key] = rest
            else:
                out[key] = self.value(sub, line, start, at, indent, True)
            match = None
        return out

    def sequence(self, path: Path, indent: int) -> list[Any]:
        out: list[Any] = []
        lines, indents, nexts, smap = self.lines, self.indents, self.nexts, self.smap
        end = len(lines)
        item = path   # likewise an item's
        while True:
            at = nexts[self.i]
            if at == end:
                break
            here = indents[at]
            line = lines[at]
            if here < indent or (here == indent and not (line.startswith("- ", indent) or line[indent:] == "-")):
                break
            if here > indent:
                raise _Fallback
            if smap is not None:
                if not out:
                    smap.values.setdefault(path, (at + 1, indent + 1))
                item = path + (len(out),)
            rest = line[indent + 1:].lstrip(" ")
            start = len(line) - len(rest)
            if not rest or rest[0] == "#":
                self.i = at + 1
                out.append(self.value(item, line, len(line), at, indent, False))
            elif match := _KEY.match(line, start):
                # a compact block inside the item: read it as if the dash were a space
                indents[at] = start
                out.append(self.mapping(item, start, match))
            elif rest == "-" or rest.startswith("- "):
                indents[at] = start
                out.append(self.sequence(item, start))
            else:
                self.i = at + 1
                out.append(self.value(item, line, start, at, indent, False))
        return out

    def value(self, path: Path, line: str, start: int, at: int, indent: int, indentless: bool) -> Any:
        rest = line[start:].rstrip(" ")
        if not rest or rest[0] == "#":
            nxt = self.nexts[self.i]
            if nxt != len(self.lines):
                following = self.lines[nxt]
                here = self.indents[nxt]
                if here > indent:
                    return self.node(path, here)
                if indentless and here == indent and (following.startswith("- ", here) or following[here:] == "-"):
                    return self.sequence(path, here)
            raise _Fallback  # an empty value: let PyYAML place the null
        if self.smap is not None:
            self.smap.values.setdefault(path, (at + 1, start + 1))
        first = rest[0]
        if first == '"':
            return self.double_quoted(rest)
        if first == "'":
            end = _closing_single(rest)
            if end < 0 or not _only_comment(rest[end + 1:]):
                raise _Fallback
            return rest[1:end].replace("''", "'")
        if first in "|>":
            return self.block(rest, indent)
        if first in _FLOW_STARTS or (first == "-" and rest[1:2] in ("", " ")):
            raise _Fallback
        cut = rest.find(" #")
        text = rest[:cut].rstrip(" ") if cut >= 0 else rest
        if ": " in text or text[-1] == ":":
            raise _Fallback
        if maybe_typed(text):
            tag = self._tag(text)
            if tag != _STR_TAG:
                import yaml

                return yaml.constructor.SafeConstructor().construct_object(yaml.ScalarNode(tag, text), deep=True)
        return text

    def double_quoted(self, rest: str) -> str:
        i = 1
        while i < len(rest):
            c = rest[i]
            if c == "\\":
                i += 2
                continue
            if c == '"':
                break
            i += 1
        else:
            raise _Fallback
        if not _only_comment(rest[i + 1:]):
            raise _Fallback
        body = rest[1:i]
        if "\\" in body:
            import yaml

            # YAML escapes differ from Python's and JSON's
            return str(yaml.load(rest[: i + 1], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
        return body

    def block(self, header: str, indent: int) -> str:
        match = re.match(_BLOCK_HEADER, header)
        if not match:
            raise _Fallback
        style, chomp = match.groups()
        lines = self.lines
        i = self.i
        body: list[str] = []
        content_indent = -1
        while i < len(lines):
            line = lines[i]
            stripped = line.lstrip(" ")
            if not stripped:
                body.append(line)
                i += 1
                continue
            here = len(line) - len(stripped)
            if content_indent < 0:
                if here <= indent:
                    break
                content_indent = here
            elif here < content_indent:
                break
            body.append(line)
            i += 1
        if content_indent < 0 or chomp == "+":
            raise _Fallback  # keeping trailing newlines depends on how the file ends; leave it to PyYAML
        while body and not body[-1].strip(" "):
            if len(body[-1]) > content_indent:
                raise _Fallback  # trailing spaces are content in a literal block
            body.pop()
        self.i = i
        content = [line[content_indent:] for line in body]
        if style == "|":
            text = "\n".join(content)
        else:
            if any(not line or line.startswith(" ") for line in content):
                raise _Fallback  # folding keeps blank and more-indented lines; leave that to PyYAML
            text = " ".join(content)
        if chomp == "-":
            return text
        return text + "\n"

    def _tag(self, text: str) -> str:
        tag = self.tags.get(text)
        if tag is None:
            import yaml

            resolved = yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
            tag = self.tags[text] = str(resolved)
        return tag


def _closing_single(rest: str) -> int:
    i = 1
    while i < len(rest):
        if rest[i] == "'":
            if rest[i + 1:i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


def _only_comment(tail: str) -> bool:
    stripped = tail.lstrip(" ")
    return not stripped or (stripped.startswith("#") and len(stripped) < len(tail))
