"""The Reelscan stack as local processes: embedded PostgreSQL and Valkey (unless
DATABASE_URL / REDIS_URL are given), migrations, ml-service, api-service and one
worker per queue. Used by ``make run`` (dev/launcher.py) and by the end-to-end
and fault-injection tests, so both exercise the same start-up path."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from embedded_servers import EmbeddedPostgres, EmbeddedValkey, free_port

REPO = Path(__file__).resolve().parent.parent


def _die_with_parent() -> None:
    """Children get SIGTERM if the launcher itself dies (even by SIGKILL): no orphans."""
    import ctypes

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setsid()


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent, cwd=REPO)
        log.close()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive:
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive:
            return
        assert self.proc is not None
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.proc.wait(5)

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def wait_for_http(url: str, services: list[Service], timeout: float = 120.0) -> None:
    """Until ``url`` answers below 500; fails at once with its log tail if a service exits."""
    deadline = time.monotonic() + timeout
    while True:
        dead = [s for s in services if not s.alive]
        if dead:
            raise RuntimeError(f"{dead[0].name} exited during start-up:\n{dead[0].tail()}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.3)


@dataclass
class Stack:
    data_dir: Path
    video_paths: str
    api_port: int
    ml_port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    database_url: str | None = None
    redis_url: str | None = None
    postgres: EmbeddedPostgres | None = None
    valkey: EmbeddedValkey | None = None
    services: dict[str, Service] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ml_url(self) -> str:
        return f"http://127.0.0.1:{self.ml_port}"

    def secret(self, name: str) -> str:
        """A password generated on first use and kept in DATA_DIR/secrets/ (mode 0600), so
        the embedded PostgreSQL and Valkey (arq unpickles what Valkey holds) are not open
        to every user of the machine and keep their password across restarts."""
        folder = self.data_dir / "secrets"
        folder.mkdir(mode=0o700, exist_ok=True)
        path = folder / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def start_stores(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        if not self.database_url:
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres", free_port(), log_file=logs / "postgres.log",
                                             password=self.secret("postgres-password"))
            self.postgres.start()
            self.database_url = self.postgres.url
        if not self.redis_url:
            self.valkey = EmbeddedValkey(self.data_dir / "valkey", free_port(), log_file=logs / "valkey.log",
                                         password=self.secret("valkey-password"))
            self.valkey.start()
            self.redis_url = self.valkey.url

    def env(self, **more: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.database_url or "", "REDIS_URL": self.redis_url or "",
            "VIDEO_PATHS": self.video_paths, "ML_SERVICE_URL": self.ml_url,
            "API_PORT": str(self.api_port), "ML_PORT": str(self.ml_port),
            "MODEL_CACHE_DIR": env.get("MODEL_CACHE_DIR", str(self.data_dir / "models")),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        env.update(more)
        return env

    def migrate(self) -> None:
        subprocess.run([sys.executable, "-m", "reelscan_api.cli", "migrate"], env=self.env(), check=True,
                       cwd=REPO, capture_output=True)

    def define_services(self, workers: dict[str, str] | None = None) -> None:
        logs = self.data_dir / "logs"
        py = sys.executable
        self.services["ml"] = Service("ml", [py, "-m", "reelscan_ml.cli"], self.env(), logs / "ml.log")
        self.services["api"] = Service("api", [py, "-m", "reelscan_api.cli", "serve"], self.env(), logs / "api.log")
        self.worker_metrics_ports: dict[str, int] = {}
        for name, mode in (workers or {"worker-gpu": "gpu", "worker-cpu": "cpu"}).items():
            port = self.worker_metrics_ports[name] = free_port()
            self.services[name] = Service(name, [py, "-m", "reelscan_worker.cli"],
                                          self.env(GPU_MODE=mode, WORKER_METRICS_PORT=str(port)), logs / f"{name}.log")

    def start(self, workers: dict[str, str] | None = None) -> None:
        self.start_stores()
        self.migrate()
        self.define_services(workers)
        # The ML service first: workers that start before it answers would spend
        # their first tries on connection errors.
        self.services["ml"].start()
        self._wait_for(f"{self.ml_url}/health", [self.services["ml"]])
        for name, service in self.services.items():
            if name != "ml":
                service.start()

    def _wait_for(self, url: str, services: list[Service], timeout: float = 120.0) -> None:
        wait_for_http(url, services, timeout)

    def wait_ready(self, timeout: float = 120.0) -> None:
        services = list(self.services.values())
        self._wait_for(f"{self.ml_url}/health", services, timeout)
        self._wait_for(f"{self.api_url}/health", services, timeout)

    def kill(self, name: str) -> None:
        """SIGKILL a service (fault injection); ``services[name].start()`` brings it back."""
        service = self.services[name]
        service.signal(signal.SIGKILL)
        if service.proc is not None:
            service.proc.wait(10)

    def stop(self) -> None:
        """Stop everything this stack started: services first, then the stores."""
        order = sorted(self.services, key=lambda name: name == "ml")  # the ML service last
        for name in order:
            self.services[name].signal(signal.SIGTERM)
        for name in order:
            self.services[name].stop()
        if self.valkey:
            self.valkey.stop()
        if self.postgres:
            self.postgres.stop()
