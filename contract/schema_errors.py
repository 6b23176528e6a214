"""The contract model's validation errors, one sentence each, for whoever wrote the YAML.

pydantic reports where it failed as a `loc` of model, union-member and
validator names mixed with the document's keys, and says what failed in its
own words ("input should be a valid dictionary or instance of Label"). Here
each error becomes a problem located at its YAML node that names the place
as a reader of the contract would (`metric `svc_requests` label 1`), says
what is expected there, and suggests the nearest known key or value when a
name was mistyped. What is expected is read from the model's annotations,
so a new field needs no new message.
"""

from __future__ import annotations

import difflib
import inspect
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from contract.loader import Path, SourceMap
from contract.model import Contract, Guard, Label, LabelSource, Metric, ValueSpec
from contract.problems import Problem

CHECK = "contract/schema"

# lists of mappings: the word for one item and the keys that name it
_ITEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "metrics": ("metric", ("name",)), "labels": ("label", ("name",)), "events": ("event", ("event",)),
    "ops": ("op", ()), "spans": ("span", ("name",)), "end": ("end", ("event",)), "rules": ("rule", ("record", "alert")),
    "map": ("map range", ()),
}
# lists of scalars and mappings keyed by name: the word for one entry
_SCALAR_ITEMS = {"values": "value", "buckets": "bucket", "exposition": "exposition path"}
_KEYED = {"labels": "label", "attributes": "attribute", "annotations": "annotation", "map": "map entry"}
# what a value of an enumerated field (model, key) is called, with its article
_KINDS: dict[tuple[type[BaseModel], str], str] = {
    (Metric, "type"): "a metric type", (Contract, "exposition"): "an exposition path",
    (Contract, "contract"): "a contract version",
}
# shapes a newcomer recognises faster than a list of keys
_EXAMPLES: dict[type[BaseModel], str] = {
    ValueSpec: "a number or a mapping like `{field: latency_ms, scale: 0.001}`",
    LabelSource: "a mapping like `{field: mode}` or `{value: vec}`",
    Guard: "a mapping like `{field: accepted, gt: 0}`",
}
_HINTS: dict[tuple[type[BaseModel], str], str] = {
    (Metric, "unit"): "an OpenTelemetry unit such as `s`, `By`, `1` or `{request}`",
}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_TYPE_ERRORS = frozenset({
    "model_type", "model_attributes_type", "dict_type", "tuple_type", "list_type", "string_type", "int_type",
    "int_parsing", "int_from_float", "float_type", "float_parsing", "bool_type", "bool_parsing", "none_required",
})
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
           "greater_than": ("gt", "more than"), "less_than": ("lt", "less than")}


def problems(exc: ValidationError, smap: SourceMap, raw: object, *, model: type[BaseModel] = Contract,
             check: str = CHECK) -> list[Problem]:
    """One located problem per place the document `raw` fails `model` (the contract's, unless another
    document's model is given), in pydantic's order."""
    errors = [(err, _document_path(err["loc"], raw)) for err in exc.errors(include_url=False)]
    # a misspelt key is also a missing one: `unknown key `evnt`; did you mean `event`?` says both
    misspelt = {path[:-1] + (near,) for err, path in errors if err["type"] == "extra_forbidden"
                for near in _nearest(str(path[-1]), _keys(_annotation_at(model, path[:-1])))}
    out: list[Problem] = []
    seen: set[Path] = set()
    for err, path in errors:
        # A list whose items all failed is also "too short after validation": its items say why.
        if err["type"] == "too_short" and any(p[:len(path)] == path and p != path for _, p in errors):
            continue
        if err["type"] == "missing" and path in misspelt:
            continue
        if path in seen:   # the members of a union each fail at the same place; the first one says it
            continue
        seen.add(path)
        message, at, key = _sentence(err, path, smap, raw, model)
        line, column = smap.locate(at, key=key)
        out.append(Problem(file=smap.file, line=line, column=column, check=check, message=message))
    return out


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


