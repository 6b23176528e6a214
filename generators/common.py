"""Shared by every generator: the do-not-edit header and stable serialisation."""

from __future__ import annotations

import json
from typing import Any

from contract.loader import LoadedContract
from contract.problems import one_line


def marker(lc: LoadedContract) -> str:
    # one_line: a contract path with a newline must not end a generated comment early
    return f"generated from {one_line(lc.file)} (sha256 {lc.sha256}) - do not edit"


def hash_header(lc: LoadedContract) -> str:
    """Header for YAML, Python and other `#`-comment formats."""
    return f"# {marker(lc)}\n"


def json_text(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def is_checked_output(rel: str) -> bool:
    """Whether a file `generate` writes (path relative to the out dir) holds PromQL to check."""
    if rel in ("prometheus/rules.yml", "prometheus/alerts.yml"):
        return True
    return rel.startswith("grafana/") and rel.endswith(".json") and not rel.startswith("grafana/provisioning/")
