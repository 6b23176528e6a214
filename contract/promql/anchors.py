"""Where a string of a file was written: offsets in an expression -> file line and column.

Python's JSON parser keeps no positions, and most expressions never need
one: `JsonString` finds where a value is written only when a problem is
reported, by scanning the file for that key with that value and taking the
n-th such occurrence in document order (the dashboard reader walks the
dashboard in document order, noting each string it anchors). `YamlScalar`
starts from the position the YAML reader recorded and walks the scalar as
written: plain, quoted, or a `|`/`>` block.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator

from contract.loader import Path, SourceMap


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
                    decoded = json.loads(match.group(1))
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
    """The YAML scalar at `path` in a document: plain, quoted, or a `|`/`>` block."""

    __slots__ = ("index", "smap", "path")

    def __init__(self, index: TextIndex, smap: SourceMap, path: Path) -> None:
        self.index = index
        self.smap = smap
        self.path = path

    def position(self, offset: int) -> tuple[int, int]:
        lines = self.index.lines
        at = self.smap.position(self.path) or (1, 1)
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
