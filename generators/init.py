"""`metrics-contract init`: a new project's contract, its `[tool.metrics-contract]` table and pre-commit hooks.

Nothing is ever overwritten. The contract must not exist yet; pyproject.toml
is written when missing, gets the table appended when it has none (every
byte it had is kept, and the result must parse before it replaces the
file), and is left alone when it has the table; an existing
`.pre-commit-config.yaml` is left alone too, and the hooks to add to it are
printed instead. `plan` checks everything before `write` writes the first
file, so bad input writes nothing.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from typing import NamedTuple

from contract.loader import read_bytes
from contract.problems import InputError, input_error
from generators.common import os_reason, replace_file
from generators.config import DEFAULT_OUT, PYPROJECT, Config, parse_config
from generators.importer import yaml_string
from generators.stack import COLLECTOR_JOB

CONTRACT = "metrics-contract.yaml"
PRE_COMMIT = ".pre-commit-config.yaml"
TABLE = f'[tool.metrics-contract]\ncontract = "{CONTRACT}"\nout = "{DEFAULT_OUT}"\n'
# a namespace starts every metric name, so it must itself start one: a letter first (`_` or a digit would not)
_NAMESPACE = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")


class Plan(NamedTuple):
    """What `write` does, decided (and checked) before anything is written."""

    directory: str
    service: str
    namespace: str
    contract: str              # the contract's path
    pyproject: str             # pyproject.toml's path
    pyproject_data: bytes | None   # its new content; None: it has the table and stays as it is
    pyproject_existed: bool
    config: Config             # the `[tool.metrics-contract]` in force once written
    pre_commit: str            # .pre-commit-config.yaml's path
    pre_commit_existed: bool


def namespace_for(service: str) -> str:
    """The service name lowercased, every run of other characters than ASCII letters and digits one `_`, and no
    `_` at either end (`My Shop-API` -> `my_shop_api`)."""
    return re.sub(r"[^a-z0-9]+", "_", service.lower()).strip("_")


def plan(directory: str, service: str, namespace: str | None) -> Plan:
    """Check the arguments and the files of `directory`; an InputError for the first thing that is wrong."""
    if not service.strip():
        raise input_error("--service", "init/service", "the service name is empty")
    if not service.isprintable():   # it goes into the contract's text and the stack's scrape job name
        raise input_error("--service", "init/service", "the service name holds a character that is not printable")
    if service == COLLECTOR_JOB:   # `generate` refuses it: see generators/stack.py
        raise input_error("--service", "init/service",
                          f"service `{COLLECTOR_JOB}` would share its scrape job name with the Collector")
    if namespace is not None:
        ns, where, derived = namespace, "--namespace", ""
        if not ns:
            raise input_error(where, "init/namespace", "the namespace is empty")
    else:
        ns, where, derived = namespace_for(service), "--service", f" (from service `{service}`); pass --namespace"
        if not ns:
            raise input_error(where, "init/namespace",
                              f"service `{service}` gives an empty namespace; pass --namespace")
    if not _NAMESPACE.fullmatch(ns):
        raise input_error(where, "init/namespace",
                          f"namespace `{ns}` must start with a letter and hold only letters, digits and `_`{derived}")
    _check_directory(directory)
    contract = _shown(directory, CONTRACT)
    if os.path.lexists(contract):
        raise input_error(contract, "init/exists", "already exists; `init` never overwrites a contract")
    pyproject = _shown(directory, PYPROJECT)
    existed = os.path.lexists(pyproject)
    data, config = _pyproject(pyproject) if existed else (TABLE.encode("utf-8"),
                                                          Config(contract=CONTRACT, out=DEFAULT_OUT))
    pre_commit = _shown(directory, PRE_COMMIT)
    return Plan(directory=directory, service=service, namespace=ns, contract=contract, pyproject=pyproject,
                pyproject_data=data, pyproject_existed=existed, config=config, pre_commit=pre_commit,
                pre_commit_existed=os.path.lexists(pre_commit))


def _shown(directory: str, name: str) -> str:
    return os.path.normpath(os.path.join(directory, name))


def _check_directory(directory: str) -> None:
    """`directory` is one, or can be made: its nearest existing ancestor is a directory."""
    probe = os.path.normpath(directory)
    while not os.path.lexists(probe):
        probe = os.path.dirname(probe) or "."   # ends at `.` or `/`, which exist
    if not os.path.isdir(probe):
        where = "is not a directory" if probe == os.path.normpath(directory) else \
            f"cannot be made: `{probe}` is not a directory"
        raise input_error(directory, "init/directory", where)


def _pyproject(path: str) -> tuple[bytes | None, Config]:
    """The new bytes of the existing pyproject.toml at `path` (None: it has the table), and the configuration."""
    data = read_bytes(path)
    config = parse_config(path, data)   # bad TOML or a bad table: located errors, and nothing is written
    tool = tomllib.loads(data.decode("utf-8")).get("tool", {})
    if "metrics-contract" in tool:
        return None, config
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    ending = b"" if not data or data.endswith(b"\n") else newline
    separator = newline if data.strip() else b""
    appended = data + ending + separator + TABLE.encode("utf-8").replace(b"\n", newline)
    try:
        config = parse_config(path, appended)
    except InputError:   # e.g. an inline `tool = {...}` table, which no later table may extend
        raise input_error(path, "init/pyproject", "`[tool.metrics-contract]` cannot be appended: the file would "
                          "not parse; add the table by hand") from None
    return appended, config


def starter_contract(service: str, namespace: str) -> str:
    """A contract with one example of each common kind, which `validate --strict` and `generate` accept as is."""
    ns = namespace
    return f"""\
