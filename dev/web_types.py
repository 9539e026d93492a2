"""``make web-types``: write the API's OpenAPI schema (what create_app() serves) to web/openapi.json.

The web app's TypeScript types are generated from that file (`npm --prefix web run gen-types`),
and tests/unit/test_web_types.py fails when it differs from what the API serves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OPENAPI_JSON = REPO / "web" / "openapi.json"


def served_schema() -> dict[str, Any]:
    from reelscan_api.app import create_app
    from reelscan_api.settings import ApiSettings

    # Defaults only (no .env, no API_TOKEN): the schema must not depend on who runs this.
    settings = ApiSettings.model_validate({})
    return create_app(settings).openapi()


def normalised(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OPENAPI_JSON
    out.write_text(normalised(served_schema()), encoding="utf-8")
    print(f"wrote {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


if __name__ == "__main__":
    main()
