"""``weights.download`` against a local server: a broken transfer resumes where it
stopped (``Range``), a server without ranges starts over, a bad checksum deletes the
partial file, an unreachable host fails fast."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from embedded_servers import free_port
from weights_server import WeightsServer

from reelscan_ml.models import weights

SIZE = 1_000_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[WeightsServer]:
    srv = WeightsServer(tmp_path / "source")
    (srv.root / "w.pt").write_bytes(os.urandom(SIZE))
    yield srv
    srv.close()


def quiet(_: str, __: int, ___: int | None) -> None:
    pass


def test_a_broken_transfer_resumes_with_only_the_remainder(server: WeightsServer, tmp_path: Path) -> None:
    data = (server.root / "w.pt").read_bytes()
    dest = tmp_path / "cache" / "w.pt"
    server.cut_after["w.pt"] = 300_000
    with pytest.raises((httpx.HTTPError, OSError)):
        weights.download(f"{server.url}/w.pt", dest, progress=quiet)
    partial = dest.with_name("w.pt.partial")
    assert not dest.exists() and partial.stat().st_size == 300_000, "the partial file is kept"

    digest = weights.download(f"{server.url}/w.pt", dest, hashlib.sha256(data).hexdigest(), progress=quiet)
    assert digest == hashlib.sha256(data).hexdigest() and dest.read_bytes() == data
    assert not partial.exists()
    second = server.sent[-1]
    assert (second.range, second.status, second.bytes) == ("bytes=300000-", 206, SIZE - 300_000)


def test_progress_counts_the_bytes_already_here(server: WeightsServer, tmp_path: Path) -> None:
    data = (server.root / "w.pt").read_bytes()
    dest = tmp_path / "w.pt"
    dest.with_name("w.pt.partial").write_bytes(data[:400_000])
    seen: list[tuple[int, int | None]] = []
    weights.download(f"{server.url}/w.pt", dest, progress=lambda _, done, total: seen.append((done, total)))
    assert seen[-1] == (SIZE, SIZE) and dest.read_bytes() == data


def test_a_server_without_ranges_sends_it_all_again(server: WeightsServer, tmp_path: Path) -> None:
    data = (server.root / "w.pt").read_bytes()
    dest = tmp_path / "w.pt"
    dest.with_name("w.pt.partial").write_bytes(b"x" * 1000)
    plain = WeightsServer(tmp_path / "plain")  # a 200 to a Range request: start over
    (plain.root / "w.pt").write_bytes(data)
    try:
        import http.server

        handler = plain._server.RequestHandlerClass
        original = handler.do_GET

        def ignore_range(self: http.server.BaseHTTPRequestHandler) -> None:
            del self.headers["Range"]
            original(self)

        handler.do_GET = ignore_range  # type: ignore[method-assign]
        weights.download(f"{plain.url}/w.pt", dest, progress=quiet)
    finally:
        plain.close()
    assert dest.read_bytes() == data and plain.sent[-1].status == 200


def test_a_partial_file_the_server_does_not_know_is_fetched_again(server: WeightsServer, tmp_path: Path) -> None:
    data = (server.root / "w.pt").read_bytes()
    dest = tmp_path / "w.pt"
    dest.with_name("w.pt.partial").write_bytes(b"x" * (SIZE + 10))  # longer than the file: 416
    weights.download(f"{server.url}/w.pt", dest, progress=quiet)
    assert dest.read_bytes() == data and [s.status for s in server.sent] == [416, 200]


def test_a_checksum_mismatch_deletes_the_partial_file(server: WeightsServer, tmp_path: Path) -> None:
    dest = tmp_path / "w.pt"
    dest.with_name("w.pt.partial").write_bytes(b"not the start of the file")
    with pytest.raises(weights.ChecksumMismatch):
        weights.download(f"{server.url}/w.pt", dest, "0" * 64, progress=quiet)
    assert not dest.exists() and not dest.with_name("w.pt.partial").exists()


def test_an_unreachable_source_fails_fast(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(httpx.ConnectError):
        weights.download(f"http://127.0.0.1:{free_port()}/w.pt", tmp_path / "w.pt", progress=quiet)
    assert time.monotonic() - started < 5
    assert not (tmp_path / "w.pt.partial").exists()
