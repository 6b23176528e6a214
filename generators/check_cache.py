"""Replaying an unchanged `metrics-contract check`: its last output, without importing the checker.

`check` runs on every commit, and often nothing it reads has changed since
it last ran with the same arguments in the same directory. An entry records
one run: its arguments and working directory, the code it ran
(`contract.cachebase.code_state`), the bytes of every file it read (`None`
for a file it looked for and did not find), the file list of every
directory it walked, its output and its exit code. `replay` compares all of
that with what is on disk now and, when nothing differs, prints the
recorded output; any difference (a byte of any input, a file added to the
out dir, an edited source file, other arguments) is a miss, and the run
goes ahead and ends in `record`. Bytes are compared rather than hashes: no
`hashlib` to import, no collisions, and an entry is only as big as the files
it checked. There is one entry per working directory and arguments, so
edits replace entries instead of piling them up.

Entries are `marshal` data in the directory of the contract cache, used
under the same rule (ours alone). Runs that end in bad input (exit code 2)
or run with `--no-cache` are not recorded.
"""

from __future__ import annotations

import os
import sys

from contract.cachebase import cache_dir, code_state, load_entry, slot, store_entry

FORMAT = 1   # bump when the entry's shape changes


def replay(argv: list[str]) -> int | None:
    """Print the recorded output of `check argv` and return its exit code, if nothing it read has changed."""
    entry = load_entry(cache_dir(), _entry_name(argv))
    try:
        fmt, cwd, args, code, inputs, trees, out, err, status = entry
    except (ValueError, TypeError):
        return None   # no entry, or one this version cannot read: a miss
    if fmt != FORMAT or cwd != os.getcwd() or args != argv or code != code_state():
        return None
    for tree, files in trees.items():
        if walk_files(tree) != files:
            return None
    for path, data in inputs.items():
        if not _unchanged(path, data):
            return None
    sys.stdout.write(out)
    sys.stderr.write(err)
    return int(status)


def record(argv: list[str], inputs: dict[str, bytes | None], trees: dict[str, list[str]], out: str, err: str,
           status: int) -> None:
    """Store the entry of a finished run that read exactly `inputs` (file -> bytes) and listed `trees`."""
    store_entry(cache_dir(), _entry_name(argv), (FORMAT, os.getcwd(), argv, code_state(), inputs, trees, out, err,
                                                 status))


def walk_files(directory: str) -> list[str]:
    """Every file under `directory`, as `/`-separated relative paths, in a stable order (none if it is missing)."""
    found: list[str] = []
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        rel = os.path.relpath(root, directory).replace(os.sep, "/")   # once per directory, not per file
        prefix = "" if rel == "." else rel + "/"
        found.extend(prefix + name for name in sorted(names))
    return found


def _unchanged(path: str, recorded: bytes | None) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read() == recorded
    except OSError:
        return recorded is None and not os.path.exists(path)


def _entry_name(argv: list[str]) -> str:
    # the entry itself holds the working directory and the arguments
    return f"check-{slot(argv)}.marshal"
