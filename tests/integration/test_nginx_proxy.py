"""The real nginx/nginx.conf, run by a real nginx on loopback in front of the API (a real
process on the embedded stores): what a client of a compose deployment gets."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from api_processes import running_api, wait_until_answers
from embedded_servers import free_port
from test_deployment_tools import REPO, tool

# What the test changes in the committed config, and nothing else: where nginx listens,
# where the upstreams are (loopback addresses instead of compose service names), and
# files a non-container nginx may not write.
TEMP_PATHS = "".join(f"    {kind}_temp_path {{tmp}}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                           "scgi"))


@dataclass
class Nginx:
    url: str
    access_log: Path


def render(conf: str, *, port: int, api: str, tmp: Path) -> str:
    replacements = {
        "    listen 80;\n": f"    listen 127.0.0.1:{port};\n",
        "set $reelscan_api api:8000;": f"set $reelscan_api {api};",
        "        listen 3000;\n": f"        listen 127.0.0.1:{free_port()};\n",
        "set $reelscan_grafana grafana:3000;": f"set $reelscan_grafana 127.0.0.1:{free_port()};",
        "access_log /dev/stdout reelscan_json;": f"access_log {tmp}/access.log reelscan_json;",
        "http {\n": "http {\n" + TEMP_PATHS.format(tmp=tmp),
    }
    for old, new in replacements.items():
        assert conf.count(old) == 1, f"nginx.conf changed: {old!r} not found once; update this test"
        conf = conf.replace(old, new)
    return conf


@pytest.fixture(scope="module")
def web_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built web app as `make web` lays it out: index.html and hashed files under assets/."""
    dist = tmp_path_factory.mktemp("web-dist")
    (dist / "assets").mkdir()
    (dist / "index.html").write_text('<!doctype html><div id="root"></div><script src="/app/assets/index-1a2b3c.js">'
                                     "</script>\n")
    (dist / "assets" / "index-1a2b3c.js").write_text("console.log('reelscan');\n")
    return dist


