"""The out dir's manifest: which files `generate` wrote there, so it replaces only those.

`generate` owns exactly the files its manifest lists (plus the manifest
itself); anything else in the out dir (a user's `stack/.env`) is never
removed, replaced or judged by `check`. The manifest is deterministic: the
relative `/`-separated paths sorted, each with the sha256 of its bytes, no
timestamps. This module imports only the standard library: `check` reads
the manifest on every commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath

NAME = ".metrics-contract-manifest.json"
# tells a manifest of this tool from any other JSON file that happens to have its name
_WRITER = "metrics-contract generate"


def manifest_text(files: dict[str, bytes]) -> str:
    """The manifest of `files` (relative path -> bytes as written)."""
    listed = {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}
    return json.dumps({"written-by": _WRITER, "files": listed}, indent=2, sort_keys=True) + "\n"


def parse_manifest(data: bytes) -> dict[str, str] | None:
    """The files a manifest lists (relative path -> sha256); None when `data` is not a manifest of this tool.

    Every listed path is relative and stays inside the out dir: a manifest
    that says otherwise is not one `generate` wrote.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):   # RecursionError: nested too deeply for `json`
        return None
    if not isinstance(doc, dict) or doc.get("written-by") != _WRITER or not isinstance(doc.get("files"), dict):
        return None
    listed: dict[str, str] = {}
    for rel, digest in doc["files"].items():
        if not isinstance(digest, str) or not _is_inside(rel) or rel == NAME:
            return None
        listed[rel] = digest
    return listed


def _is_inside(rel: str) -> bool:
    p = PurePosixPath(rel)
    return bool(p.parts) and not p.is_absolute() and ".." not in p.parts and "\\" not in rel and "\x00" not in rel \
        and str(p) == rel
