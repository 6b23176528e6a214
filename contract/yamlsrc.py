"""YAML to plain Python values, keeping where every key and value came from.

PyYAML's own constructors lose positions, accept duplicate keys and expand
aliases without limit. Here the document is composed into nodes (with the C
parser when present) and converted by hand, so every value has a
`file:line:col`, a repeated key is an error, and alias expansion is capped.
"""

from __future__ import annotations

from contract.problems import input_error

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    from typing import Any

Path = tuple[str | int, ...]


class SourceMap:
    """Positions (1-based line, column) of values and of mapping keys by path."""

    __slots__ = ("file", "values", "keys")

    def __init__(self, file: str, values: dict[Path, tuple[int, int]] | None = None,
                 keys: dict[Path, tuple[int, int]] | None = None) -> None:
        self.file = file
        self.values = {} if values is None else values
        self.keys = {} if keys is None else keys

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
    # PyYAML is imported on first use: its import compiles large regular
    # expressions, which would dominate a `check` run that needs no YAML
    from contract.yamlnodes import load

    return load(file, text)
