"""The observability stack: contract ports, no secrets, promtool, and a live Prometheus."""

from __future__ import annotations

import posixpath
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.loader import LoadedContract, load_contract
from contract.problems import InputError
from generators import alerts, outputs, rules, stack
from tests import prom_server
from tests.conftest import MINIMAL, contract_from
from tests.peer_bins import PEERS, binary
from tests.test_rules import promtool, write

CUSTOM_STACK = MINIMAL + """\
stack:
  app_host: app.internal
  app_metrics_port: 8000
  otlp_grpc_port: 14317
  otlp_http_port: 14318
  collector_metrics_port: 18889
  prometheus_port: 19090
  grafana_port: 13000
  jaeger_ui_port: 26686
"""

# `password: x`, `PASSWORD=x`, `"secret": "x"`: a credential-like key given a value
CREDENTIAL = re.compile(r"""(?ix) [\w.-]* (password|passwd|secret|token|api[_-]?key) [\w.-]* ["']?
                            \s* [:=] \s* ["']? (?P<value>\$\{[^}]*\}|[^\s,}#"']+)""")
# `${VAR}` or `${VAR:?message}`: no `${VAR:-default}`, which would be a default secret
REQUIRED_REFERENCE = re.compile(r"\$\{\w+(:?\?[^}]*)?\}")


@pytest.fixture
def lc(in_root: Path) -> LoadedContract:
    return load_contract("contract/qortex.yaml")


def compose(lc: LoadedContract) -> dict[str, Any]:
    return yaml.safe_load(stack.generate(lc)["stack/docker-compose.yml"])


def test_byte_identical_on_regeneration(lc: LoadedContract) -> None:
    assert stack.generate(lc) == stack.generate(load_contract("contract/qortex.yaml"))


def test_ports_and_hosts_come_from_the_contract(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, CUSTOM_STACK)
    files = stack.generate(lc)
    services = yaml.safe_load(files["stack/docker-compose.yml"])["services"]
    assert services["otel-collector"]["ports"] == ["14317:14317", "14318:14318", "127.0.0.1:18889:18889",
                                                   "127.0.0.1:13133:13133"]
    assert services["prometheus"]["ports"] == ["127.0.0.1:19090:9090"]
    assert services["grafana"]["ports"] == ["127.0.0.1:13000:3000"]
    assert services["jaeger"]["ports"] == ["127.0.0.1:26686:16686"]
    # the host-gateway mapping is only for Docker's own name for the host
    assert "extra_hosts" not in services["prometheus"]

    prom = yaml.safe_load(files["stack/prometheus/prometheus.yml"])
    assert prom["global"] == {"scrape_interval": "15s", "evaluation_interval": "15s"}
    assert [(j["job_name"], j["static_configs"][0]["targets"]) for j in prom["scrape_configs"]] == [
        ("svc", ["app.internal:8000"]), ("otel-collector", ["otel-collector:18889"])]
    # the Collector's series keep the pushing service's job/instance (tests/live/test_collector_live.py)
    assert [j.get("honor_labels") for j in prom["scrape_configs"]] == [None, True]

    collector = yaml.safe_load(files["stack/otel-collector/config.yaml"])
    assert collector["receivers"]["otlp"]["protocols"] == {
        "grpc": {"endpoint": "0.0.0.0:14317"}, "http": {"endpoint": "0.0.0.0:14318"}}
    assert collector["exporters"]["prometheus"] == {
        "endpoint": "0.0.0.0:18889", "translation_strategy": "UnderscoreEscapingWithSuffixes",
        "resource_constant_labels": {"included": ["*"]}}
    assert collector["exporters"]["otlp/jaeger"] == {"endpoint": "jaeger:4317", "tls": {"insecure": True}}
    assert collector["extensions"] == {"health_check": {"endpoint": "0.0.0.0:13133"}}
    assert collector["processors"] == {
        "memory_limiter": {"check_interval": "1s", "limit_percentage": 75, "spike_limit_percentage": 15},
        "batch": {}}
    # memory_limiter first: it refuses data before any other processor holds it
    assert collector["service"] == {"extensions": ["health_check"], "pipelines": {
        "metrics": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": ["prometheus"]},
        "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "batch"], "exporters": ["otlp/jaeger"]},
    }}


