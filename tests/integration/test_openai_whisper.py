"""The second transcription engine, TRANSCRIBE_ENGINE=openai-whisper, offline.

OpenAI's checkpoints cannot be had here, so the test builds one of tiny.en's exact
dimensions with untrained (random) weights: it exercises the whole code path (the
checkpoint loaded from MODEL_CACHE_DIR, the audio decoded and transcribed, the
segments returned over HTTP) but says nothing about accuracy. The engine cannot tell
untrained weights from trained ones; it can tell that the file is not OpenAI's, and
its artifacts say so."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
import sample_videos as sv
from test_ml_operations import infer, ml_service
from test_model_commands import mirror, models_cli  # noqa: F401 - mirror is a fixture

from reelscan_shared.analyses import default_config
from reelscan_shared.domain.tasks import TaskType
from reelscan_shared.files import sha256_of

# tiny.en's dimensions, as in OpenAI's tiny.en.pt (English-only vocabulary: 51864).
TINY_EN = {
    "n_mels": 80,
    "n_audio_ctx": 1500,
    "n_audio_state": 384,
    "n_audio_head": 6,
    "n_audio_layer": 4,
    "n_vocab": 51864,
    "n_text_ctx": 448,
    "n_text_state": 384,
    "n_text_head": 6,
    "n_text_layer": 4,
}


def untrained_checkpoint(path: Path, *, broken: bool = False) -> Path:
    """A checkpoint file in OpenAI's format (dims + state dict), of an UNTRAINED tiny.en.
    Its weights are drawn in a forked RNG state, so building it neither depends on nor
    changes what the rest of the process drew. Whisper's TextDecoder makes its positional
    embedding with torch.empty (OpenAI's checkpoints always fill it): left as it is, it
    holds whatever that memory held before, now and then values near 1e33 that turn the
    scores into NaN, which made these tests fail in a full run and pass alone. It is
    drawn here like the other weights. broken: the last layer norm is NaN, as in a
    diverged or corrupt checkpoint."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    dims = ModelDimensions(**TINY_EN)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = Whisper(dims)
        torch.nn.init.normal_(model.decoder.positional_embedding, std=0.01)
        state = model.state_dict()
    if broken:
        state["decoder.ln.weight"].fill_(float("nan"))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"dims": dataclasses.asdict(dims), "model_state_dict": state}, path)
    return path


