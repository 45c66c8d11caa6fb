"""Helpers for the publishing tests: the real CLI, a copy of the repo's briefing,
a static server under a sub-path, and the real browser.

The briefing is this repository's own ``content/`` and ``seeds/`` copied into a
temporary folder; every command runs as ``python -m generator`` in a subprocess.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "generator", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def seed_briefing(dest: Path) -> Path:
    """A copy of the repository's briefing (content/ and seeds/) in ``dest``."""
    if not (REPO / "content" / "briefing.yaml").is_file():
        pytest.fail("the repository's briefing (content/, seeds/) is missing")
    for part in ("content", "seeds"):
        shutil.copytree(REPO / part, dest / part)
    return dest


def write_files(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


class Links(HTMLParser):
    """Every ``href``/``src`` and every ``id`` of one HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, dict[str, str]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if "id" in values:
            self.ids.add(values["id"])
        for key in ("href", "src"):
            if key in values:
                self.links.append((tag, values[key], values))


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@contextlib.contextmanager
def serve(folder: Path, mount: str) -> Iterator[str]:
    """Serve ``folder`` at ``http://127.0.0.1:PORT/<mount>/`` (any other path is a 404);
    yields the base URL."""
    prefix = f"/{mount.strip('/')}/"

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def translate_path(self, path: str) -> str:
            parsed = urllib.parse.urlsplit(path).path
            if not parsed.startswith(prefix):
                return str(folder / "__outside_the_mount__")
            return super().translate_path("/" + parsed[len(prefix):])

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()


def browser_or_skip() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"BROWSER TEST SKIPPED: {CHROMIUM} is missing (apt-get install chromium)")


def axe_or_skip() -> Path:
    if not AXE.exists():
        pytest.skip(f"AXE TEST SKIPPED: {AXE} is missing (run `npm ci` or `npm install --no-save axe-core`)")
    return AXE


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A headless Debian chromium driven by Playwright."""
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
