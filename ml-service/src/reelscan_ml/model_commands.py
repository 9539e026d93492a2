"""``reelscan-ml models list|pull|verify``: prepare and check MODEL_CACHE_DIR.

Typical air-gapped deployment: ``models pull`` on a connected machine, copy
MODEL_CACHE_DIR (it includes manifest.json with every file's SHA-256) to the
GPU host, ``models verify`` there.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from reelscan_ml import device
from reelscan_ml.models import weights
from reelscan_ml.models.base import Model
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.settings import MLSettings
from reelscan_shared.analyses import analysis_for
from reelscan_shared.domain.tasks import TaskType


def _registry(settings: MLSettings, dev: str) -> ModelRegistry:
    cache = settings.model_cache_dir.expanduser().resolve()
    cache.mkdir(parents=True, exist_ok=True)
    return ModelRegistry(settings.profiles(), cache, dev, settings.ml_batch_size)


def _size_mb(path: Path | None) -> float | None:
    if path is None or not path.exists():
        return None
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 2**20, 1)


def describe(model: Model) -> dict[str, Any]:
    where = model.locate()
    spec = model.spec
    return {"analysis": spec.analysis, "profile": spec.name, "backend": spec.backend,
            "architecture": spec.architecture, "classes": spec.classes, "input_size": spec.input_size,
            "weights": where.weights, "source": where.source, "path": str(where.path) if where.path else None,
            "size_mb": _size_mb(where.path), "files": [f.relpath for f in spec.files]}


def list_models(registry: ModelRegistry, analyses: list[TaskType], as_json: bool) -> int:
    rows = [describe(registry[a]) for a in analyses]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"MODEL_CACHE_DIR {registry.cache_dir}")
    print(f"{'ANALYSIS':17} {'PROFILE':20} {'WEIGHTS':10} {'SOURCE':13} {'SIZE MB':>8}  PATH")
    for r in rows:
        size = "" if r["size_mb"] is None else f"{r['size_mb']:.1f}"
        where = r["path"] or (f"built from {r['architecture']}" if r["weights"] == "untrained"
                              else "missing: " + ", ".join(r["files"]))
        print(f"{r['analysis']:17} {r['profile']:20} {r['weights']:10} {r['source']:13} {size:>8}  {where}")
    return 0


def pull(registry: ModelRegistry, analyses: list[TaskType], mirror: str | None) -> int:
    failures = 0
    for analysis in analyses:
        model = registry[analysis]
        if not model.spec.files:
            print(f"{analysis}: {model.spec.name} ships with {model.spec.package}; nothing to fetch")
            continue
        print(f"{analysis}: pulling {model.spec.name} into {registry.cache_dir}")
        try:
            written = model.pull(mirror)
        except Exception as exc:  # noqa: BLE001 - report per model and go on with the others
            failures += 1
            print(f"\n{analysis}: FAILED to pull {model.spec.name}: {type(exc).__name__}: {exc}")
            continue
        print(f"\n{analysis}: ok, {', '.join(written)}")
    return 1 if failures else 0


def verify(registry: ModelRegistry, analyses: list[TaskType]) -> int:
    failures = 0
    for analysis in analyses:
        model = registry[analysis]
        try:
            checks = [f"{f.relpath}: {weights.check(registry.cache_dir, f.relpath, f.sha256)}"
                      for f in model.spec.files if (registry.cache_dir / f.relpath).exists()]
            started = time.monotonic()
            model.load()
            loaded = time.monotonic() - started
            device.pin_torch_threads()
            model.predict_batch([model.dummy_input()], analysis_for(analysis).config_model())
            inferred = time.monotonic() - started - loaded
        except Exception as exc:  # noqa: BLE001 - report per model and go on with the others
            failures += 1
            print(f"FAILED  {analysis:17} {model.spec.name}: {type(exc).__name__}: {exc}")
            continue
        note = "" if model.where.weights == "trained" else "  (UNTRAINED: random weights, results are not meaningful)"
        print(f"ok      {analysis:17} {model.profile} on {model.device}: load {loaded:.2f} s, "
              f"one inference {inferred:.2f} s{note}")
        for line in checks:
            print(f"          {line}")
    return 1 if failures else 0


def run(action: str, analyses: list[TaskType], as_json: bool = False) -> int:
    from reelscan_shared.logging import configure_logging

    settings = MLSettings()
    configure_logging("WARNING", "console", service="ml")
    if action == "list":
        return list_models(_registry(settings, "cpu"), analyses, as_json)
    if action == "pull":
        return pull(_registry(settings, "cpu"), analyses, settings.model_mirror_url)
    device.set_torch_threads(settings.torch_threads)
    return verify(_registry(settings, device.choose_device(settings.device, settings.require_gpu)), analyses)
