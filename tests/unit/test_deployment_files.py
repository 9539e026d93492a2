"""The compose file keeps its promises: only nginx is published, the ML service and the
stores stay internal, secrets come from .env, every ${VAR} is documented in .env.example."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_the_services_of_a_deployment() -> None:
    assert {"postgres", "valkey", "ml-service", "ml-service-cpu", "api", "worker-gpu", "worker-cpu", "nginx",
            "prometheus", "grafana"} <= set(SERVICES)
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["valkey"]["image"].startswith("valkey/valkey:8")
    assert "--appendonly yes" in " ".join(SERVICES["valkey"]["command"])
    assert SERVICES["worker-gpu"]["environment"]["GPU_MODE"] == "gpu"
    assert SERVICES["worker-cpu"]["environment"]["GPU_MODE"] == "cpu"


def test_only_nginx_publishes_a_port_and_everything_else_is_internal() -> None:
    assert {name for name, svc in SERVICES.items() if svc.get("ports")} == {"nginx"}
    assert COMPOSE["networks"]["internal"]["internal"] is True
    for name, svc in SERVICES.items():
        networks = svc["networks"]
        assert "internal" in networks
        if name != "nginx":
            assert "public" not in networks, name


def test_only_the_workers_have_a_way_out_and_the_webhook_settings() -> None:
    assert COMPOSE["networks"]["egress"].get("internal") is not True  # a route out, for webhooks
    assert {name for name, svc in SERVICES.items() if "egress" in svc["networks"]} == {"worker-gpu", "worker-cpu"}
    for name in ("api", "worker-gpu", "worker-cpu"):  # the API refuses what the workers could not sign
        env = SERVICES[name]["environment"]
        assert {"WEBHOOK_URLS", "WEBHOOK_SECRET", "WEBHOOK_ALLOW_PRIVATE", "WEBHOOK_TIMEOUT_SECONDS"} <= set(env), name
        assert env["WEBHOOK_SECRET"] == "${WEBHOOK_SECRET:-}"


def test_gpu_and_cpu_variants_of_the_ml_service() -> None:
    gpu, cpu = SERVICES["ml-service"], SERVICES["ml-service-cpu"]
    assert gpu["profiles"] == ["gpu"] and cpu["profiles"] == ["cpu"]
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert gpu["environment"]["REQUIRE_GPU"] == "true" and cpu["environment"]["REQUIRE_GPU"] == "false"
    assert "devices" not in cpu["deploy"]["resources"]["reservations"]
    # workers reach either one as http://ml-service:8001
    assert cpu["networks"]["internal"]["aliases"] == ["ml-service"]
    assert gpu["environment"]["MODEL_CACHE_DIR"] == "/models" and "models:/models" in gpu["volumes"]


def test_start_order_uses_health_conditions() -> None:
    for name in ("api", "worker-gpu", "worker-cpu"):
        assert SERVICES[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
        assert SERVICES[name]["depends_on"]["valkey"] == {"condition": "service_healthy"}
    for name in ("worker-gpu", "worker-cpu", "nginx"):
        assert SERVICES[name]["depends_on"]["api"] == {"condition": "service_healthy"}
    for name in ("postgres", "valkey", "nginx", "prometheus", "grafana"):
        assert SERVICES[name]["healthcheck"]["test"], name


def test_secrets_come_from_dot_env_and_every_variable_is_documented() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    variables = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    example = dict(line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert variables <= set(example), variables - set(example)
    for secret in ("POSTGRES_PASSWORD", "VALKEY_PASSWORD", "API_TOKEN", "GRAFANA_ADMIN_PASSWORD"):
        # no default: compose refuses to start without it
        assert re.search(r"\$\{" + secret + r":\?", text), secret
        assert example[secret] == "change-me"
    assert ".env" in (REPO / ".gitignore").read_text().splitlines()


def test_dockerfiles_of_api_and_worker_install_no_ml_stack() -> None:
    for name in ("Dockerfile.api", "Dockerfile.worker"):
        lines = [line for line in (REPO / "dev" / name).read_text().splitlines() if not line.startswith("#")]
        text = "\n".join(lines)
        assert "ml-service" not in text and "torch" not in text


def test_dockerfiles_run_as_a_non_root_user_with_a_healthcheck() -> None:
    for name in ("Dockerfile.api", "Dockerfile.worker", "Dockerfile.ml"):
        text = (REPO / "dev" / name).read_text()
        users = re.findall(r"^USER (\S+)", text, re.M)
        assert users and users[-1].split(":")[0] not in ("root", "0"), name
        assert re.search(r"^HEALTHCHECK ", text, re.M), name


def test_nginx_proxies_only_the_api_and_grafana() -> None:
    conf = (REPO / "nginx" / "nginx.conf").read_text()
    upstreams = set(re.findall(r"set \$\w+ ([\w.-]+:\d+);", conf))
    assert upstreams == {"api:8000", "grafana:3000"}
    assert "8001" not in conf and "ml-service" not in conf and "9090" not in conf


def test_grafana_is_published_on_the_hosts_loopback_only_unless_asked() -> None:
    conf = (REPO / "nginx" / "nginx.conf").read_text()
    public, grafana = re.split(r"^    server \{", conf, flags=re.M)[1:]
    assert "listen 80;" in public and "grafana" not in public  # nothing of Grafana on the public port
    assert "listen 3000;" in grafana and "proxy_pass http://$reelscan_grafana;" in grafana
    published = SERVICES["nginx"]["ports"]
    [mapping] = [p for p in published if p.endswith(":3000")]
    bind = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: m.group(2), mapping)  # compose's defaults
    assert bind == "127.0.0.1:3000:3000"
    assert "ports" not in SERVICES["grafana"]  # Grafana itself publishes nothing


def _nginx_locations(conf: str) -> dict[str, str]:
    """Each `location` of nginx.conf's public server (its match, e.g. "= /events") and its body."""
    public = re.split(r"^    server \{", conf, flags=re.M)[1]
    found = re.finditer(r"^\s*location ([^{]+)\{(.*?)^\s*\}", public, re.M | re.S)
    return {m.group(1).strip(): m.group(2) for m in found}


