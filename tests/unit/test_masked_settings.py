from reelscan_api.settings import ApiSettings
from reelscan_shared.settings import masked


def test_secrets_and_url_passwords_are_masked_in_the_start_up_log() -> None:
    shown = masked(ApiSettings(DATABASE_URL="postgresql://reelscan:hunter2@db:5432/reelscan", API_TOKEN="s3cret",
                               REDIS_URL="redis://:valkeypass@valkey:6379/0"))
    assert shown["api_token"] == "***" and shown["api_token_reads"] is True
    assert shown["database_url"] == "postgresql://reelscan:***@db:5432/reelscan"
    assert "valkeypass" not in str(shown) and "hunter2" not in str(shown) and "s3cret" not in str(shown)
    assert shown["api_port"] == 8000
