"""Run the app under gunicorn from Python, so `mockgraph serve` needs no shell glue.

The gunicorn settings live in one function so the benchmark serves its reference apps (a plain
Flask route, a bare WSGI function) under exactly the settings `mockgraph serve` uses.
"""

from __future__ import annotations

import errno
import gc
import socket
import sys
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

from mockgraph.config import default_store_path, resolve_settings
from mockgraph.exceptions import ConfigError, MockGraphError
from mockgraph.store import MEMORY

# Chosen by measurement (BENCHMARKS.md): gthread keeps connections alive, where sync closes each
# one after its answer (and gunicorn then waits for the client's FIN); test clients reuse
# connections, and 4 threads let a worker answer while another request of it waits on a socket,
# the stateful store or a latency fault. The app is thread-safe: its SQLite connections are per
# thread or locked, and the journal appends to a deque.
WORKER_CLASS = "gthread"
THREADS = 4
REUSE_PORT = sys.platform.startswith("linux")


class WSGIServer(BaseApplication):
    """A gunicorn application serving one prebuilt WSGI app."""

    def __init__(self, options: dict, app: Callable):
        self.options = options
        self.application = app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Callable:
        return self.application


MockGraphServer = WSGIServer


def gunicorn_options(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    access_log: bool = False,
    worker_class: str | None = None,
    threads: int | None = None,
) -> dict:
    """The gunicorn settings `mockgraph serve` runs with."""
    worker_class = worker_class or WORKER_CLASS
    if threads is None:
        # gunicorn turns a sync worker with threads > 1 into gthread: threads only for gthread.
        threads = THREADS if worker_class == "gthread" else 1
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "graceful_timeout": 5,
        "preload_app": True,
        # Several mocks may run at once (tests, CI); gunicorn's shared control socket would clash.
        "control_socket_disable": True,
        # One listening socket per worker, the kernel spreading connections over them (Linux):
        # with one shared socket, a gthread worker that wakes first keeps taking kept-alive
        # connections (30 of wrk's 32 went to one of two workers), so one core did all the work.
        "reuse_port": REUSE_PORT,
    }


def serve_wsgi(app: Callable, options: dict) -> None:
    """Serve ``app`` under gunicorn with ``options`` until stopped."""
    if options.get("reuse_port"):
        ensure_port_free(options["bind"])
    WSGIServer(options, app).run()


def ensure_port_free(bind: str) -> None:
    """Refuse a port something already listens on, as a plain bind would.

    With SO_REUSEPORT the workers' binds succeed even where another server (say, a second
    `make serve`) holds the port, and the two would silently share its connections.
    """
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
        try:
            probe.bind((host, int(port)))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise MockGraphError(f"{bind} is already in use") from None
            raise


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    config: dict | None = None,
    access_log: bool = False,
    worker_class: str | None = None,
    threads: int | None = None,
) -> None:
    """Serve until stopped; the app is built once, before the workers fork, so start-up is paid once.

    Stateful mode needs one store for all workers: a SQLite file (by default one per port under
    the temp dir, so a restart on the same port finds what was stored); a memory store would
    give each worker a private copy, so it is refused when there is more than one worker.
    """
    from mockgraph.app import create_app

    config = dict(config or {})
    settings = resolve_settings(config)
    if settings["MODE"] == "stateful":
        if not settings["STORE"]:
            config["STORE"] = str(default_store_path(port))
        elif settings["STORE"] == MEMORY and workers > 1:
            raise ConfigError(f"a memory store cannot be shared by {workers} workers; give --store a file")
    app = create_app(config)
    # The app's objects live as long as the server: freezing them keeps the workers' garbage
    # collector from scanning them on every full collection and from writing to (and so
    # copying) the pages they share with the parent after the fork.
    gc.collect()
    gc.freeze()
    serve_wsgi(app, gunicorn_options(host, port, workers, access_log, worker_class, threads))
