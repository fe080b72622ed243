"""`make bench`: mockgraph side by side with Prism, a plain Flask route and a bare WSGI function.

One run, one machine, one load generator (wrk, POSTing the create page's example body with the
same settings to every server), so the ratios mean something even on a noisy machine:

- ``wsgi``: a bare WSGI function under mockgraph's own gunicorn settings (the floor of the stack);
- ``flask``: a plain Flask route returning the same body under the same settings (our ceiling);
- ``mockgraph``: ``mockgraph serve`` exactly as ``make serve`` runs it (``mockgraph-no-journal``: the
  same with the request journal off, to show what it costs; ``mockgraph-flask-lane``, on request:
  every request through Flask, to show what the fast lane of dispatch.py buys);
- ``prism`` / ``prism-silent``: Stoplight Prism 5 ``prism mock`` on mockgraph's own contract, with its
  default logging and with ``--verboseLevel silent`` (only where node and npm exist).

For each: req/s, p50/p99 latency, errors (socket errors and every answer that is not 201),
start-up to the first 201 (median of several cold starts) and memory (RSS and PSS summed over the
server's process tree, read from /proc after the load run). Nothing here is a test: the figures go
into BENCHMARKS.md. Flask is imported only by the reference server that needs it.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mockgraph.process import LOOPBACK, ServerProcess, free_port, serve_command

PATH = "/privilegedOperationEvents"
TOKEN = "Bearer bench-token"
PRISM_PACKAGE = "@stoplight/prism-cli@5"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mockgraph"
BODY_VARIABLE = "MOCKGRAPH_BENCH_BODY"
DEFAULT_TARGETS = ("wsgi", "flask", "mockgraph", "mockgraph-no-journal", "prism", "prism-silent")
EXTRA_TARGETS = ("mockgraph-no-journal", "mockgraph-access-log", "mockgraph-flask-lane")

WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{token}"
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) other = 0 end
function response(status, headers, body) if status ~= 201 then other = other + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("other") end
  io.write(string.format("not-201: %d\\n", total))
end
"""


@dataclass
class Target:
    name: str
    command: list[str]
    env: dict = field(default_factory=dict)


@dataclass
class Result:
    name: str
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    startup_s: float = 0.0
    startups_s: list[float] = field(default_factory=list)
    cpu_us_per_request: float = 0.0
    wrk_cpu_us_per_request: float = 0.0
    rss_mib: float = 0.0
    pss_mib: float = 0.0
    processes: int = 0
    load_before: str = ""


# --- what is sent and answered ----------------------------------------------------------------


def example_request_body() -> bytes:
    """The create page's example request body, verbatim (white space and all)."""
    from mockgraph.config import default_contract_path
    from mockgraph.docs import read_page

    page = default_contract_path().parent / "source" / "privilegedoperationevent-create.md"
    return read_page(page).examples[0].request.raw_body.encode()


def example_response_body() -> bytes:
    """The contract's 201 example for the create operation, encoded as mockgraph encodes it."""
    import orjson

    from mockgraph.config import default_contract_path
    from mockgraph.openapi import load_yaml

    responses = load_yaml(default_contract_path())["paths"][PATH]["post"]["responses"]
    examples = responses["201"]["content"]["application/json"]["examples"]
    return orjson.dumps(next(iter(examples.values()))["value"])


# --- tools: wrk from Debian, Prism from npm ---------------------------------------------------


def ensure_wrk() -> str:
    """wrk's path; installs Debian's package when missing (needs root and apt-get)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("bench: wrk is missing; install it (Debian: apt-get install wrk) or run as root")
    print("bench: installing wrk from Debian's packages", file=sys.stderr)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )
    return shutil.which("wrk") or "wrk"


def ensure_prism() -> str | None:
    """Prism's executable, installed from npm into the cache folder; None without node and npm."""
    if not shutil.which("node") or not shutil.which("npm"):
        print("bench: node or npm missing, Prism is left out", file=sys.stderr)
        return None
    prefix = CACHE / "prism"
    executable = prefix / "node_modules" / ".bin" / "prism"
    if not executable.exists():
        print(f"bench: installing {PRISM_PACKAGE} into {prefix}", file=sys.stderr)
        prefix.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(prefix), PRISM_PACKAGE], check=True)
    return str(executable)


# --- the servers ---------------------------------------------------------------------------------


