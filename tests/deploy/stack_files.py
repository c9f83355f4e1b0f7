"""The deployment files as data: Compose interpolation, .env.example, metric names, PromQL."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DASHBOARDS = ROOT / "deploy" / "grafana" / "dashboards"
GRAFANA_PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}
INTERPOLATION = re.compile(
    r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file."""
    return yaml.safe_load(path.read_text())


def compose() -> dict[str, Any]:
    """docker-compose.yml as data."""
    data: dict[str, Any] = load_yaml(COMPOSE)
    return data


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's variable substitution; a required variable missing from `env` raises."""

    def replace(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        given = env.get(name)
        if op and op.endswith("?") and not given:
            raise KeyError(f"{name} is required: {arg}")
        if given is None or (given == "" and op == ":-"):
            return arg if op and op.endswith("-") else ""
        return given

    return INTERPOLATION.sub(replace, value)


def variables(text: str) -> dict[str, tuple[str | None, str]]:
    """Every interpolated variable: name -> (operator, argument)."""
    return {m["name"]: (m["op"], m["arg"] or "") for m in INTERPOLATION.finditer(text)}


def env_example() -> dict[str, str]:
    """The variables .env.example sets (blank values included)."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            found[name.strip()] = value.strip()
    return found


def exposed_metric_names() -> set[str]:
    """Names the bot's /metrics can expose: every module that defines metrics is imported."""
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]:
        if "prometheus_client" in path.read_text():
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            importlib.import_module(module.removesuffix(".__init__"))
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("_sum", "_count", "_created"),
        "gauge": ("",),
        "info": ("_info",),
        "stateset": ("",),
        "enum": ("",),
        "unknown": ("",),
    }
    names = set()
    for family in REGISTRY.collect():
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


_PROMQL_WORDS = {
    "sum",
    "avg",
    "min",
    "max",
    "count",
    "rate",
    "irate",
    "increase",
    "histogram_quantile",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "clamp_min",
    "clamp_max",
    "abs",
    "topk",
    "bottomk",
    "delta",
    "deriv",
    "avg_over_time",
    "max_over_time",
    "min_over_time",
    "sum_over_time",
    "label_replace",
}


def metrics_in_promql(expr: str) -> set[str]:
    """Metric names a PromQL expression reads (label matchers, ranges and groupings removed)."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)
    words = re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text)
    return {w for w in words if w not in _PROMQL_WORDS}
