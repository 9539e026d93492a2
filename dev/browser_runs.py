"""The web app in a real browser: building web/dist when its sources changed, Debian's
Chromium under Playwright (never a downloaded browser), and a generated video with
scenes, speech and an on-screen word at a known moment. Used by the browser tests
(tests/browser), `make screenshots` (dev/screenshots.py) and `make bench-web`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import sample_videos as sv

REPO = Path(__file__).resolve().parent.parent
WEB = REPO / "web"
DIST = WEB / "dist"
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}

# The moments video: three shots (cuts at 2 s and 4 s), a spoken sentence from the start,
# and one on-screen word in the last shot only (from 4 s), so that landing "on the moment"
# of the word is not the same as staying at 0.
MOMENT_WORD = "HARBOR"
MOMENT_WORD_MS = 4000
SHOT_S = 2.0


def _web_sources(web: Path) -> list[Path]:
    names = ("index.html", "package.json", "package-lock.json", "vite.config.ts", "tsconfig.json")
    files = [web / n for n in names if (web / n).exists()]
    return files + [p for folder in ("src", "public") for p in (web / folder).rglob("*") if p.is_file()]


def web_is_stale(web: Path = WEB) -> bool:
    """Whether web/dist is missing or older than any of the web app's sources (what
    `make web` would rebuild)."""
    index = web / "dist" / "index.html"
    if not index.is_file():
        return True
    built = index.stat().st_mtime
    return any(p.stat().st_mtime > built for p in _web_sources(web))


def ensure_web_built() -> Path:
    """web/dist, built with `make web` first when it is missing or stale."""
    if web_is_stale():
        if not shutil.which("npm"):
            raise RuntimeError("the web app is not built and npm is missing: install Node.js 20+ (and npm)")
        out = subprocess.run(["make", "-s", "web"], cwd=REPO, capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"make web failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return DIST


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, with nothing that calls home."""
    if not Path(CHROMIUM).is_file():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (make setup does it as root)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core (web/node_modules, the version the lock file pins) on the page as it is now:
    the serious and critical violations, each with the elements it found."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result if v["impact"] in ("serious", "critical")]


def moments_video(path: Path) -> Path:
    """Shots at 0, 2 and 4 s (red, a checkerboard, white with MOMENT_WORD), speech from 0 s."""
    import cv2

    n = int(SHOT_S * sv.FPS)
    width, height = sv.SIZE
    red = np.zeros((height, width, 3), np.uint8)
    red[:] = (200, 40, 40)
    checker = np.kron((np.indices((9, 16)).sum(axis=0) % 2).astype(np.uint8) * 255, np.ones((40, 40), np.uint8))
    checker = cv2.cvtColor(checker[:height, :width], cv2.COLOR_GRAY2RGB)
    word = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(word, MOMENT_WORD, (120, 210), cv2.FONT_HERSHEY_SIMPLEX, 3.0, (0, 0, 0), 8, cv2.LINE_AA)
    frames = [red.copy() for _ in range(n)] + [checker.copy() for _ in range(n)] + [word.copy() for _ in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        samples, rate = sv._read_wav(sv._espeak_wav(sv.SPEECH_TEXT, Path(tmp) / "speech.wav"))
    total = int(len(frames) / sv.FPS * rate)
    samples = np.concatenate([samples, np.zeros(max(0, total - len(samples)), np.int16)])[:total]
    return sv.write_video(path, frames, (samples, rate))


def demo_videos(out: Path) -> dict[str, Path]:
    """The library the screenshots show: the moments video and two of the samples."""
    out.mkdir(parents=True, exist_ok=True)
    return {"moments": moments_video(out / "moments.mp4"), "text": sv.text_video(out / "text.mp4"),
            "cuts": sv.cuts_video(out / "cuts.mp4")}
