import os
from pathlib import Path

import pytest

from reelscan_shared.domain.errors import PathNotAllowed
from reelscan_shared.files import confine


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
