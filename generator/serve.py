"""``briefing serve``: the live preview, on livereload and tornado.

The server knows nothing about rendering. It is handed a ``builder`` (build the
complete site into this directory, return the warnings, raise on failure) and the
folders to watch, and it only:

* builds once, then serves the site at ``http://HOST:PORT/`` from a private
  temporary directory outside the briefing (so the watcher never sees its own
  output; the build's atomic directory swap means only complete sites are read);
* waits for edits to settle (:class:`~generator.watch.ChangeWatcher`), rebuilds,
  and tells every open tab to reload through livereload's WebSocket protocol;
* when a build fails, keeps serving the last good site with the errors laid over
  every page (and prints them), until a save builds again.

A page carries the build it was served from. When its livereload client
(re)connects it sends that build back; a stale page is reloaded at once, so a
reload message lost while the tab was navigating cannot leave it behind.

Safety: see ``docs/serve.md``. Only loopback by default; the Host header must
name the served host (DNS rebinding), the WebSocket origin must be the page's;
paths are checked before any file is opened; requests are size-limited.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from livereload.handlers import (  # type: ignore[import-untyped]
    LiveReloadHandler,
    LiveReloadJSHandler,
)
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler

from generator.errors import BriefingError, ContentError, Diagnostic, UsageError
from generator.frozen import record
from generator.serve_files import (
    ASSETS,
    EMPTY_PAGE,
    PREFIX,
    File,
    Redirect,
    inject,
    read_site_file,
    site_path,
)
from generator.watch import ChangeWatcher, describe

Builder = Callable[[Path, Sequence[str] | None], Sequence[Diagnostic]]
"""Build the complete site into the given directory; return the warnings. The
second argument: the files the watcher saw change since the last call (None
for the first build), which a builder may use to look at only those.
Raise :class:`ContentError` (or another :class:`BriefingError`) on failure."""

MAX_HEADER_BYTES = 32 * 1024
MAX_BODY_BYTES = 16 * 1024  # only GET and HEAD are served; no request needs a body
MAX_WS_MESSAGE_BYTES = 16 * 1024
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_server_lock = threading.Lock()  # livereload's handler keeps its state on the class


@record
class Snapshot:
    """What the server shows: the result of the latest build."""

    generation: int
    """Counts finished builds, failed ones included."""
    has_site: bool
    """A build has succeeded, so a complete site is there to serve."""
    errors: tuple[str, ...] = ()
    """The latest build's errors, as ``path:line:col: error: message`` lines."""


