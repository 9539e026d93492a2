"""A local HTTP server standing in for a weights source (the standard URL or
MODEL_MIRROR_URL): serves a folder, honours ``Range``, and can cut a response
short or send it slowly, and records what it sent."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Sent:
    path: str
    range: str | None
    status: int
    bytes: int


@dataclass
class WeightsServer:
    root: Path
    cut_after: dict[str, int] = field(default_factory=dict)  # file name -> bytes sent before hanging up (once)
    chunk_delay_s: float = 0.0  # pause after each 64 KiB sent: a slow source
    sent: list[Sent] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                path = server.root / name
                if not path.is_file():
                    self.send_error(404)
                    server.sent.append(Sent(name, None, 404, 0))
                    return
                data = path.read_bytes()
                asked = self.headers.get("Range")
                start = int(asked[len("bytes="):].split("-")[0]) if asked else 0
                if start >= len(data) > 0:
                    self.send_error(416)
                    server.sent.append(Sent(name, asked, 416, 0))
                    return
                body = data[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                limit = server.cut_after.pop(name, len(body))
                sent = 0
                try:
                    while sent < min(limit, len(body)):
                        piece = body[sent:min(sent + 65536, limit)]
                        self.wfile.write(piece)
                        self.wfile.flush()
                        sent += len(piece)
                        if server.chunk_delay_s:
                            time.sleep(server.chunk_delay_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                server.sent.append(Sent(name, asked, 206 if start else 200, sent))
                if sent < len(body):
                    self.close_connection = True

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
