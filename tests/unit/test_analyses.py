"""The analysis table: one row per task type, and everything derived from it."""

import pytest
from pydantic import ValidationError

from reelscan_api.discovery import build_tasks
from reelscan_api.settings import ApiSettings
from reelscan_ml.analyzers import ANALYZERS
from reelscan_shared.analyses import (
    ANALYSES,
    PAYLOAD_MODELS,
    PAYLOAD_SCHEMAS,
    InvalidAnalysisConfig,
    default_config,
    parse_overrides,
)
from reelscan_shared.domain.artifacts import ArtifactType
from reelscan_shared.domain.queues import CPU_QUEUE, GPU_QUEUE
from reelscan_shared.domain.tasks import TaskStatus, TaskType
from reelscan_shared.domain.videos import is_video_file
from reelscan_shared.schemas.configs import AnalysisConfig
from reelscan_shared.schemas.payloads import Payload
from reelscan_worker.handler import backoff_s


def test_every_task_type_has_one_analyzer_one_config_model_and_one_payload_schema() -> None:
    assert set(ANALYSES) == set(TaskType) == set(ANALYZERS)
    for task_type, analysis in ANALYSES.items():
        assert analysis.task_type is task_type and ANALYZERS[task_type].analysis is analysis
        assert issubclass(analysis.config_model, AnalysisConfig)
        assert analysis.artifacts, task_type
    configs = [a.config_model for a in ANALYSES.values()]
    assert len(set(configs)) == len(configs), "each analysis has a config model of its own"
    owners = {s.artifact_type: set() for a in ANALYSES.values() for s in a.artifacts}
    for a in ANALYSES.values():
        for s in a.artifacts:
            owners[s.artifact_type].add(a.task_type)
    assert set(owners) == set(ArtifactType) == set(PAYLOAD_SCHEMAS)
    assert all(len(tasks) == 1 for tasks in owners.values()), "an artifact type belongs to one analysis"
    for artifact_type, (version, model) in PAYLOAD_SCHEMAS.items():  # the newest version of each
        assert PAYLOAD_MODELS[(artifact_type, version)] is model and issubclass(model, Payload), artifact_type
        assert version == max(v for (t, v) in PAYLOAD_MODELS if t == artifact_type)


def test_discovery_creates_six_pending_tasks_on_the_right_queues() -> None:
    tasks = build_tasks("v1", {})
    assert {t.task_type for t in tasks} == set(TaskType)
    assert all(t.status is TaskStatus.PENDING for t in tasks)
    queues = {t.task_type: t.queue for t in tasks}
    assert queues.pop(TaskType.SCENE_DETECTION) == CPU_QUEUE
    assert set(queues.values()) == {GPU_QUEUE}


def test_default_configs_come_from_the_config_models_with_overrides_on_top() -> None:
    assert default_config(TaskType.OBJECT_DETECTION)["frame_interval_s"] == 1.0
    assert default_config(TaskType.FACE_DETECTION)["frame_interval_s"] == 3.0
    assert default_config(TaskType.OCR)["frame_interval_s"] == 2.0
    assert default_config(TaskType.PLACE_DETECTION)["frame_interval_s"] == 5.0
    assert default_config(TaskType.SCENE_DETECTION) == {"threshold": 27.0, "hash_threshold": 0.4,
                                                        "min_scene_len_s": 0.5, "adaptive_threshold": 3.0,
                                                        "adaptive_min_change": 8.0, "mask_static": True}
    merged = default_config(TaskType.OCR, parse_overrides({"ocr": {"min_confidence": 0.9}}))
    assert merged["min_confidence"] == 0.9 and merged["frame_interval_s"] == 2.0
    assert default_config(TaskType.SCENE_DETECTION, parse_overrides({"ocr": {"min_confidence": 0.9}}))[
        "threshold"] == 27.0, "an override applies to its own analysis only"
    for task_type in TaskType:  # every stored default is a config the ML service accepts
        ANALYSES[task_type].config_model.model_validate(default_config(task_type))


@pytest.mark.parametrize(("raw", "message"), [
    ({"logos": {}}, "unknown analysis 'logos'"),
    ({"ocr": {"min_confidence": 3}}, r"ocr\.min_confidence: Input should be less than or equal to 1"),
    ({"scene_detection": {"thresold": 3}}, r"scene_detection\.thresold: Extra inputs are not permitted"),
    ({"transcription": "en"}, "transcription: expected an object"),
])
def test_bad_overrides_name_the_analysis_and_the_field(raw: dict, message: str) -> None:
    with pytest.raises(InvalidAnalysisConfig, match=message):
        parse_overrides(raw)


def test_the_api_refuses_to_start_with_a_bad_analysis_config(monkeypatch) -> None:
    monkeypatch.setenv("ANALYSIS_CONFIG", '{"object_detection": {"frame_interval_s": -1}}')
    with pytest.raises(ValidationError, match=r"object_detection\.frame_interval_s: Input should be greater than 0"):
        ApiSettings()
    monkeypatch.setenv("ANALYSIS_CONFIG", '{"ocr": {"frame_interval_s": 0.5}}')
    assert ApiSettings().analysis_config == {TaskType.OCR: {"frame_interval_s": 0.5}}


def test_video_extensions() -> None:
    assert all(is_video_file(f"a.{ext}") for ext in ("mp4", "MOV", "mkv", "avi", "webm", "m4v"))
    assert not is_video_file("notes.txt") and not is_video_file("mp4")


def test_backoff_is_exponential_and_capped() -> None:
    assert [backoff_s(n, 2, 60) for n in (1, 2, 3, 4, 10)] == [2, 4, 8, 16, 60]


def test_ml_service_binds_to_loopback_by_default(monkeypatch) -> None:
    from reelscan_ml.settings import MLSettings

    monkeypatch.delenv("ML_HOST", raising=False)
    assert MLSettings().ml_host == "127.0.0.1"
