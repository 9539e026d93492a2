"""A library that lives: files moved, copied, overwritten, deleted and brought back,
roots unmounted, over the API's discovery on real PostgreSQL and Valkey and real files."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelscan_shared.adapters.db import SqlTaskRepository
from reelscan_shared.domain.artifacts import ArtifactEnvelope, Provenance
from reelscan_shared.domain.clock import utcnow
from reelscan_shared.domain.library import MISSING_REASON
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import Event
from reelscan_shared.files import os_path
from tests.integration.test_api import _client, settings_for


@pytest.fixture
def library(tmp_path: Path, sample_videos: dict[str, Path]) -> Path:
    root = tmp_path / "library"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    shutil.copy(sample_videos["text"], root / "a" / "text.mp4")
    shutil.copy(sample_videos["cuts"], root / "a" / "cuts.mp4")
    return root


@pytest.fixture
async def api(db, redis, migrated_url, valkey, library) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings_for(migrated_url, valkey.url, library, TASK_TOTALS_CACHE_SECONDS=0,
                                                 HEALTH_CACHE_SECONDS=0)):
        yield client


async def scan(api: httpx.AsyncClient) -> dict:
    resp = await api.post("/videos/discover")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def video_at(api: httpx.AsyncClient, path: Path) -> dict:
    """The video read from ``path``, with its paths and its tasks."""
    videos = (await api.get("/videos", params={"include_missing": True, "limit": 500})).json()["items"]
    [video] = [v for v in videos if v["path"] == str(path)]
    detail = (await api.get(f"/videos/{video['video_id']}")).json()
    listed = await api.get("/tasks", params={"video_id": video["video_id"], "limit": 500})
    return {**detail, "tasks": listed.json()["items"]}


async def task_count(api: httpx.AsyncClient) -> int:
    return (await api.get("/tasks", params={"limit": 1})).json()["total"]


async def jobs(redis) -> int:
    return await redis.zcard(GPU_QUEUE) + await redis.zcard(CPU_QUEUE)


async def complete(db, task_id: str, text: str, keep_superseded: bool = False) -> None:
    """What a worker's run leaves: the task COMPLETED with one artifact."""
    repo = SqlTaskRepository(db, keep_superseded=keep_superseded)
    task = await repo.get(task_id)
    assert task is not None
    await repo.apply(task_id, Event.START, utcnow())
    provenance = Provenance(run_id=text, producer="test", producer_version="1", model_profile="m",
                            config_hash="c", input_hash="i")
    artifact = ArtifactEnvelope(artifact_id=os.urandom(16).hex(), video_id=task.video_id, task_id=task_id,
                                artifact_type="transcript_segment", schema_version=1, span_start_ms=0,
                                span_end_ms=1000, payload={"text": text, "start_ms": 0, "end_ms": 1000,
                                                           "language": "en"},
                                provenance=provenance, created_at=utcnow())
    assert await repo.complete_with_artifacts(task_id, [artifact], utcnow())


async def test_a_moved_file_keeps_its_video_and_results(api, redis, library) -> None:
    first = await scan(api)
    assert len(first["created"]) == 2
    before = await video_at(api, library / "a" / "text.mp4")
    tasks, queued = await task_count(api), await jobs(redis)

    (library / "a" / "text.mp4").rename(library / "b" / "renamed.mp4")
    report = await scan(api)

    assert report["created"] == [] and report["missing"] == []
    assert report["attached"] == [{"video_id": before["video_id"], "path": str(library / "b" / "renamed.mp4")}]
    after = await video_at(api, library / "b" / "renamed.mp4")
    assert after["video_id"] == before["video_id"] and after["status"] == "present"
    assert after["paths"] == [str(library / "b" / "renamed.mp4")]
    assert (await task_count(api), await jobs(redis)) == (tasks, queued)  # nothing analysed again


