import pytest
from factories import envelopes, ocr_item, response, task

from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.schemas.ml import InferenceItem
from reelscan_worker.envelopes import InvalidPayload


def test_one_envelope_per_item_with_provenance() -> None:
    t = task(task_type=TaskType.OCR)
    resp = response()
    stored = envelopes(t, resp)
    assert [e.span_start_ms for e in stored] == [0, 2000]
    assert {e.artifact_type for e in stored} == {"ocr_text"}
    assert all(e.provenance.run_id == resp.run_id and e.provenance.model_profile == "test-profile"
               for e in stored)
    assert all(e.task_id == t.task_id and e.video_id == t.video_id for e in stored)
    assert len({e.artifact_id for e in stored}) == 2


def test_invalid_item_names_the_item_and_the_field() -> None:
    bad = InferenceItem(span_start_ms=0, span_end_ms=0, payload={**ocr_item().payload, "confidence": 7})
    with pytest.raises(InvalidPayload, match=r"ocr_text item 1 .*confidence"):
        envelopes(task(task_type=TaskType.OCR), response(items=[ocr_item(), bad]))


def test_span_must_not_run_backwards() -> None:
    item = ocr_item(100)
    backwards = InferenceItem(span_start_ms=100, span_end_ms=50, payload=item.payload)
    with pytest.raises(InvalidPayload, match="span ends before it starts"):
        envelopes(task(task_type=TaskType.OCR), response(items=[backwards]))
