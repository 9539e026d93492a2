"""deploy/k8s rendered as a cluster would get it: every overlay builds with kustomize
(kubectl kustomize), every object validates against the Kubernetes schemas (the
kubernetes-validate wheel carries them), and the promises an operator relies on hold
on the rendered objects. The workflows pass actionlint. `make setup` installs the tools."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from reelscan_api.settings import ApiSettings
from reelscan_ml.settings import MLSettings
from reelscan_worker.settings import WorkerSettings

REPO = Path(__file__).resolve().parents[2]
OVERLAYS = ("gpu", "cpu", "dev")
PRODUCTION = ("gpu", "cpu")
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests promise to work on
SERVICES = ("api", "worker-gpu", "worker-cpu", "ml-service")


def venv_tool(name: str) -> str:
    """The tool installed with the dev requirements (a system kubectl may be older)."""
    return str(Path(sys.executable).parent / name)


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    out = subprocess.run([venv_tool("kubectl"), "kustomize", str(REPO / "deploy/k8s/overlays" / overlay)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return tuple(doc for doc in yaml.safe_load_all(out.stdout) if doc)


def objects(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered(overlay) if o["kind"] == kind}


def pod_specs(overlay: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in rendered(overlay):
        if o["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield o["metadata"]["name"], o["spec"]["template"]["spec"]


def containers(overlay: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for name, spec in pod_specs(overlay):
        for c in spec.get("initContainers", []) + spec["containers"]:
            yield name, spec, c


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_validates_against_the_kubernetes_schemas(overlay: str) -> None:
    for obj in rendered(overlay):
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_the_schema_check_can_fail() -> None:
    deployment = dict(objects("gpu", "Deployment")["api"])
    deployment["spec"] = {**deployment["spec"], "replica": 2}  # misspelt
    with pytest.raises(kubernetes_validate.ValidationError, match="replica"):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_limits_and_runs_restricted(overlay: str) -> None:
    for name, spec, c in containers(overlay):
        resources = c["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(bound, {})), (overlay, name, bound)
        security = c["securityContext"]
        assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == ["ALL"]
        assert security["readOnlyRootFilesystem"] is True, (overlay, name)
        assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] > 0
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        assert spec["automountServiceAccountToken"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_have_probes_budgets_and_the_ml_service_a_startup_probe(overlay: str) -> None:
    deployments = objects(overlay, "Deployment")
    assert set(SERVICES) <= set(deployments)
    for name in SERVICES:
        [c] = deployments[name]["spec"]["template"]["spec"]["containers"]
        assert {"livenessProbe", "readinessProbe", "startupProbe"} <= set(c), name
    api = deployments["api"]["spec"]["template"]["spec"]["containers"][0]
    assert (api["livenessProbe"]["httpGet"]["path"], api["readinessProbe"]["httpGet"]["path"]) == ("/live", "/ready")
    ml = deployments["ml-service"]["spec"]["template"]["spec"]["containers"][0]
    assert ml["readinessProbe"]["httpGet"]["path"] == "/ready"
    startup = ml["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 300, "loading torch on a cold node takes minutes"
    budgets = {tuple(p["spec"]["selector"]["matchLabels"].items()) for p in objects(overlay, "PodDisruptionBudget")
               .values()}
    assert {(("app.kubernetes.io/component", name),) for name in SERVICES} <= budgets


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_api_scales_on_cpu_and_the_workers_on_their_queue(overlay: str) -> None:
    hpas = objects(overlay, "HorizontalPodAutoscaler")
    assert hpas["api"]["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    for kind in ("gpu", "cpu"):
        [metric] = hpas[f"worker-{kind}"]["spec"]["metrics"]
        assert metric["external"]["metric"]["name"] == "reelscan_queue_depth"
        assert metric["external"]["metric"]["selector"]["matchLabels"] == {"queue": f"{kind}_jobs"}
    workers = objects(overlay, "Deployment")
    for kind in ("gpu", "cpu"):
        env = {e["name"]: e.get("value") for e in workers[f"worker-{kind}"]["spec"]["template"]["spec"]
               ["containers"][0]["env"]}
        assert env["GPU_MODE"] == kind


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gpus_are_requested_only_by_the_ml_service_of_the_gpu_overlay(overlay: str) -> None:
    asking = {name for name, _, c in containers(overlay)
              if "nvidia.com/gpu" in c["resources"].get("limits", {})}
    assert asking == ({"ml-service"} if overlay == "gpu" else set())
    ml = objects(overlay, "Deployment")["ml-service"]["spec"]["template"]["spec"]
    env = {e["name"]: e.get("value") for e in ml["containers"][0]["env"]}
    assert env["REQUIRE_GPU"] == ("true" if overlay == "gpu" else "false")
    assert ("tolerations" in ml) == (overlay == "gpu")


@pytest.mark.parametrize("overlay", PRODUCTION)
def test_production_images_are_pinned_and_secrets_are_never_rendered(overlay: str) -> None:
    for name, _, c in containers(overlay):
        image = c["image"]
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
        assert tag and tag != "latest", (name, image)
    assert objects(overlay, "Secret") == {}, "production secrets are created by the operator, never committed"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_and_config_reference_resolves(overlay: str) -> None:
    configmaps = objects(overlay, "ConfigMap")
    keys = set()
    for name, _, c in containers(overlay):
        for source in c.get("envFrom", []):
            assert source["configMapRef"]["name"] in configmaps, (name, source)
        for var in c.get("env", []):
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref["name"].startswith("reelscan-secrets"), (name, ref)
                keys.add(ref["key"])
    assert {"DATABASE_URL", "REDIS_URL", "VALKEY_PASSWORD", "API_TOKEN"} <= keys
    if overlay == "dev":  # the dev overlay brings its own (development) Secret with every key used
        [secret] = objects(overlay, "Secret").values()
        assert keys <= set(secret["data"])


def test_every_setting_in_the_configmap_is_one_the_services_read() -> None:
    known = {f.alias for cls in (ApiSettings, WorkerSettings, MLSettings) for f in cls.model_fields.values()}
    for overlay in OVERLAYS:
        [config] = objects(overlay, "ConfigMap").values()
        assert set(config["data"]) <= known, set(config["data"]) - known


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_let_only_the_right_callers_in(overlay: str) -> None:
    policies = objects(overlay, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny

    def callers(policy: str) -> set[str]:
        allowed = set()
        for rule in policies[policy]["spec"]["ingress"]:
            for peer in rule["from"]:
                for expr in peer.get("podSelector", {}).get("matchExpressions", []):
                    allowed |= set(expr["values"])
        return allowed

    assert "podSelector" not in str(policies["api-from-ingress"]["spec"]["ingress"])  # namespaces only
    assert callers("ml-service-from-workers") == {"worker-gpu", "worker-cpu", "api"}  # api: its /health check
    assert callers("valkey-from-services") == {"api", "worker-gpu", "worker-cpu"}
    if overlay == "dev":
        assert callers("postgres-from-services") == {"api", "worker-gpu", "worker-cpu", "migrate"}


def test_migrations_run_in_a_job_and_the_api_only_serves() -> None:
    for overlay in OVERLAYS:
        job = objects(overlay, "Job")["reelscan-migrate"]["spec"]["template"]["spec"]["containers"][0]
        assert job["command"] == ["reelscan-api", "migrate"]
        api = objects(overlay, "Deployment")["api"]["spec"]["template"]["spec"]["containers"][0]
        assert api["command"] == ["reelscan-api", "serve"]


def _routed(path: str, rules: list[dict[str, Any]]) -> bool:
    """Whether an Ingress path rule matches ``path`` (Exact: equal; Prefix: whole path elements)."""
    for rule in rules:
        prefix = rule["path"]
        if rule["pathType"] == "Exact" and path == prefix:
            return True
        if rule["pathType"] == "Prefix" and (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
            return True
    return False


def _ingress_paths(overlay: str) -> dict[str, list[dict[str, Any]]]:
    return {name: [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
            for name, ingress in objects(overlay, "Ingress").items()}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_ingress_routes_every_public_route_and_the_web_app_but_not_metrics(overlay: str) -> None:
    from reelscan_api.app import create_app

    by_ingress = _ingress_paths(overlay)
    every = [p for paths in by_ingress.values() for p in paths]
    assert {p["backend"]["service"]["name"] for p in every} == {"api"}
    api_paths = [re.sub(r"\{[^}]+\}", "x1", path) for path in create_app().openapi()["paths"]]
    web_paths = ["/", "/app/", "/app/videos/x1", "/app/assets/index-1a2b3c.js", "/events"]
    missing = [path for path in [*api_paths, *web_paths] if not _routed(path, every)]
    assert not missing, missing
    assert not _routed("/metrics", every)
    hosts = {rule["host"] for ingress in objects(overlay, "Ingress").values() for rule in ingress["spec"]["rules"]}
    assert len(hosts) == 1, hosts  # the app and the API it calls share one origin (cookies, CSRF)


def test_the_api_ingress_keeps_nginx_limits_and_the_web_ingress_streams_events() -> None:
    ingresses = objects("gpu", "Ingress")
    annotations = ingresses["api"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "1m"  # nginx.conf: client_max_body_size
    assert annotations["nginx.ingress.kubernetes.io/limit-rps"] == "5"  # nginx.conf: rate=5r/s
    web = ingresses["web"]["metadata"]["annotations"]
    assert web["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"  # nginx.conf: /events unbuffered
    assert int(web["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600  # a quiet stream is not cut
    assert not any(key.endswith(("limit-rps", "limit-rpm", "limit-connections")) for key in web)
    assert {p["path"] for p in _ingress_paths("gpu")["web"]} == {"/", "/app", "/events"}


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)([A-Za-z]*)", str(quantity)).groups()
    scale = {"": 1, "Mi": 2**20, "Gi": 2**30, "m": 2**20, "g": 2**30}[unit]
    return int(float(number) * scale)


def _cpus(quantity: str) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


@pytest.mark.parametrize(("service", "overlay", "deployment"), [
    ("api", "gpu", "api"), ("worker-gpu", "gpu", "worker-gpu"), ("worker-cpu", "gpu", "worker-cpu"),
    ("ml-service", "gpu", "ml-service"), ("ml-service-cpu", "cpu", "ml-service"),
])
def test_compose_limits_match_the_kubernetes_resources(service: str, overlay: str, deployment: str) -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"][service]["deploy"]["resources"]
    k8s = objects(overlay, "Deployment")[deployment]["spec"]["template"]["spec"]["containers"][0]["resources"]
    for compose_key, k8s_key in (("limits", "limits"), ("reservations", "requests")):
        assert _cpus(compose[compose_key]["cpus"]) == _cpus(k8s[k8s_key]["cpu"]), (service, compose_key)
        assert _bytes(compose[compose_key]["memory"]) == _bytes(k8s[k8s_key]["memory"]), (service, compose_key)


def test_the_workflows_pass_actionlint(tmp_path: Path) -> None:
    ok = subprocess.run([venv_tool("actionlint")], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # actionlint looks for the repository
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    (broken / "ci.yml").write_text((REPO / ".github/workflows/ci.yml").read_text().replace("runs-on:", "run-on:"))
    refused = subprocess.run([venv_tool("actionlint")], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert refused.returncode != 0 and "run-on" in refused.stdout
