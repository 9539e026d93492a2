import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelscan_shared.domain.errors import PathNotAllowed
from reelscan_shared.files import confine, has_reserved_code_points, os_path, shown_path, stored_path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "library"
    root.mkdir()
    (root / "ok.mp4").write_bytes(b"x")
    (tmp_path / "secret.mp4").write_bytes(b"x")
    os.symlink(tmp_path / "secret.mp4", root / "escape.mp4")
    os.symlink(root / "ok.mp4", root / "inside-link.mp4")
    return root


def test_paths_inside_the_roots_resolve(library: Path) -> None:
    assert confine(str(library / "ok.mp4"), [library]) == library / "ok.mp4"
    assert confine(str(library / "inside-link.mp4"), [library]) == library / "ok.mp4"


@pytest.mark.parametrize("requested", ["/etc/passwd", "{root}/../secret.mp4", "{root}/escape.mp4",
                                       "{root}-sibling/x.mp4", "{root}/ok.mp4\x00.txt"])
def test_paths_outside_the_roots_are_refused(library: Path, requested: str) -> None:
    with pytest.raises(PathNotAllowed):
        confine(requested.format(root=library), [library])


@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_every_file_name_is_stored_as_text_and_turns_back_into_its_bytes(name: bytes) -> None:
    listed = os.fsdecode(name)  # as os.walk gives it: undecodable bytes as lone surrogates
    stored = stored_path(listed)
    assert json.loads(json.dumps(stored, ensure_ascii=False)) == stored
    stored.encode("utf-8")  # what PostgreSQL text and JSON need: raises on a lone surrogate
    assert os.fsencode(os_path(stored)) == name
    if not has_reserved_code_points(listed):
        assert stored == listed or any(0xDC80 <= ord(c) <= 0xDCFF for c in listed)  # UTF-8 names are kept as is


def test_a_stored_name_that_is_not_utf8_confines_to_its_file(library: Path) -> None:
    raw = os.fsencode(library) + b"/caf\xe9.mp4"
    with open(raw, "wb") as f:
        f.write(b"x")
    stored = stored_path(os.fsdecode(raw))
    assert os.fsencode(confine(stored, [library])) == raw


def test_a_stored_name_is_shown_with_its_undecodable_bytes_escaped() -> None:
    stored = stored_path(os.fsdecode(b"/videos/caf\xe9 \xc3\xa9t\xc3\xa9.mp4"))  # Latin-1, then UTF-8
    assert shown_path(stored) == "/videos/caf\\xe9 été.mp4"
