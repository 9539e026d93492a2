"""One source of truth: the web app's checked-in OpenAPI schema (its TypeScript types are generated from
it) is exactly what the API serves. After changing the API, run `make web-types`."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("web_types", REPO / "dev" / "web_types.py")
assert _spec and _spec.loader
web_types = importlib.util.module_from_spec(_spec)
sys.modules["web_types"] = web_types
_spec.loader.exec_module(web_types)


def test_checked_in_openapi_is_what_the_api_serves() -> None:
    checked_in = json.loads(web_types.OPENAPI_JSON.read_text(encoding="utf-8"))
    served = json.loads(web_types.normalised(web_types.served_schema()))
    missing = sorted(set(served["paths"]) - set(checked_in["paths"]))
    extra = sorted(set(checked_in["paths"]) - set(served["paths"]))
    assert checked_in == served, (f"web/openapi.json is stale (paths missing: {missing}, no longer served: {extra}); "
                                  "run `make web-types` and commit web/openapi.json and web/src/api/schema.d.ts")


def test_a_changed_api_no_longer_matches() -> None:
    """The same comparison as above, against an API with one more route: it must see the change."""
    from reelscan_api.app import create_app
    from reelscan_api.settings import ApiSettings

    app = create_app(ApiSettings.model_validate({}))

    @app.get("/videos/{video_id}/brand-new")
    async def brand_new(video_id: str) -> dict[str, str]:
        return {"video_id": video_id}

    checked_in = json.loads(web_types.OPENAPI_JSON.read_text(encoding="utf-8"))
    assert json.loads(web_types.normalised(app.openapi())) != checked_in


def test_generated_types_cover_every_path() -> None:
    types = (REPO / "web" / "src" / "api" / "schema.d.ts").read_text(encoding="utf-8")
    served = web_types.served_schema()
    absent = [p for p in served["paths"] if f'"{p}"' not in types]
    assert not absent, f"web/src/api/schema.d.ts lacks {absent}; run `make web-types`"
