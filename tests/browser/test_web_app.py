"""A person using the web app in Chromium: the library, a video that plays and seeks
from its timeline and transcript, search that lands on the moment, the operations page
(cancel, retry, pause, resume), and sign-in when API_TOKEN is set. Every page is
checked for console errors and by axe-core. States are asserted, never timings; the
waits are generous bounds for a busy machine."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser_runs import MOMENT_WORD, MOMENT_WORD_MS
from playwright.sync_api import expect
from web_pages import TOKEN, VIDEOS, Browsing, Site

pytestmark = pytest.mark.browser
WAIT_S = 60


def eventually(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """The first truthy result of ``check``, polled; fails saying what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.25)


def artifacts(api: httpx.Client, video_id: str, artifact_type: str) -> list[dict]:
    body = api.get(f"/videos/{video_id}/artifacts", params={"artifact_type": artifact_type, "limit": 500}).json()
    return sorted(body["items"], key=lambda a: a["span_start_ms"])


def player_time(page: Any) -> float:
    return float(page.locator("video").evaluate("v => v.currentTime"))


def wait_player_near(page: Any, seconds: float, tolerance: float) -> None:
    page.wait_for_function("([t, tol]) => { const v = document.querySelector('video');"
                           " return v !== null && v.readyState >= 1 && Math.abs(v.currentTime - t) <= tol; }",
                           arg=[seconds, tolerance], timeout=WAIT_S * 1000)


def assert_plays(page: Any) -> None:
    """The <video> has data for the current frame (readyState >= 2) and its time advances."""
    video = page.locator("video")
    expect(video).to_have_count(1)
    start = video.evaluate("async v => { v.muted = true; await v.play(); return v.currentTime; }")
    page.wait_for_function("t => { const v = document.querySelector('video');"
                           " return v.readyState >= 2 && v.currentTime > t + 0.2; }", arg=start,
                           timeout=WAIT_S * 1000)
    video.evaluate("v => v.pause()")


def images_loaded(page: Any, scope: str) -> int:
    """How many <img> under ``scope`` have loaded a picture (naturalWidth > 0)."""
    return int(page.evaluate("s => [...document.querySelectorAll(s + ' img')]"
                             ".filter(i => i.complete && i.naturalWidth > 0).length", scope))


def has_mark(page: Any, name: str) -> bool:
    return bool(page.evaluate("n => performance.getEntriesByName(n, 'mark').length > 0", name))


def test_the_library_shows_every_video_with_its_poster(browsing: Browsing, site: Site) -> None:
    page = browsing.page
    page.goto("/")  # / sends a browser to the app
    expect(page).to_have_url(re.compile(r"/app/?$"))
    cards = page.get_by_test_id("video-card")
    expect(cards).to_have_count(len(VIDEOS))
    text = " ".join(cards.all_inner_texts())
    for name in VIDEOS:
        assert f"{name}.mp4" in text, text
    eventually(lambda: images_loaded(page, '[data-testid="video-card"]') == len(VIDEOS), "every poster loaded")
    assert has_mark(page, "library:first-render")
    expect(page.locator(".live")).to_have_text("● live")  # GET /events is open: no polling
    browsing.assert_clean("library")


def test_a_video_plays_and_its_scene_marks_and_transcript_lines_seek(browsing: Browsing, site: Site) -> None:
    page, video_id = browsing.page, site.video_ids["moments"]
    scenes = artifacts(site.api, video_id, "scene")
    sentences = artifacts(site.api, video_id, "transcript_segment")
    assert len(scenes) >= 2 and sentences, (scenes, sentences)

    page.goto(f"/app/videos/{video_id}")
    assert_plays(page)

    last_scene = scenes[-1]["span_start_ms"]
    mark = page.locator(f'[data-testid="timeline-mark"][data-lane="scenes"][data-start-ms="{last_scene}"]')
    expect(mark).to_have_count(1)
    mark.click()
    wait_player_near(page, last_scene / 1000, 0.25)
    assert has_mark(page, "timeline:first-render")

    lines = page.get_by_test_id("transcript-line")
    expect(lines).to_have_count(len(sentences))
    # The sentence furthest from where the player is now, so that a click that did nothing fails.
    here = player_time(page) * 1000
    index = max(range(len(sentences)), key=lambda i: abs(sentences[i]["span_start_ms"] - here))
    assert abs(sentences[index]["span_start_ms"] - here) > 1000, (sentences, here)
    lines.nth(index).click()
    wait_player_near(page, sentences[index]["span_start_ms"] / 1000, 0.25)
    browsing.assert_clean("video")


