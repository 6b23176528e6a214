"""Shared by every generator and command: the do-not-edit header, stable serialisation, whole-file writes."""

from __future__ import annotations

import json
import os
import secrets
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


def replace_file(path: str, data: bytes, mode: int | None = None) -> None:
    """`path` holding `data`, written to a temp file beside it and renamed over it: a reader sees the old file
    or the new one, never half of one. `mode`: the new file's permissions (default: 0o666 less the umask, as
    for any file the user creates). An OSError leaves no temp file behind."""
    parent = os.path.dirname(path) or "."
    tmp = ""
    try:
        while True:
            tmp = os.path.join(parent, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)   # O_EXCL: never another's file
                break
            except FileExistsError:
                continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError:
        if tmp and os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def os_reason(exc: OSError) -> str:
    """Why the operating system refused, without the file name (it can be as long as a name from a contract)."""
    return exc.strerror or "the file system refused"
