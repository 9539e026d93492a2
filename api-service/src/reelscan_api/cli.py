"""``reelscan-api serve`` and ``reelscan-api migrate``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

from pydantic import ValidationError

from reelscan_api.settings import ApiSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="reelscan-api")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the HTTP API (API_HOST, API_PORT)")
    sub.add_parser("migrate", help="apply database migrations (DATABASE_URL)")
    args = parser.parse_args(argv)
    try:
        settings = ApiSettings()
    except ValidationError as exc:  # e.g. an ANALYSIS_CONFIG override its analysis refuses
        sys.exit(f"reelscan-api: invalid settings: {exc}")
    if args.command == "migrate":
        from reelscan_api.migrations.runner import upgrade

        upgrade(settings.database_url)
        return
    import uvicorn

    options: dict[str, Any] = {"host": settings.api_host, "port": settings.api_port, "log_config": None,
                               "access_log": False, "timeout_graceful_shutdown": 10}
    if settings.api_workers == 1:
        from reelscan_api.app import create_app

        uvicorn.run(create_app(settings), **options)
        return
    # Several processes share the port; each builds its app from the same environment.
    # Their Prometheus metrics meet in a shared directory so /metrics, answered by any
    # one of them, reports the sum (prometheus-client's multiprocess mode).
    with tempfile.TemporaryDirectory(prefix="reelscan-api-metrics-") as metrics_dir:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        uvicorn.run("reelscan_api.app:create_app", factory=True, workers=settings.api_workers, **options)


if __name__ == "__main__":
    main()
