"""`metrics-contract check [CONTRACT] [FILE ...]`: dashboards and rule files against the contract.

With FILEs, checks every PromQL expression in them (Grafana dashboard JSON
or Prometheus rule YAML, told apart by content). Without, checks the out
dir: every `*.json` under `grafana/` (provisioning excluded) and
`prometheus/rules.yml`, plus the contract's own checks, plus freshness:
the out dir must hold exactly what `metrics-contract generate` would write
(`check/stale-output` per differing, missing or extra file; nothing is
rewritten).

The first argument is the contract when it ends in `.yaml` or `.yml` and
has a top-level `contract:` key; otherwise every argument is a file to check
and the contract comes from `[tool.metrics-contract]` (else the embedded
qortex contract). A rule file never has a top-level `contract:` key, so the
two cannot be confused.

This is a pre-commit hook, so the common path stays light: the validated
contract comes from `contract.cache` (no pydantic), and the generators,
which may import grafanalib, are imported only when the cached rendering of
this contract and code is missing. A run with nothing changed does not get
here at all: the CLI replays it (`generators/check_cache.py`) from what the
last run recorded, which is why every file is read once, here, and kept.
A run after an edit checks again only the expressions not already known to
be clean under this contract, code and `ignore` (`contract.verdicts`). A
run with thousands of expressions to check splits them between processes
(`--jobs`, `contract.parallel`).
"""

from __future__ import annotations

import gc
import os
import re
import sys

from contract.cache import ContractCache, read_bytes, validated
from contract.lint import Linter
from contract.problems import FORMATS, InputError, Problem, exit_code, render
from contract.sources import Source, load_source
from contract.verdicts import Verdicts
from generators.check_cache import record, walk_files
from generators.common import is_checked_output
from generators.config import PYPROJECT, Config, load_config, resolve_contract

TYPE_CHECKING = False   # `typing.TYPE_CHECKING`, without importing typing (see contract/records.py)
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

# a pattern, not compiled at import: only runs given FILEs look for it
_CONTRACT_KEY = rb"^contract[ \t]*:"

# every argument's value when none is given: the parser's defaults, and
# `default_args` for a run with no option
DEFAULTS = {"paths": (), "format": "text", "strict": False, "out": None, "no_cache": False, "jobs": 0}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="[CONTRACT] FILE",
                        help="contract YAML (optional, first), then dashboards and rule files (default: the out dir)")
    parser.add_argument("--format", choices=FORMATS)
    parser.add_argument("--strict", action="store_true", help="warnings also exit 1")
    parser.add_argument("--out", help="out dir to check when no FILE is given (default: from "
                        "[tool.metrics-contract], else out/)")
    parser.add_argument("--no-cache", action="store_true", help="validate the contract even if it is unchanged, "
                        "and do not replay the last run")
    parser.add_argument("--jobs", type=_jobs, metavar="N", help="processes to split a check of many expressions "
                        "between (default: one per CPU this process may use; 1: never split)")
    parser.set_defaults(**DEFAULTS)


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        import argparse

        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return int(text)


def default_args(paths: Sequence[str] = ()) -> argparse.Namespace:
    """What the CLI's parser makes of `check PATH...` with no option, without argparse.

    That is how the pre-commit hook runs it (`pass_filenames: false`, so
    with no PATH at all), and importing argparse and building the parser
    would add 8-18 ms to such a run. The caller makes sure no argument
    looks like an option (starts with `-`).
    """
    from types import SimpleNamespace

    # the attributes an argparse.Namespace would have, which is all its users read
    args = SimpleNamespace(command="check", **DEFAULTS)
    if paths:   # as argparse: the values given as a list, else the default
        args.paths = list(paths)
    return args  # type: ignore[return-value]


def is_contract(path: str) -> bool:
    return _contract_bytes(path) is not None


def _contract_bytes(path: str) -> bytes | None:
    """The bytes of `path` if it is a contract (a `.yaml`/`.yml` file with a top-level `contract:` key)."""
    if not path.endswith((".yaml", ".yml")):
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return data if re.search(_CONTRACT_KEY, data, re.MULTILINE) else None


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    # A run frees what it allocates by reference counting: a whole 10,000-rule run leaves a few hundred objects
    # in reference cycles (imports, mostly), none per expression. The cyclic collector would only walk the
    # catalog and the sources again and again, 7% of the instructions of such a run, so it is off while the
    # run lasts.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _check(args, config)
    finally:
        if enabled:
            gc.enable()


