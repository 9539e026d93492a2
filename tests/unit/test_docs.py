"""The docs match the code: the generated pages are what `make docs` writes today, every
setting is described, the README stays short, and no link or make target it names is
dangling."""

from __future__ import annotations

import re
from pathlib import Path

import gen_docs
import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_setting_has_a_description() -> None:
    assert gen_docs.undocumented() == [], "give these settings a Field(description=...)"


def test_configuration_page_is_what_make_docs_writes() -> None:
    assert gen_docs.CONFIGURATION_MD.read_text() == gen_docs.configuration_md(), "run `make docs` and commit"


def test_endpoint_table_is_what_make_docs_writes() -> None:
    current = gen_docs.API_MD.read_text()
    assert current == gen_docs.api_md(current), "run `make docs` and commit docs/api.md"


def test_readme_is_short() -> None:
    assert len((REPO / "README.md").read_text().splitlines()) <= 250


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    targets = [t for t in LINK.findall(page.read_text()) if not re.match(r"[a-z]+:|#", t)]
    missing = [t for t in targets if not (page.parent / t.split("#")[0]).exists()]
    assert missing == [], f"{page.name} links to files that do not exist"


def test_make_targets_the_readme_names_exist() -> None:
    makefile = (REPO / "Makefile").read_text()
    defined = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.M))
    named = set(re.findall(r"`make ([a-z][a-z0-9-]*)", (REPO / "README.md").read_text()))
    assert named and named - defined == set()
