"""A real headless Chromium: a page on another loopback origin POSTs the example through fetch.

Uses Debian's chromium and chromium-driver (installed by .ci/run), driven by selenium, with no
browser download. Where chromium is absent the test is skipped, except in CI (CI=true), where
that is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

from mockgraph.client import MockGraph
from mockgraph.process import LOOPBACK, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)

PAGE = """<!doctype html>
<html><body><pre id="result"></pre>
<script>
const example = %(example)s;
async function call(base, extra) {
  try {
    const response = await fetch(base + "/beta/privilegedOperationEvents", {
      method: "POST",
      headers: {"Authorization": "Bearer browser-token", "Content-Type": "application/json",
                "client-request-id": "from-the-browser", ...extra},
      body: JSON.stringify(example),
    });
    return {status: response.status, body: await response.json(),
            requestId: response.headers.get("request-id"),
            clientRequestId: response.headers.get("client-request-id"),
            retryAfter: response.headers.get("Retry-After")};
  } catch (error) {
    return {blocked: String(error)};
  }
}
Promise.all([
  call(%(allowed)s, {}), call(%(refused)s, {}), call(%(allowed)s, {"Prefer": "code=429"}),
]).then(results => {
  document.getElementById("result").textContent = JSON.stringify(results);
});
</script></body></html>
"""


def require_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    reason = f"needs Debian's chromium and chromium-driver ({', '.join(missing)} missing; .ci/run installs them)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def page_server(tmp_path):
    """A static page server on its own loopback port: another origin than the mock's."""
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer((LOOPBACK, 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://{LOOPBACK}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def browser(tmp_path_factory):
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium must never fetch a driver or a browser
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def test_a_page_on_another_loopback_origin_posts_the_example_and_reads_the_201(
    browser, page_server, create_example, tmp_path_factory
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    directory, page_origin = page_server
    refusing_env = {"MOCKGRAPH_CORS_ORIGINS": json.dumps(["https://app.example"])}
    with start_server("--workers", "1") as allowing, start_server("--workers", "1", env=refusing_env) as refusing:
        page = PAGE % {
            "example": json.dumps(create_example.request.body),
            "allowed": json.dumps(allowing.base_url),
            "refused": json.dumps(refusing.base_url),
        }
        (directory / "index.html").write_text(page, encoding="utf-8")
        browser.get(f"{page_origin}/index.html")
        result = WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda driver: driver.find_element(By.ID, "result").text or None
        )
        answered, blocked, throttled = json.loads(result)
        journal = MockGraph(allowing.base_url).requests()

    assert answered["status"] == 201
    assert answered["body"] == create_example.response.body
    assert answered["clientRequestId"] == "from-the-browser"
    assert answered["requestId"], "request-id is exposed to the page"
    assert "blocked" in blocked and "Failed to fetch" in blocked["blocked"]
    assert throttled["status"] == 429 and throttled["retryAfter"] == "1", "Retry-After is exposed to the page"
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    posts = [entry for entry in journal if entry["method"] == "POST"]
    preflights = [entry for entry in journal if entry["method"] == "OPTIONS"]
    assert preflights and all(entry["status"] == 204 for entry in preflights)
    assert all(entry["headers"]["origin"] == page_origin for entry in journal)
    assert sorted(entry["status"] for entry in posts) == [201, 429]
    assert all(entry["body"] == create_example.request.body for entry in posts)
