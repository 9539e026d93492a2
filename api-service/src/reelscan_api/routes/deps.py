"""Request dependencies: the container, and the optional bearer token.

The token is read from the Authorization header directly (not via FastAPI's
HTTPBearer) so that the OpenAPI schema does not claim every endpoint needs auth:
with no API_TOKEN set, none does.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, HTTPException, Request

from reelscan_api.bootstrap import Container
from reelscan_api.schemas import ErrorOut

UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "API_TOKEN is set and the bearer token is missing or wrong"}}


# async, as are the two below: FastAPI runs a plain `def` dependency in a worker thread,
# and that thread hop cost ~10% of the API's CPU under load (py-spy, bench-scale).
async def container(request: Request) -> Container:
    c: Container = request.app.state.container
    return c


def _check_token(c: Container, request: Request) -> None:
    expected = c.settings.api_token
    if not expected:
        return
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(credentials.strip().encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="missing or invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


async def require_write(request: Request, c: Container = Depends(container)) -> None:
    """Mutating endpoints need the token whenever API_TOKEN is set."""
    _check_token(c, request)


async def require_read(request: Request, c: Container = Depends(container)) -> None:
    """Reads need the token only with API_TOKEN_READS=true."""
    if c.settings.api_token_reads:
        _check_token(c, request)
