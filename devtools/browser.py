"""Headless Chromium for the tests of pages (the API docs page): Debian's chromium and chromium-driver,
installed with apt-get like nginx when they are missing, driven over the W3C WebDriver protocol."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

PACKAGES = ("chromium", "chromium-driver")
# No network of its own, no first-run or sync machinery: only the page under test talks.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,1600"]


def binaries() -> tuple[str, str] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or next(
        (path for path in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if Path(path).exists()), None)
    return (chromium, driver) if chromium and driver else None


def ensure_installed() -> tuple[str, str]:
    from .servers import install

    found = binaries()
    if found:
        return found
    install(list(PACKAGES))  # as root, or through sudo
    found = binaries()
    if not found:
        raise SystemExit(f"apt-get installed {' '.join(PACKAGES)} but no chromium/chromedriver is on PATH")
    return found


class Browser:
    """One WebDriver session: the few commands a page test needs."""

    def __init__(self, driver_url: str, session_id: str):
        self._http = httpx.Client(base_url=f"{driver_url}/session/{session_id}", timeout=60)

    def _command(self, method: str, path: str, body: dict | None = None):
        response = self._http.request(method, path, json=body)
        value = response.json()["value"]
        if response.status_code != 200:
            raise RuntimeError(f"WebDriver {method} {path}: {value}")
        return value

    def open(self, url: str) -> None:
        self._command("POST", "/url", {"url": url})

    def find(self, css: str, *, timeout: float = 20) -> str:
        """The first element matching ``css``, waiting for the page's scripts to render it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self._command("POST", "/elements", {"using": "css selector", "value": css})
            if found:
                return next(iter(found[0].values()))
            if time.monotonic() > deadline:
                raise AssertionError(f"no element matches {css!r} after {timeout} s")
            time.sleep(0.2)

    def click(self, css: str) -> None:
        self._command("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css: str, text: str) -> None:
        self._command("POST", f"/element/{self.find(css)}/value", {"text": text})

    def text(self, css: str) -> str:
        return self._command("GET", f"/element/{self.find(css)}/text")

    def wait_for_text(self, css: str, expected: str, *, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text(css)
            if expected in text:
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{css!r} says {text!r}, not {expected!r}, after {timeout} s")
            time.sleep(0.2)

    def screenshot(self, path: Path) -> None:
        import base64

        path.write_bytes(base64.b64decode(self._command("GET", "/screenshot")))


@contextmanager
def headless_chromium():
    chromium, driver = ensure_installed()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver_url = f"http://127.0.0.1:{port}"
    try:
        with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
            _wait_until_up(driver_url)
            options = {"binary": chromium, "args": [*CHROMIUM_ARGS, f"--user-data-dir={profile}"]}
            created = httpx.post(f"{driver_url}/session", timeout=60, json={"capabilities": {"alwaysMatch": {
                "browserName": "chrome", "goog:chromeOptions": options}}})
            created.raise_for_status()
            session_id = created.json()["value"]["sessionId"]
            try:
                yield Browser(driver_url, session_id)
            finally:
                httpx.delete(f"{driver_url}/session/{session_id}", timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(driver_url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{driver_url}/status", timeout=2).json()["value"]["ready"]:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("chromedriver did not start")
        time.sleep(0.1)
