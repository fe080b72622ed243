"""Start `mockgraph serve` as a real gunicorn process on a free loopback port, and stop it.

Shared by the end-to-end tests, the contract harness, the pytest plugin and the benchmark:
every wait is bounded in time, and a server is stopped by its own PID (its process group).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 20.0, process: subprocess.Popen | None = None) -> float:
    """Poll ``url`` until it answers at all (any status); return the seconds it took."""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return time.monotonic() - start
        except urllib.error.HTTPError:
            return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@dataclass
class ServerProcess:
    process: subprocess.Popen
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the server's process group (gunicorn and its workers), SIGKILL after ``timeout``."""
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_command(*args: str, host: str = LOOPBACK, port: int = 8000) -> list[str]:
    """The `mockgraph serve` command line start_server runs (and the benchmark times)."""
    return [sys.executable, "-m", "mockgraph.cli", "serve", "--host", host, "--port", str(port), *args]


def start_server(
    *args: str,
    host: str = LOOPBACK,
    port: int | None = None,
    env: dict | None = None,
    timeout: float = 30.0,
    quiet: bool = True,
    log_path: str | os.PathLike | None = None,
) -> ServerProcess:
    """Run ``mockgraph serve ARGS`` in its own process group and wait until it answers.

    With ``log_path`` the server's output goes to that file, and a server that does not come
    up is reported with the end of it (say, the config key it refused).
    """
    port = port or free_port(host)
    command = serve_command(*args, host=host, port=port)
    log = open(log_path, "ab") if log_path is not None else None  # noqa: SIM115 - closed below
    output = log if log is not None else (subprocess.DEVNULL if quiet else None)
    try:
        process = subprocess.Popen(
            command,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    finally:
        if log is not None:
            log.close()
    server = ServerProcess(process, host, port)
    try:
        wait_until_up(f"{server.base_url}/openapi.json", timeout=timeout, process=process)
    except (RuntimeError, TimeoutError) as error:
        server.stop()
        if log_path is None:
            raise
        tail = Path(log_path).read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{error}; its log ({log_path}) ends:\n" + "\n".join(tail)) from None
    except BaseException:
        server.stop()
        raise
    return server