@pytest.fixture(scope="module")
def api_process(migrated_url: str, valkey, web_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API as a real process on the shared stores, serving ``web_dist`` as its web app."""
    library = tmp_path_factory.mktemp("nginx-videos")
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                     WEB_DIST_DIR=str(web_dist)) as url:
        yield url


@pytest.fixture(scope="module")
def nginx(api_process: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(render((REPO / "nginx" / "nginx.conf").read_text(), port=port,
                           api=api_process.removeprefix("http://"), tmp=tmp))
    proc = subprocess.Popen([tool("nginx"), "-c", str(conf), "-p", str(tmp), "-e", "stderr",
                             "-g", f"daemon off; pid {tmp}/nginx.pid;"])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{url}/nginx-health", proc)
        yield Nginx(url, tmp / "access.log")
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_api_answers_through_nginx(nginx: Nginx) -> None:
    response = httpx.get(f"{nginx.url}/health", timeout=5)
    assert response.status_code in (200, 503)
    assert {"status", "database", "valkey", "workers"} <= set(response.json())
    tasks = httpx.get(f"{nginx.url}/tasks", params={"limit": 5}, timeout=5)
    assert tasks.status_code == 200 and len(tasks.json()["items"]) <= 5  # the database is shared with other tests


def test_a_request_id_is_created_passed_to_the_api_and_logged(nginx: Nginx) -> None:
    response = httpx.get(f"{nginx.url}/live", timeout=5)
    created = response.headers["x-request-id"]
    # nginx made it ($request_id: 32 hex digits); the API received it and sent it back.
    assert re.fullmatch(r"[0-9a-f]{32}", created)
    mine = f"client-{uuid.uuid4().hex[:12]}"
    secret = f"tok-{uuid.uuid4().hex}"  # a token someone put in a query string: never logged
    response = httpx.get(f"{nginx.url}/live", params={"token": secret}, headers={"X-Request-ID": mine}, timeout=5)
    assert response.headers["x-request-id"] == mine
    deadline = time.monotonic() + 30  # nginx writes its access log line after the response
    while True:
        text = nginx.access_log.read_text()
        logged = [json.loads(line) for line in text.splitlines()]
        ids = {entry["request_id"] for entry in logged}
        if {created, mine} <= ids or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert {created, mine} <= ids
    assert all(entry["service"] == "nginx" and isinstance(entry["status"], int) for entry in logged)
    assert secret not in text and {e["path"] for e in logged if e["request_id"] == mine} == {"/live"}


def test_metrics_and_the_ml_service_are_not_reachable_from_outside(nginx: Nginx, api_process: str) -> None:
    assert httpx.get(f"{api_process}/metrics", timeout=5).status_code == 200
    assert httpx.get(f"{nginx.url}/metrics", timeout=5).status_code == 404
    for path in ("/infer/object_detection", "/ml-service/health"):
        assert httpx.post(f"{nginx.url}{path}", timeout=5).status_code == 404  # the API's own 404


def test_the_web_app_is_served_through_nginx_and_its_assets_are_cached_for_a_year(nginx: Nginx) -> None:
    root = httpx.get(f"{nginx.url}/", timeout=5)
    assert root.is_redirect and root.headers["location"].endswith("/app/"), (root.status_code, root.headers)
    # A redirect the API builds from the Host header keeps nginx's port (Host $http_host, not $host).
    slash = httpx.get(f"{nginx.url}/videos/", timeout=5)
    location = slash.headers.get("location", "")
    assert slash.is_redirect and location.startswith((nginx.url, "/")), (slash.status_code, location)
    for page in ("/app/", "/app/videos/0b9c1d2e?t=12.5", "/app/operations"):
        response = httpx.get(f"{nginx.url}{page}", timeout=5)
        assert response.status_code == 200, page
        assert "/app/assets/index-1a2b3c.js" in response.text, page
        assert "immutable" not in response.headers.get("cache-control", ""), page  # a new build shows at once
    asset = httpx.get(f"{nginx.url}/app/assets/index-1a2b3c.js", timeout=5)
    assert asset.status_code == 200 and "reelscan" in asset.text
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert httpx.get(f"{nginx.url}/app/assets/index-000000.js", timeout=5).status_code == 404


def test_server_sent_events_pass_through_nginx_as_a_stream(nginx: Nginx) -> None:
    with httpx.stream("GET", f"{nginx.url}/events", timeout=httpx.Timeout(5, read=30)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers.get("x-accel-buffering", "no") == "no"


def test_bodies_over_the_limit_are_refused(nginx: Nginx) -> None:
    response = httpx.post(f"{nginx.url}/videos/discover", content=b"x" * (2 * 2**20), timeout=10)
    assert response.status_code == 413


def test_mutating_calls_are_rate_limited(nginx: Nginx) -> None:
    """nginx.conf: mutations at 5 r/s per client with a burst of 20 (nodelay). However
    fast or slow this machine, within an elapsed time T nginx lets through at least the
    burst (1 + 20) and at most 1 + 20 + 5 * T; the rest are refused with 429."""
    cancel = f"{nginx.url}/tasks/{uuid.uuid4()}/cancel"
    sent = 200  # far beyond the burst: passing more than the rule allows would take T > 35 s
    with ThreadPoolExecutor(16) as pool:
        reads = list(pool.map(lambda _: httpx.get(f"{nginx.url}/live", timeout=10).status_code, range(60)))
        started = time.monotonic()
        writes = list(pool.map(lambda _: httpx.post(cancel, timeout=10).status_code, range(sent)))
        elapsed = time.monotonic() - started
    assert set(reads) == {200}  # within the reads' own burst: a separate budget
    assert set(writes) <= {404, 429}, writes  # 404: it reached the API (no such task); 429: refused
    passed = writes.count(404)
    allowed = 1 + 20 + 5 * elapsed
    assert 21 <= passed <= allowed + 1, (passed, round(elapsed, 2))  # +1: nginx counts in whole ms


@pytest.mark.parametrize(("path", "rate", "burst"), [("/live", 20, 80), ("/search?q=harbor", 2, 10)])
def test_reads_are_rate_limited_and_search_more_tightly(nginx: Nginx, path: str, rate: int, burst: int) -> None:
    """nginx.conf: reads at 20 r/s (burst 80), search and facets at 2 r/s (burst 10), per
    client. Whatever this machine's speed, within an elapsed time T at most
    1 + burst + rate * T get through; each answer is the API's or nginx's 429."""
    sent = 2 * burst + 40
    with ThreadPoolExecutor(16) as pool:
        started = time.monotonic()
        codes = list(pool.map(lambda _: httpx.get(f"{nginx.url}{path}", timeout=10).status_code, range(sent)))
        elapsed = time.monotonic() - started
    passed = len([c for c in codes if c != 429])
    assert passed >= 1 and set(codes) - {429} <= {200, 401, 422, 503}, codes
    assert passed <= 1 + burst + rate * elapsed + 1, (passed, round(elapsed, 2))
