from reelscan_api.settings import ApiSettings
from reelscan_shared.settings import masked


def test_secrets_and_url_passwords_are_masked_in_the_start_up_log() -> None:
    shown = masked(ApiSettings(DATABASE_URL="postgresql://reelscan:hunter2@db:5432/reelscan", API_TOKEN="s3cret",
                               REDIS_URL="redis://:valkeypass@valkey:6379/0"))
    assert shown["api_token"] == "***" and shown["api_token_reads"] is True
    assert shown["database_url"] == "postgresql://reelscan:***@db:5432/reelscan"
    assert "valkeypass" not in str(shown) and "hunter2" not in str(shown) and "s3cret" not in str(shown)
    assert shown["api_port"] == 8000



def test_no_secret_reaches_a_log_line(capsys) -> None:
    """Ours and the libraries' lines (httpx logs every request URL, webhook credentials
    included): URL passwords, secret query parameters, bearer tokens and the service's own
    secrets, even inside a path, come out masked."""
    import logging

    import structlog

    from reelscan_shared.logging import configure_logging, get_logger

    settings = ApiSettings(API_TOKEN="tok-" + "k3Jd9aZ" * 4, DATABASE_URL="postgresql://r:pg-Pass-123@db/r")
    token = settings.api_token or ""
    # Logging is process-wide and would keep writing to this test's captured (later closed)
    # stderr: put back exactly what was there before.
    saved_structlog, root = structlog.get_config(), logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved_context = structlog.contextvars.get_contextvars()
    configure_logging("INFO", "json", service="test", secrets=settings.secret_values())
    try:
        logging.getLogger("httpx").info("HTTP Request: POST %s", "https://hook:hookpw@example.com/in?sig=abc123&x=1")
        get_logger("t").warning("odd_request", path=f"/videos/{token}", headers={"authorization": "Bearer zzz9"})
        get_logger("t").error("db_down", error="connect to postgresql://r:pg-Pass-123@db/r failed")
    finally:
        structlog.configure(**saved_structlog)
        root.handlers[:], _ = saved_root
        root.setLevel(saved_root[1])
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**saved_context)
    err = capsys.readouterr().err
    assert "https://hook:***@example.com/in?sig=***&x=1" in err and "/videos/***" in err
    for secret in ("hookpw", "abc123", token, "zzz9", "pg-Pass-123"):
        assert secret not in err, secret
