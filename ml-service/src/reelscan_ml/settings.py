from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from reelscan_shared.settings import CommonSettings


class MLSettings(CommonSettings):
    ml_host: str = Field("127.0.0.1", alias="ML_HOST", description="Loopback by default: internal only")
    ml_port: int = Field(8001, alias="ML_PORT")
    gpu_concurrency: int = Field(2, alias="GPU_CONCURRENCY", ge=1)
    model_cache_dir: Path = Field(Path("./.reelscan/models"), alias="MODEL_CACHE_DIR")
    device: Literal["auto", "cpu", "cuda"] = Field("auto", alias="ML_DEVICE")
    require_gpu: bool = Field(False, alias="REQUIRE_GPU")
    torch_threads: int = Field(0, alias="TORCH_THREADS", ge=0, description="0 = torch's default")
    preload_models: bool = Field(False, alias="PRELOAD_MODELS")