def _sentence(err: ErrorDetails, path: Path, smap: SourceMap, raw: object,
              model: type[BaseModel]) -> tuple[str, Path, bool]:
    """(message, the path to locate it at, whether at the key rather than the value)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err["input"]
    annotation = _annotation_at(model, path)
    if kind == "extra_forbidden":
        key = path[-1]
        known = _keys(_annotation_at(model, path[:-1]))
        near = _nearest(str(key), known)
        hint = f"; did you mean `{near[0]}`?" if near else f" (known: {', '.join(known)})"
        return f"unknown key `{key}` in {_owner(path[:-1], raw)}{hint}", path, True
    if kind == "missing":
        field = str(path[-1])
        what = _HINTS.get((_unwrap(_annotation_at(model, path[:-1])), field)) or _expected(annotation)
        return f"{_owner(path[:-1], raw)} needs `{field}` ({what})", path[:-1], False
    subject = _subject(path, raw)
    if kind == "literal_error" and not isinstance(value, (list, dict)):
        allowed = [str(v) for v in get_args(_unwrap(annotation))]
        # the field is the last key of the path: `exposition[0]` is a value of `exposition`
        at = max((i for i, p in enumerate(path) if isinstance(p, str)), default=0)
        what = _KINDS.get((_unwrap(_annotation_at(model, path[:at])), str(path[at]) if path else ""),
                          f"a valid {subject}")
        if str(value) in allowed:   # `contract: "1"`: the right word, quoted into a string
            return f"{subject} must be {_expected(annotation)}, not the string `\"{value}\"`", path, False
        near = _nearest(str(value), allowed)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        return f"`{_text(value, smap, path)}` is not {what}{hint} (known: {', '.join(allowed)})", path, False
    if kind in _TYPE_ERRORS or kind == "literal_error":
        return _wrong_type(subject, annotation, value, smap, path), path, False
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return f"{subject} must be {words} {ctx.get(bound)}, not `{_text(value, smap, path)}`", path, False
    if kind == "finite_number":
        return f"{subject} must be a finite number, not `{_text(value, smap, path)}`", path, False
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"{subject} needs at least {n} item{'s' if n != 1 else ''}", path, False
    if kind == "string_too_short":
        return f"{subject} must not be empty", path, False
    return f"{subject}: {_pydantic_message(err)}" if path else _pydantic_message(err), path, False


def _nearest(word: str, known: list[str]) -> list[str]:
    """The one known word `word` is most likely a misspelling of, if any."""
    return difflib.get_close_matches(word, known, n=1)


def _wrong_type(subject: str, annotation: Any, value: object, smap: SourceMap, path: Path) -> str:
    inner = _unwrap(annotation)
    if inner is Label and not isinstance(value, dict):
        # `labels: [method, status]`: names where mappings belong; the example takes the item's own word
        # when it could be a label name
        name = value if isinstance(value, str) and _WORD.fullmatch(value) else "mode"
        return f"{subject} is {_shown(value, smap, path)}; labels are mappings like `{{name: {name}}}`"
    message = f"{subject} must be {_expected(annotation)}, not {_shown(value, smap, path)}"
    if inner is str and isinstance(value, (bool, int, float)):
        # YAML reads `1`, `200` or `yes` as a number or a boolean unless quoted
        message += f"; quote it: `\"{_text(value, smap, path)}\"`"
    elif get_origin(inner) in (tuple, list) and _fits(get_args(inner)[0], value):
        # as written, quotes and all: `"200"` is a string where `200` is a number
        message += f"; a list of one is written `[{smap.scalar(path) or _text(value, smap, path)}]`"
    return message


def _fits(item: Any, value: object) -> bool:
    """Whether a scalar given where a list belongs would be a valid item of it."""
    item = _unwrap(item)
    if get_origin(item) is Literal:
        return value in get_args(item)
    if item is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return item is str and isinstance(value, str)


# ── the model's annotations along a document path ─────────────────────────


def _annotation_at(model: type[BaseModel], path: Path) -> Any:
    """The annotation that validates the value at `path` of a `model` document, or None where it has no such
    place."""
    annotation: Any = model
    for part in path:
        annotation = _member(_unwrap(annotation), part)
        origin = get_origin(annotation)
        if _is_model(annotation):
            field = next((f for name, f in annotation.model_fields.items() if (f.alias or name) == part), None)
            if field is None:
                return None
            annotation = field.annotation
        elif origin in (tuple, list) and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif origin is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    return annotation


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> `X`."""
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _member(annotation: Any, part: str | int) -> Any:
    """Inside `Annotated[...]`, and of a union of a mapping and a list (a label's `map:`), the member a part of
    the document reaches: an index a list, a key a mapping."""
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        wanted = (tuple, list) if isinstance(part, int) else (dict,)
        for member in get_args(annotation):
            inner = get_args(member)[0] if get_origin(member) is Annotated else member
            if get_origin(inner) in wanted:
                return inner
    return annotation


