"""``reelscan-ml``: run the ML service (ML_HOST, ML_PORT)."""

from __future__ import annotations


def main() -> None:
    import uvicorn

    from reelscan_ml.app import create_app
    from reelscan_ml.settings import MLSettings

    settings = MLSettings()
    uvicorn.run(create_app(settings), host=settings.ml_host, port=settings.ml_port, log_config=None,
                access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
