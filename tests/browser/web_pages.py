"""What the browser tests share: the pages they open and the sites they open them on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from browser_runs import VIEWPORT, serious_violations
from stack import Stack

TOKEN = "browser-test-token-0123456789abcdef"
VIDEOS = ("moments", "text")


@dataclass
class Browsing:
    """A page of a fresh context, with what went wrong on it: console errors, uncaught
    exceptions, and every URL it requested (to check that no token travels in one)."""

    page: Any
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def assert_clean(self, where: str) -> None:
        """No console error so far, and axe-core finds no serious or critical violation."""
        assert not self.errors, (where, self.errors)
        violations = serious_violations(self.page)
        assert not violations, (where, violations)


@dataclass
class Site:
    stack: Stack
    url: str
    api: httpx.Client
    video_ids: dict[str, str]


def open_page(browser: Any, base_url: str) -> tuple[Any, Browsing]:
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(20_000)
    page = context.new_page()
    seen = Browsing(page)
    page.on("console", lambda msg: seen.errors.append(f"console: {msg.text} @ {msg.location}")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: seen.errors.append(f"uncaught: {exc}"))
    page.on("request", lambda request: seen.urls.append(request.url))
    return context, seen
