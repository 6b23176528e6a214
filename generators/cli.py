"""`metrics-contract`: one subcommand per function below, registered in COMMANDS.

Exit codes: 0 clean (warnings alone unless --strict), 1 an error-severity
problem, 2 bad input or usage. Bad input is always one located line per
problem on stderr, never a traceback.

Each command imports what it needs when it runs: `check` runs on every
commit and does not need the pydantic model (when its contract is cached),
grafanalib or the generators that the other commands import.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from contract.naming import EXPOSITION_PATHS, expose
from contract.problems import FORMATS, InputError, Problem, exit_code, input_error, one_line, render
from generators.config import Config, read_config

if TYPE_CHECKING:
    import subprocess

    from contract.diff import Generated
    from contract.live.exposition import Family
    from contract.loader import LoadedContract

Handler = Callable[[argparse.Namespace, Config], int]


def _contract_for(args: argparse.Namespace, config: Config) -> LoadedContract:
    from contract.loader import load_contract
    from generators.config import resolve_contract

    return load_contract(resolve_contract(getattr(args, "contract", None), config))


def _validated(args: argparse.Namespace, config: Config) -> tuple[LoadedContract, list[Problem]]:
    from contract.checks.registry import check_contract

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
    # at least as wide as `prometheus-client`; wider for a path with a strategy (`prometheus-otlp:NoTranslation`)
    path_width = max(17, *(len(path) for path in paths))
    for r in rows:
        sys.stdout.write(f"{r['metric']:<{width}}  {r['type']:<13}  {r['path']:<{path_width}}  "
                         f"{' '.join(r['series'])}\n")
        sys.stdout.write(f"{'':<{width}}  {'':<13}  {'':<{path_width}}  labels: {', '.join(r['labels'])}\n")
    return 0


def cmd_generate(args: argparse.Namespace, config: Config) -> int:
    from generators import placed
    from generators.outputs import check_rendered, render_all, write_tree

    lc, problems = _validated(args, config)
    if exit_code(problems):
        sys.stderr.write(render(problems, args.format))
        sys.stderr.write("nothing written: the contract has errors\n")
        return 1
    out = args.out or config.out
    files = render_all(lc, config.dashboards, placed.layout(config, out))
    where = placed.split(files, config)   # the files the config places outside the out dir: rel -> project path
    # the same checks `check` runs, before anything is written: out/ never
    # holds a dashboard or rule that the contract rejects
    problems += check_rendered(lc, files, out, config.ignore, where)
    if exit_code(problems):
        sys.stderr.write(render(problems, args.format))
        sys.stderr.write("nothing written: the generated files fail `check`\n")
        return 1
    # replaces only what an earlier run wrote (its manifest), out/ and placed files alike; see outputs.py
    in_out = {rel: text for rel, text in files.items() if rel not in where}
    dropped = write_tree(out, in_out, lc.file, {path: files[rel] for rel, path in where.items()})
    sys.stdout.write(render(problems, args.format))
    sys.stdout.write(f"wrote {len(in_out)} files to {out}/\n")
    for path in sorted(where.values()):
        sys.stdout.write(f"wrote {path}\n")
    for path in dropped:
        sys.stdout.write(f"left {path} in place: no longer generated, it is yours now\n")
    return 0


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    if args.output:  # before anything is fetched: a bad --output wastes no request and writes nothing
        if os.path.isdir(args.output):
            raise input_error(args.output, "input/output", "`--output` is a directory, not a file")
        if not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
            raise input_error(args.output, "input/output", "the directory of `--output` does not exist")
    families, source = _exposition(args.metrics_url, args.metrics_file, args)
    result = _imported(families, source, args.namespace, None, args.output or "<stdout>")
    if result is None:
        return 1
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(result)
        except OSError as exc:
            raise input_error(args.output, "input/output", f"cannot write: {exc.strerror}") from None
    else:
        sys.stdout.write(result)
    return 0


def _exposition(url: str | None, file: str | None, args: argparse.Namespace) -> tuple[dict[str, Family], str]:
    """The metric families read from `url` (within `--timeout`/`--max-bytes`) or `file`, and their source as shown."""
    from contract.live.exposition import fetch_exposition, parse, redact
    from contract.loader import read_text

    openmetrics = None   # a file's format is judged by its text
    if url:
        source = redact(url)  # the source is echoed in notes and in the written contract
        text, openmetrics = fetch_exposition(url, *_fetch_limits(args))
    else:
        assert file is not None   # the parsers require one of the two
        source = file
        text = read_text(source)
    if not text.strip():
        raise input_error(source, "input/empty", "the exposition is empty", 1, 1)
    return parse(text, source, openmetrics), source


def _imported(families: dict[str, Family], source: str, namespace: str | None, service: str | None,
              shown: str) -> str | None:
    """The contract imported from `families`, meant for the file `shown`; its notes and warnings go to stderr.

    None, after its problems and why on stderr, when the contract checks find
    an error in it: a caller then writes nothing.
    """
    from generators.importer import imported

    text, notes, problems = imported(families, source, namespace, service, shown)
    for note in notes:
        sys.stderr.write(note + "\n")
    sys.stderr.write(render(problems, "text"))
    if exit_code(problems):
        sys.stderr.write("nothing written: the imported contract does not validate\n")
        return None
    return text


def _fetch_limits(args: argparse.Namespace) -> tuple[float, int]:
    """`--timeout` and `--max-bytes` of import and live-check, checked; unset ones are fetch's defaults."""
    from contract.live.exposition import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT

    timeout = DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    max_bytes = DEFAULT_MAX_BYTES if args.max_bytes is None else args.max_bytes
    if not 0 < timeout < float("inf"):
        raise input_error("--timeout", "usage/arguments", "`--timeout` must be a positive number of seconds")
    if max_bytes <= 0:
        raise input_error("--max-bytes", "usage/arguments", "`--max-bytes` must be a positive number of bytes")
    return timeout, max_bytes