async def test_the_same_content_at_two_paths_is_one_video(api, redis, library) -> None:
    shutil.copy(library / "a" / "text.mp4", library / "b" / "copy.mp4")  # a copy before the first scan
    report = await scan(api)
    assert len(report["created"]) == 2 and len(report["attached"]) == 1
    assert (await api.get("/videos")).json()["total"] == 2
    assert await task_count(api) == 12

    shutil.copy(library / "a" / "cuts.mp4", library / "cuts-copy.mp4")  # and one after
    report = await scan(api)
    assert report["created"] == [] and len(report["attached"]) == 1
    video = await video_at(api, library / "a" / "cuts.mp4")
    assert video["paths"] == sorted([str(library / "a" / "cuts.mp4"), str(library / "cuts-copy.mp4")])
    assert await task_count(api) == 12

    # One copy deleted: the video stays present, read from the other.
    (library / "a" / "cuts.mp4").unlink()
    report = await scan(api)
    assert report["missing"] == []
    video = await video_at(api, library / "cuts-copy.mp4")
    assert video["status"] == "present" and video["paths"] == [str(library / "cuts-copy.mp4")]


async def test_new_content_at_a_known_path_is_analysed_again(api, db, redis, library, sample_videos) -> None:
    await scan(api)
    target = library / "a" / "text.mp4"
    before = await video_at(api, target)
    transcription = next(t for t in before["tasks"] if t["task_type"] == "transcription")
    await complete(db, transcription["task_id"], "old words")
    await redis.flushall()

    shutil.copy(sample_videos["speech"], target)  # overwritten with another video
    os.utime(target, (1, 1))  # a different mtime even on a coarse clock
    report = await scan(api)

    assert report["new_versions"] == [{"video_id": before["video_id"], "path": str(target)}]
    after = await video_at(api, target)
    assert after["video_id"] == before["video_id"] and after["file_hash"] != before["file_hash"]
    assert after["task_counts"]["pending"] == 6  # every analysis runs again on the new content
    assert await jobs(redis) == 6
    rerun = (await api.get(f"/tasks/{transcription['task_id']}")).json()
    assert rerun["status"] == "pending" and "changed" in rerun["error"]
    # The previous results stay readable until the new run replaces them ...
    old = (await api.get(f"/videos/{before['video_id']}/artifacts")).json()["items"]
    assert [a["payload"]["text"] for a in old] == ["old words"]
    # ... and are superseded when it completes.
    await complete(db, transcription["task_id"], "new words")
    new = (await api.get(f"/videos/{before['video_id']}/artifacts")).json()["items"]
    assert [a["payload"]["text"] for a in new] == ["new words"]
    assert await task_count(api) == 12


async def test_keep_superseded_archives_what_a_rerun_replaced(api, db, library) -> None:
    await scan(api)
    video = await video_at(api, library / "a" / "text.mp4")
    task_id = of_type(video, "transcription")["task_id"]
    await complete(db, task_id, "first run")
    await api.post(f"/videos/{video['video_id']}/reprocess", json={"analyses": ["transcription"]})
    await complete(db, task_id, "second run", keep_superseded=True)
    current = (await api.get(f"/videos/{video['video_id']}/artifacts")).json()["items"]
    old = (await api.get(f"/videos/{video['video_id']}/artifacts", params={"superseded": True})).json()["items"]
    assert [a["payload"]["text"] for a in current] == ["second run"]
    assert [a["payload"]["text"] for a in old] == ["first run"]


def of_type(video: dict, task_type: str) -> dict:
    return next(t for t in video["tasks"] if t["task_type"] == task_type)


async def test_a_path_overwritten_with_another_videos_content_joins_that_video(api, redis, library) -> None:
    await scan(api)
    cuts = await video_at(api, library / "a" / "cuts.mp4")
    text = await video_at(api, library / "a" / "text.mp4")
    shutil.copy(library / "a" / "cuts.mp4", library / "a" / "text.mp4")
    os.utime(library / "a" / "text.mp4", (1, 1))
    report = await scan(api)
    assert report["created"] == [] and report["new_versions"] == []
    assert report["missing"] == [text["video_id"]]  # its only file now holds other content
    joined = await video_at(api, library / "a" / "cuts.mp4")
    assert joined["video_id"] == cuts["video_id"] and len(joined["paths"]) == 2
    assert await task_count(api) == 12


