"""What the dev server sends, as pure functions: safe paths, whole files, and the
livereload client and error overlay added to HTML pages.

The built pages carry a strict Content-Security-Policy (``script-src 'self'``,
``style-src 'self'``), so nothing is injected inline: a page gets one
``<script src="/__briefing__/client.js?build=...">`` (and, when the last build
failed, a stylesheet link and the overlay's markup), all served by the dev
server itself from the page's own origin. The site files are never changed.
"""

from __future__ import annotations

import html
import mimetypes
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from tornado.web import HTTPError

from generator.frozen import record

#: URL paths the dev server keeps for itself (besides livereload's own
#: ``/livereload`` and ``/livereload.js``).
PREFIX = "/__briefing__/"

CLIENT_JS = b"""\
// briefing serve: loads livereload.js, and on every (re)connection tells the
// server which build this page was served from, so a stale page is reloaded.
(function () {
  var build = new URL(document.currentScript.src).searchParams.get("build");
  document.addEventListener("LiveReloadConnect", function () {
    setTimeout(function () {  // after livereload's own "info" message
      var c = window.LiveReload && window.LiveReload.connector;
      if (c) c.sendCommand({command: "briefing-build", build: build});
    }, 0);
  });
  var s = document.createElement("script");
  s.src = "/livereload.js?host=" + location.hostname + "&port=" +
    (location.port || (location.protocol === "https:" ? 443 : 80)) + "&mindelay=200&maxdelay=2000";
  document.head.appendChild(s);
})();
"""

OVERLAY_CSS = b"""\
#briefing-errors{position:fixed;inset:0;z-index:2147483647;overflow:auto;margin:0;
  padding:2rem;background:rgba(24,24,27,.96);color:#fafafa;font:15px/1.5 system-ui,sans-serif}
#briefing-errors .head{margin:0 0 1rem;font-weight:600;color:#fca5a5}
#briefing-errors pre{white-space:pre-wrap;font:14px/1.5 ui-monospace,monospace;margin:0 0 1rem}
#briefing-errors .foot{margin:0;color:#d4d4d8}
"""

ASSETS = {
    "client.js": (CLIENT_JS, "text/javascript"),
    "overlay.css": (OVERLAY_CSS, "text/css"),
}

EMPTY_PAGE = (b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
              b"<title>Build failed: briefing</title></head><body></body></html>")
"""Served for every path until a build succeeds; the overlay shows why."""


def site_path(raw: str) -> list[str]:
    """The path segments of a raw (still percent-encoded) request path.

    Raises ``HTTPError(400)`` for anything that could leave the site or is
    ambiguous between systems: ``.``/``..`` segments (encoded or not), backslashes,
    NUL and other control characters, invalid UTF-8, a path not starting with ``/``.
    """
    if not raw.startswith("/"):
        raise HTTPError(400, reason="Bad path")
    try:
        text = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPError(400, reason="Bad path") from None
    if "\\" in text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise HTTPError(400, reason="Bad path")
    parts = [p for p in text.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise HTTPError(400, reason="Bad path")
    return parts


@record
class File:
    """A whole file read from the site."""

    data: bytes
    content_type: str


@record
class Redirect:
    """The path names a folder: redirect to it with a trailing slash."""


def read_site_file(root: Path, parts: Sequence[str], slash: bool) -> File | Redirect | None:
    """Read the file ``parts`` names under ``root`` (a folder's ``index.html``
    when the request path ends in a ``slash``); None when there is none. Hidden
    names (the build's marker file) are never served.

    Raises ``HTTPError(403)`` for a path that resolves outside ``root`` (a
    symlink leaving it). The file is opened once and read whole from that one
    descriptor, so a build swapping the site in meanwhile cannot mix two versions.
    """
    if any(p.startswith(".") for p in parts):
        return None
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *parts))
    if real != real_root and not real.startswith(os.path.join(real_root, "")):
        raise HTTPError(403, reason="Outside the site")
    if os.path.isdir(real):
        if parts and not slash:
            return Redirect()
        real = os.path.join(real, "index.html")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(real, flags)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError:
        raise HTTPError(403, reason="Not served") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return None
        data = f.read()
    return File(data, mimetypes.guess_type(real)[0] or "application/octet-stream")


def inject(page: bytes, build: str, errors: Sequence[str]) -> bytes:
    """``page`` with the livereload client (and the error overlay, when the last
    build failed) added: the client script and overlay stylesheet before
    ``</head>``, the overlay before ``</body>``; prepended or appended where
    those tags are missing. Every error line is HTML-escaped."""
    head = f'<script src="{PREFIX}client.js?build={quote(build)}"></script>'
    if errors:
        head += f'<link rel="stylesheet" href="{PREFIX}overlay.css">'
    at = page.lower().find(b"</head>")
    page = page[:at] + head.encode() + page[at:] if at >= 0 else head.encode() + page
    if errors:
        box = overlay(errors).encode()
        at = page.lower().rfind(b"</body>")
        page = page[:at] + box + page[at:] if at >= 0 else page + box
    return page


def overlay(errors: Sequence[str]) -> str:
    """The error overlay's markup; every line escaped."""
    lines = "\n".join(html.escape(e) for e in errors)
    return ('<div id="briefing-errors" role="alert"><p class="head">The last save did not build.'
            " Below this, the last good version of the page.</p>"
            f"<pre>{lines}</pre>"
            '<p class="foot">Fix the file and save: this page reloads by itself.</p></div>')
