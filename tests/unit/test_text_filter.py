"""The rules that tell OCR readings that are text from misread shapes."""

from __future__ import annotations

from reelscan_ml.analyzers.text_filter import allowed_scripts, in_scripts, text_filter


def reading(text: str) -> dict[str, object]:
    return {"text": text, "confidence": 0.9, "box": [0, 0, 10, 10]}


def test_a_lone_glyph_or_a_character_of_another_script_is_not_text() -> None:
    keep = text_filter(("en",), min_chars=2)
    kept = keep([reading("B"), reading("周"), reading("周0"), reading("HARBOR"), reading("Exit 12"), reading("9 4")])
    assert [r["text"] for r in kept] == ["HARBOR", "Exit 12", "9 4"]


def test_other_scripts_are_taken_out_of_a_reading_and_kept_where_configured() -> None:
    assert in_scripts("HARBOR 周 café", allowed_scripts(("en",))) == "HARBOR café"
    assert text_filter(("en",), 2)([reading("周")]) == []
    assert [r["text"] for r in text_filter(("en", "ch_sim"), 2)([reading("周周"), reading("Привет")])] == ["周周"]
    assert [r["text"] for r in text_filter(("ru",), 2)([reading("Привет")])] == ["Привет"]


def test_no_languages_or_an_unknown_one_restricts_no_script() -> None:
    assert allowed_scripts(None) is None and allowed_scripts(("en", "xx")) is None
    assert [r["text"] for r in text_filter(None, 0)([reading("周"), reading("B")])] == ["周", "B"]
