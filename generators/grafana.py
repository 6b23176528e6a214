"""`out/grafana/`: the contract's dashboards and Grafana's provisioning for them.

Which dashboards, and from which sources (configured files, the contract's
`dashboards:` section, else the default), is `dashboards/sources.py`'s; here
they are rendered, every failure of every dashboard reported at once, and no
two may share an output file or a Grafana uid.

Provisioning holds no credentials: the data source is Prometheus inside the
compose network, reached without authentication.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contract.loader import LoadedContract
from contract.problems import InputError, Problem
from dashboards import lib, sources
from generators.common import hash_header, json_text, marker
from generators.stack import series_job

# The stack runs Prometheus as compose service `prometheus`; inside the compose
# network it listens on its image's port, whatever host port `stack.prometheus_port`
# publishes it on.
PROMETHEUS_SERVICE = "prometheus"
PROMETHEUS_CONTAINER_PORT = 9090
# where the stack mounts out/grafana/ inside the Grafana container
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"


def generate(lc: LoadedContract, dashboards: Sequence[str] = ()) -> dict[str, str]:
    """The dashboards (`dashboards`: the configured source files) and the provisioning files."""
    # the job picker starts on the service: its series carry its name as `job` on every path
    job = series_job(lc.contract)
    problems: list[Problem] = []
    rendered: dict[str, tuple[sources.Source, dict[str, Any]]] = {}
    for source in sources.dashboards(lc, dashboards):
        if source.name in rendered:
            problems.append(_at(source, "dashboard/duplicate-name", f"dashboard `grafana/{source.name}.json` is also "
                                f"rendered from `{rendered[source.name][0].origin}`; give one of them another name"))
            continue
        try:
            data = lib.render(source.dashboard, lc.contract, description=marker(lc), job=job)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        other = next((s for s, d in rendered.values() if d["uid"] == data["uid"]), None)
        if other is not None:
            problems.append(_at(source, "dashboard/duplicate-uid", f"dashboard uid `{data['uid']}` is also the uid "
                                f"of `{other.origin}`; Grafana would show only one of them"))
        rendered[source.name] = (source, data)
    if problems:
        raise InputError.many(problems)
    files = {f"grafana/{name}.json": json_text(data) for name, (_, data) in rendered.items()}
    files["grafana/provisioning/datasources/prometheus.yml"] = _datasource(lc)
    files[f"grafana/provisioning/dashboards/{lc.contract.service}.yml"] = _provider(lc)
    return files


def _at(source: sources.Source, check: str, message: str) -> Problem:
    board = source.dashboard
    return Problem(file=board.file, line=board.line, column=board.column, check=check, message=message,
                   location=f"dashboard \"{board.title}\"")


def _datasource(lc: LoadedContract) -> str:
    return hash_header(lc) + f"""\
apiVersion: 1

datasources:
  - name: {lib.PROVISIONED_DATASOURCE_NAME}
    type: prometheus
    # fixed, so the dashboards' data source variable starts on it
    uid: {lib.PROVISIONED_DATASOURCE_UID}
    access: proxy
    url: http://{PROMETHEUS_SERVICE}:{PROMETHEUS_CONTAINER_PORT}
    isDefault: true
    editable: false
    jsonData:
      # $__rate_interval is computed from it: it must be the real scrape interval
      timeInterval: {lc.contract.scrape_interval}
"""


def _provider(lc: LoadedContract) -> str:
    service = lc.contract.service
    return hash_header(lc) + f"""\
apiVersion: 1

providers:
  - name: {service}
    orgId: 1
    folder: {service}
    type: file
    # the files are generated: a change made in the UI would be lost on the next run
    allowUiUpdates: false
    disableDeletion: true
    options:
      path: {DASHBOARDS_MOUNT}
      foldersFromFilesStructure: false
"""
