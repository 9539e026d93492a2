"""api-service and worker-service must install and import without the ML stack."""

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ML_PACKAGES = ("torch", "torchvision", "ultralytics", "whisper", "faster_whisper", "easyocr", "cv2", "scenedetect")


def test_api_and_worker_do_not_depend_on_ml_packages() -> None:
    for service in ("api-service", "worker-service", "shared"):
        deps = tomllib.loads((REPO / service / "pyproject.toml").read_text())["project"]["dependencies"]
        assert not [d for d in deps if any(p in d.lower() for p in ("torch", "ultralytics", "whisper", "easyocr"))]


def test_importing_api_and_worker_loads_no_ml_module() -> None:
    code = (
        "import sys\n"
        "import reelscan_api.app, reelscan_api.cli, reelscan_worker.worker, reelscan_worker.handler\n"
        f"loaded = [m for m in {ML_PACKAGES!r} if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
