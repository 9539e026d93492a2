"""What `make run`'s terminal says about weights being fetched (dev/launcher.py)."""

from types import SimpleNamespace
from typing import Any

from launcher import tell_blocked, weights_bar

MIB = 2**20


def test_a_fetch_of_known_size_is_a_bar_with_its_percentage() -> None:
    fetch = {"state": "fetching", "done_bytes": 11 * MIB, "total_bytes": 44 * MIB}
    assert weights_bar("place_detection", fetch, width=8) == "place_detection [##......] 25% of 44.0 MiB"
    done = fetch | {"done_bytes": 44 * MIB}
    assert weights_bar("place_detection", done, width=8) == "place_detection [########] 100% of 44.0 MiB"


def test_a_fetch_of_unknown_size_says_how_much_arrived() -> None:
    fetch = {"state": "fetching", "done_bytes": 3 * MIB // 2, "total_bytes": None}
    assert weights_bar("object_detection", fetch) == "object_detection 1.5 MiB"


def test_a_blocked_analysis_is_told_again_for_a_new_reason_not_for_more_bytes(capsys) -> None:
    fetching = "!! place_detection tasks are blocked: fetching its weights from http://m/x ({} MiB of 44.0 MiB)"

    class Api:
        def __init__(self, detail: str) -> None:
            self.detail = detail

        def get(self, _path: str) -> Any:
            return SimpleNamespace(json=lambda: {"analyses": {"place_detection": {
                "blocked_tasks": 2, "detail": self.detail}}})

    told = tell_blocked(Api(fetching.format("1.0")), {}, tty=False)  # type: ignore[arg-type]
    told = tell_blocked(Api(fetching.format("9.5")), told, tty=False)  # type: ignore[arg-type]
    told = tell_blocked(Api("failed: ConnectError"), told, tty=False)  # type: ignore[arg-type]
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and "1.0 MiB of 44.0" in lines[0] and "failed: ConnectError" in lines[1]