async def test_a_deleted_file_goes_missing_and_comes_back_without_reanalysis(api, db, redis, library) -> None:
    await scan(api)
    path = library / "a" / "text.mp4"
    video = await video_at(api, path)
    done = next(t for t in video["tasks"] if t["task_type"] == "transcription")
    await complete(db, done["task_id"], "kept words")
    kept = path.read_bytes()

    path.unlink()
    report = await scan(api)
    assert report["missing"] == [video["video_id"]]
    listed = (await api.get("/videos")).json()
    assert listed["total"] == 1 and video["video_id"] not in {v["video_id"] for v in listed["items"]}
    gone = await video_at(api, path)
    assert gone["status"] == "missing" and gone["missing_since"] is not None and gone["paths"] is None
    cancelled = [t for t in gone["tasks"] if t["status"] == "cancelled"]
    assert len(cancelled) == 5 and {t["error"] for t in cancelled} == {MISSING_REASON}
    # Its results are kept; nothing can run on it.
    assert (await api.get(f"/videos/{video['video_id']}/artifacts")).json()["total"] == 1
    refused = await api.post(f"/videos/{video['video_id']}/reprocess")
    assert refused.status_code == 409 and "missing" in refused.json()["detail"]

    (library / "b" / "back.mp4").write_bytes(kept)  # back, somewhere else
    report = await scan(api)
    assert report["returned"] == [video["video_id"]] and report["created"] == []
    back = await video_at(api, library / "b" / "back.mp4")
    assert back["video_id"] == video["video_id"] and back["status"] == "present" and back["missing_since"] is None
    statuses = {t["task_type"]: t["status"] for t in back["tasks"]}
    assert statuses.pop("transcription") == "completed"  # not analysed again
    assert set(statuses.values()) == {"pending"}  # what going missing cancelled runs now
    assert await task_count(api) == 12


@pytest.mark.parametrize("unmount", ["rename", "empty"])
async def test_an_unavailable_root_marks_nothing_missing(api, redis, library, unmount) -> None:
    await scan(api)
    parked = library.with_name("parked")
    if unmount == "rename":
        library.rename(parked)  # the mount point is gone
    else:
        parked.mkdir()
        for child in library.iterdir():  # the mount point is there, empty
            child.rename(parked / child.name)
    report = await scan(api)
    assert report["missing_roots"] == [str(library)] and report["missing"] == []
    assert (await api.get("/videos")).json()["total"] == 2
    health = (await api.get("/health")).json()
    assert health["library"]["unavailable_roots"] == [str(library)]

    if unmount == "rename":
        parked.rename(library)
    else:
        for child in parked.iterdir():
            child.rename(library / child.name)
    report = await scan(api)
    assert report["missing_roots"] == [] and report["created"] == [] and report["attached"] == []
    assert (await api.get("/health")).json()["library"]["unavailable_roots"] == []


async def test_videos_missing_past_the_retention_are_purged(db, redis, migrated_url, valkey, library) -> None:
    settings = settings_for(migrated_url, valkey.url, library, MISSING_RETENTION_DAYS=0, TASK_TOTALS_CACHE_SECONDS=0)
    async for client in _client(settings):
        await scan(client)
        video = await video_at(client, library / "a" / "text.mp4")
        (library / "a" / "text.mp4").unlink()
        report = await scan(client)
        assert report["missing"] == [video["video_id"]] and report["purged"] == [video["video_id"]]
        assert (await client.get(f"/videos/{video['video_id']}")).status_code == 404
        assert await task_count(client) == 6