def test_nginx_routes_the_web_app_and_streams_events_and_media() -> None:
    locations = _nginx_locations((REPO / "nginx" / "nginx.conf").read_text())
    for where in ("/", "/app/", "/app/assets/", "= /events", "~ ^/videos/[^/]+/media$"):
        assert "proxy_pass http://$reelscan_api;" in locations[where], where
    assert 'add_header Cache-Control "public, max-age=31536000, immutable";' in locations["/app/assets/"]
    assert "immutable" not in locations["/app/"]  # index.html is revalidated: a new build shows at once
    assert "proxy_buffering off;" in locations["= /events"] and "proxy_read_timeout 1h;" in locations["= /events"]
    assert "proxy_buffering off;" in locations["~ ^/videos/[^/]+/media$"]
    assert "return 404;" in locations["= /metrics"]


def test_the_api_image_builds_the_web_app_in_a_node_stage_and_serves_it() -> None:
    text = (REPO / "dev" / "Dockerfile.api").read_text()
    stages = re.findall(r"^FROM (\S+)(?: AS (\w+))?", text, re.M)
    assert ("node:20-slim", "web") in stages
    assert stages[-1][0].startswith("python:")  # the runtime image has no Node.js
    web_stage = text.split("FROM node:20-slim AS web", 1)[1].split("\nFROM ", 1)[0]
    assert "npm ci" in web_stage and "npm run build" in web_stage  # the lock file decides the versions
    [(source, target)] = re.findall(r"^COPY --from=web (\S+) (\S+)", text, re.M)
    assert source.endswith("/web/dist")
    assert re.search(rf"WEB_DIST_DIR={re.escape(target)}\b", text), "the API must serve what the stage built"
    assert "web/node_modules" in (REPO / ".dockerignore").read_text().splitlines()
