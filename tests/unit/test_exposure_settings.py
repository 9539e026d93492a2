"""A server bound beyond loopback refuses to start without a real token (issue 26)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from reelscan_api.settings import ApiSettings

LONG = "k3Jd9-a-real-generated-token-xyz"


@pytest.mark.parametrize(("host", "token", "message"), [
    ("0.0.0.0", None, "set API_TOKEN"),
    ("0.0.0.0", "", "set API_TOKEN"),
    ("192.168.1.5", "   ", "set API_TOKEN"),
    ("0.0.0.0", "change-me", "placeholder"),
    ("127.0.0.1", "change-me", "placeholder"),
    ("::", "CHANGEME", "placeholder"),
    ("0.0.0.0", "short-token", "at least 16"),
])
def test_refused(host: str, token: str | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ApiSettings(API_HOST=host, API_TOKEN=token)


@pytest.mark.parametrize(("host", "token"), [
    ("127.0.0.1", None), ("localhost", None), ("::1", None), ("127.0.0.1", "s3cret"), ("0.0.0.0", LONG)])
def test_accepted(host: str, token: str | None) -> None:
    settings = ApiSettings(API_HOST=host, API_TOKEN=token)
    assert settings.api_token_reads is True


def test_empty_token_means_no_token_never_an_empty_secret() -> None:
    assert ApiSettings(API_TOKEN="").api_token is None


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "postgresql://reelscan:change-me@postgres:5432/reelscan"},
        {"REDIS_URL": "redis://:change-me@valkey:6379/0"},
        {"REDIS_URL": "redis://:CHANGEME@valkey:6379/0"},
        {"WEBHOOK_SECRET": "change-me"},
    ],
)
def test_the_example_files_placeholders_are_refused_by_every_service(env: dict[str, str]) -> None:
    from reelscan_worker.settings import WorkerSettings

    for model in (ApiSettings, WorkerSettings):
        with pytest.raises(ValueError, match="placeholder"):
            model(**env)


def test_real_store_passwords_are_accepted() -> None:
    s = ApiSettings(DATABASE_URL="postgresql://reelscan:Xk%40p9-2f@postgres:5432/reelscan",
                    REDIS_URL="redis://:v4lk3y-pw@valkey:6379/0")
    assert s.database_url.endswith("@postgres:5432/reelscan")