# The metrics contract of {service}: every metric the service exposes, said once.
# `metrics-contract generate` writes the subscriber module, dashboards, rules and stack config from it;
# `metrics-contract check` keeps them in step. The two metrics and the event below are examples: replace them.
contract: 1
# OpenTelemetry's service.name, and the scrape job of the service
service: {yaml_string(service)}
# every metric name starts with `{ns}_`
namespace: {yaml_string(ns)}
scrape_interval: 15s
# how the metrics reach Prometheus (also: otel-python); every path must yield the same series
exposition: [prometheus-client, otel-collector]
metrics:
  # a counter: named without `_total` (the exporter appends it); `outcome` takes two values only,
  # anything else is recorded as `other`, so a bad caller cannot multiply the series
  - name: {ns}_requests
    type: counter
    unit: "{{request}}"
    help: Requests handled
    labels:
      - name: outcome
        values: [ok, error]
  # a histogram in seconds: the name ends in its unit word, and the buckets are explicit
  # (OpenTelemetry's default ones are for milliseconds)
  - name: {ns}_request_duration_seconds
    type: histogram
    unit: s
    help: Time to handle a request
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
events:
  # the generated module's handler for an event `RequestHandled(outcome, duration_ms)` of the application
  - event: RequestHandled
    ops:
      - {{metric: {ns}_requests, add: 1, labels: {{outcome: {{field: outcome}}}}}}
      - {{metric: {ns}_request_duration_seconds, record: {{field: duration_ms, scale: 0.001}}}}
"""


def hooks() -> str:
    """The `repo: local` entry of the two hooks, as an item of `repos:` in .pre-commit-config.yaml.

    Both run on every commit: the contract, its dashboard sources and placed
    outputs may live anywhere the configuration says, and a run is cheap.
    """
    lines = ["  - repo: local", "    hooks:"]
    for hook, entry in (("metrics-contract-check", "metrics-contract check"),
                        ("metrics-contract-diff", "metrics-contract diff --against HEAD")):
        lines += [f"      - id: {hook}", f"        name: {entry}", f"        entry: {entry}",
                  "        language: system", "        pass_filenames: false", "        always_run: true"]
    return "".join(line + "\n" for line in lines)


def write(p: Plan, contract_text: str, imported: bool = False) -> list[str]:
    """Write what `p` says; the lines to print: one per file, then the next steps.

    A failed write removes the files this run created, so that a run either
    does its whole job or leaves the directory as it was (bar directories).
    """
    created: list[str] = []
    lines = [f"wrote {p.contract}"]
    try:
        try:
            os.makedirs(p.directory, exist_ok=True)
        except OSError as exc:
            raise input_error(p.directory, "init/directory", f"cannot create: {exc.strerror}") from None
        # the one change to an existing file comes last: any failure before it leaves that file as it was
        _create(p.contract, contract_text.encode("utf-8"), created)
        if not p.pre_commit_existed:
            _create(p.pre_commit, ("repos:\n" + hooks()).encode("utf-8"), created)
        if p.pyproject_data is not None:
            if p.pyproject_existed:
                _replace(p.pyproject, p.pyproject_data)
            else:
                _create(p.pyproject, p.pyproject_data, created)
    except InputError:
        for path in created:
            os.unlink(path)
        raise
    if p.pyproject_data is None:
        lines.append(f"left {p.pyproject} as it is: it has [tool.metrics-contract] already")
    else:
        lines.append(f"{'added [tool.metrics-contract] to' if p.pyproject_existed else 'wrote'} {p.pyproject}")
    if p.pre_commit_existed:
        lines.append(f"left {p.pre_commit} as it is: add these hooks to its `repos:`")
        lines += hooks().splitlines()
    else:
        lines.append(f"wrote {p.pre_commit}")
    lines.append("next steps:")
    if os.path.normpath(p.directory) != ".":
        lines.append(f"  cd {shlex.quote(p.directory)}")
    if p.config.contract != CONTRACT:
        lines.append(f'  set contract = "{CONTRACT}" in [tool.metrics-contract] of {PYPROJECT}')
    lines.append(f"  review {CONTRACT}: units, closed label value sets, and the events that drive each metric"
                 if imported else f"  edit {CONTRACT}: your metrics, their labels and the events that drive them")
    lines += ["  metrics-contract validate --strict", "  metrics-contract generate", "  metrics-contract check",
              "  pre-commit install"]
    return lines


def _create(path: str, data: bytes, created: list[str]) -> None:
    try:
        with open(path, "xb") as fh:   # "x": never a file that appeared since `plan` looked
            created.append(path)
            fh.write(data)
    except OSError as exc:
        raise input_error(path, "init/write", f"cannot write: {os_reason(exc)}") from None


def _replace(path: str, data: bytes) -> None:
    """`path` (a link's target, the link kept) holding `data`, swapped in whole: a reader never sees half of it."""
    real = os.path.realpath(path)
    try:
        replace_file(real, data, os.stat(real).st_mode & 0o7777)   # the file keeps its permissions
    except OSError as exc:
        raise input_error(path, "init/write", f"cannot write: {os_reason(exc)}") from None
