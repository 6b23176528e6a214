"""Golden files: generated text is compared whole with `tests/golden/<rel_path>`.

`UPDATE_GOLDEN=1` rewrites them instead of comparing; review the diff before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(rel_path: str, text: str) -> None:
    path = GOLDEN / rel_path
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        return
    if not path.is_file():
        pytest.fail(f"golden file tests/golden/{rel_path} is missing; run with UPDATE_GOLDEN=1 to create it")
    # newline="": a golden file whose line endings changed must fail too
    with open(path, encoding="utf-8", newline="") as fh:
        expected = fh.read()
    assert text == expected, f"differs from tests/golden/{rel_path}; UPDATE_GOLDEN=1 rewrites it"
