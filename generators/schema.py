"""`out/contract.schema.json`: the contract's JSON Schema, for editor completion."""

from __future__ import annotations

from contract.loader import LoadedContract
from contract.model import Contract
from generators.common import dump_json, marker


def generate(lc: LoadedContract) -> dict[str, str]:
    schema = Contract.model_json_schema(by_alias=True)
    schema["$comment"] = marker(lc)
    schema["title"] = "metrics-contract"
    return {"contract.schema.json": dump_json(schema)}
