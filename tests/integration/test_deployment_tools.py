"""The deployment files checked by the tools made for them: the compose file against the
compose specification (docker-compose's own validator), the Dockerfiles with hadolint,
the nginx config with `nginx -t`, Prometheus' config, alerts and the dashboard's queries
with promtool. `make setup` installs the tools (dev/setup.sh)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "dev" / "grafana" / "dashboards" / "reelscan-overview.json"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if found is None:
        venv_tool = Path(sys.executable).parent / name
        found = str(venv_tool) if venv_tool.exists() else None
    assert found, f"{name} is not installed: run `make setup` (dev/setup.sh installs it)"
    return found


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, cwd=REPO)


def compose_config(env_file: Path, compose_file: Path = REPO / "docker-compose.yml",
                   ) -> subprocess.CompletedProcess[str]:
    return run(tool("docker-compose"), "--env-file", env_file, "-f", compose_file, "config", "-q")


def test_compose_file_is_valid_with_the_example_env() -> None:
    result = compose_config(REPO / ".env.example")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_start_without_the_secrets(tmp_path: Path) -> None:
    env = tmp_path / "no-secrets.env"
    env.write_text("\n".join(line for line in (REPO / ".env.example").read_text().splitlines()
                             if "PASSWORD" not in line and "API_TOKEN=" not in line))
    result = compose_config(env)
    assert result.returncode != 0 and "set POSTGRES_PASSWORD in .env" in result.stderr


def test_the_compose_validator_rejects_an_unknown_option(tmp_path: Path) -> None:
    """The check above can fail: a misspelt key is refused by the specification's schema."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text((REPO / "docker-compose.yml").read_text().replace("stop_grace_period:", "stop_grace_perod:"))
    result = compose_config(REPO / ".env.example", broken)
    assert result.returncode != 0 and "stop_grace_perod" in result.stderr


@pytest.mark.parametrize("dockerfile", ["Dockerfile.api", "Dockerfile.worker", "Dockerfile.ml"])
def test_dockerfile_passes_hadolint(dockerfile: str) -> None:
    result = run(tool("hadolint"), "--no-color", REPO / "dev" / dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_nginx_config_passes_nginx_t() -> None:
    result = run(tool("nginx"), "-t", "-c", REPO / "nginx" / "nginx.conf", "-e", "stderr")
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_prometheus_config_and_alert_rules_pass_promtool() -> None:
    result = run(tool("promtool"), "check", "config", REPO / "dev" / "prometheus" / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 rules found" in result.stdout


def dashboard_queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"reelscan:dashboard_query_{i}", "expr": expr} for i, expr in enumerate(dashboard_queries())]}]}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    result = run(tool("promtool"), "check", "rules", tmp_path / "rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr


SERIES_SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"]}


def test_dashboard_shows_only_series_the_services_export() -> None:
    from prometheus_client.metrics import MetricWrapperBase

    from reelscan_shared import metrics

    exported = {family.name + suffix
                for metric in vars(metrics).values() if isinstance(metric, MetricWrapperBase)
                for family in metric.describe() for suffix in SERIES_SUFFIXES[family.type]}
    used = {name for expr in dashboard_queries() for name in re.findall(r"\b(reelscan_[a-z_]+)\b", expr)}
    assert len(used) >= 10 and used <= exported, used - exported
    panels = " ".join(panel["title"].lower() for panel in json.loads(DASHBOARD.read_text())["panels"])
    for topic in ("queue depth", "throughput", "latency", "failures", "gpu"):
        assert topic in panels


def test_dashboard_uses_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((REPO / "dev/grafana/provisioning/datasources/prometheus.yml").read_text())
    uid = provisioned["datasources"][0]["uid"]
    dashboard = json.loads(DASHBOARD.read_text())
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {uid}
