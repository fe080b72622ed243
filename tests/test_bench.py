"""The benchmark's own parts: reading wrk's report, the reference apps, the ratios. No timings asserted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import orjson
import pytest

from mockgraph import bench
from mockgraph.exceptions import MockGraphError
from mockgraph.process import free_port
from mockgraph.server import ensure_port_free, gunicorn_options

WRK_REPORT = """Running 15s test @ http://127.0.0.1:8000/privilegedOperationEvents
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.36ms    3.83ms  59.83ms   87.40%
  Latency Distribution
     50%  850.00us
     75%    6.90ms
     90%   25.17ms
     99%    1.20s
  10109 requests in 5.11s, 5.08MB read
  Socket errors: connect 0, read 3, write 0, timeout 2
  Non-2xx or 3xx responses: 7
Requests/sec:   1978.90
Transfer/sec:      0.99MB
not-201: 9
"""


def test_wrk_report_is_read_in_milliseconds_with_every_error_counted():
    figures = bench.parse_wrk(WRK_REPORT)
    assert figures == {
        "requests_per_second": 1978.9,
        "p50_ms": 0.85,
        "p99_ms": 1200.0,
        "requests": 10109,
        "errors": 5 + 9,  # socket errors, then every answer that was not 201 (the 7 non-2xx among them)
    }


def test_port_placeholder_is_filled_for_gunicorn_and_prism_commands():
    assert bench.with_port(["mockgraph", "serve", "--port", "0", "--workers", "2"], 8123)[3] == "8123"
    assert bench.with_port(["prism", "mock", "-h", "127.0.0.1", "-p", "0", "c.yaml"], 4010)[5] == "4010"


def test_reference_wsgi_app_answers_201_with_the_given_body():
    body = b'{"userId":"u"}'
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    assert b"".join(bench.reference_app("wsgi", body)({}, start_response)) == body
    assert seen["status"] == "201 Created"
    assert seen["headers"]["Content-Length"] == str(len(body))


def test_reference_flask_route_answers_201_with_the_given_body():
    client = bench.reference_app("flask", b'{"userId":"u"}').test_client()
    answer = client.post(bench.PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status_code == 201 and answer.data == b'{"userId":"u"}'


def test_references_answer_the_body_mockgraph_answers(client):
    answer = client.post(
        bench.PATH,
        data=bench.example_request_body(),
        headers={"Content-Type": "application/json", "Authorization": bench.TOKEN},
    )
    assert answer.status_code == 201
    assert orjson.loads(answer.data) == orjson.loads(bench.example_response_body())


def test_comparison_names_each_target_met_or_missed():
    results = [
        bench.Result("flask", requests_per_second=1000, p99_ms=10, startup_s=0.2, rss_mib=90),
        bench.Result("mockgraph", requests_per_second=950, p99_ms=10, startup_s=0.3, rss_mib=100),
        bench.Result("prism-silent", requests_per_second=1000, p99_ms=20, startup_s=1.5, rss_mib=150),
    ]
    lines = "\n".join(bench.compare(results))
    assert "throughput mockgraph / plain Flask: 0.95 (target >= 0.9) met" in lines
    assert "throughput mockgraph / prism-silent: 0.95 (target >= 1.2) MISSED" in lines
    assert "p99 mockgraph / prism-silent: 0.50 (target <= 0.7) met" in lines
    assert "start-up prism-silent / mockgraph (times faster): 5.00 (target >= 3) met" in lines
    assert "RSS mockgraph / prism-silent: 0.67 (target <= 0.5) MISSED" in lines


def test_memory_and_cpu_are_summed_over_a_process_tree():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert child.pid in bench.process_tree(os.getpid())
        rss, pss, count = bench.tree_memory(os.getpid())
        own_rss, _, _ = bench.tree_memory(child.pid)
        assert count >= 2 and rss > own_rss > 0 and pss > 0
        assert bench.tree_cpu_seconds(os.getpid()) > 0
    finally:
        child.kill()
        child.wait(timeout=10)


def test_benchmark_module_does_not_import_flask():
    code = "import sys, mockgraph.bench, mockgraph.server; print('flask' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert output.stdout.strip() == "False"


def test_gunicorn_options_give_threads_only_to_gthread_workers():
    default = gunicorn_options()
    assert (default["worker_class"], default["threads"]) == ("gthread", 4)
    assert default["bind"] == "127.0.0.1:8000" and default["preload_app"] is True
    sync = gunicorn_options(worker_class="sync")
    assert sync["threads"] == 1  # gunicorn would turn a threaded sync worker into gthread
    assert gunicorn_options(worker_class="gthread", threads=2)["threads"] == 2


def test_a_port_another_server_listens_on_is_refused_before_gunicorn_starts():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        with pytest.raises(MockGraphError, match="already in use"):
            ensure_port_free(f"127.0.0.1:{taken}")
    ensure_port_free(f"127.0.0.1:{free_port()}")