def test_an_on_screen_word_typed_in_search_lands_the_player_on_its_moment(browsing: Browsing, site: Site) -> None:
    page, video_id = browsing.page, site.video_ids["moments"]
    page.goto("/app/")
    box = page.locator('input[type="search"]')
    box.fill(MOMENT_WORD.lower())
    box.press("Enter")
    hits = page.get_by_test_id("search-hit")
    expect(hits.first).to_be_visible()
    expect(hits).to_have_count(1)  # the other video shows other words
    assert has_mark(page, "search:results")
    browsing.assert_clean("search")

    hits.first.click()
    expect(page).to_have_url(re.compile(rf"/app/videos/{video_id}\?(.*&)?t=\d+(\.\d+)?"))
    # Where the word is: MOMENT_WORD is on screen from MOMENT_WORD_MS on, in that video only.
    wait_player_near(page, MOMENT_WORD_MS / 1000, 1.0)
    browsing.assert_clean("video from a search hit")


def _queue(api: httpx.Client, name: str) -> dict:
    return next(q for q in api.get("/queues").json() if q["name"] == name)


def _status(api: httpx.Client, task_id: str) -> str:
    return str(api.get(f"/tasks/{task_id}").json()["status"])


def test_operations_pause_a_queue_cancel_and_retry_a_task_and_resume(browsing: Browsing, site: Site) -> None:
    page, api = browsing.page, site.api
    page.goto("/app/operations")
    gpu = page.locator('[data-testid="queue-row"][data-queue="gpu_jobs"]')
    gpu.get_by_role("button", name="Pause").click()
    eventually(lambda: _queue(api, "gpu_jobs")["paused"], "gpu_jobs paused (API)")

    # A waiting task: the analysis runs again, and stays pending while its queue is paused.
    rerun = api.post(f"/videos/{site.video_ids['text']}/reprocess", json={"analyses": ["ocr"]})
    assert rerun.status_code == 200, rerun.text
    [task] = rerun.json()["tasks"]
    assert _status(api, task["task_id"]) == "pending"

    row = page.locator(f'[data-testid="task-row"][data-task-id="{task["task_id"]}"]')
    expect(row).to_be_visible(timeout=WAIT_S * 1000)  # live updates (or a poll) bring it in
    row.get_by_role("button", name="Cancel").click()
    eventually(lambda: _status(api, task["task_id"]) == "cancelled", "the task cancelled (API)")
    row.get_by_role("button", name="Retry").click()
    eventually(lambda: _status(api, task["task_id"]) == "pending", "the task pending again (API)")
    browsing.assert_clean("operations")

    gpu.get_by_role("button", name="Resume").click()
    eventually(lambda: not _queue(api, "gpu_jobs")["paused"], "gpu_jobs resumed (API)")
    eventually(lambda: _status(api, task["task_id"]) == "completed", "the retried task ran", timeout=180)
    browsing.assert_clean("operations after resume")


def test_with_a_token_the_app_signs_in_and_media_and_frames_load_by_cookie(token_browsing: Browsing,
                                                                           token_site: Site) -> None:
    page = token_browsing.page
    assert httpx.get(f"{token_site.url}/videos", timeout=10).status_code == 401  # the API wants credentials
    page.goto("/app/")
    password = page.locator('input[type="password"]')
    expect(password).to_be_visible()
    expect(page.locator(".live")).to_have_text("○ polling")  # no stream opened before sign-in (it would be a 401)
    assert not any("/events" in u for u in token_browsing.urls)
    token_browsing.assert_clean("sign-in")
    password.fill(TOKEN)
    password.press("Enter")

    cards = page.get_by_test_id("video-card")
    expect(cards).to_have_count(len(VIDEOS))
    eventually(lambda: images_loaded(page, '[data-testid="video-card"]') == len(VIDEOS), "posters loaded by cookie")
    expect(page.locator(".live")).to_have_text("● live")  # the stream, opened by cookie once signed in
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["reelscan_session"]["httpOnly"] and cookies["reelscan_session"]["sameSite"] == "Strict"

    page.goto(f"/app/videos/{token_site.video_ids['moments']}")
    assert_plays(page)
    token_browsing.assert_clean("video, signed in")
    leaked = [u for u in token_browsing.urls if TOKEN in u]
    assert not leaked, leaked
    assert any("/media" in u for u in token_browsing.urls) and any("/frame" in u for u in token_browsing.urls)


def test_operations_show_the_files_discovery_left_out(browsing: Browsing, site: Site) -> None:
    library = Path(site.stack.video_paths.split(":")[0])
    dangling = library / "gone-away.mp4"
    dangling.symlink_to(library / "never-there.mp4")  # a broken link: reported, nothing else changes
    try:
        report = site.api.post("/videos/discover")
        assert report.status_code == 200, report.text
        assert [e["error"] for e in report.json()["errors"]] == ["broken symlink"]
        page = browsing.page
        page.goto("/app/operations")
        left_out = page.get_by_text("1 file left out by the last scan")
        expect(left_out).to_be_visible(timeout=WAIT_S * 1000)
        left_out.click()
        expect(page.locator(".skipped-files li")).to_have_text(f"{dangling}: broken symlink")
        browsing.assert_clean("operations with a skipped file")
    finally:
        dangling.unlink()
        site.api.post("/videos/discover")  # /health forgets it with the next scan
