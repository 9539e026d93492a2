"""schemathesis against the API's own OpenAPI schema: no 5xx, no schema violations.
The API runs as a real process on the embedded PostgreSQL and Valkey."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from embedded_servers import free_port
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def api_url(migrated_url: str, valkey, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    library = tmp_path_factory.mktemp("schemathesis-videos")
    env = {**os.environ, "DATABASE_URL": migrated_url, "REDIS_URL": valkey.url, "VIDEO_PATHS": str(library),
           "API_PORT": str(port), "DISCOVERY_INTERVAL": "0", "ML_SERVICE_URL": f"http://127.0.0.1:{free_port()}",
           "HEALTH_TIMEOUT_SECONDS": "0.5", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "reelscan_api.cli", "serve"], env=env, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{url}/openapi.json", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_api_conforms_to_its_schema(api_url: str) -> None:
    """Every operation, ~25 generated requests each (valid and invalid data)."""
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            # positive_data_acceptance is left out: one rule cannot be said in OpenAPI
            # (to_ms >= from_ms), so a schema-valid window can still get a 422.
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