def test_series_have_the_service_job_and_up_the_scrape_job_of_each_path(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("exposition: [prometheus-client, otel-collector]",
                                                 "exposition: [prometheus-client, otel-python, otel-collector]"))
    c = lc.contract
    # the Collector's series keep the pushing service's `service.name` (`honor_labels`): the service on every path
    assert stack.series_job(c) == "svc"
    # but `up` has the labels of the target Prometheus scraped: the Collector's own for its path
    scraped = {path: (stack.scrape_job(c, path), stack.scrape_target(c, path)) for path in c.exposition}
    assert scraped == {"prometheus-client": ("svc", "host.docker.internal:9090"),
                       "otel-python": ("svc", "host.docker.internal:9090"),
                       "otel-collector": ("otel-collector", "otel-collector:8889")}
    # the scrape jobs prometheus.yml has
    prom = yaml.safe_load(stack.generate(lc)[stack.CONFIG_FILE])
    assert {(j["job_name"], j["static_configs"][0]["targets"][0]) for j in prom["scrape_configs"]} == \
        set(scraped.values())


@pytest.mark.parametrize(("paths", "jobs"), [
    ("[otel-collector]", {"otel-collector": "otel-collector:8889"}),
    ("[prometheus-client]", {"svc": "host.docker.internal:9090"}),
    ("[otel-collector, prometheus-client]", {"otel-collector": "otel-collector:8889",
                                             "svc": "host.docker.internal:9090"}),
])
def test_the_stack_scrapes_the_targets_of_its_paths_only(tmp_path: Path, paths: str, jobs: dict[str, str]) -> None:
    text = MINIMAL.replace("metrics:\n", f"stack: {{paths: {paths}}}\nmetrics:\n", 1) + "alerts: {}\n"
    files = outputs.render_all(contract_from(tmp_path, text))
    prom = yaml.safe_load(files[stack.CONFIG_FILE])
    assert {j["job_name"]: j["static_configs"][0]["targets"][0] for j in prom["scrape_configs"]} == jobs
    # the target-down alert watches those jobs and no other
    (target_down,) = (r for g in yaml.safe_load(files["prometheus/alerts.yml"])["groups"] for r in g["rules"]
                      if r.get("alert") == "SvcTargetDown")
    matcher = f'job="{next(iter(jobs))}"' if len(jobs) == 1 else f'job=~"{"|".join(sorted(jobs))}"'
    assert target_down["expr"] == f"up{{{matcher}}} == 0"
    # and the alerts' tests, with the stack's jobs, pass as written
    out = write(files, tmp_path / "out")
    for ran in (promtool("check", "config", str(out / stack.CONFIG_FILE)),
                promtool("test", "rules", str(out / "prometheus/alerts_test.yml"))):
        assert ran.returncode == 0, ran.stdout + ran.stderr


def test_seed_defaults(lc: LoadedContract) -> None:
    services = compose(lc)["services"]
    assert sorted(services) == ["grafana", "jaeger", "otel-collector", "prometheus"]
    assert services["prometheus"]["ports"] == ["127.0.0.1:9091:9090"]
    assert services["grafana"]["ports"] == ["127.0.0.1:3010:3000"]
    assert services["prometheus"]["extra_hosts"] == ["host.docker.internal:host-gateway"]


