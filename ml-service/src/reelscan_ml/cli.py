"""``reelscan-ml``: run the ML service, or manage its models.

    reelscan-ml [serve]          the HTTP service (ML_HOST, ML_PORT)
    reelscan-ml models list      profiles, where their weights are, size, trained or not
    reelscan-ml models pull      fetch the standard weights into MODEL_CACHE_DIR
    reelscan-ml models verify    check checksums, load each model, run one dummy inference

``pull`` and ``verify`` take analyses by task type, e.g. ``object_detection`` (default:
every analysis with a model).
Exit status: 0 when everything asked for succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys

from reelscan_ml.models.profiles import ANALYSES_WITH_MODELS
from reelscan_shared.domain.tasks import TaskType

_NAMES = [a.value for a in ANALYSES_WITH_MODELS]


def serve() -> None:
    import uvicorn

    from reelscan_ml.app import create_app
    from reelscan_ml.settings import MLSettings

    settings = MLSettings()
    uvicorn.run(create_app(settings), host=settings.ml_host, port=settings.ml_port, log_config=None,
                access_log=False, timeout_graceful_shutdown=5)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelscan-ml", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the ML service (the default)")
    models = commands.add_parser("models", help="list, pull or verify model weights")
    actions = models.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help="profiles and their weights").add_argument(
        "--json", action="store_true", help="machine-readable output")
    for name, text in (("pull", "fetch standard weights (needs the internet or MODEL_MIRROR_URL)"),
                       ("verify", "load each model and run one dummy inference")):
        actions.add_parser(name, help=text).add_argument(
            "analyses", nargs="*", metavar="ANALYSIS",
            help=f"any of {', '.join(_NAMES)} (default: all)")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command in (None, "serve"):
        serve()
        return
    names = getattr(args, "analyses", None) or _NAMES
    unknown = sorted(set(names) - set(_NAMES))
    if unknown:
        sys.exit(f"reelscan-ml: unknown analyses {unknown}; choose from {', '.join(_NAMES)}")
    analyses = [TaskType(name) for name in names]
    from reelscan_ml import model_commands

    sys.exit(model_commands.run(args.action, analyses, as_json=getattr(args, "json", False)))


if __name__ == "__main__":
    main()
