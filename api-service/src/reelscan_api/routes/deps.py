"""Request dependencies: the container, and the credential check (see access.py).

Credentials are checked by AccessMiddleware (not FastAPI's HTTPBearer) so that the
OpenAPI schema does not claim every endpoint needs auth: with no API_TOKEN set, none does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request

from reelscan_api.bootstrap import Container
from reelscan_api.schemas import ErrorOut

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "API_TOKEN is set and no valid bearer token or session cookie came"}}


# async, as are the two below: FastAPI runs a plain `def` dependency in a worker thread,
# and that thread hop cost ~10% of the API's CPU under load (py-spy, bench-scale).
async def container(request: Request) -> Container:
    c: Container = request.app.state.container
    return c


def _check_token(c: Container, request: Request) -> None:
    """A second line behind AccessMiddleware (which already refused the request): a route
    only runs unauthenticated when no API_TOKEN is set."""
    if c.settings.api_token and not getattr(request.state, "authenticated", False):
        raise HTTPException(status_code=401, detail="credentials required: a bearer token or a signed-in session",
                            headers={"WWW-Authenticate": "Bearer"})


async def require_write(request: Request, c: Container = Depends(container)) -> None:
    """Mutating endpoints need credentials whenever API_TOKEN is set."""
    _check_token(c, request)


async def require_read(request: Request, c: Container = Depends(container)) -> None:
    """Reads need credentials whenever API_TOKEN is set, unless API_TOKEN_READS=false."""
    if c.settings.api_token_reads:
        _check_token(c, request)