def build_targets(names: list[str], args: argparse.Namespace, prism: str | None, response_body: bytes) -> list[Target]:
    from mockgraph.config import default_contract_path

    gunicorn = ["--workers", str(args.workers)]
    if args.worker_class:
        gunicorn += ["--worker-class", args.worker_class]
    if args.server_threads:
        gunicorn += ["--threads", str(args.server_threads)]
    reference_env = {BODY_VARIABLE: response_body.decode()}
    contract = str(default_contract_path())
    targets = []
    for name in names:
        if name == "mockgraph":
            targets.append(Target(name, serve_command(*gunicorn, port=0)))
        elif name == "mockgraph-no-journal":
            # What the request journal (on by default, kept in each worker's memory) costs.
            targets.append(Target(name, serve_command(*gunicorn, port=0), {"MOCKGRAPH_JOURNAL_SIZE": "0"}))
        elif name == "mockgraph-flask-lane":
            # Every request through Flask's routes and hooks: what the fast lane (dispatch.py) buys.
            targets.append(Target(name, serve_command(*gunicorn, port=0), {"MOCKGRAPH_FAST_PATH": "false"}))
        elif name == "mockgraph-access-log":
            targets.append(Target(name, serve_command(*gunicorn, "--access-log", port=0)))
        elif name in ("flask", "wsgi"):
            command = [sys.executable, "-m", "mockgraph.bench", "reference", name, "--port", "0", *gunicorn]
            targets.append(Target(name, command, reference_env))
        elif name in ("prism", "prism-silent"):
            if prism is None:
                continue
            command = [prism, "mock", "-h", LOOPBACK, "-p", "0", contract]
            if name == "prism-silent":
                command += ["--verboseLevel", "silent"]
            targets.append(Target(name, command))
        else:
            raise SystemExit(f"bench: unknown target {name!r}")
    return targets


def with_port(command: list[str], port: int) -> list[str]:
    """The command with its port placeholder (``--port 0`` / ``-p 0``) filled in."""
    filled = list(command)
    for index, word in enumerate(filled[:-1]):
        if word in ("--port", "-p") and filled[index + 1] == "0":
            filled[index + 1] = str(port)
    return filled


def launch(target: Target, port: int, quiet: bool = True) -> ServerProcess:
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        with_port(target.command, port),
        env={**os.environ, **target.env},
        stdout=output,
        stderr=output,
        start_new_session=True,
    )
    return ServerProcess(process, LOOPBACK, port)


def post_example(port: int, body: bytes, timeout: float = 2.0) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("POST", PATH, body, {"Content-Type": "application/json", "Authorization": TOKEN})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_for_201(server: ServerProcess, body: bytes, timeout: float = 30.0) -> float:
    """Seconds from now until the server answers the example with 201 (polled every 5 ms)."""
    start = time.monotonic()
    deadline = start + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.process.returncode} before answering")
        try:
            status = post_example(server.port, body)
        except OSError:
            time.sleep(0.005)
            continue
        if status == 201:
            return time.monotonic() - start
        raise RuntimeError(f"the server answered the example with {status}, not 201")
    raise TimeoutError(f"no 201 within {timeout} s")


def measure_startup(target: Target, body: bytes, starts: int) -> list[float]:
    """Cold starts: from spawning the command to the first 201, each on a fresh port."""
    times = []
    for _ in range(starts):
        port = free_port()
        started = time.monotonic()
        server = launch(target, port)
        try:
            wait_for_201(server, body)
            times.append(time.monotonic() - started)
        finally:
            server.stop()
    return times


# --- load and memory -----------------------------------------------------------------------------


def write_wrk_script(directory: str, body: bytes) -> str:
    path = os.path.join(directory, "post.lua")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(WRK_SCRIPT.format(body=body.decode(), token=TOKEN))
    return path


def run_wrk(wrk: str, port: int, script: str, duration: float, connections: int, threads: int) -> dict:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", script]
    output = subprocess.run(
        [*command, f"http://{LOOPBACK}:{port}{PATH}"], capture_output=True, text=True, timeout=duration + 60
    )
    if output.returncode != 0:
        raise RuntimeError(f"wrk failed: {output.stderr.strip()}")
    return parse_wrk(output.stdout)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text: str) -> dict:
    """Requests/sec, the 50% and 99% latencies (ms), request count and errors from wrk's report."""

    def latency(percent: str) -> float:
        match = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    count = re.search(r"(\d+) requests in", text)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    other = re.search(r"not-201: (\d+)", text)
    socket_errors = sum(int(n) for n in socket.groups()) if socket else 0
    return {
        "requests_per_second": float(rate.group(1)) if rate else 0.0,
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": int(count.group(1)) if count else 0,
        "errors": socket_errors + (int(other.group(1)) if other else 0),
    }