def _fetch_args(p: argparse.ArgumentParser) -> None:
    # the defaults live in contract.live.exposition (not imported to build the parser)
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="give up on an HTTP fetch after this long in all (default: 10)")
    p.add_argument("--max-bytes", type=int, metavar="N",
                   help="refuse an HTTP answer larger than this (default: 67108864, 64 MiB)")


# `--from-metrics` is a URL when it starts with a scheme (`http://`), else a file
_URL_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")


def cmd_init(args: argparse.Namespace, config: Config) -> int:
    from generators import init

    plan = init.plan(args.directory, args.service, args.namespace)   # every check, before any request or write
    text = init.starter_contract(plan.service, plan.namespace)
    if args.from_metrics is not None:
        url = args.from_metrics if _URL_SCHEME.match(args.from_metrics) else None
        families, source = _exposition(url, None if url else args.from_metrics, args)
        imported = _imported(families, source, plan.namespace, plan.service, plan.contract)
        if imported is None:
            return 1
        text = imported
    for line in init.write(plan, text, imported=args.from_metrics is not None):
        sys.stdout.write(one_line(line) + "\n")
    return 0


def _revision_bytes(spec: str) -> bytes:
    """A contract's bytes from a path, or from git as `REV:path` (e.g. `HEAD:contract/qortex.yaml`)."""
    from contract.loader import read_bytes

    if os.path.exists(spec) or ":" not in spec:
        return read_bytes(spec)
    # `cat-file blob` shows files only; after --end-of-options a spec like `--output=x:y` is a name, not an option
    proc = _git(spec, "cat-file", "blob", "--end-of-options", spec)
    if proc.returncode != 0:
        raise input_error(spec, "input/git", f"not a file, and git cannot show it: {_git_reason(proc)}")
    return proc.stdout


