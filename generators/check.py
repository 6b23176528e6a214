"""`metrics-contract check [CONTRACT] [FILE ...]`: dashboards and rule files against the contract.

With FILEs, checks every PromQL expression in them (Grafana dashboard JSON
or Prometheus rule YAML, told apart by content). Without, checks the out
dir: every `*.json` under `grafana/` (provisioning excluded) and
`prometheus/rules.yml`, plus the contract's own checks, plus freshness:
the files `metrics-contract generate` owns in the out dir (its manifest's)
must be exactly what it would write (`check/stale-output` per differing,
missing or no longer generated file; other files are never judged; nothing
is rewritten).

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

from contract.cache import ContractCache, Validated, validated
from contract.loader import read_bytes
from contract.problems import FORMATS, InputError, Problem, exit_code, render
from contract.promql.expression import Source
from contract.promql.lint import Linter
from contract.promql.sources import load_source
from contract.promql.usage import metric_users, unused_metrics
from generators import manifest
from generators.common import is_checked_output
from generators.config import Config, resolve_contract
from generators.manifest import manifest_text, parse_manifest

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
    problems: list[Problem] = []
    out_dir = args.out or config.out
    if paths:
        sources = _load_all(paths)
    else:
        tree = read_out(out_dir)
        problems.extend(contract.problems)
        if not exit_code(contract.problems):
            problems.extend(stale_outputs(contract, out_dir, tree))
        sources = _load_all([os.path.join(out_dir, *rel.split("/")) for rel in tree if is_checked_output(rel)], tree,
                            out_dir)
    report = Linter(contract.catalog, config.ignore).check(sources)
    problems.extend(report.problems)
    if not paths:  # the whole out dir: a metric nothing queries is worth a warning
        users = metric_users(contract.catalog, sources)
        problems.extend(unused_metrics(contract_file, contract.data.decode("utf-8", "replace"), contract.catalog,
                                       users))
    problems = [p for p in problems if p.check not in config.ignore]
    sys.stdout.write(render(problems, args.format))
    if args.format == "text":
        note = f" ({report.skipped} non-Prometheus queries skipped)" if report.skipped else ""
        sys.stderr.write(f"checked {report.expressions} expressions in {report.files} files{note}\n")
    return exit_code(problems, args.strict)


def _load_all(files: list[str], tree: dict[str, bytes] | None = None, out_dir: str = "") -> list[Source]:
    """Sources of `files` (bytes from `tree`, read from the out dir already, when given); every bad file reported."""
    sources = []
    errors: list[Problem] = []
    for file in files:
        try:
            data = tree[os.path.relpath(file, out_dir).replace(os.sep, "/")] if tree is not None else None
            sources.append(load_source(file, data))
        except InputError as exc:
            errors.extend(exc.problems)
    if errors:
        raise InputError.many(errors)
    return sources


def stale_outputs(contract: Validated, out: str, actual: dict[str, bytes]) -> list[Problem]:
    """`check/stale-output` for every file `generate` owns in `out` (read into `actual`) that it would write otherwise.

    `generate` owns what it writes from this contract, the manifest of those
    files, and whatever the manifest in `out` lists (a file no longer generated
    is stale until `generate` removes it). Every other file of `out` is the
    user's (`stack/.env`) and never judged; without a manifest nothing tells
    which those are, so then no file is reported as extra.
    """
    rendered = contract.outputs()
    if rendered is None:
        # here, not at the top: rendering builds the model (pydantic) and imports grafanalib, which a run whose
        # cache entry holds the outputs never needs
        from contract.loader import load_contract
        from generators.outputs import render_all

        rendered = render_all(load_contract(contract.file, contract.data))
        contract.keep_outputs(rendered)
    expected = {rel: text.encode("utf-8") for rel, text in rendered.items()}
    expected[manifest.NAME] = manifest_text(expected).encode("utf-8")
    listed = parse_manifest(actual[manifest.NAME]) if manifest.NAME in actual else None
    problems = []
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
