"""deploy/k8s: schema-valid manifests, one shard per pod, probes, limits, non-root, no secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest version the manifests promise to work on


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def resources() -> list[dict[str, Any]]:
    """Every Kubernetes object under deploy/k8s (the kustomization file is not one)."""
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in documents(path)
    ]


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [r for r in resources() if r["kind"] == kind and name in (None, r["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container() -> dict[str, Any]:
    containers: list[dict[str, Any]] = one("StatefulSet")["spec"]["template"]["spec"]["containers"]
    return containers[0]


def expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(NAME) expansion of variables defined earlier in the container's env."""
    return re.sub(r"\$\((\w+)\)", lambda match: env.get(match[1], match[0]), value)


def env_value(name: str) -> str:
    return str(next(e for e in container()["env"] if e["name"] == name)["value"])


@pytest.mark.parametrize(
    "resource", resources(), ids=lambda r: f"{r['kind']}/{r['metadata']['name']}"
)
def test_manifest_is_valid_against_the_kubernetes_schema(resource: dict[str, Any]) -> None:
    """kubernetes-validate, strict: unknown fields are errors too."""
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_but_the_secret_template() -> None:
    """`kubectl apply -k deploy/k8s` applies everything except the example Secret."""
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk


def test_each_pod_runs_the_shard_of_its_ordinal() -> None:
    """shard_ids = [pod ordinal] from the downward API; shard_count = replicas."""
    statefulset = one("StatefulSet")
    env = {e["name"]: e for e in container()["env"]}
    field = env["POD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert field == "metadata.labels['apps.kubernetes.io/pod-index']"
    assert env_value("BOT_DISCORD__SHARD_IDS") == "[$(POD_INDEX)]"
    assert int(env_value("BOT_DISCORD__SHARD_COUNT")) == statefulset["spec"]["replicas"]
    names = [e["name"] for e in container()["env"]]
    assert names.index("POD_INDEX") < names.index("BOT_DISCORD__SHARD_IDS")  # $(...) order


def test_settings_of_every_pod_are_valid_and_name_its_shard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ConfigMap's config.toml plus each pod's environment load as the bot loads them."""
    config = tmp_path / "config.toml"
    config.write_text(one("ConfigMap")["data"]["config.toml"])
    replicas = one("StatefulSet")["spec"]["replicas"]
    for ordinal in range(replicas):
        pod_env = {"POD_INDEX": str(ordinal)}  # what the downward API gives pod N
        for entry in container()["env"]:
            if "value" in entry:
                pod_env[entry["name"]] = expand(entry["value"], pod_env)
        for name, value in pod_env.items():
            monkeypatch.setenv(name, value)
        settings = load_settings(config, require_token=False)
        assert settings.discord.shard_ids == [ordinal]
        assert settings.discord.shard_count == replicas
        assert settings.api.host == "0.0.0.0"


def test_probes_use_health_and_ready_on_the_api_port(tmp_path: Path) -> None:
    """Liveness on /health, readiness on /ready, both on the port the config serves."""
    bot = container()
    port = {p["name"]: p["containerPort"] for p in bot["ports"]}["http"]
    assert bot["livenessProbe"]["httpGet"]["path"] == "/health"
    assert bot["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert bot["startupProbe"]["httpGet"]["path"] == "/health"
    config = tmp_path / "config.toml"
    config.write_text(one("ConfigMap")["data"]["config.toml"])
    assert load_settings(config).api.port == port
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert bot[probe]["httpGet"]["port"] in ("http", port)


def test_api_service_selects_the_pods_and_targets_the_api_port() -> None:
    """musicbot-api reaches the bot's HTTP port; the headless service names the pods."""
    labels = one("StatefulSet")["spec"]["template"]["metadata"]["labels"]
    api = one("Service", "musicbot-api")
    assert api["spec"]["selector"].items() <= labels.items()
    assert api["spec"]["ports"][0]["targetPort"] == "http"
    headless = one("Service", one("StatefulSet")["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"


def test_requests_limits_and_a_locked_down_security_context() -> None:
    """Resources set; non-root (the image's numeric user), no privilege escalation, RO root."""
    bot = container()
    assert set(bot["resources"]) == {"requests", "limits"}
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(bot["resources"][kind])
    pod = one("StatefulSet")["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True
    dockerfile_user = re.findall(r"^USER (\d+)", (ROOT / "Dockerfile").read_text(), re.M)[-1]
    assert pod["runAsUser"] == int(dockerfile_user)
    secured = bot["securityContext"]
    assert secured["allowPrivilegeEscalation"] is False
    assert secured["readOnlyRootFilesystem"] is True
    assert secured["capabilities"]["drop"] == ["ALL"]


def test_config_comes_from_the_configmap_and_the_token_from_the_secret() -> None:
    """BOT_CONFIG points into the mounted ConfigMap; secrets only via the Secret."""
    bot = container()
    mounts = {m["name"]: m["mountPath"] for m in bot["volumeMounts"]}
    volumes = one("StatefulSet")["spec"]["template"]["spec"]["volumes"]
    config_volume = next(v for v in volumes if "configMap" in v)
    assert config_volume["configMap"]["name"] == one("ConfigMap")["metadata"]["name"]
    assert env_value("BOT_CONFIG") == f"{mounts[config_volume['name']]}/config.toml"
    secret = one("Secret")
    assert bot["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
    assert "BOT_DISCORD__TOKEN" in secret["stringData"]
    for name, value in secret["stringData"].items():
        assert "REPLACE_WITH" in value, f"{name} must stay a placeholder in the repository"
    literal = {e["name"] for e in bot["env"] if "value" in e}
    assert not {n for n in literal if re.search("TOKEN|PASSWORD|URL|NODES", n)}
