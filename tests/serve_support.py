"""Shared by the dev-server tests: a minimal briefing, a running server, a browser."""

from __future__ import annotations

import http.client
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.build import BuildOptions, PreviewBuilder, preview_builder
from generator.serve import DevServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

MINIMAL = {
    "content/briefing.yaml":
        "title: Test briefing\nas_of: 2025-10-09\nsummary: Summary number one.\n",
    "content/sources/wire-1.yaml": "file: wire-1.txt\ntitle: Wire report\n",
    "content/actors/alice.yaml": "name: Alice Example\n",
    "content/topics/talks.yaml": "title: The talks\nkeywords: [talks]\n",
    "seeds/wire-1.txt": "Talks resume\nAlice Example said the talks resumed on Monday.\n",
}


def write_briefing(root: Path) -> Path:
    for rel, text in MINIMAL.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def set_summary(root: Path, text: str) -> None:
    (root / "content/briefing.yaml").write_text(
        f"title: Test briefing\nas_of: 2025-10-09\nsummary: {text}\n", encoding="utf-8")


def real_builder(root: Path) -> PreviewBuilder:
    """The builder ``briefing serve`` uses."""
    return preview_builder(BuildOptions(root=root), own_out=True)


def start_server(root: Path, builder: PreviewBuilder | None = None,
                 port: int = 0, **kwargs: object) -> tuple[DevServer, io.StringIO]:
    log = io.StringIO()
    server = DevServer(builder or real_builder(root), [root / "content", root / "seeds"],
                       host="127.0.0.1", port=port, base=root, log=log, **kwargs)  # type: ignore[arg-type]
    server.start()
    return server, log


@pytest.fixture
def briefing(tmp_path: Path) -> Path:
    return write_briefing(tmp_path / "briefing")


@pytest.fixture
def served(briefing: Path) -> Iterator[tuple[DevServer, io.StringIO]]:
    server, log = start_server(briefing)
    try:
        yield server, log
    finally:
        server.stop()


@pytest.fixture(scope="module")  # one Playwright at a time: other modules start their own
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("BROWSER TESTS SKIPPED: /usr/bin/chromium is missing (apt-get install"
                    " chromium); CI installs it, so these tests run there")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: object) -> Iterator[object]:
    context = chromium.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def get(server: DevServer, path: str, host: str | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw_request(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes as they are (no client-side path normalisation); return the reply."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, TimeoutError):
            pass
    return b"".join(chunks)