def speech_video(library: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        samples, rate = sv._read_wav(sv._espeak_wav("The harbor opens at nine.", Path(tmp) / "s.wav", "en-us", 160))
    audio = np.concatenate([np.zeros(rate // 2, np.int16), samples])
    black = np.zeros((360, 640, 3), np.uint8)
    return sv.write_video(library / "speech.mp4", [black] * int(len(audio) / rate * sv.FPS), (audio, rate))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return untrained_checkpoint(tmp_path_factory.mktemp("whisper") / "tiny.en.pt")


async def test_openai_whisper_transcribes_from_a_checkpoint_and_says_it_is_not_openais(tmp_path, checkpoint) -> None:
    library = tmp_path / "library"
    video = speech_video(library)
    cached = tmp_path / "models" / "openai-whisper" / "tiny.en.pt"
    cached.parent.mkdir(parents=True)
    cached.symlink_to(checkpoint)
    async with ml_service(library, tmp_path, TRANSCRIBE_ENGINE="openai-whisper") as client:
        resp = await infer(client, "transcription", video, **default_config(TaskType.TRANSCRIPTION))
        health = (await client.get("/health")).json()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["model_profile"] == f"openai-whisper-tiny.en-fp32-unverified-sha256-{sha256_of(checkpoint)[:12]}"
    assert body["producer_version"].count("openai-whisper") == 1, body["producer_version"]
    for item in body["items"]:  # what an untrained model says is noise, but well-formed noise
        assert 0 <= item["span_start_ms"] <= item["span_end_ms"] <= body["duration_ms"], item
        assert item["payload"]["text"].strip() and item["payload"]["language"] == "en"
    model = health["models"]["transcription"]
    assert (model["state"], model["source"]) == ("ready", "cache")
    assert Path(model["path"]).resolve() == cached.resolve()


async def test_openai_whisper_without_its_checkpoint_says_to_pull_it(tmp_path) -> None:
    library = tmp_path / "library"
    video = speech_video(library)
    async with ml_service(library, tmp_path, TRANSCRIBE_ENGINE="openai-whisper", TRANSCRIBE_MODEL="base") as client:
        resp = await infer(client, "transcription", video)
    # 424: the request is fine, a dependency (the weights) is missing; the worker parks the task BLOCKED
    assert resp.status_code == 424, resp.text
    body = resp.json()
    assert (body["reason"], body["analysis"]) == ("missing", "transcription"), body
    assert "models pull transcription" in body["detail"], body


def test_pull_refuses_a_checkpoint_that_is_not_openais(tmp_path: Path, mirror, checkpoint) -> None:  # noqa: F811
    url, root = mirror
    (root / "tiny.en.pt").symlink_to(checkpoint)
    cache = tmp_path / "cache"
    pulled = models_cli(cache, "pull", "transcription", MODEL_MIRROR_URL=url, TRANSCRIBE_ENGINE="openai-whisper")
    assert pulled.returncode == 1, pulled.stdout + pulled.stderr
    assert "transcription: FAILED" in pulled.stdout and "is not the published" in pulled.stdout
    assert not (cache / "openai-whisper" / "tiny.en.pt").exists() and not list(cache.rglob("*.partial"))


def test_an_unknown_engine_or_size_fails_start_up_with_the_choices() -> None:
    from reelscan_ml.settings import MLSettings

    with pytest.raises(ValueError, match=r"faster-whisper.*openai-whisper"):
        MLSettings(TRANSCRIBE_ENGINE="whisper.cpp")
    with pytest.raises(ValueError, match="large-v3"):
        MLSettings(TRANSCRIBE_ENGINE="openai-whisper", TRANSCRIBE_MODEL="huge")


def test_a_cancelled_request_stops_at_the_next_window(tmp_path, checkpoint) -> None:
    from reelscan_ml.models.openai_whisper import OpenAIWhisper
    from reelscan_ml.models.profiles import transcribe_engine
    from reelscan_shared.schemas.configs import TranscriptionConfig

    cached = tmp_path / "openai-whisper" / "tiny.en.pt"
    cached.parent.mkdir()
    cached.symlink_to(checkpoint)
    model = OpenAIWhisper(transcribe_engine("openai-whisper", "tiny.en"), tmp_path, "cpu")
    model.load()
    noise = (np.random.default_rng(0).standard_normal(16_000 * 3) * 0.05).astype(np.float32)
    cancel = threading.Event()
    cancel.set()
    assert model.predict_batch([noise], TranscriptionConfig(), cancel=cancel) == [([], "en")]
    # The same call not cancelled: the untrained model says something (so the above was the
    # cancel). The engine seeds the fallback's sampling itself: no seed needed here.
    [(segments, language)] = model.predict_batch([noise], TranscriptionConfig(), cancel=threading.Event())
    assert segments and language == "en"


async def test_a_checkpoint_that_scores_nan_fails_its_request_clearly_and_the_service_goes_on(tmp_path) -> None:
    """NaN scores make Whisper's temperature-fallback sampling raise deep inside torch;
    the request gets a readable 500, and the service answers the next one."""
    library = tmp_path / "library"
    video = speech_video(library)
    untrained_checkpoint(tmp_path / "models" / "openai-whisper" / "tiny.en.pt", broken=True)
    async with ml_service(library, tmp_path, TRANSCRIBE_ENGINE="openai-whisper") as client:
        first = await infer(client, "transcription", video, **default_config(TaskType.TRANSCRIPTION))
        second = await infer(client, "transcription", video, **default_config(TaskType.TRANSCRIPTION))
        health = await client.get("/health")
    for resp in (first, second):
        assert resp.status_code == 500, resp.text
        assert "invalid scores (NaN)" in resp.json()["detail"] and "models pull transcription" in resp.json()["detail"]
    assert health.status_code == 200 and health.json()["models"]["transcription"]["state"] == "ready"


def test_the_same_audio_decodes_the_same_whatever_the_process_drew_before(tmp_path, checkpoint) -> None:
    """The fallback samples from torch's global generator: the engine seeds it per call,
    so a transcript does not depend on which requests or tests ran before it."""
    import torch

    from reelscan_ml.models.openai_whisper import OpenAIWhisper
    from reelscan_ml.models.profiles import transcribe_engine
    from reelscan_shared.schemas.configs import TranscriptionConfig

    cached = tmp_path / "openai-whisper" / "tiny.en.pt"
    cached.parent.mkdir()
    cached.symlink_to(checkpoint)
    model = OpenAIWhisper(transcribe_engine("openai-whisper", "tiny.en"), tmp_path, "cpu")
    model.load()
    noise = (np.random.default_rng(1).standard_normal(16_000 * 3) * 0.05).astype(np.float32)
    runs = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        torch.rand(1000)  # some other user of the global generator
        runs.append(model.predict_batch([noise], TranscriptionConfig(), cancel=threading.Event()))
    assert runs[0] == runs[1]
    after = torch.rand(1)
    torch.manual_seed(2)
    torch.rand(1000)
    assert torch.equal(after, torch.rand(1)), "decoding must not move the caller's generator"



def test_the_untrained_checkpoint_does_not_depend_on_what_memory_held_before(tmp_path, monkeypatch) -> None:
    """The cause of the order-dependent NaN was an uninitialised (torch.empty) parameter.
    Here every torch.empty hands out memory full of 3e33, the worst a process may leave
    behind: the checkpoint must come out the same, finite and small."""
    import torch

    clean = untrained_checkpoint(tmp_path / "a" / "tiny.en.pt")
    real_empty = torch.empty
    monkeypatch.setattr(torch, "empty", lambda *a, **k: real_empty(*a, **k).fill_(3e33))
    dirty = untrained_checkpoint(tmp_path / "b" / "tiny.en.pt")
    monkeypatch.undo()
    state = torch.load(dirty)["model_state_dict"]
    big = [k for k, t in state.items() if t.is_floating_point() and not float(t.abs().max()) < 1e3]
    assert big == [], f"left as torch.empty made them: {big}"
    assert all(torch.equal(t, torch.load(clean)["model_state_dict"][k]) for k, t in state.items())
