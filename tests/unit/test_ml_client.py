"""The worker's ML client maps HTTP outcomes to retry / fail decisions.
httpx is a third party, so its transport is replaced with httpx.MockTransport."""

import httpx
import pytest
from factories import response

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.ports.ml import MLError, MLNotRunnable, MLUnavailable
from reelscan_worker.ml_client import HttpMLClient


def client_with(handler) -> HttpMLClient:
    client = HttpMLClient("http://ml.invalid")
    client._http = httpx.AsyncClient(base_url="http://ml.invalid", transport=httpx.MockTransport(handler))
    return client


async def test_success_is_parsed() -> None:
    body = response().model_dump_json()
    paths = []

    def answer(req: httpx.Request) -> httpx.Response:
        paths.append(req.url.path)
        return httpx.Response(200, content=body)

    client = client_with(answer)
    assert len((await client.infer(TaskType.OCR, "/v/a.mp4", {})).items) == 2
    assert len((await client.infer(TaskType.SCENE_DETECTION, "/v/a.mp4", {})).items) == 2
    assert paths == ["/infer/ocr", "/infer/scene_detection"]  # the task type is the ML service's path


async def test_503_504_and_connection_errors_are_transient() -> None:
    with pytest.raises(MLUnavailable, match="503") as busy:
        await client_with(lambda req: httpx.Response(503, json={"detail": "busy"}, headers={"Retry-After": "7"})
                          ).infer(TaskType.OCR, "/v", {})
    assert busy.value.retry_after_s == 7.0
    with pytest.raises(MLUnavailable, match=r"504.*ML_REQUEST_TIMEOUT") as slow:
        await client_with(lambda req: httpx.Response(504, json={"detail": "over ML_REQUEST_TIMEOUT"})
                          ).infer(TaskType.OCR, "/v", {})
    assert slow.value.retry_after_s is None

    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    with pytest.raises(MLUnavailable, match="unreachable"):
        await client_with(refuse).infer(TaskType.OCR, "/v", {})


async def test_other_errors_are_final_and_carry_the_message() -> None:
    client = client_with(lambda req: httpx.Response(422, json={"detail": "cannot open x.mp4 as a video"}))
    with pytest.raises(MLError, match=r"cannot open x\.mp4"):
        await client.infer(TaskType.OCR, "/v", {})


async def test_malformed_response_is_final() -> None:
    with pytest.raises(MLError, match="malformed"):
        await client_with(lambda req: httpx.Response(200, json={"items": "nope"})).infer(TaskType.OCR, "/v", {})


async def test_424_says_the_analysis_cannot_run_and_why() -> None:
    detail = "no trained weights for place_detection: run `reelscan-ml models pull place_detection`"
    client = client_with(lambda req: httpx.Response(424, json={"detail": detail, "reason": "untrained"}))
    with pytest.raises(MLNotRunnable) as refused:
        await client.infer(TaskType.PLACE_DETECTION, "/v", {})
    assert (str(refused.value), refused.value.reason) == (detail, "untrained")
    assert not isinstance(refused.value, MLError | MLUnavailable)  # neither a failure nor a retry


async def test_runnable_analyses_come_from_the_ml_health() -> None:
    analyses = {"place_detection": {"runnable": False}, "ocr": {"runnable": True},
                "scene_detection": {"runnable": True}, "some_future_analysis": {"runnable": True}}
    client = client_with(lambda req: httpx.Response(200, json={"status": "ok", "analyses": analyses}))
    assert await client.runnable_analyses() == {TaskType.OCR, TaskType.SCENE_DETECTION}
    for broken in (httpx.Response(200, json={"status": "ok"}), httpx.Response(500, text="boom"),
                   httpx.Response(200, json={"analyses": {"ocr": "yes"}})):
        with pytest.raises(MLUnavailable):  # an older or broken service: nothing is taken as runnable
            await client_with(lambda req, r=broken: r).runnable_analyses()
