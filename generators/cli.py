"""`metrics-contract`: validate, names, generate.

Exit codes: 0 clean (warnings alone unless --strict), 1 an error-severity
problem, 2 bad input or usage. Bad input is always one located line per
problem on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from contract.checks import check_contract
from contract.loader import LoadedContract, load_contract
from contract.model import EXPOSITION_PATHS
from contract.naming import expose
from contract.problems import FORMATS, InputError, Problem, exit_code, render
from generators.config import Config, load_config, resolve_contract


def _contract_for(args: argparse.Namespace, config: Config) -> LoadedContract:
    return load_contract(resolve_contract(getattr(args, "contract", None), config))


def _validated(args: argparse.Namespace, config: Config) -> tuple[LoadedContract, list[Problem]]:
    lc = _contract_for(args, config)
    return lc, check_contract(lc)


def cmd_validate(args: argparse.Namespace, config: Config) -> int:
    _, problems = _validated(args, config)
    sys.stdout.write(render(problems, args.format))
    return exit_code(problems, args.strict)


def cmd_names(args: argparse.Namespace, config: Config) -> int:
    lc = _contract_for(args, config)
    paths = (args.path,) if args.path else lc.contract.exposition
    rows = []
    for m in lc.contract.metrics:
        for path in paths:
            e = expose(m, path)
            rows.append({"metric": m.name, "type": m.type, "path": path, "series": list(e.series),
                         "labels": list(e.all_labels)})
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    width = max(len(r["metric"]) for r in rows)
    for r in rows:
        sys.stdout.write(f"{r['metric']:<{width}}  {r['type']:<13}  {r['path']:<17}  {' '.join(r['series'])}\n")
        sys.stdout.write(f"{'':<{width}}  {'':<13}  {'':<17}  labels: {', '.join(r['labels'])}\n")
    return 0


def cmd_generate(args: argparse.Namespace, config: Config) -> int:
    from generators.outputs import render_all, write_tree

    lc, problems = _validated(args, config)
    if exit_code(problems):
        sys.stderr.write(render(problems, args.format))
        sys.stderr.write("nothing written: the contract has errors\n")
        return 1
    files = render_all(lc)
    out = args.out or config.out
    write_tree(out, files)
    sys.stdout.write(render(problems, args.format))
    sys.stdout.write(f"wrote {len(files)} files to {out}/\n")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace, Config], int], str]] = {
    "validate": (cmd_validate, "check the contract itself"),
    "names": (cmd_names, "show the Prometheus series names and labels of every metric, per exposition path"),
    "generate": (cmd_generate, "write every generated file into the out dir (all or nothing)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metrics-contract", description="One metrics contract; "
                                     "generated subscriber code, dashboards, rules and stack config; checks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("contract", nargs="?", help="contract YAML (default: from [tool.metrics-contract], "
                       "else contract/qortex.yaml)")
        p.add_argument("--format", choices=FORMATS, default="text")
        p.add_argument("--strict", action="store_true", help="warnings also exit 1")
        if name == "names":
            p.add_argument("--path", choices=EXPOSITION_PATHS, help="one exposition path (default: the declared ones)")
        if name == "generate":
            p.add_argument("--out", help="out dir (default: from [tool.metrics-contract], else out/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = load_config()
        handler = COMMANDS[args.command][0]
        return handler(args, config)
    except InputError as exc:
        sys.stderr.write(render(exc.problems, getattr(args, "format", "text")))
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
