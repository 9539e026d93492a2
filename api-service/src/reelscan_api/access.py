"""Who may call the API: bearer token or signed-in browser, and the checks that keep a
token-less loopback server from being driven by other web sites.

A pure ASGI middleware (no BaseHTTPMiddleware), so streamed responses (media, server-sent
events) pass through untouched. See docs/security.md.

- With ``API_TOKEN`` set every request needs credentials, except the open paths below:
  ``Authorization: Bearer <API_TOKEN>`` or the ``reelscan_session`` cookie that
  ``POST /auth/session`` sets. A cookie-authenticated mutation must also send
  ``X-CSRF-Token`` equal to the ``reelscan_csrf`` cookie (double submit; the CSRF value is
  itself derived from the session, so a planted cookie pair does not pass).
- Without a token (loopback only, see settings): every request's ``Host`` must be one of
  ``API_ALLOWED_HOSTS`` (DNS rebinding), and a mutation whose ``Origin`` is another site is
  refused (cross-site forms and fetches).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import urlsplit

from reelscan_api.settings import ApiSettings
from reelscan_shared.request_context import ASGIApp, Receive, Scope, Send

SESSION_COOKIE = "reelscan_session"
CSRF_COOKIE = "reelscan_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPEN_EXACT = frozenset({"/live", "/ready", "/health", "/", "/app"})
OPEN_PREFIXES = ("/auth/", "/app/")


def is_open_path(path: str) -> bool:
    """Paths that answer without credentials (``/health`` then gives only its status)."""
    return path in OPEN_EXACT or path == "/auth" or path.startswith(OPEN_PREFIXES)


class SessionSigner:
    """HMAC-signed session values ``<expiry>.<nonce>.<mac>``. The key is derived from
    API_TOKEN, so rotating the token signs every browser out."""

    def __init__(self, token: str, max_age_s: int) -> None:
        self._key = hashlib.sha256(b"reelscan-session\x00" + token.encode()).digest()
        self.max_age_s = max_age_s

    def _mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def issue(self, now: float | None = None) -> tuple[str, str]:
        """A new (session, csrf) pair."""
        body = f"{int((now or time.time()) + self.max_age_s)}.{secrets.token_urlsafe(18)}"
        session = f"{body}.{self._mac('session', body)}"
        return session, self.csrf_for(session)

    def csrf_for(self, session: str) -> str:
        return self._mac("csrf", session)

    def valid(self, session: str, now: float | None = None) -> bool:
        expiry, _, rest = session.partition(".")
        nonce, _, mac = rest.partition(".")
        if not (expiry.isdigit() and nonce and mac):
            return False
        if not hmac.compare_digest(mac, self._mac("session", f"{expiry}.{nonce}")):
            return False
        return int(expiry) > (now or time.time())


def cookies_of(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in headers:
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:
                continue
    return {k: m.value for k, m in jar.items()}


def bearer_ok(header: str, token: str) -> bool:
    scheme, _, credentials = header.partition(" ")
    return scheme.lower() == "bearer" and secrets.compare_digest(credentials.strip().encode(), token.encode())


def host_name(host_header: str) -> str:
    """``Host`` without its port (``[::1]:8000`` → ``::1``)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_cross_site(origin: str, host_header: str) -> bool:
    """An ``Origin`` other than this server's own (``null`` counts as foreign)."""
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return True
    return parts.netloc.lower() != host_header.strip().lower()


def served_over_tls(scope: Scope, headers: dict[str, str], settings: ApiSettings) -> bool:
    """Whether cookies get ``Secure``: the connection itself, a forced setting, or
    ``X-Forwarded-Proto: https`` from a proxy listed in TRUSTED_PROXIES."""
    if settings.session_cookie_secure is not None:
        return settings.session_cookie_secure
    if scope.get("scheme") == "https":
        return True
    client = (scope.get("client") or ("", 0))[0]
    trusted = "*" in settings.trusted_proxy_list or client in settings.trusted_proxy_list
    return trusted and headers.get("x-forwarded-proto", "").split(",")[0].strip().lower() == "https"


async def _refuse(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = ('{"detail": "' + detail + '"}').encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *(extra or [])]})
    await send({"type": "http.response.body", "body": body})


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings
        self.signer = SessionSigner(settings.api_token, settings.session_max_age_s) if settings.api_token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        scope.setdefault("state", {})
        scope["state"]["authenticated"] = False
        problem = self._check(scope, headers)
        if problem is not None:
            status, detail = problem
            extra = [(b"www-authenticate", b"Bearer")] if status == 401 else []
            await _refuse(send, status, detail, extra)
            return
        await self.app(scope, receive, send)

    def _check(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        method, path = scope["method"].upper(), scope["path"]
        if self.signer is None:
            return self._check_open_server(method, headers)
        how = self._credentials(scope, headers)
        if how is not None:
            scope["state"]["authenticated"] = True
        if how == "cookie" and method not in SAFE_METHODS and not path.startswith("/auth/"):
            return self._check_csrf(scope, headers)
        if how is None and not is_open_path(path) and self._needs_credentials(method):
            return 401, "credentials required: a bearer token or a signed-in session"
        return None

    def _needs_credentials(self, method: str) -> bool:
        return method not in SAFE_METHODS or self.settings.api_token_reads

    def _credentials(self, scope: Scope, headers: dict[str, str]) -> str | None:
        assert self.signer is not None and self.settings.api_token
        if bearer_ok(headers.get("authorization", ""), self.settings.api_token):
            return "bearer"
        session = cookies_of(scope.get("headers", [])).get(SESSION_COOKIE)
        if session and self.signer.valid(session):
            scope["state"]["session"] = session
            return "cookie"
        return None

    def _check_csrf(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        assert self.signer is not None
        sent = headers.get(CSRF_HEADER, "")
        cookie = cookies_of(scope.get("headers", [])).get(CSRF_COOKIE, "")
        expected = self.signer.csrf_for(scope["state"]["session"])
        if sent and hmac.compare_digest(sent, cookie) and hmac.compare_digest(sent, expected):
            return None
        return 403, "cookie-authenticated changes need the X-CSRF-Token header (the reelscan_csrf cookie's value)"

    def _check_open_server(self, method: str, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if host_name(host) not in self.settings.allowed_host_set:
            return 400, "unknown Host: add it to API_ALLOWED_HOSTS"
        origin = headers.get("origin")
        if method not in SAFE_METHODS and origin is not None and is_cross_site(origin, host):
            return 403, "cross-site request refused (Origin is another site)"
        return None