def container_files(service: dict[str, Any], out: Path) -> dict[str, Path]:
    """Container path -> the generated file that a compose service's bind mount puts there."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts[target] = (out / "stack" / source).resolve()
    return mounts


def test_mounts_point_at_generated_files(lc: LoadedContract, tmp_path: Path) -> None:
    out = write(outputs.render_all(lc), tmp_path / "out")
    for name, service in compose(lc)["services"].items():
        for target, source in container_files(service, out).items():
            assert source.exists(), f"{name}: {source} mounted at {target}"


def test_prometheus_finds_its_config_and_rules_in_the_container(lc: LoadedContract, tmp_path: Path) -> None:
    out = write(outputs.render_all(lc), tmp_path / "out")
    service = compose(lc)["services"]["prometheus"]
    mounted = container_files(service, out)
    (config,) = (flag.removeprefix("--config.file=") for flag in service["command"] if flag.startswith("--config."))
    assert mounted[config] == (out / "stack/prometheus/prometheus.yml").resolve()
    # the image's own flags (Prometheus 3's image ships no console templates), but for the config file
    assert service["command"][1:] == ["--storage.tsdb.path=/prometheus"]
    rule_files = yaml.safe_load(mounted[config].read_text(encoding="utf-8"))["rule_files"]
    # Prometheus resolves them against the config file's directory, in the container as on the host; qortex
    # declares alerts and an SLO, so alerts.yml is loaded beside rules.yml
    assert rule_files == ["../../prometheus/rules.yml", "../../prometheus/alerts.yml"]
    for rule_file, generated in zip(rule_files, ("prometheus/rules.yml", "prometheus/alerts.yml"), strict=True):
        in_container = posixpath.normpath(posixpath.join(posixpath.dirname(config), rule_file))
        assert mounted[in_container] == (out / generated).resolve()
        assert (mounted[config].parent / rule_file).resolve() == (out / generated).resolve()


def test_grafana_provisioning_agrees_with_the_mounts(lc: LoadedContract) -> None:
    grafana = pytest.importorskip("generators.grafana")
    assert grafana.DASHBOARDS_MOUNT == stack.DASHBOARDS_IN_CONTAINER
    assert grafana.PROMETHEUS_SERVICE in compose(lc)["services"]


def peer_module_version(peer: str, module: str) -> str:
    """The version tests/peers/<peer>/go.mod requires of `module` (`v0.165.1`)."""
    text = (PEERS / peer / "go.mod").read_text(encoding="utf-8")
    (version,) = re.findall(rf"^\s+{re.escape(module)} (v\S+)", text, re.M)
    return version


def test_images_are_the_releases_the_live_tests_run(lc: LoadedContract) -> None:
    services = compose(lc)["services"]
    # the contrib distribution is released under its newest component's version: the contrib modules
    # (the prometheus exporter) are v0.165.1, the core modules v0.165.0
    contrib = peer_module_version("collector", "github.com/open-telemetry/opentelemetry-collector-contrib/"
                                               "exporter/prometheusexporter")
    core = peer_module_version("collector", "go.opentelemetry.io/collector/otelcol")
    assert max(contrib, core, key=lambda v: tuple(map(int, v[1:].split(".")))) == contrib
    assert services["otel-collector"]["image"] == f"otel/opentelemetry-collector-contrib:{contrib[1:]}"
    # Prometheus 3.x is the Go module v0.3xx.y: v0.316.0 is 3.16.0
    module = peer_module_version("prometheus", "github.com/prometheus/prometheus")
    found = re.fullmatch(r"v0\.3(\d\d)\.(\d+)", module)
    assert found, module
    minor, patch = found.groups()
    assert services["prometheus"]["image"] == f"prom/prometheus:v3.{int(minor)}.{patch}"
    assert (stack.COLLECTOR_VERSION, stack.PROMETHEUS_VERSION) == (contrib[1:], f"3.{int(minor)}.{patch}")


def test_the_collector_validates_the_generated_config(lc: LoadedContract, tmp_path: Path) -> None:
    """As generated, Jaeger address and all: `validate` builds every component without connecting anywhere."""
    config = tmp_path / "config.yaml"
    config.write_text(stack.generate(lc)["stack/otel-collector/config.yaml"], encoding="utf-8")
    checked = subprocess.run([binary("otelcol"), "validate", f"--config={config}"], capture_output=True, text=True,
                             timeout=60)
    assert (checked.returncode, checked.stderr) == (0, "")


def test_a_misspelled_exporter_setting_fails_validation(lc: LoadedContract, tmp_path: Path) -> None:
    """The validation above can fail: the Collector rejects a key its exporter does not have."""
    generated = yaml.safe_load(stack.generate(lc)["stack/otel-collector/config.yaml"])
    generated["exporters"]["prometheus"]["translation_stratgy"] = "UnderscoreEscapingWithSuffixes"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(generated), encoding="utf-8")
    checked = subprocess.run([binary("otelcol"), "validate", f"--config={config}"], capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 1
    assert "translation_stratgy" in checked.stderr


def credential_leaks(text: str) -> list[str]:
    return [m[0] for m in CREDENTIAL.finditer(text) if not REQUIRED_REFERENCE.fullmatch(m["value"])]


@pytest.mark.parametrize(("text", "leaks"), [
    ("- GF_SECURITY_ADMIN_PASSWORD=${GF_SECURITY_ADMIN_PASSWORD:?set it in .env}", False),
    ("password: ${DB_PASSWORD}", False),
    ("- GF_SECURITY_ADMIN_PASSWORD=${GF_SECURITY_ADMIN_PASSWORD:-qortex}", True),
    ("- GF_SECURITY_ADMIN_PASSWORD=qortex", True),
    ("    password: hunter2", True),
    ('"secureJsonData": {"basicAuthPassword": "hunter2"}', True),
    ("api_key = 'abc'", True),
])
def test_credential_detector(text: str, leaks: bool) -> None:
    assert bool(credential_leaks(text)) == leaks


def test_no_secret_literal_in_any_generated_file(lc: LoadedContract) -> None:
    files = outputs.render_all(lc)
    assert CREDENTIAL.search(files["stack/docker-compose.yml"]), "the detector must see the compose credentials"
    leaks = {rel: credential_leaks(text) for rel, text in files.items() if rel != "stack/.env.example"}
    assert not {rel: found for rel, found in leaks.items() if found}


def test_credentials_are_required_references_listed_in_env_example(lc: LoadedContract) -> None:
    files = stack.generate(lc)
    env = compose(lc)["services"]["grafana"]["environment"]
    references = dict(e.split("=", 1) for e in env if e.startswith("GF_SECURITY_"))
    assert references == {name: f"${{{name}:?set it in .env}}" for name in stack.CREDENTIALS}
    example = [line for line in files["stack/.env.example"].splitlines() if line and not line.startswith("#")]
    assert dict(line.split("=", 1) for line in example) == {
        "GF_SECURITY_ADMIN_USER": "admin", "GF_SECURITY_ADMIN_PASSWORD": "change-me"}
    assert files["stack/.gitignore"].splitlines()[1:] == [".env"]


def test_service_named_like_the_collector_is_refused(tmp_path: Path) -> None:
    lc = contract_from(tmp_path, MINIMAL.replace("service: svc", "service: otel-collector"))
    with pytest.raises(InputError, match="scrape job name"):
        stack.generate(lc)


def generated_tree(lc: LoadedContract, tmp_path: Path) -> Path:
    """The generated out/ tree (every generator's files) under `tmp_path`; returns its prometheus.yml."""
    out = write(outputs.render_all(lc), tmp_path / "out")
    return out / "stack" / "prometheus" / "prometheus.yml"


def live_config(lc: LoadedContract, tmp_path: Path) -> Path:
    """The generated prometheus.yml, fast and with loopback targets, next to it: its rule path still resolves."""
    generated = generated_tree(lc, tmp_path)
    config = yaml.safe_load(generated.read_text(encoding="utf-8"))
    # nothing listens on the targets: failed scrapes still leave every rule evaluated
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [f"127.0.0.1:{prom_server.free_port()}"]}]
    path = generated.with_name("live.yml")
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def test_promtool_check_config_where_it_lies(lc: LoadedContract, tmp_path: Path) -> None:
    config = generated_tree(lc, tmp_path)
    checked = promtool("check", "config", str(config))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    count = sum(len(g["rules"]) for g in rules.rule_groups(lc))
    rules_file = tmp_path / "out" / "prometheus" / "rules.yml"
    assert f"Checking {rules_file}\n  SUCCESS: {count} rules found" in checked.stdout


@pytest.mark.live
def test_real_prometheus_loads_and_evaluates_every_rule(lc: LoadedContract, tmp_path: Path) -> None:
    config = live_config(lc, tmp_path)
    # rules.yml's recordings, then alerts.yml's recordings and alerts (qortex declares alerts and an SLO)
    expected = {g["name"]: [r.get("record") or r["alert"] for r in g["rules"]]
                for g in rules.rule_groups(lc) + alerts.rule_groups(lc)}
    with prom_server.prometheus_server(config, tmp_path / "server") as server:
        deadline = time.monotonic() + 30
        while True:
            groups = server.get("/api/v1/rules")["data"]["groups"]
            evaluated = all(r["health"] == "ok" and not r["lastEvaluation"].startswith("0001-")
                            for g in groups for r in g["rules"])
            if (groups and evaluated) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    assert {g["name"]: [r["name"] for r in g["rules"]] for g in groups} == expected
    unhealthy = [(r["name"], r["health"], r.get("lastError")) for g in groups for r in g["rules"]
                 if r["health"] != "ok"]
    assert not unhealthy
    assert evaluated
