"""The web app's static files under /app/ (the single-page app built into WEB_DIST_DIR).

Hashed files under /app/assets/ never change, so browsers keep them for a year;
index.html is revalidated every time, so a new build shows at the next load. Any
other /app/... path is a page of the app and gets index.html (the router in the
browser picks the page). GET / sends a browser to /app/.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response

PREFIX = "/app"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NOT_BUILT = (
    "The Reelscan web app is not built: {dir} has no index.html.\n"
    "Build it with `make web` (needs Node.js 20+ and npm), or point WEB_DIST_DIR at a built copy.\n"
    "The API itself works without it: see /docs.\n"
)


def _inside(root: Path, rel: str) -> Path | None:
    """The file ``rel`` names under ``root``; None when it is not a file there or escapes it."""
    if not rel or "\x00" in rel:
        return None
    try:
        target = (root / rel).resolve()
    except (OSError, ValueError):
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def _index(root: Path) -> Response:
    index = root / "index.html"
    if not index.is_file():
        return PlainTextResponse(NOT_BUILT.format(dir=root), status_code=503, headers={"Cache-Control": "no-store"})
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": REVALIDATE})


def build_router(dist_dir: Path) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    @router.get(PREFIX)
    async def app_bare() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)

    @router.api_route(PREFIX + "/{rel:path}", methods=["GET", "HEAD"])
    async def app_file(rel: str) -> Response:
        root = dist_dir.resolve()
        if rel.startswith("assets/"):
            asset = _inside(root, rel)
            if asset is None:  # a missing hashed file is a 404, not the app's page
                return PlainTextResponse("not found\n", status_code=404)
            return FileResponse(asset, headers={"Cache-Control": IMMUTABLE})
        found = _inside(root, rel)
        if found is not None and found.name != "index.html":
            return FileResponse(found, headers={"Cache-Control": REVALIDATE})
        return _index(root)

    return router


def mount(app: FastAPI, dist_dir: Path) -> None:
    app.include_router(build_router(dist_dir))