def _check(args: argparse.Namespace, config: Config) -> int:
    paths = list(args.paths)
    explicit = getattr(args, "contract", None)   # when a shared CONTRACT positional was parsed first
    if explicit:
        paths.insert(0, explicit)
    # every file read, as read, so that `check_cache` can tell later whether anything changed
    inputs: dict[str, bytes | None] = {}
    trees: dict[str, list[str]] = {}
    data = _contract_bytes(paths[0]) if paths else None
    contract_file = resolve_contract(paths.pop(0) if data is not None else None, config)
    if data is None:
        data = read_bytes(contract_file)
        if contract_file != config.contract:   # the embedded contract: config.contract does not exist
            inputs[config.contract] = None
    inputs[contract_file] = data
    cache = ContractCache(enabled=not args.no_cache)
    catalog, contract_problems, key = validated(contract_file, cache, data)
    problems: list[Problem] = []
    if paths:
        files = paths
    else:
        out = args.out or config.out
        tree = _read_out(out)
        trees[out] = list(tree)
        files = []
        for rel, content in tree.items():
            path = os.path.join(out, *rel.split("/"))
            inputs[path] = content
            if is_checked_output(rel):
                files.append(path)
        problems.extend(contract_problems)
        if not exit_code(contract_problems):
            problems.extend(stale_outputs(contract_file, data, key, out, tree, cache))
    sources = _load_all(files, inputs)
    verdicts = Verdicts(key, config.ignore) if cache.enabled else None
    report = Linter(catalog, config.ignore).check(sources, verdicts, args.jobs)
    if verdicts is not None:
        verdicts.save()
    problems.extend(report.problems)
    if not paths:  # the whole out dir: a metric nothing queries is worth a warning
        from contract.usage import unused_metrics

        problems.extend(unused_metrics(contract_file, data.decode("utf-8", "replace"), catalog, report.selected))
    if config.ignore:
        problems = [p for p in problems if p.check not in config.ignore]
    out_text = render(problems, args.format)
    err_text = ""
    if args.format == "text":
        note = f" ({report.skipped} non-Prometheus queries skipped)" if report.skipped else ""
        err_text = f"checked {report.expressions} expressions in {report.files} files{note}\n"
    sys.stdout.write(out_text)
    sys.stderr.write(err_text)
    status = exit_code(problems, args.strict)
    argv = getattr(args, "argv", None)   # set by the CLI, which replays unchanged runs
    if argv is not None and not args.no_cache:
        inputs[PYPROJECT] = args.config_bytes   # what the CLI read `config` from (None: no such file)
        record(argv, inputs, trees, out_text, err_text, status)
    left = getattr(args, "left_to_exit", None)   # given by the program, which exits without freeing anything
    if left is not None:
        # freeing the sources, the catalog and the verdicts object by object when this returns would cost a
        # 10,000-rule run about 12 ms
        left.append((catalog, sources, report, verdicts, problems))
    return status


def _load_all(files: list[str], inputs: dict[str, bytes | None]) -> list[Source]:
    """Sources of `files`, read once: bytes already in `inputs` are used, the others are read into it."""
    sources = []
    errors: list[Problem] = []
    for file in files:
        try:
            data = inputs.get(file)
            if data is None:
                data = inputs[file] = read_bytes(file)
            sources.append(load_source(file, data))
        except InputError as exc:
            errors.extend(exc.problems)
    if errors:
        raise InputError.many(errors)
    return sources


def stale_outputs(contract_file: str, data: bytes, key: str, out: str, actual: dict[str, bytes],
                  cache: ContractCache) -> list[Problem]:
    """`check/stale-output` for every file of `out` (read into `actual`) that differs from what `generate` writes."""
    expected = cache.load(key, "render")
    if not isinstance(expected, dict):
        from contract.loader import load_contract
        from generators.outputs import render_all

        expected = {rel: text.encode("utf-8") for rel, text in render_all(load_contract(contract_file, data)).items()}
        cache.store(key, "render", expected)
    problems = []
    for rel in sorted(set(expected) | set(actual)):
        shown = os.path.join(out, rel).replace(os.sep, "/")
        if rel not in actual:
            message = f"`{shown}` is missing; run `metrics-contract generate`"
            line = 0
        elif rel not in expected:
            message = f"`{shown}` is not generated from the contract; remove it or run `metrics-contract generate`"
            line = 0
        elif actual[rel] != expected[rel]:
            line = _first_difference(actual[rel], expected[rel])
            message = f"`{shown}` differs from what `metrics-contract generate` writes; regenerate it, never edit it"
        else:
            continue
        problems.append(Problem(file=shown, line=line, column=0, check="check/stale-output", message=message))
    return problems


def _read_out(out: str) -> dict[str, bytes]:
    # bytes, not `generators.outputs.read_tree`: that module imports the generators
    found: dict[str, bytes] = {}
    for rel in walk_files(out):
        found[rel] = read_bytes(os.path.join(out, rel))   # a dangling link or unreadable file: a located error
    return found


def _first_difference(a: bytes, b: bytes) -> int:
    for number, (x, y) in enumerate(zip(a.split(b"\n"), b.split(b"\n"), strict=False), 1):
        if x != y:
            return number
    return min(a.count(b"\n"), b.count(b"\n")) + 1


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m generators.check_cmd`: the check command on its own."""
    import argparse

    parser = argparse.ArgumentParser(prog="metrics-contract check", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_check(args, load_config())
    except InputError as exc:
        sys.stderr.write(render(exc.problems, args.format))
        return 2


if __name__ == "__main__":
    sys.exit(main())
