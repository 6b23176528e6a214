"""`stack/...`: the observability stack (Collector, Jaeger, Prometheus, Grafana) as generated config.

Ports and host names come from the contract's `stack:` section; the layout is
qortex 0.3.0's `docker/` stack without its application services. Compose runs
from `out/stack/`, so the rules and the Grafana files written by the other
generators are mounted from `../prometheus` and `../grafana`.

Credentials are `${VAR:?...}` references only: Compose refuses to start until
`.env` (git-ignored; `.env.example` lists the names) sets them.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

import yaml

from contract.loader import LoadedContract
from contract.problems import input_error
from generators.common import hash_header

if TYPE_CHECKING:
    from contract.model import Contract
    from contract.naming import ExpositionPath

COLLECTOR_JOB = "otel-collector"
# Generated files, relative to the out dir.
STACK_DIR = "stack"
CONFIG_FILE = f"{STACK_DIR}/prometheus/prometheus.yml"
RULES_FILE = "prometheus/rules.yml"
# The Prometheus container sees both files at their out/-relative paths below
# this directory, so the rule path in prometheus.yml, relative to the config
# file, names the same rules.yml on the host (where `promtool check config`
# reads the generated tree) and in the container.
OUT_IN_CONTAINER = "/etc/prometheus/out"
CONFIG_IN_CONTAINER = f"{OUT_IN_CONTAINER}/{CONFIG_FILE}"
RULES_IN_CONTAINER = f"{OUT_IN_CONTAINER}/{RULES_FILE}"
# The image's default flags (prom/prometheus Dockerfile), which `command`
# replaces: all but --config.file, which points at the mounted config.
PROMETHEUS_FLAGS = (
    "--storage.tsdb.path=/prometheus",
    "--web.console.libraries=/usr/share/prometheus/console_libraries",
    "--web.console.templates=/usr/share/prometheus/consoles",
)
DASHBOARDS_IN_CONTAINER = "/var/lib/grafana/dashboards"
# Pinned: the Collector's metric naming changed across releases (see
# contract/naming.py) and the rules are verified against promtool 2.42.
IMAGES = {
    "otel-collector": "otel/opentelemetry-collector-contrib:0.114.0",
    "jaeger": "jaegertracing/all-in-one:1.57",
    "prometheus": "prom/prometheus:v2.42.0",
    "grafana": "grafana/grafana:11.3.0",
}
JAEGER_OTLP_GRPC = "jaeger:4317"
CREDENTIALS = {
    # name -> placeholder written to .env.example
    "GF_SECURITY_ADMIN_USER": "admin",
    "GF_SECURITY_ADMIN_PASSWORD": "change-me",
}


def generate(lc: LoadedContract) -> dict[str, str]:
    if lc.contract.service == COLLECTOR_JOB:
        raise input_error(lc.file, "generate/job-name",
                          f"service `{COLLECTOR_JOB}` would share its scrape job name with the Collector")
    header = hash_header(lc)
    return {
        "stack/.env.example": header + env_example(),
        "stack/.gitignore": header + ".env\n",
        "stack/docker-compose.yml": header + _dump(compose(lc)),
        "stack/otel-collector/config.yaml": header + _dump(collector(lc)),
        CONFIG_FILE: header + _dump(prometheus(lc)),
    }


def scrape_job(c: Contract, path: ExpositionPath) -> str:
    """The scrape job whose series come through `path` in the generated prometheus.yml.

    prometheus-client and otel-python are both scraped directly under the
    service's job: an application exposes through one of them, not both.
    """
    return COLLECTOR_JOB if path == "otel-collector" else c.service


def collector(lc: LoadedContract) -> dict[str, Any]:
    s = lc.contract.stack
    return {
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{s.otlp_grpc_port}"},
            "http": {"endpoint": f"0.0.0.0:{s.otlp_http_port}"},
        }}},
        "processors": {"batch": {}},
        "exporters": {
            "otlp/jaeger": {"endpoint": JAEGER_OTLP_GRPC, "tls": {"insecure": True}},
            "prometheus": {
                "endpoint": f"0.0.0.0:{s.collector_metrics_port}",
                # contract/naming.py's otel-collector path assumes both settings;
                # spelled out so a changed default cannot rename every series
                "add_metric_suffixes": True,
                "resource_to_telemetry_conversion": {"enabled": True},
            },
        },
        "service": {"pipelines": {
            "metrics": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["prometheus"]},
            "traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp/jaeger"]},
        }},
    }


def prometheus(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    s = c.stack
    return {
        "global": {"scrape_interval": c.scrape_interval, "evaluation_interval": c.scrape_interval},
        # relative: Prometheus and promtool resolve it against the config file's directory
        "rule_files": [posixpath.relpath(RULES_FILE, posixpath.dirname(CONFIG_FILE))],
        # no honor_labels: the Collector's own job/instance become exported_*,
        # as contract/naming.py expects
        "scrape_configs": [
            {"job_name": c.service, "static_configs": [{"targets": [f"{s.app_host}:{s.app_metrics_port}"]}]},
            {"job_name": COLLECTOR_JOB,
             "static_configs": [{"targets": [f"{COLLECTOR_JOB}:{s.collector_metrics_port}"]}]},
        ],
    }


def compose(lc: LoadedContract) -> dict[str, Any]:
    c = lc.contract
    s = c.stack
    prometheus_service: dict[str, Any] = {
        "image": IMAGES["prometheus"],
        "command": [f"--config.file={CONFIG_IN_CONTAINER}", *PROMETHEUS_FLAGS],
        "ports": [_local(s.prometheus_port, 9090)],
        "volumes": [
            f"{_from_stack(CONFIG_FILE)}:{CONFIG_IN_CONTAINER}:ro",
            f"{_from_stack(RULES_FILE)}:{RULES_IN_CONTAINER}:ro",
            "prometheus_data:/prometheus",
        ],
        "depends_on": [COLLECTOR_JOB],
    }
    if s.app_host == "host.docker.internal":
        # Docker Desktop defines this name; Linux engines need it mapped
        prometheus_service["extra_hosts"] = ["host.docker.internal:host-gateway"]
    return {
        "name": f"{c.service}-observability",
        "services": {
            COLLECTOR_JOB: {
                "image": IMAGES["otel-collector"],
                # OTLP must be reachable from wherever the application runs;
                # everything else listens on loopback only
                "ports": [f"{s.otlp_grpc_port}:{s.otlp_grpc_port}", f"{s.otlp_http_port}:{s.otlp_http_port}",
                          _local(s.collector_metrics_port, s.collector_metrics_port)],
                "volumes": ["./otel-collector/config.yaml:/etc/otelcol-contrib/config.yaml:ro"],
                "depends_on": ["jaeger"],
            },
            "jaeger": {
                "image": IMAGES["jaeger"],
                "ports": [_local(s.jaeger_ui_port, 16686)],
                "environment": ["COLLECTOR_OTLP_ENABLED=true"],
            },
            "prometheus": prometheus_service,
            "grafana": {
                "image": IMAGES["grafana"],
                "ports": [_local(s.grafana_port, 3000)],
                "volumes": [
                    "../grafana/provisioning:/etc/grafana/provisioning:ro",
                    f"../grafana:{DASHBOARDS_IN_CONTAINER}:ro",
                    "grafana_data:/var/lib/grafana",
                ],
                "environment": [f"{name}=${{{name}:?set it in .env}}" for name in CREDENTIALS],
                "depends_on": ["prometheus"],
            },
        },
        "volumes": {"prometheus_data": {}, "grafana_data": {}},
    }


def env_example() -> str:
    lines = ["# copy to .env and replace every value; .env is git-ignored"]
    lines += [f"{name}={placeholder}" for name, placeholder in CREDENTIALS.items()]
    return "\n".join(lines) + "\n"


def _from_stack(rel: str) -> str:
    """A generated file's path as Compose, which runs from out/stack/, resolves it."""
    path = posixpath.relpath(rel, STACK_DIR)
    return path if path.startswith("../") else f"./{path}"


def _local(host_port: int, container_port: int) -> str:
    return f"127.0.0.1:{host_port}:{container_port}"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1 << 16)
