"""structlog configuration: JSON lines (or a console renderer for humans), with
context variables (task_id, job_id, video_id, request_id) merged into every line, and
secrets masked in every line, ours and the libraries' (uvicorn's access log, httpx's
request lines)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

MASK = "***"
# user:password@ in any URL; ?token=…/&api_key=… and the like; "Bearer …" in a header dump.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")
_SECRET_QUERY = re.compile(
    r"([?&;](?:access_token|api[_-]?key|key|password|passwd|secret|sig|signature|token)=)[^&;#\s\"']*", re.I)
_BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.I)


def masker(known: Iterable[str | None] = ()) -> structlog.typing.Processor:
    """A processor that masks secrets in every string of a log line: URL passwords,
    secret-named query parameters, bearer tokens, and the literal values of the
    service's own secrets (``known``: API_TOKEN, WEBHOOK_SECRET, store passwords), which
    also catches a token pasted into a URL path."""
    literals = sorted({k for k in known if k and len(k) >= 6}, key=len, reverse=True)

    def scrub(text: str) -> str:
        for value in literals:
            text = text.replace(value, MASK)
        text = _URL_PASSWORD.sub(rf"\1:{MASK}@", text)
        text = _SECRET_QUERY.sub(rf"\1{MASK}", text)
        return _BEARER.sub(rf"\1{MASK}", text)

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return scrub(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(clean(v) for v in value)
        return value

    def process(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        for key, value in event.items():
            event[key] = clean(value)
        return event

    return process


def configure_logging(level: str = "INFO", fmt: str = "json", service: str = "reelscan",
                      secrets: Iterable[str | None] = ()) -> None:
    renderer: structlog.typing.Processor = (
        structlog.dev.ConsoleRenderer(colors=False) if fmt == "console" else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    mask = masker(secrets)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, mask, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Route stdlib logging (uvicorn, arq, sqlalchemy) through the same renderer.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, mask, renderer],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, structlog.processors.format_exc_info],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def get_logger(name: str | None = None) -> structlog.typing.FilteringBoundLogger:
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(name)
    return logger