def _is_model(annotation: Any) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def _keys(annotation: Any) -> list[str]:
    annotation = _unwrap(annotation)
    if not _is_model(annotation):
        return []
    return [f.alias or name for name, f in annotation.model_fields.items()]


def _expected(annotation: Any) -> str:
    """What a value of `annotation` looks like, in words."""
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if annotation is str:
        return "a string"
    if annotation is bool:
        return "`true` or `false`"
    if annotation is int:
        return "a whole number"
    if annotation is float:
        return "a number"
    if origin is Literal:
        values = [str(v) for v in get_args(annotation)]
        return f"`{values[0]}`" if len(values) == 1 else "one of " + ", ".join(values)
    if origin in (tuple, list):
        return "a list of " + _plural(get_args(annotation)[0])
    if origin is dict:
        return "a mapping of names to " + _plural(get_args(annotation)[1])
    if _is_model(annotation):
        if annotation in _EXAMPLES:
            return _EXAMPLES[annotation]
        required = [f"`{f.alias or name}`" for name, f in annotation.model_fields.items() if f.is_required()]
        if not required:
            return "a mapping"
        return "a mapping with " + _joined(required)
    return "a valid value"


def _plural(annotation: Any) -> str:
    annotation = _unwrap(annotation)
    words = {str: "strings", float: "numbers", int: "whole numbers", bool: "booleans"}
    if annotation in words:
        return words[annotation]
    if get_origin(annotation) is Literal:
        return "names among " + _joined([str(v) for v in get_args(annotation)])
    if annotation is Label:
        return "mappings like `{name: mode}`"
    return "mappings"


def _joined(words: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


# ── naming a place as a reader would ────────────────────────────────────────


def _subject(path: Path, raw: object) -> str:
    """`value 2 of metric `svc_requests` label `code``, `` `scale` of `add` of event `Done` op 1``."""
    groups: list[str] = []
    chained = False   # whether the last group is a chain of items that a following item extends
    node: Any = raw
    i = 0
    while i < len(path):
        part = path[i]
        nxt = path[i + 1] if i + 1 < len(path) else None
        child = node.get(part) if isinstance(node, dict) else None
        if isinstance(part, str) and isinstance(nxt, int) and part in _ITEMS and isinstance(child, list):
            word, name_keys = _ITEMS[part]
            item = child[nxt] if 0 <= nxt < len(child) else None
            name = next((item[k] for k in name_keys if isinstance(item, dict) and isinstance(item.get(k), str)
                         and item[k]), None)
            segment = f"{word} `{name}`" if name else f"{word} {nxt + 1}"
            node, i, extends = item, i + 2, True
        elif isinstance(part, str) and isinstance(nxt, int) and part in _SCALAR_ITEMS:
            segment, node, i, extends = f"{_SCALAR_ITEMS[part]} {nxt + 1}", None, i + 2, False
        elif isinstance(part, str) and isinstance(nxt, (str, int)) and part in _KEYED and isinstance(child, dict):
            segment, node, i, extends = f"{_KEYED[part]} `{nxt}`", child.get(nxt), i + 2, True
        elif isinstance(part, int):
            segment, node, i, extends = f"item {part + 1}", None, i + 1, False
        else:
            segment, node, i, extends = f"`{part}`", child, i + 1, False
        if extends and chained:
            groups[-1] += " " + segment
        else:
            groups.append(segment)
        chained = extends
    return " of ".join(reversed(groups))


def _owner(path: Path, raw: object) -> str:
    return _subject(path, raw) if path else "the contract"


def _text(value: object, smap: SourceMap, path: Path) -> str:
    """A scalar as its author recognises it: a string as it is, a number or a boolean as the YAML spells it
    (`yes`, `1.0`)."""
    written = smap.scalar(path)
    if written is not None and not isinstance(value, str):
        return _short(written)
    if isinstance(value, bool):
        return "true" if value else "false"
    return _short(str(value))


def _shown(value: object, smap: SourceMap, path: Path) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "an empty value"
    text = _text(value, smap, path)
    if isinstance(value, bool):
        return f"the boolean `{text}`"
    if isinstance(value, (int, float)):
        return f"the number `{text}`"
    return f"`{text}`"


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _pydantic_message(err: ErrorDetails) -> str:
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ").replace("\n", " ")
    return msg[:1].lower() + msg[1:]
