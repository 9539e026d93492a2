from reelscan_api.discovery import build_tasks
from reelscan_shared.domain.catalog import CPU_QUEUE, GPU_QUEUE, config_for
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.domain.videos import is_video_file
from reelscan_worker.handler import backoff_s


def test_discovery_creates_six_pending_tasks_on_the_right_queues() -> None:
    tasks = build_tasks("v1", {})
    assert {t.task_type for t in tasks} == set(TaskType)
    assert all(t.status is TaskStatus.PENDING for t in tasks)
    queues = {t.task_type: t.queue for t in tasks}
    assert queues.pop(TaskType.SCENE_DETECTION) == CPU_QUEUE
    assert set(queues.values()) == {GPU_QUEUE}


def test_config_defaults_and_overrides() -> None:
    assert config_for(TaskType.OBJECT_DETECTION)["frame_interval_s"] == 1.0
    assert config_for(TaskType.FACE_DETECTION)["frame_interval_s"] == 3.0
    assert config_for(TaskType.OCR)["frame_interval_s"] == 2.0
    assert config_for(TaskType.PLACE_DETECTION)["frame_interval_s"] == 5.0
    merged = config_for(TaskType.OCR, {"ocr": {"min_confidence": 0.9}})
    assert merged == {"frame_interval_s": 2.0, "min_confidence": 0.9}


def test_video_extensions() -> None:
    assert all(is_video_file(f"a.{ext}") for ext in ("mp4", "MOV", "mkv", "avi", "webm", "m4v"))
    assert not is_video_file("notes.txt") and not is_video_file("mp4")


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff_s(n, 2, 60) for n in (1, 2, 3, 4, 10)] == [2, 4, 8, 16, 60]


def test_ml_service_binds_to_loopback_by_default(monkeypatch) -> None:
    from reelscan_ml.settings import MLSettings

    monkeypatch.delenv("ML_HOST", raising=False)
    assert MLSettings().ml_host == "127.0.0.1"