class DevServer:
    """A live-preview server for one site. ``start()`` returns once it serves;
    ``stop()`` (or leaving a ``with`` block) stops it and frees the port.

    ``port=0`` picks a free port; :attr:`url` tells which.
    """

    def __init__(self, builder: Builder, watch: Sequence[Path], *, host: str = "127.0.0.1",
                 port: int = 8000, settle_ms: int = 25, base: Path | None = None,
                 log: TextIO | None = None) -> None:
        self.builder = builder
        self.watch_paths = [Path(p) for p in watch]
        self.host = host
        self.port = port
        self.base = base if base is not None else Path.cwd()
        self.log = log if log is not None else sys.stderr
        self.snapshot = Snapshot(generation=0, has_site=False)
        self._watcher = ChangeWatcher(settle_ms=settle_ms)
        self._token = os.urandom(6).hex()
        self._tmp: Path | None = None
        self._build_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._ioloop: IOLoop | None = None
        self._started = threading.Event()
        self._stopping: asyncio.Event | None = None
        self._http: HTTPServer | None = None
        self._done = threading.Event()

    @property
    def site(self) -> Path:
        """The private directory the site is built into and served from."""
        if self._tmp is None:
            raise RuntimeError("the server is not started")
        return self._tmp / "site"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def token(self, snapshot: Snapshot) -> str:
        """The build id a page served from ``snapshot`` carries."""
        return f"{self._token}-{snapshot.generation}"

    def start(self) -> None:
        """Bind, build once, start watching and serving.

        Raises :class:`UsageError` when the port cannot be bound (in use, or the
        host is not an address of this machine) or another server runs in this
        process.
        """
        if not _server_lock.acquire(blocking=False):
            raise UsageError("another briefing server is already running in this process")
        try:
            sockets = self._bind()
        except BaseException:
            _server_lock.release()
            raise
        self.port = sockets[0].getsockname()[1]
        self._tmp = Path(tempfile.mkdtemp(prefix="briefing-serve-"))
        self._check_output_outside_watched()
        for path in self.watch_paths:
            self._watcher.watch(path, self._rebuild)
        self._thread = threading.Thread(target=self._run_loop, args=(sockets,),
                                        name="briefing-serve", daemon=True)
        self._thread.start()
        self._started.wait()
        if not self._watcher.wait_ready(timeout=10):
            print("warning: the file watcher did not start; saves will not rebuild", file=self.log)
        self.rebuild(None)
        assert self._ioloop is not None
        accepting = threading.Event()
        self._ioloop.add_callback(self._accept, sockets, accepting)
        accepting.wait()

    def wait(self) -> None:
        """Block until :meth:`stop` is called (Ctrl-C interrupts the wait)."""
        while not self._done.wait(0.5):
            pass

    def stop(self) -> None:
        """Stop watching and serving, close every connection, free the port and
        remove the private site directory. Safe to call twice."""
        if self._thread is None:
            return
        self._watcher.stop()
        if self._ioloop is not None and self._stopping is not None:
            self._ioloop.add_callback(self._stopping.set)
        self._thread.join()
        self._thread = None
        with self._build_lock:  # a build still running writes into the folder
            if self._tmp is not None:
                shutil.rmtree(self._tmp, ignore_errors=True)
        LiveReloadHandler.waiters = set()
        self._done.set()
        _server_lock.release()

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def rebuild(self, changed: Sequence[str] | None) -> Snapshot:
        """Build now (one build at a time); record and print the outcome.
        ``changed``: the paths the watcher reported (None: the first build)."""
        with self._build_lock:
            started = time.perf_counter()
            warnings: Sequence[Diagnostic] = ()
            errors: list[str] = []
            try:
                warnings = self.builder(self.site, changed)
            except ContentError as exc:
                errors = [str(d) for d in exc.diagnostics if d.severity == "error"]
                warnings = [d for d in exc.diagnostics if d.severity == "warning"]
            except BriefingError as exc:
                errors = [f"error: {exc}"]
            except Exception:  # a bug must show in the tab, not kill the preview
                errors = ["error: the build crashed (a bug in briefing; please report it):",
                          *traceback.format_exc().rstrip().splitlines()]
            previous = self.snapshot
            snapshot = Snapshot(previous.generation + 1, previous.has_site or not errors,
                                tuple(errors))
            self.snapshot = snapshot
        self._report(changed, warnings, snapshot, time.perf_counter() - started)
        return snapshot

    # -- inside ------------------------------------------------------------------

    def _bind(self) -> list[socket.socket]:
        try:
            return bind_sockets(self.port, self.host)
        except OSError as exc:
            if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
                raise UsageError(f"port {self.port} on {self.host} is already in use; stop the"
                                 " other server or pass --port N") from None
            raise UsageError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
                             ) from None

    def _check_output_outside_watched(self) -> None:
        site = self.site.resolve()
        for path in self.watch_paths:
            if site.is_relative_to(path.resolve()):
                raise UsageError(f"the preview directory {site} is inside the watched {path};"
                                 " every build would trigger the next (set TMPDIR elsewhere)")

    def _rebuild(self, changed: Sequence[str]) -> None:
        self.rebuild(changed)

    def _report(self, changed: Sequence[str] | None, warnings: Sequence[Diagnostic], snapshot: Snapshot,
                seconds: float) -> None:
        what = f" ({describe(changed, self.base)})" if changed else ""
        lines = [str(d) for d in warnings]
        if snapshot.errors:
            lines += snapshot.errors
            kept = "serving the last good site" if snapshot.has_site else "no site to serve yet"
            count = sum(1 for e in snapshot.errors if ": error: " in e) or 1
            lines.append(f"Build failed{what}: {count} error{'s' if count != 1 else ''};"
                         f" {kept}. Fix and save to rebuild.")
        else:
            lines.append(f"Built{what} in {seconds:.2f} s.")
        print("\n".join(lines), file=self.log, flush=True)

    def _run_loop(self, sockets: list[socket.socket]) -> None:
        asyncio.run(self._main(sockets))

    async def _main(self, sockets: list[socket.socket]) -> None:
        self._ioloop = IOLoop.current()
        self._stopping = asyncio.Event()
        app = Application(_routes(self), websocket_max_message_size=MAX_WS_MESSAGE_BYTES)
        self._http = HTTPServer(app, max_header_size=MAX_HEADER_BYTES,
                                max_body_size=MAX_BODY_BYTES, idle_connection_timeout=60,
                                body_timeout=10)
        # livereload's handler keeps its state on the class. Reset it for this
        # server: ``start_tasks`` is a no-op once ``_last_reload_time`` is set (a
        # second server in one process would never watch), and a reload within
        # DEFAULT_RELOAD_TIME (3 s) of the previous one is dropped unless it is 0.
        LiveReloadHandler.watcher = self._watcher
        LiveReloadHandler.waiters = set()
        LiveReloadHandler.live_css = False
        LiveReloadHandler.DEFAULT_RELOAD_TIME = 0
        LiveReloadHandler._last_reload_time = None
        LiveReloadHandler.start_tasks()
        self._started.set()
        await self._stopping.wait()
        self._http.stop()
        for waiter in list(LiveReloadHandler.waiters):
            waiter.close()
        # A client that will not let go is cut off when the loop closes.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._http.close_all_connections(), timeout=5)

    def _accept(self, sockets: list[socket.socket], accepting: threading.Event) -> None:
        assert self._http is not None
        self._http.add_sockets(sockets)
        accepting.set()
        if not _is_loopback(self.host):
            print(f"warning: serving on {self.host}: the draft briefing is visible to anyone who"
                  " can reach this machine on the network", file=self.log, flush=True)

    def allowed_host(self, header: str) -> bool:
        """Whether a request's ``Host`` header names this server (DNS rebinding guard)."""
        name, _, port = header.lower().rpartition(":")
        if not name or not port.isdigit() or int(port) != self.port:
            return False
        if name == self._host_name() or (_is_loopback(self.host) and name in _LOOPBACK_NAMES):
            return True
        if self.host in ("", "0.0.0.0", "::"):
            # Every address of this machine answers; a rebinding attack needs a
            # DNS name, so any IP literal (and localhost) is safe to accept.
            return name == "localhost" or _is_ip(name.strip("[]"))
        return False

    def _host_name(self) -> str:
        return f"[{self.host}]".lower() if ":" in self.host else self.host.lower()


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the request side ---------------------------------------------------------------


