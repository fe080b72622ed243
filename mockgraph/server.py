"""Run the app under gunicorn from Python, so `mockgraph serve` needs no shell glue."""

from __future__ import annotations

from gunicorn.app.base import BaseApplication

from mockgraph.app import create_app
from mockgraph.config import default_store_path, resolve_settings
from mockgraph.exceptions import ConfigError
from mockgraph.store import MEMORY


class MockGraphServer(BaseApplication):
    """A gunicorn application serving one prebuilt app."""

    def __init__(self, options: dict, app):
        self.options = options
        self.application = app
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return self.application


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    config: dict | None = None,
    access_log: bool = False,
) -> None:
    """Serve until stopped; the app is built once, before the workers fork, so start-up is paid once.

    Stateful mode needs one store for all workers: a SQLite file (by default one per port under
    the temp dir, so a restart on the same port finds what was stored); a memory store would
    give each worker a private copy, so it is refused when there is more than one worker.
    """
    config = dict(config or {})
    settings = resolve_settings(config)
    if settings["MODE"] == "stateful":
        if not settings["STORE"]:
            config["STORE"] = str(default_store_path(port))
        elif settings["STORE"] == MEMORY and workers > 1:
            raise ConfigError(f"a memory store cannot be shared by {workers} workers; give --store a file")
    app = create_app(config)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "graceful_timeout": 5,
        "preload_app": True,
        # Several mocks may run at once (tests, CI); gunicorn's shared control socket would clash.
        "control_socket_disable": True,
    }
    MockGraphServer(options, app).run()
