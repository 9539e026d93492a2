"""The web app's static files served by a real API process (WEB_DIST_DIR on a temporary build)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.conftest import running_api

INDEX = "<!doctype html><title>Reelscan</title><div id=root></div>"
ASSET = "console.log('app');"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("web")
    (base / "secret.txt").write_text("outside the build")
    d = base / "dist"
    (d / "assets").mkdir(parents=True)
    (d / "index.html").write_text(INDEX)
    (d / "assets" / "index-abc123.js").write_text(ASSET)
    (d / "favicon.svg").write_text("<svg/>")
    (d / "assets" / "leak.txt").symlink_to(base / "secret.txt")
    return d


@pytest.fixture(scope="module")
def served(dist: Path, migrated_url: str, valkey) -> Iterator[str]:
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, WEB_DIST_DIR=str(dist),
                     API_TOKEN="a-real-token-for-the-tests-0123456789") as url:
        yield url


def raw_get(url: str, path: str) -> tuple[int, str]:
    """A request whose path goes out exactly as written (no client-side `..` clean-up)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode(errors="replace")
    finally:
        conn.close()


def test_hashed_assets_are_cached_for_a_year(served: str) -> None:
    r = httpx.get(f"{served}/app/assets/index-abc123.js")
    assert r.status_code == 200
    assert r.text == ASSET
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in r.headers["content-type"]


def test_index_is_revalidated_and_open_without_credentials(served: str) -> None:
    r = httpx.get(f"{served}/app/")
    assert r.status_code == 200
    assert r.text == INDEX
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["content-type"].startswith("text/html")
    # the API itself still needs the token
    assert httpx.get(f"{served}/videos").status_code == 401


@pytest.mark.parametrize("page", ["/app/videos/0b6c3a9e-1111-2222-3333-444455556666?t=12.3", "/app/search?q=x",
                                  "/app/operations", "/app/index.html"])
def test_pages_of_the_app_get_index_html(served: str, page: str) -> None:
    r = httpx.get(served + page)
    assert r.status_code == 200
    assert r.text == INDEX
    assert r.headers["cache-control"] == "no-cache"


def test_other_files_of_the_build_are_served(served: str) -> None:
    r = httpx.get(f"{served}/app/favicon.svg")
    assert r.status_code == 200
    assert r.text == "<svg/>"
    assert r.headers["cache-control"] == "no-cache"


def test_a_missing_asset_is_404_not_the_page(served: str) -> None:
    r = httpx.get(f"{served}/app/assets/gone-000.js")
    assert r.status_code == 404
    assert INDEX not in r.text


def test_root_and_bare_prefix_redirect_to_the_app(served: str) -> None:
    for path in ("/", "/app"):
        r = httpx.get(served + path, follow_redirects=False)
        assert r.status_code == 307, path
        assert r.headers["location"] == "/app/"


@pytest.mark.parametrize("path", ["/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/assets/../../secret.txt",
                                  "/app/assets/%2e%2e/%2e%2e/secret.txt", "/app/assets/leak.txt",
                                  "/app/..%2fsecret.txt", "/app/assets/..%2f..%2fsecret.txt"])
def test_no_file_outside_the_build_is_served(served: str, path: str) -> None:
    status, body = raw_get(served, path)
    assert "outside the build" not in body
    assert status in (200, 400, 404), (path, status)  # the app's page or a refusal, never the file


def test_an_unbuilt_app_answers_503_saying_how_to_build_it(tmp_path: Path, migrated_url: str, valkey) -> None:
    empty = tmp_path / "dist"
    empty.mkdir()
    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, WEB_DIST_DIR=str(empty)) as url:
        r = httpx.get(f"{url}/app/videos/x")
        assert r.status_code == 503
        assert "make web" in r.text
        assert str(empty) in r.text
        assert httpx.get(f"{url}/health").status_code == 200
