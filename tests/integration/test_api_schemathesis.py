"""schemathesis against the API's own OpenAPI schema: no 5xx, no schema violations.
The API runs as a real process on the embedded PostgreSQL and Valkey."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


def test_api_conforms_to_its_schema(api_process: str) -> None:
    """Every operation, ~25 generated requests each (valid and invalid data)."""
    schema = schemathesis.openapi.from_url(f"{api_process}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            if case.path == "/events":  # a stream never ends: its status and type, then let go
                with httpx.stream("GET", f"{api_process}/events", headers=dict(case.headers or {}),
                                  timeout=httpx.Timeout(30)) as stream:
                    assert stream.status_code == 200, stream.read()
                    assert stream.headers["content-type"].startswith("text/event-stream")
                return
            response = case.call()
            if case.path == "/reprocess" and response.status_code == 503 and "ML service" in response.text:
                # "model_profile_not": "current" asks the ML service, which this fixture
                # does not run: a 503 saying so is the right answer.
                return
            # positive_data_acceptance is left out: one rule cannot be said in OpenAPI
            # (to_ms >= from_ms), so a schema-valid window can still get a 422.
            case.validate_response(response, excluded_checks=[positive_data_acceptance])

        check()
