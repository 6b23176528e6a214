"""`stack/...`: the observability stack (Collector, Jaeger, Prometheus, Grafana) as generated config.

Ports and host names come from the contract's `stack:` section; the layout is
qortex 0.3.0's `docker/` stack without its application services. Compose runs
from `out/stack/`, so the rules and the Grafana files written by the other
generators are mounted from `../prometheus` and `../grafana`; when
`[tool.metrics-contract]` places any of the three elsewhere, the mounts
follow (`Layout`, generators/placed.py). A contract with `alerts:` or
`slos:` also gets `alerts.yml` beside `rules.yml`: Prometheus loads both, and
Compose mounts both.

Credentials are `${VAR:?...}` references only: Compose refuses to start until
`.env` (git-ignored; `.env.example` lists the names) sets them.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

from contract.alerting import has_alerts
from contract.loader import LoadedContract
from contract.naming import PATHS
from contract.problems import input_error
from generators.common import hash_header
from generators.placed import DEFAULT_LAYOUT, Layout

if TYPE_CHECKING:
    from contract.model import Contract
    from contract.naming import ExpositionPath

COLLECTOR_JOB = "otel-collector"
# Generated files, relative to the out dir.
STACK_DIR = "stack"
CONFIG_FILE = f"{STACK_DIR}/prometheus/prometheus.yml"
RULES_FILE = "prometheus/rules.yml"
# alerting rules and SLOs, beside rules.yml; written only for a contract with `alerts:` or `slos:`
ALERTS_FILE = "prometheus/alerts.yml"
# The Prometheus container sees prometheus.yml and rules.yml below this
# directory, at their paths below the dir both are in (`_mounts`).
OUT_IN_CONTAINER = "/etc/prometheus/out"
# The image's default flags (prom/prometheus Dockerfile of 3.x, which no
# longer ships console templates), which `command` replaces: all but
# --config.file, which points at the mounted config.
PROMETHEUS_FLAGS = ("--storage.tsdb.path=/prometheus",)
DASHBOARDS_IN_CONTAINER = "/var/lib/grafana/dashboards"
# Pinned to the releases the live tests run (tests/peers/*/go.mod, checked by
# tests/test_stack.py): the Collector's metric naming changed across releases
# (see contract/naming.py). The contrib distribution's release is numbered
# after its newest component: contrib modules v0.165.1 with core v0.165.0.
COLLECTOR_VERSION = "0.165.1"
PROMETHEUS_VERSION = "3.16.0"
IMAGES = {
    "otel-collector": f"otel/opentelemetry-collector-contrib:{COLLECTOR_VERSION}",
    "jaeger": "jaegertracing/all-in-one:1.57",
    "prometheus": f"prom/prometheus:v{PROMETHEUS_VERSION}",
    "grafana": "grafana/grafana:11.3.0",
}
# The Collector's health_check extension: its default port, published on loopback only
HEALTH_CHECK_PORT = 13133
# memory_limiter, as a share of the memory the container may use (cgroup limit, else the host's): the hard
# limit, and the headroom below it for one check interval's growth (the processor's documented 20% of it)
MEMORY_LIMIT_PERCENTAGE = 75
MEMORY_SPIKE_LIMIT_PERCENTAGE = 15
JAEGER_OTLP_GRPC = "jaeger:4317"
CREDENTIALS = {
    # name -> placeholder written to .env.example
    "GF_SECURITY_ADMIN_USER": "admin",
    "GF_SECURITY_ADMIN_PASSWORD": "change-me",
}


def generate(lc: LoadedContract, layout: Layout = DEFAULT_LAYOUT) -> dict[str, str]:
    """The stack's files; `layout`: where it and the files it mounts land (by default side by side in out/)."""
    if lc.contract.service == COLLECTOR_JOB:
        raise input_error(lc.file, "generate/job-name",
                          f"service `{COLLECTOR_JOB}` would share its scrape job name with the Collector")
    _check_collector_ports(lc)
    header = hash_header(lc)
    return {
        "stack/.env.example": header + env_example(),
        "stack/.gitignore": header + ".env\n",
        "stack/docker-compose.yml": header + _dump(compose(lc, layout)),
        "stack/otel-collector/config.yaml": header + _dump(collector(lc)),
        CONFIG_FILE: header + _dump(prometheus(lc, layout)),
    }


def _check_collector_ports(lc: LoadedContract) -> None:
    """The Collector listens on three contract ports and the health check's: two alike would stop it at start."""
    s = lc.contract.stack
    taken = {HEALTH_CHECK_PORT: "the collector's health_check extension"}
    for key in ("otlp_grpc_port", "otlp_http_port", "collector_metrics_port"):
        port = getattr(s, key)
        if port in taken:
            line, column = lc.source.locate(("stack", key))
            raise input_error(lc.file, "generate/port-collision",
                              f"`stack.{key}` {port} is already the port of {taken[port]}", line, column)
        taken[port] = f"`stack.{key}`"


