"""briefing serve, end to end: the real server on a free loopback port, real
edits on disk, and a real headless Chromium watching the page reload."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection
from pathlib import Path

import pytest
from livereload.handlers import LiveReloadHandler
from playwright.sync_api import expect

from generator.build import BuildOptions, PreviewBuilder
from generator.cli import main
from generator.errors import Diagnostic
from generator.serve import DevServer
from generator.serve_files import inject
from tests.serve_support import (
    get,
    real_builder,
    set_summary,
    start_server,
    wait_for,
    write_briefing,
)

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 10_000


def _open(page, server: DevServer) -> None:  # type: ignore[no-untyped-def]
    page.goto(server.url)
    # Connected once the page's livereload client is registered as a waiter.
    wait_for(lambda: len(LiveReloadHandler.waiters) > 0)
    page.evaluate("window.__notReloaded = true")


def _wait_text(page, text: str) -> None:  # type: ignore[no-untyped-def]
    # Not page.wait_for_function: the site's CSP forbids the eval it uses.
    expect(page.locator("body")).to_contain_text(text, timeout=TIMEOUT_MS)


def _summary(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("document.body.innerText"))


def test_edit_reloads_open_tab_with_new_text(served, page, briefing: Path) -> None:
    server, _ = served
    _open(page, server)
    assert "Summary number one." in _summary(page)
    set_summary(briefing, "Summary number two.")
    _wait_text(page, "Summary number two.")
    assert page.evaluate("window.__notReloaded === undefined"), "the page must reload, not patch"


def test_two_saves_one_second_apart_end_on_the_second(served, page, briefing: Path) -> None:
    server, _ = served
    _open(page, server)
    set_summary(briefing, "First save.")
    time.sleep(1.0)
    set_summary(briefing, "Second save.")
    _wait_text(page, "Second save.")
    time.sleep(0.5)  # nothing later may take it back to the first save
    assert "Second save." in _summary(page)
    assert "First save." not in _summary(page)


def test_rapid_saves_end_on_the_last(served, page, briefing: Path) -> None:
    server, _ = served
    _open(page, server)
    for i in range(8):  # faster than a build: saves land during builds and reloads
        set_summary(briefing, f"Rapid save {i}.")
        time.sleep(0.07 * (i % 3))
    _wait_text(page, "Rapid save 7.")
    time.sleep(1.0)
    assert "Rapid save 7." in _summary(page)


def test_broken_yaml_shows_error_in_tab_keeps_serving_and_fix_recovers(
        served, page, briefing: Path) -> None:
    server, log = served
    _open(page, server)
    before = server.snapshot.generation
    (briefing / "content/briefing.yaml").write_text(
        "title: Test briefing\nas_of: 2025-10-09\nsummary: [unclosed\n", encoding="utf-8")
    overlay = page.locator("#briefing-errors")
    overlay.wait_for(timeout=TIMEOUT_MS)
    text = overlay.inner_text()
    assert "content/briefing.yaml:" in text and ": error: " in text
    located = re.compile(r"content/briefing\.yaml:\d+:\d+: error: ")
    line = next(s for s in text.splitlines() if located.match(s))
    # The terminal printed the same line.
    assert line in log.getvalue()
    # The server keeps answering, with the last good site under the overlay.
    assert server.snapshot.generation > before and server.snapshot.has_site
    status, body = get(server, "/actors/alice/")
    assert status == 200 and b"Alice Example" in body and b"briefing-errors" in body
    # Fixing the file reloads the tab into the fixed site.
    set_summary(briefing, "Fixed at last.")
    _wait_text(page, "Fixed at last.")
    assert page.locator("#briefing-errors").count() == 0


def test_error_messages_are_html_escaped_in_the_tab(served, page, briefing: Path) -> None:
    server, _ = served
    _open(page, server)
    (briefing / "content/actors/alice.yaml").write_text(
        "name: Alice Example\n'<img src=x onerror=alert(1)>': 1\n", encoding="utf-8")
    overlay = page.locator("#briefing-errors")
    overlay.wait_for(timeout=TIMEOUT_MS)
    assert "<img src=x onerror=alert(1)>" in overlay.inner_text()
    assert page.locator("#briefing-errors img").count() == 0


def test_inject_escapes_and_places_script_and_overlay() -> None:
    html = b"<html><head><title>t</title></head><body><p>x</p></body></html>"
    out = inject(html, "tok-1", ["a.yaml:1:2: error: <b>bad</b> & worse"])
    script = b'<script src="/__briefing__/client.js?build=tok-1">'
    assert out.index(script) < out.index(b"</head>")
    assert b"overlay.css" in out and b"style=" not in out  # the pages forbid inline style
    assert b"&lt;b&gt;bad&lt;/b&gt; &amp; worse" in out
    assert out.index(b"briefing-errors") < out.index(b"</body>")
    assert inject(html, "tok", []).count(b"briefing-errors") == 0


def test_builder_crash_is_shown_and_the_next_save_is_built(briefing: Path, page) -> None:
    class Flaky(PreviewBuilder):
        def __call__(self, out: Path, changed: Collection[str] | None = None) -> list[Diagnostic]:
            if "CRASH" in (briefing / "content/briefing.yaml").read_text(encoding="utf-8"):
                raise RuntimeError("boom <in> the builder")
            return super().__call__(out, changed)

    server, log = start_server(briefing, Flaky(BuildOptions(root=briefing)))
    try:
        _open(page, server)
        set_summary(briefing, "CRASH now.")
        page.locator("#briefing-errors").wait_for(timeout=TIMEOUT_MS)
        shown = page.locator("#briefing-errors").inner_text()
        assert "RuntimeError: boom <in> the builder" in shown
        assert "RuntimeError" in log.getvalue()
        # livereload's poller would not retry this change; ours builds the next save.
        set_summary(briefing, "Recovered.")
        _wait_text(page, "Recovered.")
    finally:
        server.stop()


def test_first_build_failing_serves_error_page_until_fixed(briefing: Path, page) -> None:
    (briefing / "content/briefing.yaml").write_text("title: [\n", encoding="utf-8")
    server, _ = start_server(briefing)
    try:
        status, body = get(server, "/")
        assert status == 500 and b"briefing-errors" in body and b"content/briefing.yaml:" in body
        page.goto(server.url)
        wait_for(lambda: len(LiveReloadHandler.waiters) > 0)
        set_summary(briefing, "Now it builds.")
        _wait_text(page, "Now it builds.")
    finally:
        server.stop()


def test_reloads_are_not_throttled_and_output_is_private(served, briefing: Path) -> None:
    server, _ = served
    # livereload drops a reload within 3 s of the previous one unless this is 0.
    assert LiveReloadHandler.DEFAULT_RELOAD_TIME == 0
    # The site is built outside the briefing, so building never triggers a build.
    assert not server.site.resolve().is_relative_to(briefing.resolve())
    assert not (briefing / "site").exists()
    time.sleep(1.0)
    assert server.snapshot.generation == 1


def test_template_and_seed_edits_rebuild(served, briefing: Path) -> None:
    server, _ = served
    (briefing / "seeds/wire-1.txt").write_text(
        "Talks resume\nAlice Example said the talks went on all night.\n", encoding="utf-8")
    wait_for(lambda: b"all night" in get(server, "/sources/wire-1/")[1])


def test_a_watched_folder_made_while_serving_is_watched(briefing: Path) -> None:
    """templates/ does not exist when the server starts; creating it, then a file in
    it, rebuilds (the watcher starts watching the folder when it appears)."""
    assert not (briefing / "templates").exists()
    server = DevServer(real_builder(briefing), [briefing / "content", briefing / "seeds", briefing / "templates"],
                       port=0, base=briefing, log=io.StringIO())
    server.start()
    try:
        assets = briefing / "templates" / "assets"
        assets.mkdir(parents=True)
        (assets / "hello.txt").write_text("made while serving\n", encoding="utf-8")
        wait_for(lambda: get(server, "/assets/hello.txt")[1] == b"made while serving\n")
        (assets / "hello.txt").write_text("and edited\n", encoding="utf-8")
        wait_for(lambda: get(server, "/assets/hello.txt")[1] == b"and edited\n")
    finally:
        server.stop()


def test_second_server_in_the_same_process_works(briefing: Path, page) -> None:
    port = 0
    for attempt in range(2):  # the second one on the port the first one freed
        server, _ = start_server(briefing, port=port)
        port = server.port
        try:
            _open(page, server)
            set_summary(briefing, f"Server {attempt}.")
            _wait_text(page, f"Server {attempt}.")
            # Leave, or livereload.js would reconnect to the next server on this
            # port and (rightly) reload this page from the earlier one mid-test.
            page.goto("about:blank")
        finally:
            server.stop()
        _assert_port_free(port)


def _assert_port_free(port: int) -> None:
    # SO_REUSEADDR as every server sets it: closed connections in TIME_WAIT do not
    # hold the port, a listening socket still would.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()


def test_port_in_use_exits_2_with_a_clear_message(  # type: ignore[no-untyped-def]
        briefing: Path, capsys) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--root", str(briefing), "--port", str(port)]) == 2
    assert f"port {port}" in capsys.readouterr().err


def test_serve_outside_a_briefing_folder_exits_1_as_build_does(tmp_path: Path) -> None:
    """The folder's fault, not the command line's (exit 2): the status and the
    words of ``briefing build`` (see test_errors_battery), and no server started."""
    assert main(["serve", "--root", str(tmp_path), "--port", "0"]) == 1


def test_non_loopback_host_warns_that_drafts_become_visible(briefing: Path) -> None:
    log = io.StringIO()
    server = DevServer(real_builder(briefing), [briefing / "content"], host="0.0.0.0", port=0,
                       log=log)
    server.start()
    try:
        assert "visible to anyone" in log.getvalue()
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_process(root: Path, port: int, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--root", str(root), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env}, cwd=env.get("CWD", str(REPO)))


def test_ctrl_c_stops_cleanly_and_frees_the_port(briefing: Path) -> None:
    port = _free_port()
    proc = _serve_process(briefing, port)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Serving" in line:
                break
        assert get_status(port) == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    finally:
        proc.kill()
    assert proc.returncode == 0, out
    assert "Stopped." in out and "Traceback" not in out
    _assert_port_free(port)


def get_status(port: int) -> int:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.skipif(os.environ.get("BRIEFING_SKIP_WHEEL") == "1", reason="asked to skip")
def test_serves_from_a_non_editable_install(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(REPO)], check=True, capture_output=True)
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), *map(str, wheels.glob("*.whl"))], check=True, capture_output=True)
    root = write_briefing(tmp_path / "b")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-I", "-c",
         f"import sys; sys.path.insert(0, {str(target)!r}); from generator.cli import main;"
         f" sys.exit(main(['serve', '--root', {str(root)!r}, '--port', '{port}']))"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(tmp_path))
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Serving" in line or "Traceback" in line:
                break
        conn_status = get_status(port)
        assert conn_status == 200
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/livereload.js")
        assert conn.getresponse().status == 200
        conn.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    finally:
        proc.kill()
