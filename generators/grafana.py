"""`out/grafana/`: the dashboards of `dashboards/` and Grafana's provisioning for them.

Provisioning holds no credentials: the data source is Prometheus inside the
compose network, reached without authentication.
"""

from __future__ import annotations

from contract.loader import LoadedContract
from dashboards import _lib, qortex
from generators.common import hash_header, json_text, marker
from generators.stack import scrape_job

DASHBOARDS: dict[str, _lib.Dashboard] = {"qortex": qortex.DASHBOARD}

# The stack runs Prometheus as compose service `prometheus`; inside the compose
# network it listens on its image's port, whatever host port `stack.prometheus_port`
# publishes it on.
PROMETHEUS_SERVICE = "prometheus"
PROMETHEUS_CONTAINER_PORT = 9090
# where the stack mounts out/grafana/ inside the Grafana container
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"


def generate(lc: LoadedContract) -> dict[str, str]:
    # the job picker starts on the job of the first declared path
    job = scrape_job(lc.contract, lc.contract.exposition[0])
    files = {
        f"grafana/{name}.json": json_text(_lib.render(spec, lc.contract, description=marker(lc), job=job))
        for name, spec in DASHBOARDS.items()
    }
    files["grafana/provisioning/datasources/prometheus.yml"] = _datasource(lc)
    files[f"grafana/provisioning/dashboards/{lc.contract.service}.yml"] = _provider(lc)
    return files


def _datasource(lc: LoadedContract) -> str:
    return hash_header(lc) + f"""\
apiVersion: 1

datasources:
  - name: {_lib.PROVISIONED_DATASOURCE_NAME}
    type: prometheus
    # fixed, so the dashboards' data source variable starts on it
    uid: {_lib.PROVISIONED_DATASOURCE_UID}
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
