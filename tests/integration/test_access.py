"""Access (issue 26): private by default, browser sign-in with CSRF, Origin/Host checks on a
token-less loopback server, and an authentication matrix over every route of the OpenAPI schema.
Real app over HTTP (ASGI transport) on real PostgreSQL and Valkey."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from reelscan_api.access import SessionSigner
from tests.integration.test_api import _client, settings_for

TOKEN = "a-long-enough-test-token-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CROSS_SITE = {"Origin": "https://evil.example"}
ID = "00000000-0000-0000-0000-000000000000"
# Answers that never end (an in-process client waits for the end): test_live_events.py
# opens them with a bearer token and with a session cookie against a real process.
STREAMS = {("GET", "/events")}
OPEN = {("GET", "/live"), ("GET", "/ready"), ("GET", "/health"), ("GET", "/auth/session"),
        ("POST", "/auth/session"), ("DELETE", "/auth/session")}


@pytest.fixture
async def guarded(db, redis, migrated_url, valkey, video_dir) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir, API_TOKEN=TOKEN)):
        yield client


@pytest.fixture
async def open_api(db, redis, migrated_url, valkey, video_dir) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir)):
        yield client


async def _sign_in(client: httpx.AsyncClient) -> dict[str, str]:
    resp = await client.post("/auth/session", json={"token": TOKEN})
    assert resp.status_code == 204, resp.text
    return {"X-CSRF-Token": client.cookies["reelscan_csrf"]}


async def test_with_a_token_reads_need_credentials_by_default(guarded) -> None:
    for path in ("/videos", "/tasks", "/queues", "/search?q=hello", "/docs", "/openapi.json", "/metrics",
                 f"/videos/{ID}/frame?t_ms=0", f"/videos/{ID}/artifacts"):
        resp = await guarded.get(path)
        assert resp.status_code == 401, (path, resp.status_code)
        assert resp.headers["www-authenticate"] == "Bearer"
    assert (await guarded.get("/videos", headers=BEARER)).status_code == 200
    assert (await guarded.get("/metrics", headers=BEARER)).status_code == 200


async def test_reads_open_only_when_opted_out(db, redis, migrated_url, valkey, video_dir) -> None:
    settings = settings_for(migrated_url, valkey.url, video_dir, API_TOKEN=TOKEN, API_TOKEN_READS=False)
    async for client in _client(settings):
        assert (await client.get("/videos")).status_code == 200
        assert (await client.post("/videos/discover")).status_code == 401


async def test_health_is_bare_without_credentials_and_detailed_with_them(guarded) -> None:
    bare = await guarded.get("/health")
    assert set(bare.json()) == {"status"}
    full = (await guarded.get("/health", headers=BEARER)).json()
    assert {"status", "database", "library"} <= set(full)
    assert (await guarded.get("/live")).status_code == 200
    assert (await guarded.get("/ready")).status_code in (200, 503)


async def test_sign_in_sets_strict_httponly_cookies_and_they_authenticate(guarded) -> None:
    assert (await guarded.get("/auth/session")).json() == {"auth_required": True, "signed_in": False}
    assert (await guarded.post("/auth/session", json={"token": "wrong"})).status_code == 401
    resp = await guarded.post("/auth/session", json={"token": TOKEN})
    assert resp.status_code == 204
    cookies = {c.split("=", 1)[0]: c.lower() for c in resp.headers.get_list("set-cookie")}
    assert "httponly" in cookies["reelscan_session"] and "samesite=strict" in cookies["reelscan_session"]
    assert "path=/" in cookies["reelscan_session"] and "secure" not in cookies["reelscan_session"]  # plain http
    assert "httponly" not in cookies["reelscan_csrf"] and "samesite=strict" in cookies["reelscan_csrf"]
    assert (await guarded.get("/auth/session")).json() == {"auth_required": True, "signed_in": True}
    assert (await guarded.get("/videos")).status_code == 200
    assert set((await guarded.get("/health")).json()) > {"status"}
    assert (await guarded.delete("/auth/session")).status_code == 204
    assert "reelscan_session" not in guarded.cookies
    assert (await guarded.get("/videos")).status_code == 401


async def test_cookie_mutations_need_the_csrf_header(guarded) -> None:
    csrf = await _sign_in(guarded)
    assert (await guarded.post("/queues/gpu_jobs/pause")).status_code == 403
    assert (await guarded.post("/queues/gpu_jobs/pause", headers={"X-CSRF-Token": "forged"})).status_code == 403
    assert (await guarded.post("/queues/gpu_jobs/pause", headers={**csrf, **CROSS_SITE})).status_code == 200
    assert (await guarded.post("/queues/gpu_jobs/resume", headers=csrf)).status_code == 200
    # A CSRF cookie planted beside the session (e.g. by a sibling subdomain) does not pass either.
    guarded.cookies.set("reelscan_csrf", "planted")
    assert (await guarded.post("/queues/gpu_jobs/pause", headers={"X-CSRF-Token": "planted"})).status_code == 403


async def test_frame_links_the_api_hands_out_work_for_a_signed_in_browser(guarded, video_dir) -> None:
    await guarded.post("/videos/discover", headers=BEARER)
    video_id = (await guarded.get("/videos", headers=BEARER)).json()["items"][0]["video_id"]
    await _sign_in(guarded)
    frame = await guarded.get(f"/videos/{video_id}/frame", params={"t_ms": 0})
    assert frame.status_code == 200 and frame.headers["content-type"].startswith("image/")


async def test_a_forged_expired_or_old_token_session_is_refused(guarded) -> None:
    old, _ = SessionSigner("the-previous-token-before-rotation", 3600).issue()
    expired, _ = SessionSigner(TOKEN, 3600).issue(now=1.0)
    good, _ = SessionSigner(TOKEN, 3600).issue()
    for value in (old, expired, good[:-2] + "00", "garbage"):
        guarded.cookies.set("reelscan_session", value)
        assert (await guarded.get("/videos")).status_code == 401, value
    guarded.cookies.set("reelscan_session", good)
    assert (await guarded.get("/videos")).status_code == 200


async def test_secure_cookie_behind_a_trusted_tls_proxy_only(db, redis, migrated_url, valkey, video_dir) -> None:
    forwarded = {"X-Forwarded-Proto": "https"}
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir, API_TOKEN=TOKEN)):
        resp = await client.post("/auth/session", json={"token": TOKEN}, headers=forwarded)
        assert all("secure" not in c.lower() for c in resp.headers.get_list("set-cookie")), "untrusted proxy"
    # httpx's ASGI transport reports the client as 127.0.0.1.
    settings = settings_for(migrated_url, valkey.url, video_dir, API_TOKEN=TOKEN, TRUSTED_PROXIES="127.0.0.1")
    async for client in _client(settings):
        resp = await client.post("/auth/session", json={"token": TOKEN}, headers=forwarded)
        assert all("; secure" in c.lower() for c in resp.headers.get_list("set-cookie"))


async def test_token_less_server_refuses_cross_site_mutations(open_api) -> None:
    resp = await open_api.post("/queues/gpu_jobs/pause", headers=CROSS_SITE)
    assert resp.status_code == 403
    assert (await open_api.post("/queues/gpu_jobs/pause", headers={"Origin": "null"})).status_code == 403
    same = await open_api.post("/queues/gpu_jobs/pause", headers={"Origin": "http://localhost"})
    assert same.status_code == 200
    assert (await open_api.post("/queues/gpu_jobs/resume")).status_code == 200  # curl sends no Origin
    assert (await open_api.get("/queues", headers=CROSS_SITE)).status_code == 200


async def test_token_less_server_refuses_foreign_host_names(open_api, db, redis, migrated_url, valkey,
                                                           video_dir) -> None:
    rebound = await open_api.get("/videos", headers={"Host": "attacker.example:8000"})
    assert rebound.status_code == 400
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000"):
        assert (await open_api.get("/videos", headers={"Host": host})).status_code == 200, host
    settings = settings_for(migrated_url, valkey.url, video_dir, API_ALLOWED_HOSTS="reelscan.lan")
    async for client in _client(settings):
        assert (await client.get("/videos", headers={"Host": "reelscan.lan:8000"})).status_code == 200


def _routes(schema: dict) -> list[tuple[str, str]]:
    return [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops
            if method in ("get", "post", "put", "patch", "delete")]


def _concrete(path: str) -> str:
    def fill(m: re.Match[str]) -> str:
        return "gpu_jobs" if m.group(1) == "name" else ID if m.group(1).endswith("id") else "srt"
    return re.sub(r"\{([^}]+)\}", fill, path)


async def test_authentication_matrix_over_every_route(guarded) -> None:
    schema = (await guarded.get("/openapi.json", headers=BEARER)).json()
    routes = [*_routes(schema), ("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/metrics")]
    assert len(routes) > 25
    anonymous: dict[tuple[str, str], int] = {}
    for method, path in routes:
        url = _concrete(path)
        if (method, path) in OPEN:
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        guarded.cookies.clear()
        anonymous[(method, path)] = (await guarded.request(method, url, json=body)).status_code
        if (method, path) in STREAMS:
            continue
        with_bearer = await guarded.request(method, url, json=body, headers=BEARER)
        assert with_bearer.status_code not in (401, 403, 500), (method, path, with_bearer.status_code)
        csrf = await _sign_in(guarded)
        if method != "GET":
            no_csrf = await guarded.request(method, url, json=body, headers=CROSS_SITE)
            assert no_csrf.status_code == 403, (method, path, "cookie without CSRF")
        with_cookie = await guarded.request(method, url, json=body, headers=csrf)
        assert with_cookie.status_code not in (401, 403, 500), (method, path, with_cookie.status_code)
    assert {k: v for k, v in anonymous.items() if v != 401} == {}
