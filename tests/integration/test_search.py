"""Library search, summaries, subtitles and frames over HTTP (ASGI), on real PostgreSQL.

Artifacts are stored the way the worker stores them (validated envelopes, one
transaction per completed task), then found through the API.
"""

from __future__ import annotations

import io
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import sample_videos as sv
import sqlalchemy as sa
import srt
import webvtt
from factories import task, video
from PIL import Image
from test_api import _client, settings_for

from reelscan_shared.adapters.db import SqlTaskRepository, SqlVideoRepository
from reelscan_shared.analyses import ANALYSES, default_config, validate_payload
from reelscan_shared.domain.artifacts import Provenance
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.tasks import Event, TaskType
from reelscan_shared.domain.videos import Video
from reelscan_worker.envelopes import build_envelopes

PROVENANCE = Provenance(run_id="r" * 32, producer="test", producer_version="1", model_profile="test-profile",
                        config_hash="c" * 64, input_hash="i" * 64)
BOX = {"x1": 10, "y1": 10, "x2": 100, "y2": 50}


@pytest.fixture
async def api(db, redis, migrated_url, valkey, video_dir) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings_for(migrated_url, valkey.url, video_dir)):
        yield client


async def store(db, v: Video, task_type: TaskType, items: list[dict[str, Any]],
                version: int | None = None, provenance: Provenance = PROVENANCE) -> None:
    """A completed task of ``v`` whose run found ``items`` (span + payload dicts)."""
    videos, tasks = SqlVideoRepository(db), SqlTaskRepository(db)
    if await videos.get(v.video_id) is None:
        await videos.add_with_tasks(v, [])
    t = task(v.video_id, task_type, config=default_config(task_type))
    await tasks.add(t)
    await tasks.start(t.task_id, utcnow())
    kind = ANALYSES[task_type].artifact_type
    version = version or validate_payload(kind, items[0]["payload"])[0]  # the newest
    await tasks.complete_with_artifacts(t.task_id, build_envelopes(t, kind, version, items, provenance), utcnow())


def sentence(start_ms: int, end_ms: int, text: str) -> dict[str, Any]:
    return {"span_start_ms": start_ms, "span_end_ms": end_ms,
            "payload": {"start_ms": start_ms, "end_ms": end_ms, "text": text, "language": "en"}}


def on_screen(start_ms: int, end_ms: int, text: str, sightings: int = 3) -> dict[str, Any]:
    return {"span_start_ms": start_ms, "span_end_ms": end_ms, "payload": {
        "start_ms": start_ms, "end_ms": end_ms, "text": text, "frame_width": 640, "frame_height": 360, "box": BOX,
        "best_confidence": 0.9, "mean_confidence": 0.8, "sightings": sightings}}


def track(label: str, times_ms: list[int], confidence: float = 0.8) -> dict[str, Any]:
    sightings = [{"frame_ms": t, "box": BOX, "confidence": confidence} for t in times_ms]
    payload = {"start_ms": times_ms[0], "end_ms": times_ms[-1], "frame_width": 640, "frame_height": 360,
               "sightings": sightings, "best_confidence": confidence, "mean_confidence": confidence}
    if label != "face":
        payload |= {"label": label, "class_id": 16}
    return {"span_start_ms": times_ms[0], "span_end_ms": times_ms[-1], "payload": payload}


def place_frame(t_ms: int, label: str) -> dict[str, Any]:  # a per-frame row (version 1)
    return {"span_start_ms": t_ms, "span_end_ms": t_ms, "payload": {
        "frame_ms": t_ms, "top_k": [{"label": label, "class_id": 3, "score": 0.7}]}}


