"""Request dependencies: the container, and the optional bearer token."""

from __future__ import annotations

import secrets

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reelscan_api.bootstrap import Container

_bearer = HTTPBearer(auto_error=False)


def container(request: Request) -> Container:
    return request.app.state.container


def _check_token(c: Container, creds: HTTPAuthorizationCredentials | None) -> None:
    expected = c.settings.api_token
    if not expected:
        return
    if creds is None or not secrets.compare_digest(creds.credentials.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="missing or invalid bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


def require_write(c: Container = Depends(container),
                  creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """Mutating endpoints need the token whenever API_TOKEN is set."""
    _check_token(c, creds)


def require_read(c: Container = Depends(container),
                 creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """Reads need the token only with API_TOKEN_READS=true."""
    if c.settings.api_token_reads:
        _check_token(c, creds)