def _git(where: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git; a git that cannot run at all is bad input located at `where`."""
    import subprocess

    try:
        return subprocess.run(["git", *args], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise input_error(where, "input/git", f"cannot run git: {exc}") from None


def _git_reason(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].removeprefix("fatal: ") if lines else f"git exited with status {proc.returncode}"


def _contract_at(rev: str, path: str) -> bytes | None:
    """The bytes of the contract at `path` in commit `rev`, or None when that commit has no such file.

    Fails closed: only a commit that exists and lacks the path (or the first
    commit, not made yet, when `rev` is `HEAD`) means "the contract is new";
    an unknown revision, a path outside the repository or no repository at
    all is an InputError. Decisions rest on exit codes and output, never on
    git's (translatable) messages.
    """
    where = f"{rev}:{path}"
    proc = _git(where, "rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}")
    if proc.returncode != 0:
        if proc.stderr.strip():  # --quiet silences only "no such revision": this is worse (no repository, ...)
            raise input_error(where, "input/git", _git_reason(proc))
        if rev == "HEAD" and _git(where, "symbolic-ref", "--quiet", "HEAD").returncode == 0:
            return None  # HEAD names a branch that has no commit yet
        raise input_error(where, "input/git", f"`{rev}` is not a commit in this repository")
    commit = proc.stdout.decode("ascii").strip()
    # ls-tree takes paths relative to the working directory, as the configured contract path is
    listing = _git(where, "--literal-pathspecs", "ls-tree", "-z", commit, "--", os.path.relpath(path))
    if listing.returncode != 0:
        raise input_error(where, "input/git", _git_reason(listing))
    if not listing.stdout:
        return None
    mode, kind, blob = listing.stdout.split(b"\t", 1)[0].decode("ascii").split()
    if kind != "blob" or mode == "120000":
        raise input_error(where, "input/git", f"`{path}` is not a file in `{rev}`")
    content = _git(where, "cat-file", "blob", blob)
    if content.returncode != 0:
        raise input_error(where, "input/git", _git_reason(content))
    return content.stdout


def _users(old: LoadedContract, out_dir: str, config: Config) -> dict[str, list[str]]:
    """The panels and rules in the out dir, or placed elsewhere by the config, that query each metric of the old
    contract."""
    from contract.catalog import Catalog
    from contract.promql.sources import load_source
    from contract.promql.usage import metric_users
    from generators.check import checked_files, read_out, read_placed

    tree = read_out(out_dir)
    sources = [load_source(path, data) for path, data in checked_files(out_dir, tree, config, read_placed(tree))]
    return metric_users(Catalog.from_contract(old), sources)


def _generated(lc: LoadedContract) -> Generated:
    """The names `generate` gives `lc`'s recording rules, its series' `job` and its scrape jobs, for `diff`."""
    from contract.diff import Generated
    from generators.rules import counter_records, exposure, histogram_records, window_minutes
    from generators.stack import scrape_targets, series_job

    c = lc.contract
    window = window_minutes(c)
    records: dict[str, tuple[str, ...]] = {}
    for m in c.metrics:
        make = {"counter": counter_records, "histogram": histogram_records}.get(m.type)
        if make is None or m.name in records:
            continue
        try:
            e = exposure(lc, m)
        except InputError:
            continue   # its paths disagree on its series: `generate` refuses the contract, it has no rules
        records[m.name] = tuple(r.record for r in make(e, window))
    return Generated(records=records, job=series_job(c), scrape_jobs=tuple(scrape_targets(c)))


def _old_invalid(exc: InputError) -> Problem:
    """A warning at the first reason the old contract does not load: history cannot be fixed, so it must not block
    the commit that fixes it (or a run of a stricter release)."""
    first = exc.problems[0]
    more = f"; and {len(exc.problems) - 1} more" if len(exc.problems) > 1 else ""
    return first._replace(check="diff/old-invalid", severity="warning",
                          message=f"the old contract does not load, so nothing was compared ({first.check}: "
                          f"{first.message}{more})")


def cmd_diff(args: argparse.Namespace, config: Config) -> int:
    from contract.diff import diff
    from contract.loader import load_contract
    from generators.config import resolve_contract

    if args.against is not None:
        if args.old or args.new:
            raise input_error("diff", "usage/arguments", "give OLD and NEW, or --against REV, not both")
        new_path = resolve_contract(None, config)
        new = load_contract(new_path)
        data = _contract_at(args.against, new_path)
        if data is None:
            new_here = Problem(file=new_path, line=0, column=0, check="diff/new-contract", severity="info",
                               message=f"`{args.against}` has no `{new_path}`: the contract is new, nothing to "
                               "compare")
            sys.stdout.write(render([new_here], args.format))
            return 0
        old_file = f"{args.against}:{new_path}"
    elif args.old and args.new:
        # the new contract first: one that does not load is bad input, whatever the old one is
        new = load_contract(args.new, data=_revision_bytes(args.new))
        old_file, data = args.old, _revision_bytes(args.old)
    else:
        raise input_error("diff", "usage/arguments", "give OLD and NEW contracts, or --against REV")
    try:
        old = load_contract(old_file, data=data)
    except InputError as exc:
        sys.stdout.write(render([_old_invalid(exc)], args.format))
        return 0
    changes = diff(old, new, _users(old, args.out or config.out, config), (_generated(old), _generated(new)))
    sys.stdout.write(render(changes, args.format))
    if args.allow_breaking:
        return 0
    return exit_code(changes)


def cmd_live_check(args: argparse.Namespace, config: Config) -> int:
    from contract.live import compare as live
    from contract.live.exposition import fetch_exposition, redact

    timeout, max_bytes = _fetch_limits(args)
    lc = _contract_for(args, config)
    if args.metrics_url:
        text, openmetrics = fetch_exposition(args.metrics_url, timeout, max_bytes)
        target = live.from_exposition(text, redact(args.metrics_url), args.path, openmetrics)
    else:
        target = live.from_prometheus(args.prometheus, args.job, lc.contract, args.path,
                                      timeout=timeout, max_bytes=max_bytes)
    problems = live.compare(lc, target)
    sys.stdout.write(render(problems, args.format))
    return exit_code(problems, args.strict)


def cmd_analyze(args: argparse.Namespace, config: Config) -> int:
    from contract.promql.analyze import analyze_sources
    from contract.promql.sources import load_source

    sources = [load_source(f) for f in args.files]
    rows = analyze_sources(sources)
    skipped = sum(s.skipped for s in sources)
    failed = sum(not r.parsed for r in rows)
    if args.format == "json":
        sys.stdout.write(json.dumps({"expressions": [r.row() for r in rows], "skipped": skipped}, indent=2) + "\n")
    else:
        for r in rows:
            what = f"metrics: {', '.join(r.metrics) or '-'}; labels: {', '.join(r.labels) or '-'}" if r.parsed \
                else f"does not parse: {r.error}"
            sys.stdout.write(one_line(f"{r.file}:{r.line}: {r.kind} {r.location}: {what}") + "\n")
    sys.stderr.write(f"{len(rows)} expressions in {len(sources)} files, {failed} not parsed; "
                     f"{skipped} targets of other data sources skipped\n")
    return 1 if failed else 0


def cmd_docs(args: argparse.Namespace, config: Config) -> int:
    from generators import docs
    from generators.outputs import render_all, write_one

    lc, problems = _validated(args, config)
    if exit_code(problems):
        sys.stderr.write(render(problems, "text"))
        return 1
    text = render_all(lc, config.dashboards)[docs.PATH]
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    if args.output:
        target = args.output
        docs.write(target, text)
    else:   # into the out dir, owned through its manifest as `generate` owns it
        out = args.out or config.out
        target = os.path.join(out, docs.PATH)
        write_one(out, docs.PATH, text, lc.file)
    sys.stdout.write(f"wrote {target}\n")
    return 0


def cmd_rules(args: argparse.Namespace, config: Config) -> int:
    from generators import rulesdoc

    rules = rulesdoc.all_rules()
    if args.id is None:
        sys.stdout.write(rulesdoc.to_json(rules) if args.format == "json" else rulesdoc.table(rules))
        return 0
    rule = rulesdoc.find(rules, args.id)
    sys.stdout.write(rulesdoc.to_json(rule) if args.format == "json" else rulesdoc.page(rule))
    return 0


def _contract_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("contract", nargs="?", help="contract YAML (default: `contract` of [tool.metrics-contract] in "
                   "pyproject.toml)")


def _format_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--strict", action="store_true", help="warnings also exit 1")


def _args_validate(p: argparse.ArgumentParser) -> None:
    _contract_arg(p)
    _format_args(p)


def _args_names(p: argparse.ArgumentParser) -> None:
    _contract_arg(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    from contract.naming import PATH_ALIASES

    # an alias (Prometheus' default OTLP strategy spelled out) is read as its path, as in `exposition:`
    p.add_argument("--path", choices=EXPOSITION_PATHS, type=lambda name: PATH_ALIASES.get(name, name),
                   help="one exposition path (default: the declared ones)")


def _args_generate(p: argparse.ArgumentParser) -> None:
    _contract_arg(p)
    _format_args(p)
    p.add_argument("--out", help="out dir (default: from [tool.metrics-contract], else out/)")


def _args_import(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--metrics-url", help="a /metrics endpoint to read")
    source.add_argument("--metrics-file", help="a saved text exposition")
    p.add_argument("--namespace", help="keep only metrics named `<namespace>_...` (default: the first name segment "
                   "most metrics share; the others are left out with a note each)")
    p.add_argument("--output", help="write the contract here instead of stdout")
    _fetch_args(p)


def _args_init(p: argparse.ArgumentParser) -> None:
    p.add_argument("directory", nargs="?", default=".", metavar="DIR",
                   help="the project's directory, made if missing (default: the current one)")
    p.add_argument("--service", required=True, metavar="NAME", help="the service's name (OpenTelemetry service.name)")
    p.add_argument("--namespace", help="the metric name prefix (default: NAME lowercased, other characters `_`)")
    p.add_argument("--from-metrics", metavar="URL|FILE",
                   help="start from the contract `import` makes of this exposition instead of the examples")
    _fetch_args(p)


def _args_diff(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", nargs="?", help="the contract before: a path or a git `REV:path`")
    p.add_argument("new", nargs="?", help="the contract after: a path or a git `REV:path`")
    p.add_argument("--against", metavar="REV", help="compare the configured contract with its version at REV "
                   "(the pre-commit hook uses HEAD)")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--allow-breaking", action="store_true", help="report breaking changes but exit 0")
    p.add_argument("--out", help="out dir whose dashboards and rules a breaking change is looked up in "
                   "(default: from [tool.metrics-contract], else out/)")


def _args_live_check(p: argparse.ArgumentParser) -> None:
    _contract_arg(p)
    _format_args(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--prometheus", metavar="URL", help="a Prometheus server to query")
    source.add_argument("--metrics-url", metavar="URL", help="a /metrics endpoint to read")
    p.add_argument("--job", help="with --prometheus: only this scrape job")
    p.add_argument("--path", choices=EXPOSITION_PATHS,
                   help="the target's exposition path (default: guessed from its labels)")
    _fetch_args(p)


def _args_analyze(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="Grafana dashboard JSON or Prometheus rule YAML")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _args_docs(p: argparse.ArgumentParser) -> None:
    _contract_arg(p)
    p.add_argument("--out", help="out dir (default: from [tool.metrics-contract], else out/)")
    p.add_argument("--output", help="write the catalogue here instead (`-`: standard output)")


def _args_rules(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", metavar="ID", help="a check id such as `promql/unknown-metric` (default: list all)")
    p.add_argument("--format", choices=("text", "json"), default="text")


class Command(NamedTuple):
    handler: Handler
    arguments: Callable[[argparse.ArgumentParser], None]
    help: str


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    from generators.check import cmd_check as run

    return run(args, config)


def _args_check(p: argparse.ArgumentParser) -> None:
    from generators.check import add_arguments

    add_arguments(p)


COMMANDS: dict[str, Command] = {
    "init": Command(cmd_init, _args_init, "start a project: a contract, its pyproject.toml table and pre-commit "
                    "hooks (never overwrites)"),
    "validate": Command(cmd_validate, _args_validate, "check the contract itself"),
    "names": Command(cmd_names, _args_names,
                     "show the Prometheus series names and labels of every metric, per exposition path"),
    "generate": Command(cmd_generate, _args_generate, "write every generated file into the out dir (all or nothing)"),
    "check": Command(cmd_check, _args_check,
                     "check dashboards and rule files against the contract (default: the out dir, and its freshness)"),
    "analyze": Command(cmd_analyze, _args_analyze,
                       "list every PromQL expression of dashboards and rule files with the names it uses "
                       "(no contract needed; exit 1 if one does not parse)"),
    "docs": Command(cmd_docs, _args_docs, "write the metrics catalogue (METRICS.md) into the out dir"),
    "rules": Command(cmd_rules, _args_rules, "list every check (id, severity, summary), or print one check's "
                     "documentation"),
    "import": Command(cmd_import, _args_import, "bootstrap a contract from a Prometheus exposition"),
    "live-check": Command(cmd_live_check, _args_live_check,
                          "compare a running target (a /metrics endpoint or Prometheus) with the contract"),
    "diff": Command(cmd_diff, _args_diff, "classify the changes between two contracts as breaking or compatible"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="metrics-contract", description="One metrics contract; "
                                     "generated subscriber code, dashboards, rules and stack config; checks.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        command.arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].handler(args, read_config())
    except InputError as exc:
        sys.stderr.write(render(exc.problems, getattr(args, "format", "text")))
        return 2
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """The `metrics-contract` program."""
    # A run allocates a node, an expression and an analysis per rule or panel and keeps most of them
    # to the end; with the default thresholds the cyclic collector rescans that growing heap again
    # and again (a fifth of a 10,000-rule check). Collections still happen, a few hundred times less
    # often; the process is short-lived. Only the program does this, never a library caller.
    gc.set_threshold(200_000, 30, 30)
    for stream in (sys.stdout, sys.stderr):
        # what the output's encoding cannot hold (any non-ASCII name under PYTHONIOENCODING=ascii, a lone
        # surrogate decoded from a JSON escape) is written as a backslash escape, never an encoding error
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(main())


if __name__ == "__main__":
    run()
