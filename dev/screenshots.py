"""`make screenshots`: the web app's four pages as PNGs in docs/img/ (library, video,
search, operations), taken in Chromium at 1280x800 from a real stack (embedded stores,
ML service, workers, API) over generated videos, after every analysis finished.

Usage: python dev/screenshots.py [OUT_DIR]   (default docs/img)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from browser_runs import MOMENT_WORD, REPO, VIEWPORT, demo_videos, ensure_web_built, launch_chromium
from stack_runs import make_stack, wait_until_finished

SETTLE_MS = 1500  # posters and live data drawn after the first render


def _shoot(page: Any, out: Path, name: str) -> None:
    page.wait_for_timeout(SETTLE_MS)
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path} ({path.stat().st_size // 1024} KiB)")


def take(base_url: str, video_id: str, out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(base_url=base_url, viewport=VIEWPORT, color_scheme="light")
        page.set_default_timeout(30_000)
        page.goto("/app/")
        expect(page.get_by_test_id("video-card").first).to_be_visible()
        _shoot(page, out, "library")
        page.goto(f"/app/videos/{video_id}?t=4.5")
        expect(page.get_by_test_id("timeline-mark").first).to_be_visible()
        page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.readyState >= 2; }")
        _shoot(page, out, "video")
        page.goto("/app/")
        box = page.locator('input[type="search"]')
        box.fill(MOMENT_WORD.lower())
        box.press("Enter")
        expect(page.get_by_test_id("search-hit").first).to_be_visible()
        _shoot(page, out, "search")
        page.goto("/app/operations")
        expect(page.get_by_test_id("queue-row").first).to_be_visible()
        _shoot(page, out, "operations")
        browser.close()


def main(out: Path) -> None:
    dist = ensure_web_built()
    with tempfile.TemporaryDirectory(prefix="reelscan-shots-") as tmp:
        root = Path(tmp)
        videos = demo_videos(root / "sources")
        # As a user's stack runs: an analysis without trained weights is blocked, not shown.
        stack = make_stack(root / "stack", videos, WEB_DIST_DIR=str(dist), ALLOW_UNTRAINED="false",
                           LOG_LEVEL="WARNING")
        stack.start()
        try:
            stack.wait_ready()
            with httpx.Client(base_url=stack.api_url, timeout=10) as client:
                wait_until_finished(client, expected=6 * len(videos), timeout=600)
                ids = {Path(v["path"]).stem: v["video_id"] for v in client.get("/videos").json()["items"]}
            take(stack.api_url, ids["moments"], out)
        finally:
            stack.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "img")
