"""The web app in Debian's Chromium (Playwright) against a real stack: embedded
PostgreSQL and Valkey, the ML service, both workers and the API as processes, over
real HTTP, on generated videos. One stack and one browser for the whole session; each
test gets a fresh browser context (no cookies or cache carried between tests)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_runs import ensure_web_built, launch_chromium, moments_video
from embedded_servers import free_port
from stack import Service, Stack, wait_for_http
from stack_runs import make_stack, wait_until_finished
from web_pages import TOKEN, VIDEOS, Browsing, Site, open_page


@pytest.fixture(scope="session")
def web_dist() -> Path:
    try:
        return ensure_web_built()
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def browser_videos(tmp_path_factory: pytest.TempPathFactory, sample_videos: dict[str, Path]) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("browser-videos")
    return {"moments": moments_video(out / "moments.mp4"), "text": sample_videos["text"]}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, browser_videos: dict[str, Path], web_dist: Path) -> Iterator[Stack]:
    s = make_stack(tmp_path_factory.mktemp("browser"), browser_videos, WEB_DIST_DIR=str(web_dist),
                   ALLOW_UNTRAINED="true", LOG_LEVEL="WARNING")
    s.start()
    try:
        s.wait_ready()
        with httpx.Client(base_url=s.api_url, timeout=10) as client:
            wait_until_finished(client, expected=6 * len(VIDEOS), timeout=480)
        yield s
    finally:
        s.stop()


def _video_ids(client: httpx.Client) -> dict[str, str]:
    return {Path(v["path"]).stem: v["video_id"] for v in client.get("/videos", params={"limit": 100}).json()["items"]}


@pytest.fixture(scope="session")
def site(stack: Stack) -> Iterator[Site]:
    """The stack's API (no API_TOKEN: it works as the API does without one)."""
    with httpx.Client(base_url=stack.api_url, timeout=10) as client:
        yield Site(stack, stack.api_url, client, _video_ids(client))


@pytest.fixture(scope="session")
def token_site(stack: Stack) -> Iterator[Site]:
    """A second API process on the same stores with API_TOKEN set: browsers must sign in."""
    port = free_port()
    api = Service("api-token", [sys.executable, "-m", "reelscan_api.cli", "serve"],
                  stack.env(API_PORT=str(port), API_TOKEN=TOKEN, DISCOVERY_INTERVAL="0"),
                  stack.data_dir / "logs" / "api-token.log")
    stack.services["api-token"] = api  # stack.stop() stops it too
    api.start()
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/live", [api])
    with httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        yield Site(stack, url, client, _video_ids(client))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def browsing(browser: Any, site: Site) -> Iterator[Browsing]:
    context, seen = open_page(browser, site.url)
    yield seen
    context.close()


@pytest.fixture
def token_browsing(browser: Any, token_site: Site) -> Iterator[Browsing]:
    context, seen = open_page(browser, token_site.url)
    yield seen
    context.close()