class _Mounts(NamedTuple):
    config: str            # prometheus.yml on the host, from the stack dir (where Compose resolves it)
    rules: str             # rules.yml on the host, from the stack dir
    grafana: str           # the Grafana dir on the host, from the stack dir
    config_in: str         # prometheus.yml in the Prometheus container
    rules_in: str          # rules.yml in the Prometheus container
    rule_file: str         # rules.yml from prometheus.yml's dir: the same on the host and in the container
    alerts: str            # alerts.yml, as `rules`
    alerts_in: str         # alerts.yml, as `rules_in`
    alert_file: str        # alerts.yml, as `rule_file`


def _mounts(layout: Layout) -> _Mounts:
    """The host and container paths of the mounted files, for the dirs of `layout`.

    The container sees prometheus.yml and rules.yml at their paths below the dir both are in, moved to
    OUT_IN_CONTAINER: so the rule path in prometheus.yml, relative to it, names the same rules.yml on the
    host (where `promtool check config` reads the generated tree) and in the container.
    """
    config = posixpath.join(layout.stack, posixpath.relpath(CONFIG_FILE, STACK_DIR))
    rules = posixpath.join(layout.prometheus, posixpath.relpath(RULES_FILE, "prometheus"))
    alerts = posixpath.join(layout.prometheus, posixpath.relpath(ALERTS_FILE, "prometheus"))
    base = posixpath.commonpath([config, rules]) or "."   # alerts.yml is in rules.yml's dir, so below it too
    return _Mounts(
        config=_from(layout.stack, config), rules=_from(layout.stack, rules),
        grafana=_from(layout.stack, layout.grafana),
        config_in=f"{OUT_IN_CONTAINER}/{posixpath.relpath(config, base)}",
        rules_in=f"{OUT_IN_CONTAINER}/{posixpath.relpath(rules, base)}",
        rule_file=posixpath.relpath(rules, posixpath.dirname(config)),
        alerts=_from(layout.stack, alerts), alerts_in=f"{OUT_IN_CONTAINER}/{posixpath.relpath(alerts, base)}",
        alert_file=posixpath.relpath(alerts, posixpath.dirname(config)),
    )


def series_job(c: Contract) -> str:
    """The `job` label on the service's own series, whichever path they come through: the contract's `service`.

    The direct scrape job is named after the service; behind the Collector
    the exporter writes the pushing application's `service.name` (the
    contract's `service` is that name), which the scrape's `honor_labels`
    keeps; the pushed paths take it from `service.name` too. Recording rules,
    alerts and dashboards select the service's series by it. It does not tell
    the paths apart: an application exposes through one path at a time.
    """
    return c.service


def scrape_job(c: Contract, path: ExpositionPath) -> str:
    """The scrape job of the generated prometheus.yml whose `up` says whether `path`'s series can come in.

    The Collector's job for a path scraped at the Collector: Prometheus writes
    `up` with the scrape target's own labels, which `honor_labels` leaves
    alone, so it is not the series' job (`series_job`). The direct scrape job
    (the service's) for the paths scraped at the service, and for the pushed
    paths, which have no scrape target of their own.
    """
    return COLLECTOR_JOB if PATHS[path].scraped == "collector" else c.service


def scrape_target(c: Contract, path: ExpositionPath) -> str:
    """The `instance` of `scrape_job`'s target in the generated prometheus.yml."""
    s = c.stack
    return f"{COLLECTOR_JOB}:{s.collector_metrics_port}" if PATHS[path].scraped == "collector" \
        else f"{s.app_host}:{s.app_metrics_port}"


def collector(lc: LoadedContract) -> dict[str, Any]:
    s = lc.contract.stack
    # first in every pipeline: refusing data early is what lets the receiver push back on its clients
    processors = ["memory_limiter", "batch"]
    return {
        "extensions": {"health_check": {"endpoint": f"0.0.0.0:{HEALTH_CHECK_PORT}"}},
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"0.0.0.0:{s.otlp_grpc_port}"},
            "http": {"endpoint": f"0.0.0.0:{s.otlp_http_port}"},
        }}},
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": MEMORY_LIMIT_PERCENTAGE,
                               "spike_limit_percentage": MEMORY_SPIKE_LIMIT_PERCENTAGE},
            "batch": {},
        },
        "exporters": {
            "otlp/jaeger": {"endpoint": JAEGER_OTLP_GRPC, "tls": {"insecure": True}},
            "prometheus": {
                "endpoint": f"0.0.0.0:{s.collector_metrics_port}",
                # contract/naming.py's otel-collector path assumes both settings; spelled
                # out so a changed default cannot rename every series. They are the current
                # spellings of the deprecated `add_metric_suffixes: true` and
                # `resource_to_telemetry_conversion: {enabled: true}`, which expose the very
                # same series (measured with the v0.165 exporter).
                "translation_strategy": "UnderscoreEscapingWithSuffixes",
                "resource_constant_labels": {"included": ["*"]},
            },
        },
        "service": {
            "extensions": ["health_check"],
            "pipelines": {
                "metrics": {"receivers": ["otlp"], "processors": processors, "exporters": ["prometheus"]},
                "traces": {"receivers": ["otlp"], "processors": processors, "exporters": ["otlp/jaeger"]},
            },
        },
    }


