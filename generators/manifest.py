"""The out dir's manifest: which files `generate` wrote there, so it replaces only those.

`generate` owns exactly the files its manifest lists (plus the manifest
itself); anything else in the out dir (a user's `stack/.env`) is never
removed, replaced or judged by `check`. The manifest is deterministic: the
relative `/`-separated paths sorted, each with the sha256 of its bytes, no
timestamps. This module imports only the standard library: `check` reads
the manifest on every commit.

Files placed outside the out dir (`python`, `grafana`, ... of
`[tool.metrics-contract]`) are owned through the same manifest, under
`placed`, by their project-relative paths. The key is written only when
something is placed, so a manifest without it (every one written before)
means "nothing placed", and an out dir that places nothing keeps the same
bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath
from typing import NamedTuple

NAME = ".metrics-contract-manifest.json"
# tells a manifest of this tool from any other JSON file that happens to have its name
_WRITER = "metrics-contract generate"


class Manifest(NamedTuple):
    files: dict[str, str]    # out-dir-relative path -> sha256
    placed: dict[str, str]   # project-relative path of a file placed outside the out dir -> sha256


def manifest_text(files: dict[str, bytes], placed: dict[str, bytes] | None = None) -> str:
    """The manifest of `files` (relative path -> bytes as written) and the `placed` files (project path -> bytes)."""
    doc = {"written-by": _WRITER, "files": _digests(files)}
    if placed:
        doc["placed"] = _digests(placed)
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _digests(files: dict[str, bytes]) -> dict[str, str]:
    return {rel: hashlib.sha256(data).hexdigest() for rel, data in sorted(files.items())}


def parse_manifest(data: bytes) -> dict[str, str] | None:
    """The files a manifest lists in the out dir (relative path -> sha256); None when `data` is not a manifest of
    this tool."""
    manifest = read_manifest(data)
    return manifest.files if manifest is not None else None


def read_manifest(data: bytes) -> Manifest | None:
    """The files a manifest lists, in the out dir and placed; None when `data` is not a manifest of this tool.

    Every listed path is relative and stays inside the out dir (or, placed,
    the project): a manifest that says otherwise is not one `generate` wrote.
    """
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):   # RecursionError: nested too deeply for `json`
        return None
    if not isinstance(doc, dict) or doc.get("written-by") != _WRITER:
        return None
    files = _listed(doc.get("files"))
    placed = _listed(doc.get("placed", {}))
    if files is None or placed is None or NAME in files:
        return None
    return Manifest(files, placed)


def _listed(table: object) -> dict[str, str] | None:
    if not isinstance(table, dict):
        return None
    listed: dict[str, str] = {}
    for rel, digest in table.items():
        if not isinstance(digest, str) or not _is_inside(rel):
            return None
        listed[rel] = digest
    return listed


def _is_inside(rel: str) -> bool:
    p = PurePosixPath(rel)
    return bool(p.parts) and not p.is_absolute() and ".." not in p.parts and "\\" not in rel and "\x00" not in rel \
        and str(p) == rel
