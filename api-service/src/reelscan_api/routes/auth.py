"""Browser sign-in: ``POST/GET/DELETE /auth/session`` (see docs/security.md)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from reelscan_api.access import CSRF_COOKIE, SESSION_COOKIE, SessionSigner, served_over_tls
from reelscan_api.schemas import ErrorOut
from reelscan_api.settings import ApiSettings

router = APIRouter(prefix="/auth", tags=["auth"])


class SignIn(BaseModel):
    token: str = Field(..., max_length=4096, description="The server's API_TOKEN")


class SessionOut(BaseModel):
    auth_required: bool = Field(description="Whether this server needs credentials (API_TOKEN is set)")
    signed_in: bool = Field(description="Whether this request carried valid credentials")


def _settings(request: Request) -> ApiSettings:
    s: ApiSettings = request.app.state.settings
    return s


@router.post("/session", status_code=204, responses={401: {"model": ErrorOut}, 409: {"model": ErrorOut}})
async def sign_in(body: SignIn, request: Request) -> Response:
    """Exchange the API token for an HttpOnly session cookie and its CSRF cookie."""
    settings = _settings(request)
    if not settings.api_token:
        return Response('{"detail": "this server has no API_TOKEN: nothing to sign in to"}', status_code=409,
                        media_type="application/json")
    if not secrets.compare_digest(body.token.encode(), settings.api_token.encode()):
        return Response('{"detail": "wrong token"}', status_code=401, media_type="application/json")
    session, csrf = SessionSigner(settings.api_token, settings.session_max_age_s).issue()
    secure = served_over_tls(request.scope, {k.lower(): v for k, v in request.headers.items()}, settings)
    response = Response(status_code=204)
    common = {"max_age": settings.session_max_age_s, "path": "/", "secure": secure, "samesite": "strict"}
    response.set_cookie(SESSION_COOKIE, session, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, csrf, httponly=False, **common)  # type: ignore[arg-type]
    return response


@router.get("/session", response_model=SessionOut)
async def session_state(request: Request) -> SessionOut:
    """Whether credentials are needed here, and whether this request has them."""
    settings = _settings(request)
    return SessionOut(auth_required=bool(settings.api_token),
                      signed_in=bool(getattr(request.state, "authenticated", False)))


@router.delete("/session", status_code=204)
async def sign_out() -> Response:
    """Clear both cookies."""
    response = Response(status_code=204)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", samesite="strict", httponly=name == SESSION_COOKIE)
    return response