def process_tree(root: int) -> list[int]:
    """``root`` and every descendant, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def tree_memory(root: int) -> tuple[float, float, int]:
    """(RSS MiB, PSS MiB, process count) summed over the tree; PSS shares forked pages fairly."""
    rss = pss = 0
    pids = process_tree(root)
    for pid in pids:
        rss += _proc_kib(f"/proc/{pid}/status", "VmRSS:")
        pss += _proc_kib(f"/proc/{pid}/smaps_rollup", "Pss:")
    return rss / 1024, pss / 1024, len(pids)


def _proc_kib(path: str, key: str) -> int:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU time spent so far by the tree's live processes."""
    ticks = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children_cpu_seconds() -> float:
    """CPU time of this process's finished children: around one wrk run, that run's own cost."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    with open("/proc/loadavg", encoding="utf-8") as handle:
        return " ".join(handle.read().split()[:3])


def measure(target: Target, args: argparse.Namespace, wrk: str, script: str, body: bytes) -> Result:
    result = Result(target.name, load_before=load_average())
    result.startups_s = measure_startup(target, body, args.starts)
    result.startup_s = statistics.median(result.startups_s)
    port = free_port()
    server = launch(target, port)
    try:
        wait_for_201(server, body)
        if args.warmup > 0:
            run_wrk(wrk, port, script, args.warmup, args.connections, args.threads)
        cpu_before, wrk_before = tree_cpu_seconds(server.pid), _children_cpu_seconds()
        figures = run_wrk(wrk, port, script, args.duration, args.connections, args.threads)
        cpu = tree_cpu_seconds(server.pid) - cpu_before
        result.wrk_cpu_us_per_request = (_children_cpu_seconds() - wrk_before) * 1e6 / max(figures["requests"], 1)
        for key, value in figures.items():
            setattr(result, key, value)
        result.cpu_us_per_request = cpu * 1e6 / max(result.requests, 1)
        result.rss_mib, result.pss_mib, result.processes = tree_memory(server.pid)
    finally:
        server.stop()
    return result


# --- report --------------------------------------------------------------------------------------


def format_table(results: list[Result]) -> str:
    header = (
        "| server | req/s | p50 ms | p99 ms | errors | server CPU µs/req | wrk CPU µs/req "
        "| start-up s (median) | RSS MiB (procs) | PSS MiB |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(
            f"| {r.name} | {r.requests_per_second:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
            f"| {r.errors} of {r.requests:,} | {r.cpu_us_per_request:.0f} | {r.wrk_cpu_us_per_request:.0f} "
            f"| {r.startup_s:.3f} "
            f"| {r.rss_mib:.0f} ({r.processes}) | {r.pss_mib:.0f} |"
        )
    return "\n".join(lines)


def compare(results: list[Result]) -> list[str]:
    """The issue's targets as ratios of this run's figures; each line says met or missed."""
    by_name = {r.name: r for r in results}
    mock = by_name.get("mockgraph")
    if mock is None:
        return []
    lines = []

    def check(label: str, value: float, goal: float, lower_is_better: bool = False) -> None:
        met = value <= goal if lower_is_better else value >= goal
        sign = "<=" if lower_is_better else ">="
        lines.append(f"- {label}: {value:.2f} (target {sign} {goal:g}) {'met' if met else 'MISSED'}")

    flask = by_name.get("flask")
    if flask and flask.requests_per_second:
        check("throughput mockgraph / plain Flask", mock.requests_per_second / flask.requests_per_second, 0.9)
    for name in ("prism-silent", "prism"):
        prism = by_name.get(name)
        if not prism or not prism.requests_per_second:
            continue
        check(
            f"throughput mockgraph / {name}",
            mock.requests_per_second / prism.requests_per_second,
            1.2 if name == "prism-silent" else 2.4,
        )
        if name == "prism-silent":
            check(f"p99 mockgraph / {name}", mock.p99_ms / prism.p99_ms, 0.7, lower_is_better=True)
        check(f"start-up {name} / mockgraph (times faster)", prism.startup_s / mock.startup_s, 3.0)
        check(f"RSS mockgraph / {name}", mock.rss_mib / prism.rss_mib, 0.5, lower_is_better=True)
    check("start-up mockgraph (s)", mock.startup_s, 0.4, lower_is_better=True)
    if mock.errors:
        lines.append(f"- mockgraph answered {mock.errors} requests with something other than 201: MISSED")
    return lines


def run_store_benchmark() -> str | None:
    """The stateful store's own figures (``mockgraph.bench_store``), when the stateful mode exists."""
    if importlib.util.find_spec("mockgraph.bench_store") is None:
        return None
    output = subprocess.run(
        [sys.executable, "-m", "mockgraph.bench_store", "--sizes", "10000"], capture_output=True, text=True, timeout=600
    )
    return (output.stdout + output.stderr).strip()


