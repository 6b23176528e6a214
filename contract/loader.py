"""Load a contract file: YAML with positions, then the pydantic model.

Every failure becomes an `InputError` whose problems point at `file:line:col`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from contract.model import Contract
from contract.problems import InputError, Problem, input_error
from contract.yamlsrc import Path, SourceMap, load_yaml, read_text

if TYPE_CHECKING:
    from contract.problems import Severity


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
