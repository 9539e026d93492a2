"""The browser tests' own helper (dev/browser_runs.py): when web/dist must be rebuilt."""

import os
from pathlib import Path

from browser_runs import web_is_stale


def _at(path: Path, mtime: float, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def test_the_web_app_is_rebuilt_when_missing_or_older_than_any_source(tmp_path: Path) -> None:
    web = tmp_path / "web"
    app = _at(web / "src" / "pages" / "Library.tsx", 1000)
    _at(web / "package-lock.json", 1000)
    assert web_is_stale(web)  # never built
    index = _at(web / "dist" / "index.html", 2000)
    assert not web_is_stale(web)
    os.utime(app, (3000, 3000))  # a page changed after the build
    assert web_is_stale(web)
    os.utime(index, (4000, 4000))
    _at(web / "public" / "favicon.svg", 5000)  # a new static file
    assert web_is_stale(web)
    os.utime(index, (6000, 6000))
    _at(web / "node_modules" / "react" / "index.js", 7000)  # installed packages are not sources
    assert not web_is_stale(web)