def precompile() -> None:
    """Byte-compile mockgraph, as pip does for an installed package (an editable checkout run with
    PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module at every start)."""
    import compileall

    compileall.compile_dir(str(Path(__file__).resolve().parent), quiet=1)


def benchmark(args: argparse.Namespace) -> int:
    names = args.only.split(",") if args.only else list(DEFAULT_TARGETS)
    wrk = ensure_wrk()
    precompile()
    prism = ensure_prism() if any(n.startswith("prism") for n in names) else None
    request_body = example_request_body()
    targets = build_targets(names, args, prism, example_response_body())
    wrk_version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()[:1]
    load = f"-t{args.threads} -c{args.connections} -d{args.duration:g}s"
    print(f"wrk {load} (after a {args.warmup:g} s warm-up), POST {PATH}")
    print(f"{wrk_version[0] if wrk_version else 'wrk'}; {os.cpu_count()} CPUs; load average {load_average()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="mockgraph-bench-") as directory:
        script = write_wrk_script(directory, request_body)
        for target in targets:
            print(f"measuring {target.name} ...", file=sys.stderr, flush=True)
            results.append(measure(target, args, wrk, script, request_body))
    print()
    print(format_table(results))
    print()
    for line in compare(results):
        print(line)
    store = run_store_benchmark() if not args.only else None
    if store:
        print()
        print("stateful store (python -m mockgraph.bench_store):")
        print(store)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in results], indent=2), encoding="utf-8")
    return 0


# --- the reference servers (run as child processes) -----------------------------------------------


def reference_app(kind: str, body: bytes):
    """A server's WSGI app that answers every POST with ``body`` and 201, validating nothing."""
    from mockgraph.responses import JSON_CONTENT_TYPE

    if kind == "wsgi":
        headers = [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(body)))]

        def bare(environ, start_response):
            start_response("201 Created", list(headers))
            return [body]

        return bare
    from flask import Flask, Response

    app = Flask("plain")

    @app.post(PATH)
    def create():
        return Response(body, status=201, content_type=JSON_CONTENT_TYPE)

    return app


def serve_reference(args: argparse.Namespace) -> int:
    from mockgraph.server import gunicorn_options, serve_wsgi

    body = os.environ[BODY_VARIABLE].encode()
    options = gunicorn_options(LOOPBACK, args.port, args.workers, worker_class=args.worker_class, threads=args.threads)
    serve_wsgi(reference_app(args.kind, body), options)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mockgraph.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of measured load per server")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--starts", type=int, default=5, help="cold starts timed per server")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (as `make serve`)")
    parser.add_argument("--worker-class", help="gunicorn worker class for every gunicorn server")
    parser.add_argument("--server-threads", type=int, help="gunicorn threads per worker")
    parser.add_argument("--only", help=f"comma-separated servers of {', '.join(DEFAULT_TARGETS + EXTRA_TARGETS)}")
    parser.add_argument("--json", help="also write the results to this file")
    parser.set_defaults(func=benchmark)
    commands = parser.add_subparsers(dest="command")
    reference = commands.add_parser("reference", help="serve a reference app (used by the benchmark itself)")
    reference.add_argument("kind", choices=["flask", "wsgi"])
    reference.add_argument("--port", type=int, required=True)
    reference.add_argument("--workers", type=int, default=2)
    reference.add_argument("--worker-class")
    reference.add_argument("--threads", type=int)
    reference.set_defaults(func=serve_reference)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
