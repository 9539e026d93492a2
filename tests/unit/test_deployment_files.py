"""The compose file keeps its promises: only nginx is published, the ML service is internal."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_only_nginx_publishes_a_port_and_the_ml_service_stays_internal() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "valkey", "ml-service", "api", "worker-gpu", "worker-cpu", "nginx"} <= set(services)
    published = {name for name, svc in services.items() if svc.get("ports")}
    assert published == {"nginx"}
    assert compose["networks"]["internal"]["internal"] is True
    assert services["ml-service"]["networks"] == ["internal"]
    assert "--appendonly" in services["valkey"]["command"]
    assert {services["worker-gpu"]["environment"]["GPU_MODE"], services["worker-cpu"]["environment"]["GPU_MODE"]} \
        == {"gpu", "cpu"}


def test_dockerfiles_of_api_and_worker_install_no_ml_stack() -> None:
    for name in ("Dockerfile.api", "Dockerfile.worker"):
        lines = [line for line in (REPO / "dev" / name).read_text().splitlines() if not line.startswith("#")]
        text = "\n".join(lines)
        assert "ml-service" not in text and "torch" not in text


def test_nginx_proxies_only_the_api() -> None:
    conf = (REPO / "nginx" / "nginx.conf").read_text()
    assert "proxy_pass http://reelscan_api/" in conf and "8001" not in conf