async def search(api: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    resp = await api.get("/search", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_words_spoken_and_shown_are_found_where_they_are(api, db) -> None:
    talk, street = video("/videos/talk.mp4"), video("/videos/street.mp4")
    await store(db, talk, TaskType.TRANSCRIPTION, [
        sentence(1_000, 4_000, "Welcome to the quarterly meeting."),
        sentence(61_000, 65_500, "We need to discuss the budget for next year."),
        sentence(90_000, 93_000, "The old harbour is <closed> & quiet."),
    ])
    await store(db, street, TaskType.OCR, [on_screen(4_000, 12_000, "EXIT 12"), on_screen(20_000, 26_000, "EXlT 14"),
                                           on_screen(30_000, 31_000, "HARB0UR VIEW")])

    [hit] = (await search(api, q="budget"))["items"]
    assert (hit["video_id"], hit["path"], hit["kind"]) == (talk.video_id, "/videos/talk.mp4", "transcript")
    assert (hit["start_ms"], hit["end_ms"]) == (61_000, 65_500)
    assert "<mark>budget</mark>" in hit["highlight"] and not hit["fuzzy"]
    # "budget" starts at character 23 of 44: about half-way through the 4.5 s sentence
    assert hit["match_ms"] == 61_000 + round(4_500 * 23 / 44)
    assert hit["frame_url"] == f"/videos/{talk.video_id}/frame?t_ms={hit['match_ms']}"
    # stemmed, phrases, prefixes, or, exclusion
    assert [h["start_ms"] for h in (await search(api, q="budgets"))["items"]] == [61_000]
    assert [h["start_ms"] for h in (await search(api, q='"next year"'))["items"]] == [61_000]
    assert (await search(api, q='"year next"'))["items"] == []
    assert [h["start_ms"] for h in (await search(api, q="budg*"))["items"]] == [61_000]
    assert [h["start_ms"] for h in (await search(api, q=" ".join(["budg*"] * 80)))["items"]] == [61_000]
    assert sorted(h["start_ms"] for h in (await search(api, q="budget or quarterly"))["items"]) == [1_000, 61_000]
    assert (await search(api, q="budget -year"))["items"] == []
    # the text is escaped around the marks
    [harbour] = [h for h in (await search(api, q="harbour"))["items"] if h["kind"] == "transcript"]
    assert harbour["highlight"] == "The old <mark>harbour</mark> is &lt;closed&gt; &amp; quiet."

    # on-screen text: the exact reading first, then OCR's misreadings (l for I, 0 for O)
    exits = (await search(api, q="exit"))["items"]
    assert [(h["text"], h["fuzzy"]) for h in exits] == [("EXIT 12", False), ("EXlT 14", True)]
    assert {h["video_id"] for h in exits} == {street.video_id}
    assert [h["text"] for h in (await search(api, q="harbour view", types="ocr"))["items"]] == ["HARB0UR VIEW"]
    assert (await search(api, q="exit", types="transcript"))["items"] == []
    assert (await search(api, q="exit", video_id=talk.video_id))["items"] == []
    assert (await search(api, q="the"))["items"] == []  # only a stop word: nothing to find, not an error


async def test_search_finds_the_current_words_only(api, db) -> None:
    """Search rows come and go with the artifacts: a re-run's words replace the old
    ones (what it replaced is not searchable, even when kept with KEEP_SUPERSEDED),
    and a video's leave with the video."""
    v = video("/videos/lecture.mp4")
    await SqlVideoRepository(db).add_with_tasks(v, [])
    tasks = SqlTaskRepository(db, keep_superseded=True)
    t = task(v.video_id, TaskType.TRANSCRIPTION, config=default_config(TaskType.TRANSCRIPTION))
    await tasks.add(t)
    kind = ANALYSES[TaskType.TRANSCRIPTION].artifact_type

    async def run(*sentences: str) -> None:
        await tasks.start(t.task_id, utcnow())
        items = [sentence(i * 5_000, i * 5_000 + 4_000, s) for i, s in enumerate(sentences)]
        version = validate_payload(kind, items[0]["payload"])[0]
        await tasks.complete_with_artifacts(t.task_id, build_envelopes(t, kind, version, items, PROVENANCE),
                                            utcnow())

    await run("Photosynthesis needs light.", "Chlorophyll is green.")
    assert [h["text"] for h in (await search(api, q="chlorophyll"))["items"]] == ["Chlorophyll is green."]
    await tasks.apply(t.task_id, Event.RERUN, utcnow())
    await run("Photosynthesis needs sunlight.")
    assert (await search(api, q="chlorophyll"))["items"] == []
    assert [h["text"] for h in (await search(api, q="photosynthesis"))["items"]] == ["Photosynthesis needs sunlight."]
    kept = (await api.get(f"/videos/{v.video_id}/artifacts", params={"superseded": "true"})).json()["items"]
    assert len(kept) == 2  # kept, readable, not searchable

    async with db.engine.begin() as conn:
        await conn.execute(sa.text("DELETE FROM videos WHERE video_id = :v"), {"v": v.video_id})
        assert (await conn.execute(sa.text("SELECT count(*) FROM artifact_text"))).scalar_one() == 0
    assert (await search(api, q="photosynthesis"))["items"] == []


async def test_search_pages_walk_every_hit_once_best_first(api, db) -> None:
    v = video()
    # 1 to 25 mentions: each sentence its own score
    await store(db, v, TaskType.TRANSCRIPTION, [
        sentence(i * 10_000, i * 10_000 + 5_000, " ".join(["budget"] * (i + 1) + ["and", "more"] * (25 - i)))
        for i in range(25)])
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await search(api, q="budget", limit=10, **({"cursor": cursor} if cursor else {}))
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 25 and len({h["artifact_id"] for h in seen}) == 25
    assert [h["score"] for h in seen] == sorted((h["score"] for h in seen), reverse=True)
    assert seen[0]["start_ms"] == 240_000  # the most mentions
    other = (await api.get("/search", params={"q": "budget", "types": "transcript", "cursor": page_cursor(seen)}))
    assert other.status_code == 422 and "another search" in other.text


def page_cursor(hits: list[dict[str, Any]]) -> str:
    import base64
    import json

    from reelscan_api.routes.search import _fingerprint
    from reelscan_shared.domain.search import TextKind

    raw = json.dumps([_fingerprint("budget", frozenset(TextKind), None), hits[9]["score"], hits[9]["artifact_id"]])
    return base64.urlsafe_b64encode(raw.encode()).decode()


@pytest.mark.parametrize("params", [
    {"q": ""}, {"q": "   "}, {"q": "x" * 501}, {"q": "***"}, {"q": "dog", "types": "faces"},
    {"q": "dog", "types": ""}, {"q": "dog", "cursor": "not-a-cursor"}, {"q": "dog", "limit": 0},
    {"q": "dog", "video_id": "nope"}, {}, {"q": "dog\x00cat"},
    {"q": " ".join(["e*"] * 166)}, {"q": "abc* abd* abe* abf*"}, {"q": " ".join(f"w{i}" for i in range(33))},
])
async def test_bad_searches_are_422(api, params) -> None:
    resp = await api.get("/search", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"]


async def test_which_videos_show_a_label_and_for_how_long(api, db) -> None:
    park, yard, office = video("/videos/park.mp4"), video("/videos/yard.mp4"), video("/videos/office.mp4")
    # objects are sampled every 1 s: each sample stands for 1 s
    await store(db, park, TaskType.OBJECT_DETECTION, [
        track("dog", list(range(0, 10_000, 1000))), track("dog", list(range(5_000, 13_000, 1000))),  # overlap
        track("dog", [30_000, 31_000]), track("person", [0, 1000], 0.95)])
    await store(db, yard, TaskType.OBJECT_DETECTION, [track("dog", [0, 1000, 2000], 0.9)])
    await store(db, office, TaskType.OBJECT_DETECTION, [track("person", [0], 0.6)])

    resp = await api.get("/search/objects", params={"label": "dog"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["total"] == 2
    [first, second] = body["items"]
    assert (first["video_id"], first["on_screen_ms"], first["span_count"]) == (park.video_id, 13_000 + 2_000, 2)
    assert [(s["start_ms"], s["end_ms"]) for s in first["spans"]] == [(0, 13_000), (30_000, 32_000)]
    assert (second["video_id"], second["on_screen_ms"]) == (yard.video_id, 3_000)
    by_confidence = (await api.get("/search/objects", params={"label": "dog", "sort": "confidence"})).json()
    assert [i["video_id"] for i in by_confidence["items"]] == [yard.video_id, park.video_id]
    sure = (await api.get("/search/objects", params={"label": "dog", "min_confidence": 0.85})).json()
    assert [i["video_id"] for i in sure["items"]] == [yard.video_id]
    assert (await api.get("/search/objects", params={"label": "cat"})).json() == {
        "items": [], "total": 0, "limit": 20, "offset": 0}
    page2 = (await api.get("/search/objects", params={"label": "dog", "limit": 1, "offset": 1})).json()
    assert [i["video_id"] for i in page2["items"]] == [yard.video_id] and page2["total"] == 2

    # per-frame rows (version 1) join up: three samples 5 s apart are one 15 s span
    await store(db, office, TaskType.PLACE_DETECTION,
                [place_frame(0, "office"), place_frame(5_000, "office"), place_frame(10_000, "office"),
                 place_frame(30_000, "corridor")], version=1)
    [office_place] = (await api.get("/search/places", params={"label": "office"})).json()["items"]
    assert (office_place["on_screen_ms"], office_place["span_count"]) == (15_000, 1)

    await store(db, yard, TaskType.FACE_DETECTION, [track("face", [0, 2000, 3000])])
    [faces] = (await api.get("/search/faces")).json()["items"]
    interval_ms = default_config(TaskType.FACE_DETECTION)["frame_interval_s"] * 1000
    assert (faces["video_id"], faces["label"], faces["on_screen_ms"]) == (yard.video_id, "face", 3_000 + interval_ms)

    labels = (await api.get("/labels")).json()["items"]
    assert {(x["kind"], x["label"]): (x["artifacts"], x["videos"]) for x in labels} == {
        ("objects", "dog"): (4, 2), ("objects", "person"): (2, 2), ("places", "office"): (3, 1),
        ("places", "corridor"): (1, 1), ("faces", "face"): (1, 1)}
    park_labels = (await api.get("/labels", params={"video_id": park.video_id, "kinds": "objects"})).json()["items"]
    assert [(x["label"], x["artifacts"]) for x in park_labels] == [("dog", 3), ("person", 1)]

    for bad in ({"label": ""}, {}, {"label": "dog", "min_confidence": 2}, {"label": "dog", "sort": "size"},
                {"label": "d\x00g"}):
        assert (await api.get("/search/objects", params=bad)).status_code == 422, bad
    assert (await api.get("/search/animals", params={"label": "dog"})).status_code == 422
    assert (await api.get("/labels", params={"kinds": "objects,cars"})).status_code == 422


def untrained(profile: str) -> Provenance:
    """What the ML service stamps on an untrained network's results (ALLOW_UNTRAINED)."""
    return replace(PROVENANCE, model_profile=f"{profile}-untrained-random-init")


async def test_untrained_networks_results_are_no_findings(api, db) -> None:
    """Results an untrained network stored (model_profile says so) are in no facet, search
    or summary, whichever way they are read; they stay readable as artifacts, with their
    provenance. The same results from a trained model are found."""
    car, street = video("/videos/car.mp4"), video("/videos/street.mp4")
    await store(db, car, TaskType.PLACE_DETECTION, [place_frame(0, "car_interior"), place_frame(5_000, "car_interior")],
                version=1, provenance=untrained("resnet18-places365"))
    await store(db, car, TaskType.OBJECT_DETECTION, [track("person", [0, 1000])], provenance=untrained("yolo11n"))
    await store(db, car, TaskType.FACE_DETECTION, [track("face", [0, 1000])], provenance=untrained("yolov11n-face"))
    await store(db, car, TaskType.OCR, [on_screen(0, 2_000, "ZHOU")], provenance=untrained("ocr"))
    await store(db, car, TaskType.TRANSCRIPTION, [sentence(0, 2_000, "zhou said nothing")],
                provenance=untrained("whisper"))
    await store(db, street, TaskType.PLACE_DETECTION, [place_frame(0, "street")], version=1)
    await store(db, street, TaskType.OBJECT_DETECTION, [track("person", [0])])
    await store(db, street, TaskType.OCR, [on_screen(0, 2_000, "ZHOU ROAD")])

    labels = (await api.get("/labels")).json()["items"]
    assert {(x["kind"], x["label"]): x["videos"] for x in labels} == {("places", "street"): 1, ("objects", "person"): 1}
    assert (await api.get("/search/places", params={"label": "car_interior"})).json()["total"] == 0
    assert (await api.get("/search/faces")).json()["total"] == 0
    [place] = (await api.get("/search/places", params={"label": "street"})).json()["items"]
    assert place["video_id"] == street.video_id
    for floor in (0, 0.1):  # the stored spans, and merging the artifacts at query time
        persons = (await api.get("/search/objects", params={"label": "person", "min_confidence": floor})).json()
        assert [i["video_id"] for i in persons["items"]] == [street.video_id], floor
    assert [(h["video_id"], h["text"]) for h in (await search(api, q="zhou"))["items"]] == [
        (street.video_id, "ZHOU ROAD")]
    assert (await search(api, q="nothing"))["items"] == []

    shown = (await api.get(f"/videos/{car.video_id}/summary")).json()
    assert (shown["places"], shown["objects"], shown["faces_on_screen_ms"]) == ([], [], 0)
    assert (shown["text_read"], shown["transcript_excerpt"]) == ([], "")
    found = (await api.get(f"/videos/{street.video_id}/summary")).json()
    assert [p["label"] for p in found["places"]] == ["street"] and [o["label"] for o in found["objects"]] == ["person"]
    assert [t["text"] for t in found["text_read"]] == ["ZHOU ROAD"]

    stored = (await api.get(f"/videos/{car.video_id}/artifacts", params={"limit": 100})).json()
    assert stored["total"] == 6
    assert all(a["model_profile"].endswith("-untrained-random-init") for a in stored["items"])


async def test_stored_label_spans_agree_with_merging_at_query_time(api, db) -> None:
    """What a task's completion stores in video_labels is what merging the artifacts
    at query time gives (the path a confidence floor takes), after every completion and
    after a video is deleted."""
    rng = random.Random(5)
    videos = [video(f"/videos/random-{i}.mp4") for i in range(12)]

    async def both_ways(label: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        params = {"label": label, "limit": 100}
        stored = (await api.get("/search/objects", params=params)).json()["items"]
        merged = (await api.get("/search/objects", params=params | {"min_confidence": 0.01})).json()["items"]
        return stored, merged

    for round_ in range(3):
        for v in videos[round_ * 4:round_ * 4 + 4]:
            tracks = []
            for _ in range(rng.randint(1, 6)):
                start = rng.randrange(0, 60) * 1000
                times = sorted({start + 1000 * rng.randrange(0, 8) for _ in range(rng.randint(1, 5))})
                tracks.append(track(rng.choice(["dog", "cat"]), times, round(rng.uniform(0.3, 0.99), 2)))
            await store(db, v, TaskType.OBJECT_DETECTION, tracks)
        for label in ("dog", "cat"):
            stored, merged = await both_ways(label)
            assert stored == merged and stored, (round_, label)
    async with db.engine.begin() as conn:  # the library has no delete yet: as an operator would in SQL
        await conn.execute(sa.text("DELETE FROM videos WHERE video_id = :v"), {"v": videos[0].video_id})
    stored, merged = await both_ways("dog")
    assert videos[0].video_id not in {i["video_id"] for i in stored} and stored == merged


async def test_a_video_summary_and_its_transcript_as_subtitles(api, db) -> None:
    v = video("/videos/lecture.mp4", duration_ms=120_000)
    assert (await api.get(f"/videos/{v.video_id}/transcript.srt")).status_code == 404  # no such video
    await SqlVideoRepository(db).add_with_tasks(v, [])
    missing = await api.get(f"/videos/{v.video_id}/transcript.vtt")
    assert missing.status_code == 404 and "no transcript yet" in missing.json()["detail"]
    await store(db, v, TaskType.TRANSCRIPTION, [
        sentence(1_000, 4_000, "Welcome to the lecture."),
        sentence(3_661_500, 3_663_000, "Questions & answers <later>."),
        sentence(3_700_000, 3_700_000, "Bye."),  # ends where it starts: shown briefly anyway
    ])
    await store(db, v, TaskType.OCR, [on_screen(0, 10_000, "CHAPTER ONE", 5), on_screen(60_000, 62_000, "EXIT", 1)])
    await store(db, v, TaskType.OBJECT_DETECTION, [track("person", [0, 1000, 2000]), track("laptop", [0])])
    await store(db, v, TaskType.SCENE_DETECTION, [
        {"span_start_ms": s, "span_end_ms": s + 60_000, "payload": {
            "scene_index": i, "start_ms": s, "end_ms": s + 60_000, "start_frame": s // 40,
            "end_frame": (s + 60_000) // 40}}
        for i, s in enumerate((0, 60_000))], version=1)

    srt_file = await api.get(f"/videos/{v.video_id}/transcript.srt")
    assert srt_file.status_code == 200 and srt_file.headers["content-type"].startswith("application/x-subrip")
    cues = list(srt.parse(srt_file.text))
    assert [c.content for c in cues] == ["Welcome to the lecture.", "Questions & answers <later>.", "Bye."]
    assert cues[1].start.total_seconds() == 3661.5 and cues[2].end > cues[2].start
    vtt_file = await api.get(f"/videos/{v.video_id}/transcript.vtt")
    assert vtt_file.headers["content-type"].startswith("text/vtt")
    captions = webvtt.from_buffer(io.StringIO(vtt_file.text)).captions
    assert [(c.start, c.end) for c in captions][:2] == [("00:00:01.000", "00:00:04.000"),
                                                         ("01:01:01.500", "01:01:03.000")]
    assert captions[1].raw_text == "Questions &amp; answers &lt;later&gt;."
    # a second, independent reader of the SubRip file: webvtt-py's
    assert len(webvtt.from_srt(_tmp_file(srt_file.content, ".srt")).captions) == 3
    txt = await api.get(f"/videos/{v.video_id}/transcript.txt")
    assert txt.text.splitlines() == ["Welcome to the lecture.", "Questions & answers <later>.", "Bye."]
    assert (await api.get(f"/videos/{v.video_id}/transcript.doc")).status_code == 422

    summary = (await api.get(f"/videos/{v.video_id}/summary")).json()
    assert summary["duration_ms"] == 120_000 and summary["percent"] == 100.0
    assert [(o["label"], o["on_screen_ms"]) for o in summary["objects"]] == [("person", 3000), ("laptop", 1000)]
    assert summary["objects"][0]["frame_url"] == f"/videos/{v.video_id}/frame?t_ms=0"
    assert [(t["text"], t["sightings"]) for t in summary["text_read"]] == [("CHAPTER ONE", 5), ("EXIT", 1)]
    assert summary["text_read"][1]["frame_url"] == f"/videos/{v.video_id}/frame?t_ms=60000"
    assert summary["scene_count"] == 2 and summary["faces_on_screen_ms"] == 0 and summary["places"] == []
    assert summary["transcript_excerpt"].startswith("Welcome to the lecture. Questions")
    assert (await api.get(f"/videos/{uuid.uuid4()}/summary")).status_code == 404


def _tmp_file(content: bytes, suffix: str) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as f:
        f.write(content)
    return f.name


async def test_the_frame_of_a_moment(api, db, video_dir: Path) -> None:
    # a video whose colour says which second it is
    colours = [(220, 30, 30), (30, 220, 30), (30, 30, 220), (220, 220, 30)]
    path = video_dir / "colours.mp4"
    sv.write_video(path, (np.full((360, 640, 3), colours[i // sv.FPS], np.uint8) for i in range(4 * sv.FPS)))
    v = video(str(path), duration_ms=4_000)
    await SqlVideoRepository(db).add_with_tasks(v, [])

    async def frame(t_ms: int, **params: Any) -> Image.Image:
        resp = await api.get(f"/videos/{v.video_id}/frame", params={"t_ms": t_ms, **params})
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"] == "image/jpeg"
        return Image.open(io.BytesIO(resp.content)).convert("RGB")

    for t_ms in (0, 1_500, 2_999, 3_000, 3_960):
        image = await frame(t_ms)
        assert image.size == (640, 360)
        assert np.abs(np.asarray(image)[180, 320].astype(int) - colours[t_ms // 1000]).max() < 40, t_ms
    assert (await frame(2_500, width=160)).size == (160, 90)
    again = await api.get(f"/videos/{v.video_id}/frame", params={"t_ms": 1_500})
    assert again.content == (await api.get(f"/videos/{v.video_id}/frame", params={"t_ms": 1_500})).content

    past = await api.get(f"/videos/{v.video_id}/frame", params={"t_ms": 9_000})
    assert past.status_code == 422 and "past the video's end" in past.text
    for bad in ({"t_ms": -1}, {"t_ms": 10, "width": 5000}, {}):
        assert (await api.get(f"/videos/{v.video_id}/frame", params=bad)).status_code == 422
    outside = video("/etc/hostname")
    await SqlVideoRepository(db).add_with_tasks(outside, [])
    refused = await api.get(f"/videos/{outside.video_id}/frame", params={"t_ms": 0})
    assert refused.status_code == 403 and "outside" in refused.text
    gone = video(str(video_dir / "gone.mp4"))
    await SqlVideoRepository(db).add_with_tasks(gone, [])
    assert (await api.get(f"/videos/{gone.video_id}/frame", params={"t_ms": 0})).status_code == 404
    broken = video_dir / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    corrupt = video(str(broken))
    await SqlVideoRepository(db).add_with_tasks(corrupt, [])
    unreadable = await api.get(f"/videos/{corrupt.video_id}/frame", params={"t_ms": 0})
    assert unreadable.status_code == 404 and "cannot be decoded" in unreadable.text
