"""`metrics-contract check [CONTRACT] [FILE ...]`: dashboards and rule files against the contract.

With FILEs, checks the contract itself and every PromQL expression in
them (Grafana dashboard JSON, or a Prometheus rule file: YAML, JSON or
Kubernetes `PrometheusRule` resources; told apart by content). Every FILE
is read: one that cannot be (not found, not JSON or YAML, of another kind)
is an error line among the others' problems, in every format, and the exit
code is then 2; only when no FILE can be read is that bad input alone (its
lines on stderr, exit 2). Without, checks the out
dir: every `*.json` under `grafana/` (provisioning excluded) and
`prometheus/rules.yml`, plus the contract's own checks, plus freshness:
the files `metrics-contract generate` owns in the out dir (its manifest's)
must be exactly what it would write (`check/stale-output` per differing,
missing or no longer generated file; other files are never judged; nothing
is rewritten). Files the config places outside the out dir (`python`,
`grafana`, ... of `[tool.metrics-contract]`) are judged alike, named by
their project-relative paths, and the placed dashboards and rules are
checked where they are.

The recording rules `generate` writes from the contract are known with
FILEs too, so a panel may select them whether or not their rule file is
among those checked (none while the contract has errors: `generate` would
write nothing); in the out dir, its rule file records them.

The first argument is the contract when it ends in `.yaml` or `.yml` and
has a top-level `contract:` key; otherwise every argument is a file to check
and the contract comes from `[tool.metrics-contract]` (else the embedded
qortex contract). A rule file never has a top-level `contract:` key, so the
two cannot be confused.

The flow: resolve the inputs, load the contract (`contract.cache`: the
validated contract is cached), lint, report.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence

from contract.cache import ContractCache, Validated, files_digest, validated
from contract.catalog import RecordedRule
from contract.loader import read_bytes
from contract.problems import FORMATS, InputError, Problem, exit_code, render
from contract.promql.expression import Source
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from contract.promql.usage import metric_users, unused_metrics
from generators import manifest, placed
from generators.common import is_checked_output
from generators.config import Config, resolve_contract
from generators.manifest import manifest_text, parse_manifest, read_manifest

_CONTRACT_KEY = re.compile(rb"^contract[ \t]*:", re.MULTILINE)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="[CONTRACT] FILE",
                        help="contract YAML (optional, first), then dashboards and rule files (default: the out dir)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--strict", action="store_true", help="warnings also exit 1")
    parser.add_argument("--out", help="out dir to check when no FILE is given (default: from "
                        "[tool.metrics-contract], else out/)")
    parser.add_argument("--no-cache", action="store_true", help="validate the contract even if it is unchanged")


def contract_bytes(path: str) -> bytes | None:
    """The bytes of `path` if it is a contract (a `.yaml`/`.yml` file with a top-level `contract:` key)."""
    if not path.endswith((".yaml", ".yml")) or not os.path.isfile(path):
        return None
    data = read_bytes(path)
    return data if _CONTRACT_KEY.search(data) else None


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    paths = list(args.paths)
    data = contract_bytes(paths[0]) if paths else None
    contract_file = resolve_contract(paths.pop(0) if data is not None else None, config)
    contract = validated(contract_file, ContractCache(enabled=not args.no_cache), data)
    own = [p for p in contract.problems if p.check not in config.ignore]   # the contract's, judged first
    problems: list[Problem] = []
    unread: list[Problem] = []   # the FILEs that could not be read, reported beside the others' problems
    out_dir = args.out or config.out
    if paths:
        sources, unread = _read_sources(paths)
        known = generated_rules(contract)
    else:
        tree = read_out(out_dir)
        placed_tree = read_placed(tree)
        if not exit_code(contract.problems):
            problems.extend(stale_outputs(contract, out_dir, tree, config, placed_tree))
        sources = _load_sources(checked_files(out_dir, tree, config, placed_tree))
        known = ()   # the out dir's rule file, among the sources, records them
    report = Linter(contract.catalog, config.ignore, rules=known).check(sources)
    problems.extend(report.problems)
    if not paths:  # the whole out dir: a metric nothing queries is worth a warning
        users = metric_users(contract.catalog, sources)
        problems.extend(unused_metrics(contract_file, contract.data.decode("utf-8", "replace"), contract.catalog,
                                       users))
    problems = [p for p in problems if p.check not in config.ignore] + unread
    if paths and args.format != "json":   # with FILEs, the contract's problems are printed before theirs
        sys.stdout.write(render(own, args.format) + render(problems, args.format))
    else:   # JSON is one document; the out dir's files sort with the contract among them
        sys.stdout.write(render(own + problems, args.format))
    if args.format == "text":
        note = f" ({report.skipped} non-Prometheus queries skipped)" if report.skipped else ""
        if unread:
            note += f"; {len({p.file for p in unread})} of the files could not be read"
        sys.stderr.write(f"checked {report.expressions} expressions in {report.files} files{note}\n")
    return 2 if unread else exit_code(own + problems, args.strict)


def generated_rules(contract: Validated) -> tuple[RecordedRule, ...]:
    """The recording rules `generate` writes from `contract`, in its rule file's order; none while the contract has
    errors, since `generate` then writes nothing."""
    if exit_code(contract.problems):
        return ()
    # here, not at the top: building the model is what a run with FILEs pays for these alone
    from generators.rules import rule_groups

    try:
        groups = rule_groups(contract.loaded())
    except InputError:   # what `generate` would refuse as well
        return ()
    return tuple(RecordedRule(rule["record"], rule["expr"], tuple(rule.get("labels", ())))
                 for group in groups for rule in group["rules"] if "record" in rule)


def _read_sources(paths: Sequence[str]) -> tuple[list[Source], list[Problem]]:
    """The sources of the FILEs `paths`, and the problems of those that cannot be read (bad input).

    Each file is read on its own, so one bad file never hides the others' problems. When none can be read there
    is nothing to check: that is bad input as a whole (`InputError`, every file's lines).
    """
    sources = []
    unread: list[Problem] = []
    for path in paths:
        try:
            sources.append(load_source(path))
        except InputError as exc:
            unread.extend(exc.problems)
    if unread and not sources:
        raise InputError.many(unread)
    return sources, unread


def _load_sources(files: Sequence[tuple[str, bytes | None]]) -> list[Source]:
    """Sources of `files` (path, bytes when read already, else None); every bad file reported at once."""
    sources = []
    errors: list[Problem] = []
    for path, data in files:
        try:
            sources.append(load_source(path, data))
        except InputError as exc:
            errors.extend(exc.problems)
    if errors:
        raise InputError.many(errors)
    return sources


def read_placed(tree: dict[str, bytes]) -> dict[str, bytes]:
    """The placed files that the manifest in `tree` (read by `read_out`) lists (project path -> bytes), sorted.

    A listed file that is missing, or is no longer a regular file, is left out: `generate` would write it
    or refuse, and `stale_outputs` reports it.
    """
    listed = read_manifest(tree[manifest.NAME]) if manifest.NAME in tree else None
    if listed is None:
        return {}
    return {path: read_bytes(path) for path in sorted(listed.placed) if _is_regular(path)}


def checked_files(out_dir: str, tree: dict[str, bytes], config: Config, placed_tree: dict[str, bytes]
                  ) -> list[tuple[str, bytes]]:
    """The dashboards and rule files whose PromQL is checked: the out dir's (named under `out_dir`) among `tree`
    (`read_out`), then the placed ones among `placed_tree` (`read_placed`)."""
    checked = [(os.path.join(out_dir, *rel.split("/")), data) for rel, data in tree.items() if is_checked_output(rel)]
    return checked + list(checked_placed(config, placed_tree).items())


def checked_placed(config: Config, placed_tree: dict[str, bytes]) -> dict[str, bytes]:
    """The placed dashboards and rule files among `placed_tree` (by what the config places where they are)."""
    return {path: data for path, data in placed_tree.items()
            if (rel := placed.origin(config, path)) is not None and is_checked_output(rel)}


def _is_regular(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def rendered_outputs(contract: Validated, out: str, config: Config) -> dict[str, str]:
    """What `generate` writes from `contract` into `out` (relative path -> text), from its cache entry when that
    holds them as rendered with the same dashboard files and layout."""
    layout = placed.layout(config, out)
    # what the outputs are rendered from besides the contract: the configured dashboard files, and the layout
    # the stack mounts the other outputs by
    sources = files_digest(config.dashboards) + ("" if layout == placed.DEFAULT_LAYOUT else "\0" + "\0".join(layout))
    rendered = contract.outputs(sources)
    if rendered is None:
        # here, not at the top: rendering builds the model (pydantic) and imports grafanalib, which a run whose
        # cache entry holds the outputs never needs
        from generators.outputs import render_all

        rendered = render_all(contract.loaded(), config.dashboards, layout)
        contract.keep_outputs(rendered, sources)
    return rendered


def stale_outputs(contract: Validated, out: str, actual: dict[str, bytes], config: Config,
                  placed_actual: dict[str, bytes] | None = None) -> list[Problem]:
    """`check/stale-output` for every file `generate` owns in `out` (read into `actual`) or places elsewhere
    (read into `placed_actual`) that it would write otherwise (`rendered_outputs`).

    `generate` owns what it writes from this contract, the manifest of those
    files, and whatever the manifest in `out` lists (a file no longer generated
    is stale until `generate` removes it, or, placed, leaves it to the user).
    Every other file of `out` is the user's (`stack/.env`) and never judged;
    without a manifest nothing tells which those are, so then no file is
    reported as extra.
    """
    rendered = rendered_outputs(contract, out, config)
    where = placed.split(rendered, config)
    expected = {rel: text.encode("utf-8") for rel, text in rendered.items() if rel not in where}
    expected_placed = {path: rendered[rel].encode("utf-8") for rel, path in where.items()}
    expected[manifest.NAME] = manifest_text(expected, expected_placed).encode("utf-8")
    read = read_manifest(actual[manifest.NAME]) if manifest.NAME in actual else None
    listed = read.files if read is not None else None
    problems = _stale_placed(expected_placed, read.placed if read is not None else {}, placed_actual or {})
    for rel in sorted(set(expected) | set(actual)):
        shown = os.path.join(out, rel).replace(os.sep, "/")
        data = actual.get(rel)
        if data is None:
            # generated, yet not among the files read: the manifest does not list it (or there is none)
            path = os.path.join(out, *rel.split("/"))
            data = read_bytes(path) if os.path.isfile(path) else None
        if data is None and rel == manifest.NAME and actual:
            # `generate` refuses a non-empty out dir it cannot tell its own files in
            message = f"`{shown}` is missing; move the files you added out of `{out}`, remove it and run " \
                "`metrics-contract generate`"
            line = 0
        elif data is None:
            message = f"`{shown}` is missing; run `metrics-contract generate`"
            line = 0
        elif rel not in expected:
            if listed is None or rel not in listed:
                continue   # not generate's: without a manifest, every file of `out` was read
            message = f"`{shown}` is no longer generated from the contract; run `metrics-contract generate` to " \
                "remove it"
            line = 0
        elif data != expected[rel]:
            line = _first_difference(data, expected[rel])
            message = f"`{shown}` differs from what `metrics-contract generate` writes; regenerate it, never edit it"
        else:
            continue
        problems.append(Problem(file=shown, line=line, column=0, check="check/stale-output", message=message))
    return sorted(problems)


def _stale_placed(expected: dict[str, bytes], listed: dict[str, str], actual: dict[str, bytes]) -> list[Problem]:
    """`check/stale-output` for the placed files: `expected` by the config, `listed` by the manifest (project path
    -> sha256), `actual` the listed ones read."""
    problems = []
    for path in sorted(set(expected) | set(listed)):
        data = actual.get(path)
        if data is None and path in expected and _is_regular(path):
            data = read_bytes(path)   # placed now, not listed yet: the manifest is stale too
        line = 0
        if path not in expected:
            message = f"`{path}` is no longer generated from the contract; run `metrics-contract generate`, which " \
                "leaves it in place as yours"
        elif data is None and os.path.lexists(path):
            message = f"`{path}` is not a file `metrics-contract generate` can replace; move it away and run " \
                "`metrics-contract generate`"
        elif data is None:
            message = f"`{path}` is missing; run `metrics-contract generate`"
        elif data != expected[path]:
            line = _first_difference(data, expected[path])
            message = f"`{path}` differs from what `metrics-contract generate` writes; regenerate it, never edit it"
        else:
            continue
        problems.append(Problem(file=path, line=line, column=0, check="check/stale-output", message=message))
    return problems


def read_out(out: str) -> dict[str, bytes]:
    """The files `generate` owns in `out` (relative `/`-separated path -> bytes), sorted; none if `out` is missing.

    Those are its manifest and the files the manifest lists; a user's files
    beside them are never read. An out dir without a manifest of this tool
    (dashboards put there by hand) is read whole.
    """
    path = os.path.join(out, manifest.NAME)
    data = read_bytes(path) if os.path.isfile(path) else b""
    listed = parse_manifest(data) if data else None
    found: dict[str, bytes] = {}
    if listed is not None:
        found[manifest.NAME] = data
        for rel in listed:
            file = os.path.join(out, *rel.split("/"))
            if os.path.lexists(file):
                found[rel] = read_bytes(file)   # a dangling link or a dir in its place: a located error
        return dict(sorted(found.items()))
    for root, dirs, names in os.walk(out):
        dirs.sort()
        for name in sorted(names):
            file = os.path.join(root, name)
            rel = os.path.relpath(file, out).replace(os.sep, "/")
            found[rel] = read_bytes(file)   # a dangling link or unreadable file: a located error
    return found


def _first_difference(a: bytes, b: bytes) -> int:
    for number, (x, y) in enumerate(zip(a.split(b"\n"), b.split(b"\n"), strict=False), 1):
        if x != y:
            return number
    return min(a.count(b"\n"), b.count(b"\n")) + 1
