"""A built copy of the repo's briefing, served under a sub-path, for the browser
and HTML-validity tests.

The briefing is the repository's own ``content/`` and ``seeds/`` when they exist;
until they are merged in, ``BRIEFING_TEST_ROOT`` or the content worktree
(``/work/wt-content``) stands in. The site is built once per test session into a
temporary folder and served by ``http.server`` at ``http://127.0.0.1:PORT/brief/``
so that every relative link is exercised under a sub-path.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from generator.build import BuildOptions, build

REPO = Path(__file__).resolve().parent.parent
NODE_MODULES = REPO / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MOUNT = "brief"


def briefing_source() -> Path | None:
    """The briefing folder to build: the repo's, else a stand-in; None if none exists."""
    candidates = [os.environ.get("BRIEFING_TEST_ROOT", ""), str(REPO), "/work/wt-content"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "content" / "briefing.yaml").is_file() \
                and (Path(candidate) / "seeds").is_dir():
            return Path(candidate)
    return None


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"BROWSER TESTS SKIPPED: {CHROMIUM} is missing (apt-get install chromium)"
    if not AXE.exists():
        return f"BROWSER TESTS SKIPPED: {AXE} is missing (run `npm ci` in the repo root)"
    return None


@dataclass(frozen=True)
class BuiltSite:
    """A built site: its folder, the base URL it is served at, and its pages."""

    folder: Path
    base: str
    pages: tuple[str, ...]

    def url(self, path: str) -> str:
        return self.base + path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@functools.cache
def built_site() -> BuiltSite:
    """Build the briefing once per session and serve it; raises LookupError when no
    briefing is available."""
    source = briefing_source()
    if source is None:
        raise LookupError("no briefing to build (content/ and seeds/)")
    work = Path(tempfile.mkdtemp(prefix="briefing-browser-"))
    root = work / "src"
    root.mkdir()
    for part in ("content", "seeds"):
        shutil.copytree(source / part, root / part)
    www = work / "www"
    www.mkdir()
    folder = www / MOUNT
    build(BuildOptions(root=root, out=folder))
    handler = functools.partial(_QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    pages = tuple(sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html")))
    return BuiltSite(folder, f"http://127.0.0.1:{server.server_address[1]}/{MOUNT}/", pages)