def prometheus(lc: LoadedContract, layout: Layout = DEFAULT_LAYOUT) -> dict[str, Any]:
    c = lc.contract
    mounts = _mounts(layout)
    return {
        "global": {"scrape_interval": c.scrape_interval, "evaluation_interval": c.scrape_interval},
        # relative: Prometheus and promtool resolve them against the config file's directory
        "rule_files": [mounts.rule_file] + ([mounts.alert_file] if has_alerts(c) else []),
        # the jobs of the stack's paths only: a job whose target the application does not serve stays down
        "scrape_configs": [_scrape_config(c, job, target) for job, target in scrape_targets(c).items()],
    }


def scrape_targets(c: Contract) -> dict[str, str]:
    """{scrape job: its target} of the generated prometheus.yml: those of the stack's paths, in their order."""
    return {scrape_job(c, path): scrape_target(c, path) for path in c.stack_paths}


def _scrape_config(c: Contract, job: str, target: str) -> dict[str, Any]:
    if job != COLLECTOR_JOB:
        return {"job_name": job, "static_configs": [{"targets": [target]}]}
    # honor_labels: the exporter's `job`/`instance` (each pushing service's `service.name` and
    # `service.instance.id`) stay, so the dashboards' `$job` tells the services behind one Collector
    # apart; without it every one is `job="otel-collector"` (measured in tests/live/test_collector_live.py)
    return {"job_name": job, "honor_labels": True, "static_configs": [{"targets": [target]}]}


def compose(lc: LoadedContract, layout: Layout = DEFAULT_LAYOUT) -> dict[str, Any]:
    c = lc.contract
    s = c.stack
    mounts = _mounts(layout)
    prometheus_service: dict[str, Any] = {
        "image": IMAGES["prometheus"],
        "command": [f"--config.file={mounts.config_in}", *PROMETHEUS_FLAGS],
        "ports": [_local(s.prometheus_port, 9090)],
        "volumes": [
            f"{mounts.config}:{mounts.config_in}:ro",
            f"{mounts.rules}:{mounts.rules_in}:ro",
            *([f"{mounts.alerts}:{mounts.alerts_in}:ro"] if has_alerts(c) else []),
            "prometheus_data:/prometheus",
        ],
        "depends_on": [COLLECTOR_JOB],
    }
    if s.app_host == "host.docker.internal":
        # Docker Desktop defines this name; Linux engines need it mapped
        prometheus_service["extra_hosts"] = ["host.docker.internal:host-gateway"]
    return {
        "name": project_name(c.service),
        "services": {
            COLLECTOR_JOB: {
                "image": IMAGES["otel-collector"],
                # OTLP must be reachable from wherever the application runs;
                # everything else listens on loopback only
                "ports": [f"{s.otlp_grpc_port}:{s.otlp_grpc_port}", f"{s.otlp_http_port}:{s.otlp_http_port}",
                          _local(s.collector_metrics_port, s.collector_metrics_port),
                          _local(HEALTH_CHECK_PORT, HEALTH_CHECK_PORT)],
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
                    f"{posixpath.join(mounts.grafana, 'provisioning')}:/etc/grafana/provisioning:ro",
                    f"{mounts.grafana}:{DASHBOARDS_IN_CONTAINER}:ro",
                    "grafana_data:/var/lib/grafana",
                ],
                "environment": [f"{name}=${{{name}:?set it in .env}}" for name in CREDENTIALS],
                "depends_on": ["prometheus"],
            },
        },
        "volumes": {"prometheus_data": {}, "grafana_data": {}},
    }


def project_name(service: str) -> str:
    """The Compose project name of `service`'s stack: Compose takes only `[a-z0-9][a-z0-9_-]*`, so the name is
    lowercased, each run of other characters becomes `-` (`shop.orders` -> `shop-orders-observability`), and
    what it starts with is a letter or digit."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", service.lower()).strip("_-")
    return f"{slug}-observability" if slug else "observability"


def env_example() -> str:
    lines = ["# copy to .env and replace every value; .env is git-ignored"]
    lines += [f"{name}={placeholder}" for name, placeholder in CREDENTIALS.items()]
    return "\n".join(lines) + "\n"


def _from(stack_dir: str, path: str) -> str:
    """`path` as Compose, which runs from `stack_dir`, resolves it (both with one base)."""
    rel = posixpath.relpath(path, stack_dir)
    return rel if rel == ".." or rel.startswith("../") else f"./{rel}"


def _local(host_port: int, container_port: int) -> str:
    return f"127.0.0.1:{host_port}:{container_port}"


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1 << 16)