def test_the_watcher_notices_new_and_removed_files(migrated_url, valkey, library, tmp_path) -> None:
    """No periodic scan in reach (an hour): only the watcher can have noticed."""
    import time

    from tests.integration.conftest import running_api

    def wait(condition, what: str) -> None:  # a liveness bound, generous: never a speed check
        deadline = time.monotonic() + 60
        while not condition():
            assert time.monotonic() < deadline, f"the watcher did not notice {what}"
            time.sleep(0.2)

    def paths(client: httpx.Client) -> set[str]:
        return {v["path"] for v in client.get("/videos", params={"limit": 500}).json()["items"]}

    with running_api(DATABASE_URL=migrated_url, REDIS_URL=valkey.url, VIDEO_PATHS=str(library),
                     DISCOVERY_INTERVAL="3600", DISCOVERY_WATCH="true", DISCOVERY_SETTLE_SECONDS="0.2") as url, \
            httpx.Client(base_url=url) as client:
        wait(lambda: len(paths(client)) == 2, "the library at start-up")
        shutil.copy(tmp_path / "library" / "a" / "cuts.mp4", tmp_path / "incoming.tmp")
        (tmp_path / "incoming.tmp").rename(library / "b" / "new.mp4")  # a finished copy, moved in
        (library / "b" / "new.mp4").write_bytes((library / "b" / "new.mp4").read_bytes() + b"\0")  # new content
        wait(lambda: str(library / "b" / "new.mp4") in paths(client), "a new file")
        (library / "a" / "text.mp4").unlink()
        wait(lambda: str(library / "a" / "text.mp4") not in paths(client), "a removed file")


async def test_no_single_file_stops_a_scan(api, library, tmp_path) -> None:
    """A symlink loop, a FIFO named *.mp4, a link out of the roots and a broken link are
    each reported and left out, in the scan report and /health; the real videos register,
    one whose name is not UTF-8 among them, stored without loss."""
    (library / "b" / "fine.mp4").write_bytes((library / "a" / "text.mp4").read_bytes() + b"\0")
    with open(os.fsencode(library / "b") + b"/caf\xe9.mp4", "wb") as f:  # Latin-1 bytes: not UTF-8
        f.write((library / "a" / "cuts.mp4").read_bytes() + b"\2")  # its own content: a new video
    os.symlink("loop-b.mp4", library / "b" / "loop-a.mp4")
    os.symlink("loop-a.mp4", library / "b" / "loop-b.mp4")
    os.mkfifo(library / "b" / "pipe.mp4")
    outside = tmp_path / "elsewhere" / "secret.mp4"
    outside.parent.mkdir()
    outside.write_bytes((library / "a" / "text.mp4").read_bytes() + b"\1")
    os.symlink(outside, library / "b" / "link-out.mp4")
    os.symlink(library / "b" / "gone.mp4", library / "b" / "broken.mp4")

    report = await scan(api)

    created = {os.fsencode(os_path(c["path"])): c["video_id"] for c in report["created"]}
    assert sorted(os.path.basename(p) for p in created) == [b"caf\xe9.mp4", b"cuts.mp4", b"fine.mp4", b"text.mp4"]
    reasons = {Path(e["path"]).name: e["error"] for e in report["errors"]}
    assert set(reasons) == {"loop-a.mp4", "loop-b.mp4", "pipe.mp4", "link-out.mp4", "broken.mp4"}
    assert "loop" in reasons["loop-a.mp4"] and "broken" in reasons["broken.mp4"]
    assert "regular file" in reasons["pipe.mp4"] and "outside VIDEO_PATHS" in reasons["link-out.mp4"]
    listed = (await api.get("/videos", params={"limit": 500})).json()["items"]
    assert str(outside) not in {v["path"] for v in listed}
    # The Latin-1 name's bytes come back from what was stored, and its file opens through it.
    latin = created[os.fsencode(library / "b") + b"/caf\xe9.mp4"]
    frame = await api.get(f"/videos/{latin}/frame", params={"t_ms": 500})
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg", frame.text
    skipped = (await api.get("/health")).json()["library"]["skipped_files"]
    assert skipped["count"] == 5 and {Path(f["path"]).name for f in skipped["files"]} == set(reasons)
    again = await scan(api)  # and the next scan says so again, without hanging
    assert len(again["errors"]) == 5 and again["created"] == []
