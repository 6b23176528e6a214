"""`out/contract.schema.json`: the contract's JSON Schema, for editor completion."""

from __future__ import annotations

from pydantic import TypeAdapter

from contract.loader import LoadedContract
from contract.model import Contract
from generators.common import json_text, marker


def generate(lc: LoadedContract) -> dict[str, str]:
    schema = TypeAdapter(Contract).json_schema(by_alias=True)
    schema["$comment"] = marker(lc)
    schema["title"] = "metrics-contract"
    return {"contract.schema.json": json_text(schema)}