def _routes(server: DevServer) -> list[Any]:
    args = {"server": server}
    return [
        (r"/livereload", _ReloadSocket, args),
        (r"/livereload\.js", _ReloadScript, args),
        (re.escape(PREFIX) + r"(.*)", _AssetHandler, args),
        (r"/.*", _SiteHandler, args),
    ]


def _refuse_foreign_host(handler: RequestHandler, server: DevServer) -> None:
    host = handler.request.headers.get("Host", "")
    if not server.allowed_host(host):
        raise HTTPError(403, reason="Host not allowed")


class _ReloadSocket(LiveReloadHandler):  # type: ignore[misc]  # livereload is untyped
    """livereload's WebSocket, refusing foreign hosts and origins, and checking
    the build a (re)connecting page was served from."""

    def initialize(self, server: DevServer) -> None:
        self.server = server

    def prepare(self) -> None:
        _refuse_foreign_host(self, self.server)

    def check_origin(self, origin: str) -> bool:
        return bool(origin.lower() == f"http://{self.request.headers.get('Host', '')}".lower())

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            self.close(1003, "not JSON")
            return
        if not isinstance(data, dict):
            self.close(1003, "not a livereload command")
            return
        if data.get("command") == "briefing-build":
            if data.get("build") != self.server.token(self.server.snapshot):
                self.send_message({"command": "reload", "path": "*", "liveCSS": False,
                                   "liveImg": False})
            return
        super().on_message(message)


class _ReloadScript(LiveReloadJSHandler):  # type: ignore[misc]  # livereload is untyped
    """livereload.js, from the livereload package (works from any install)."""

    def initialize(self, server: DevServer) -> None:
        self.server = server

    def prepare(self) -> None:
        _refuse_foreign_host(self, self.server)
        self.set_header("Cache-Control", "no-store")


class _AssetHandler(RequestHandler):
    """The dev server's own files: the page-side client and the overlay style."""

    def initialize(self, server: DevServer) -> None:
        self.server = server

    def prepare(self) -> None:
        _refuse_foreign_host(self, self.server)

    def get(self, name: str) -> None:
        if name not in ASSETS:
            raise HTTPError(404)
        data, kind = ASSETS[name]
        self.set_header("Content-Type", f"{kind}; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(data)


class _SiteHandler(RequestHandler):
    """The built site: GET and HEAD, complete files only, script injected into HTML."""

    def initialize(self, server: DevServer) -> None:
        self.server = server

    def prepare(self) -> None:
        _refuse_foreign_host(self, self.server)
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    def get(self) -> None:
        self._serve(head=False)

    def head(self) -> None:
        self._serve(head=True)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {self._reason}\n")

    def _serve(self, *, head: bool) -> None:
        # The snapshot is read before the file: a page can then only be newer than
        # the build it names (which costs one extra reload), never older.
        snapshot = self.server.snapshot
        parts = site_path(self.request.path)
        if not snapshot.has_site:
            self._send(500, EMPTY_PAGE, "text/html", snapshot, head)
            return
        found = read_site_file(self.server.site, parts, self.request.path.endswith("/"))
        if isinstance(found, Redirect):
            query = f"?{self.request.query}" if self.request.query else ""
            self.redirect(self.request.path + "/" + query)
            return
        status = 200
        if found is None:
            status, found = 404, read_site_file(self.server.site, ["404.html"], False)
            if not isinstance(found, File):
                raise HTTPError(404)
        self._send(status, found.data, found.content_type, snapshot, head)

    def _send(self, status: int, data: bytes, content_type: str, snapshot: Snapshot,
              head: bool) -> None:
        if content_type == "text/html":
            errors = snapshot.errors or (() if snapshot.has_site else ("error: no site yet",))
            data = inject(data, self.server.token(snapshot), errors)
        charset = "; charset=utf-8" if content_type.startswith("text/") or content_type in (
            "application/json", "application/xml", "application/javascript") else ""
        self.set_status(status)
        self.set_header("Content-Type", content_type + charset)
        if head:
            self.set_header("Content-Length", str(len(data)))
            self.finish()
        else:
            self.finish(data)
