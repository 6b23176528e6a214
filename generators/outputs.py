"""Render every output in memory, then swap the finished tree into place.

Generation is all-or-nothing: nothing touches the out dir until every
generator has produced its files, so a failure leaves it as it was. The
out dir is owned through a manifest: `generate` replaces only the files it
wrote there and never touches anything else. Files placed outside the out
dir (generators/placed.py) are owned through the same manifest; every one
of their targets is checked before anything is written.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import PurePosixPath
from typing import NamedTuple

from contract.catalog import Catalog
from contract.loader import LoadedContract, read_bytes
from contract.problems import InputError, Problem, input_error
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from generators import alerts, docs, grafana, manifest, rules, schema, stack, subscriber
from generators.common import is_checked_output, os_reason, replace_file
from generators.manifest import Manifest, manifest_text, read_manifest
from generators.placed import DEFAULT_LAYOUT, Layout


class Sources(NamedTuple):
    """What the outputs depend on besides the contract."""

    dashboards: Sequence[str] = ()          # the configured dashboard sources (`Config.dashboards`)
    layout: Layout = DEFAULT_LAYOUT          # where the stack and what it mounts land (`placed.layout`)


Generator = Callable[[LoadedContract, Sources], dict[str, str]]
# run after GENERATORS, with everything they rendered (the catalogue reads the dashboards)
Derived = Callable[[LoadedContract, dict[str, str]], dict[str, str]]

# ordered; each returns {relative posix path: text}
GENERATORS: list[tuple[str, Generator]] = [
    ("schema", lambda lc, _: schema.generate(lc)),
    ("subscriber", lambda lc, _: subscriber.generate(lc)),
    ("grafana", lambda lc, sources: grafana.generate(lc, sources.dashboards)),
    ("rules", lambda lc, _: rules.generate(lc)),
    ("alerts", lambda lc, _: alerts.generate(lc)),
    ("stack", lambda lc, sources: stack.generate(lc, sources.layout)),
]
DERIVED: list[tuple[str, Derived]] = [
    ("docs", docs.generate),
]


def render_all(lc: LoadedContract, dashboards: Sequence[str] = (), layout: Layout = DEFAULT_LAYOUT
               ) -> dict[str, str]:
    """Every generated file, by its path in the out dir; `dashboards`: the configured dashboard sources
    (`Config.dashboards`); `layout`: where the stack and what it mounts land (`placed.layout`)."""
    files: dict[str, str] = {}
    sources = Sources(dashboards, layout)
    for name, gen in GENERATORS:
        _add(lc, files, name, gen(lc, sources))
    for name, derived in DERIVED:
        _add(lc, files, name, derived(lc, dict(files)))
    return dict(sorted(files.items()))


def check_rendered(lc: LoadedContract, files: dict[str, str], out_dir: str, ignore: tuple[str, ...] = (),
                   where: Mapping[str, str] | None = None) -> list[Problem]:
    """The PromQL checks on the rendered dashboards and rules, named as they will be written (`where`: the
    placed ones' project paths, by out-relative path)."""
    where = where or {}
    sources = [load_source(where.get(rel, f"{out_dir}/{rel}"), text.encode("utf-8")) for rel, text in files.items()
               if is_checked_output(rel)]
    return list(Linter(Catalog.from_contract(lc), ignore).check(sources).problems)


def _add(lc: LoadedContract, files: dict[str, str], generator: str, produced: dict[str, str]) -> None:
    for rel, text in produced.items():
        _check_relative(lc, generator, rel)
        if rel in files:
            raise input_error(lc.file, "generate/conflict", f"generator `{generator}` writes `{rel}` a second time")
        files[rel] = text


def _check_relative(lc: LoadedContract, generator: str, rel: str) -> None:
    # names can come from the contract (a dashboard uid, a service name):
    # nothing may land outside the out dir
    p = PurePosixPath(rel)
    if p.is_absolute() or ".." in p.parts or not p.parts or "\\" in rel or "\x00" in rel:
        raise input_error(lc.file, "generate/unsafe-path",
                          f"generator `{generator}` would write `{rel}`, outside the out dir")


# ── writing the out dir ───────────────────────────────────────────────────
#
# The out dir is owned through its manifest (generators/manifest.py): `write_tree` builds the new tree in a
# temp dir beside the out dir - the generated files, the manifest, and every entry of the old out dir that
# the old manifest does not list (a user's `stack/.env`), hard-linked or copied, so it is untouched - then
# swaps the two trees. Until the swap the old tree is complete and unmodified; after it the new one is. A
# run killed in between leaves a `.out-new-<name>-*` / `.out-old-<name>-*` dir that the next run sweeps.
# Runs take turns (`_locked`), so the dirs swept are only ever those of killed runs.
#
# Placed files (outside the out dir) are listed in the new manifest, so the swap claims them before they
# are written: a run stopped in between leaves files the manifest lists and the next run replaces, never
# files of the tool's that it would refuse as the user's. Each is written to a temp file beside it, then
# renamed over it.

# the package's own source dirs: an out dir holding one of them would replace the tool itself
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_SOURCE_DIRS = ("contract", "dashboards", "generators")
# renameat2(2) from linux/fs.h and fcntl.h: swap two paths in one step
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def write_tree(out_dir: str, files: dict[str, str], contract_file: str = "", placed: Mapping[str, str] | None = None
               ) -> list[str]:
    """Make `out_dir` hold `files` and their manifest, replacing only what an earlier `generate` wrote there,
    and write the `placed` files (project-relative path -> text) where the config places them.

    Refused (an InputError, nothing changed anywhere): an out dir that is not a directory, the current
    directory or one of its parents, a project root, a dir holding `contract_file` or this package's
    source, a non-empty dir without a manifest of this tool, and a placed file's target that is not the
    tool's (`_refuse_placed`). Any OSError while writing the out dir is an InputError too, with the out
    dir as it was. A symlinked out dir is written through: the link stays. Runs on one out dir take
    turns (`_locked`): a second one waits until the first is done.

    Returns the placed files the old manifest lists that are no longer placed: left where they are, they
    are no longer the tool's.
    """
    target = os.path.realpath(out_dir)   # through a symlinked out dir (or parent) to the dir itself
    _refuse_unsafe(out_dir, target, contract_file)
    placed_data = {path: text.encode("utf-8") for path, text in (placed or {}).items()}
    with _locked(out_dir, target):
        owned, listed = _prepare(out_dir, target, placed_data)
        _replace_tree(out_dir, target, files, placed_data, owned)
        for path, data in sorted(placed_data.items()):
            _write_placed(path, data)
    return sorted(set(listed) - set(placed_data))


def write_one(out_dir: str, rel: str, text: str, contract_file: str = "") -> None:
    """Write the generated file `rel` alone into `out_dir` (`metrics-contract docs`), under the rules of
    `write_tree`: into a missing or empty out dir, with a manifest that lists it (so a later `generate` owns
    the out dir), or over the file `rel` of an out dir whose manifest lists it. The manifest of an out dir
    `generate` wrote is left as it is: it lists what `generate` wrote, and `check` compares the files with
    what the contract generates now.
    """
    target = os.path.realpath(out_dir)
    _refuse_unsafe(out_dir, target, contract_file)
    with _locked(out_dir, target):
        owned, _ = _prepare(out_dir, target, {})
        if owned is None or owned == Manifest({}, {}):   # no out dir, or an empty one
            _replace_tree(out_dir, target, {rel: text}, {}, owned)
            return
        if rel not in owned.files:
            shown = os.path.join(out_dir, rel)
            if os.path.lexists(os.path.join(target, rel)):
                raise input_error(shown, "generate/out-dir", "not written by `metrics-contract generate`, but "
                                  "in the way of a file it writes; move it away")
            raise input_error(os.path.join(out_dir, manifest.NAME), "generate/out-dir",
                              f"does not list `{rel}`; run `metrics-contract generate` to write the out dir")
        try:
            replace_file(os.path.join(target, *PurePosixPath(rel).parts), text.encode("utf-8"))
        except OSError as exc:
            raise input_error(os.path.join(out_dir, rel), "generate/write",
                              f"cannot write: {os_reason(exc)}") from None


@contextmanager
def _locked(out_dir: str, target: str) -> Iterator[None]:
    """Hold the lock of the out dir `target` while a run reads and replaces it.

    Two runs on one out dir at once would each sweep the other's temp dir and swap in a tree that lacks
    the user's files. The lock is `flock` on the out dir's parent, which every run on it opens (the out dir
    itself is replaced): no lock file is left anywhere, and a killed run's lock goes with its process.
    Sibling out dirs share the lock. Missing parents are made first, since the lock needs one; they are
    removed again when the run fails.
    """
    parent = os.path.dirname(target)
    created: list[str] = []
    try:
        created = _make_dirs(parent)
        fd = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        _remove_dirs(created)
        raise _write_error(out_dir, exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)   # released when fd is closed
        yield
    except BaseException:
        _remove_dirs(created)
        raise
    finally:
        os.close(fd)


def _write_error(out_dir: str, exc: OSError) -> InputError:
    return input_error(out_dir, "generate/write", f"cannot write the out dir: {os_reason(exc)}; nothing was changed")


def _prepare(out_dir: str, target: str, placed: Mapping[str, bytes]) -> tuple[Manifest | None, Mapping[str, str]]:
    """Under the lock, before anything is written: the out dir put back if a killed run left it aside, its
    manifest (None: no out dir), the placed files that manifest lists, every placed target checked, and the
    temp dirs of killed runs swept."""
    parent = os.path.dirname(target)
    name = os.path.basename(target)
    try:
        _restore_interrupted(parent, name, target)
        owned = _owned(out_dir, target)
        listed = owned.placed if owned is not None else {}
        _refuse_placed(out_dir, target, placed, listed)
        _sweep(parent, name)
    except OSError as exc:
        raise _write_error(out_dir, exc) from None
    return owned, listed


def _replace_tree(out_dir: str, target: str, files: dict[str, str], placed: Mapping[str, bytes],
                  owned: Manifest | None) -> None:
    """Build the new tree beside `target` and swap it in; `owned`: the old out dir's manifest."""
    parent = os.path.dirname(target)
    name = os.path.basename(target)
    try:
        new = _fresh_dir(parent, _temp_prefix("new", name))
        try:
            if owned is not None:
                _carry_over(out_dir, target, new, "", set(owned.files), files, _dirs_of(files))
            _write_files(new, files, dict(placed))
            old = _swap(new, target, parent, name)
        except OSError:
            if not os.path.lexists(new):   # nothing of this run removes it before the swap
                raise input_error(out_dir, "generate/write", f"cannot write the out dir: its temp dir "
                                  f"`{os.path.basename(new)}` was removed while it was written; nothing was "
                                  "changed") from None
            shutil.rmtree(new, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            raise
    except OSError as exc:
        raise _write_error(out_dir, exc) from None
    if old is not None:
        # the swap is done: a tree left here (a read-only dir of the user's) is swept by the next run
        shutil.rmtree(old, ignore_errors=True)


def _refuse_unsafe(out_dir: str, target: str, contract_file: str) -> None:
    """An InputError when replacing `target` could remove what is not generated."""
    def refuse(why: str) -> InputError:
        return input_error(out_dir, "generate/out-dir", f"`{out_dir}` {why}; choose another out dir")

    if os.path.lexists(target) and not os.path.isdir(target):
        raise refuse("is not a directory")
    if _holds(target, os.path.realpath(os.getcwd())):
        raise refuse("is the current directory or one of its parents")
    if any(os.path.lexists(os.path.join(target, marker)) for marker in ("pyproject.toml", ".git")):
        raise refuse("is a project root (it holds `pyproject.toml` or `.git`)")
    if contract_file and _holds(target, os.path.realpath(contract_file)):
        raise refuse(f"holds the contract `{contract_file}`")
    for src in _SOURCE_DIRS:
        if _holds(target, os.path.join(_PACKAGE_ROOT, src)):
            raise refuse(f"holds the source of metrics-contract (`{src}/`)")


def _holds(directory: str, path: str) -> bool:
    """Whether `path` is `directory` or inside it (both absolute, symlinks resolved)."""
    return os.path.commonpath([directory, path]) == directory


def _owned(out_dir: str, target: str) -> Manifest | None:
    """What `generate` wrote, by the existing out dir's manifest; None when there is no out dir."""
    if not os.path.lexists(target):
        return None
    entries = os.listdir(target)
    if not entries:
        return Manifest({}, {})
    shown = os.path.join(out_dir, manifest.NAME)
    if manifest.NAME not in entries:
        raise input_error(out_dir, "generate/out-dir", f"`{out_dir}` is not empty and has no `{manifest.NAME}`, so "
                          "`metrics-contract generate` did not write it; remove it or choose another out dir")
    path = os.path.join(target, manifest.NAME)
    listed = read_manifest(read_bytes(path)) if not os.path.islink(path) else None
    if listed is None:
        raise input_error(shown, "generate/out-dir", "not a manifest written by `metrics-contract generate`; "
                          "remove the out dir or choose another")
    return listed


def _refuse_placed(out_dir: str, out_target: str, placed: Mapping[str, bytes], listed: Mapping[str, str]) -> None:
    """An InputError for the first placed file whose target `generate` may not write (`listed`: the placed
    files of the old manifest, which it owns).

    It writes a file that is missing or that the manifest lists (edited by hand or not), inside the
    project (the working directory), outside the out dir (replaced whole), never through a symlink.
    """
    root = os.path.realpath(os.getcwd())
    shown = os.path.join(out_dir, manifest.NAME)
    for path in sorted(placed):
        def refuse(why: str, where: str = path) -> InputError:
            return input_error(where, "generate/placed", why)

        parent = os.path.dirname(path) or "."
        real = os.path.join(os.path.realpath(parent), os.path.basename(path))
        if not _holds(root, real):
            raise refuse("escapes the project through a symlinked parent directory; `metrics-contract generate` "
                         "writes placed files only inside it")
        if _holds(out_target, real):
            raise refuse(f"is inside the out dir `{out_dir}`, which `metrics-contract generate` replaces whole; "
                         "place it elsewhere or leave its key out of `[tool.metrics-contract]`")
        while not os.path.lexists(parent):   # the nearest existing dir is where the missing ones are made
            parent = os.path.dirname(parent) or "."
        if not os.path.isdir(parent):
            raise refuse("is not a directory, so no generated file can be placed below it", parent)
        if not os.access(parent, os.W_OK | os.X_OK):
            raise refuse("cannot be written: permission denied", parent)
        try:
            mode: int | None = os.lstat(path).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:   # a name too long, ...: found now, not once the out dir is written
            raise refuse(f"cannot be written: {os_reason(exc)}") from None
        if mode is None:
            continue
        if stat.S_ISLNK(mode):
            raise refuse("is a symlink; `metrics-contract generate` writes placed files only as regular files, "
                         "never through a link")
        if stat.S_ISDIR(mode):
            raise refuse("is a directory where `metrics-contract generate` places a generated file; move it away")
        if not stat.S_ISREG(mode):
            raise refuse("is not a regular file; `metrics-contract generate` replaces only the files it wrote")
        if path not in listed:
            raise refuse(f"not written by `metrics-contract generate` (`{shown}` does not list it), but where "
                         "it places a generated file; move it away or place the output elsewhere")


def _write_placed(path: str, data: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        replace_file(path, data)
    except OSError as exc:
        raise input_error(path, "generate/write", f"cannot write: {os_reason(exc)}; the out dir and its manifest "
                          "are written, run `metrics-contract generate` again once this is fixed") from None


def _temp_prefix(kind: str, name: str) -> str:
    # named after the out dir, so that sibling out dirs never sweep each other's; a long name by its hash
    # (a file name has at most 255 bytes)
    if len(os.fsencode(name)) > 64:
        name = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
    return f".out-{kind}-{name}-"


def _temp_dirs(parent: str, kind: str, name: str) -> list[str]:
    """The temp dirs of `kind` that runs for the out dir `name` left in `parent`."""
    prefix = _temp_prefix(kind, name)
    try:
        names = os.listdir(parent)
    except FileNotFoundError:
        return []
    # exactly the prefix and a token: `.out-old-out-*` must not take `.out-old-out-2-*` of out dir `out-2`
    return sorted(os.path.join(parent, n) for n in names if n.startswith(prefix) and len(n) == len(prefix) + 8)


def _fresh_dir(parent: str, prefix: str) -> str:
    """A new empty dir `parent/prefix<token>`; os.mkdir, unlike mkdtemp's 0o700, follows the umask."""
    while True:
        path = os.path.join(parent, prefix + secrets.token_hex(4))
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue


def _restore_interrupted(parent: str, name: str, target: str) -> None:
    """Put back the out dir that a run killed between the two renames of the fallback swap moved aside."""
    old = _temp_dirs(parent, "old", name)
    # each run restores before it swaps, so at most one such tree exists while the out dir is missing
    if old and not os.path.lexists(target):
        os.rename(old[0], target)


def _sweep(parent: str, name: str) -> None:
    """Remove the temp dirs of earlier killed runs: a new tree never swapped in, an old one never removed."""
    for path in _temp_dirs(parent, "new", name) + _temp_dirs(parent, "old", name):
        shutil.rmtree(path, ignore_errors=True)


def _make_dirs(path: str) -> list[str]:
    """Create `path` and its missing parents; the ones created, outermost first. A dir another run made
    meanwhile is taken as it is."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = os.path.dirname(path)
    created = []
    for d in reversed(missing):
        try:
            os.mkdir(d)
        except FileExistsError:
            continue
        created.append(d)
    return created


def _make_below(root: str, *parts: str) -> None:
    """Make the dir `root/parts...` and its missing parents below `root`, never `root` itself: a temp dir
    removed while it is built then fails the run (FileNotFoundError), where os.makedirs would make it again,
    holding only part of the new tree."""
    path = root
    for part in parts:
        path = os.path.join(path, part)
        try:
            os.mkdir(path)
        except FileExistsError:
            continue


def _remove_dirs(created: list[str]) -> None:
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            return


def _dirs_of(files: dict[str, str]) -> set[str]:
    """Every dir (relative, `/`-separated) that holds a generated file."""
    return {str(parent) for rel in files for parent in PurePosixPath(rel).parents if str(parent) != "."}


def _carry_over(out_dir: str, src: str, root: str, rel: str, owned: set[str], files: dict[str, str],
                generated_dirs: set[str]) -> None:
    """Link (or copy) into the new tree `root` every entry under `src` (the old tree's dir `rel`, "" or ending
    in `/`) that `generate` did not write, as it is."""
    dirs = rel.split("/")[:-1]
    dst = os.path.join(root, *dirs)
    with os.scandir(src) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        path = rel + entry.name
        is_dir = entry.is_dir(follow_symlinks=False)
        if not is_dir and (path == manifest.NAME or path in owned):
            continue   # generate's own: replaced by the new file, or gone when no longer generated
        if path in files or (not is_dir and path in generated_dirs):
            raise input_error(os.path.join(out_dir, path), "generate/out-dir",
                              "not written by `metrics-contract generate`, but in the way of a file it writes; "
                              "move it away")
        target = os.path.join(dst, entry.name)
        if is_dir:
            _carry_over(out_dir, entry.path, root, path + "/", owned, files, generated_dirs)
            # the user's own dir (empty ones too): its mode and times kept; a dir that held only files generate
            # no longer writes (an artefact now placed outside the out dir) goes with them
            kept = os.path.lexists(target) or not os.listdir(entry.path)
            if path not in generated_dirs and kept:
                _make_below(root, *dirs, entry.name)
                shutil.copystat(entry.path, target, follow_symlinks=False)
            continue
        _make_below(root, *dirs)
        try:
            # a hard link is the same file: nothing about it changes, and it costs no copy
            os.link(entry.path, target, follow_symlinks=False)
        except OSError:
            # another file system, or a file the user may not link (fs.protected_hardlinks)
            if entry.is_symlink():
                os.symlink(os.readlink(entry.path), target)
            else:
                shutil.copy2(entry.path, target)


def _write_files(root: str, files: dict[str, str], placed: dict[str, bytes]) -> None:
    data = {rel: text.encode("utf-8") for rel, text in files.items()}
    data[manifest.NAME] = manifest_text(data, placed).encode("utf-8")
    for rel, content in data.items():
        parts = PurePosixPath(rel).parts
        _make_below(root, *parts[:-1])
        dest = os.path.join(root, *parts)
        with open(dest, "wb") as fh:
            fh.write(content)


def _swap(new: str, target: str, parent: str, name: str) -> str | None:
    """Put the tree `new` at `target`; the path now holding the old tree, None when there was none."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return None
    if _exchange(new, target):
        return new
    # no atomic exchange here: two renames, the first undone when the second fails; a run killed between
    # them leaves the out dir missing and its tree in `.out-old-*`, which the next run puts back
    old = _fresh_dir(parent, _temp_prefix("old", name))
    try:
        os.rename(target, old)   # a dir may replace an empty dir
    except BaseException:
        os.rmdir(old)
        raise
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    return old


def _exchange(a: str, b: str) -> bool:
    """Swap the paths `a` and `b` in one step (Linux renameat2 RENAME_EXCHANGE); False when unavailable.

    A plain ctypes call into the C library: os has no binding for renameat2.
    """
    if sys.platform != "linux":
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:   # a C library without it (glibc < 2.28)
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):   # a kernel or file system without it
        return False
    raise OSError(err, os.strerror(err), b)
