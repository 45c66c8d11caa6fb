"""The dev server's safety model, attacked over real loopback sockets: raw bytes,
so no client normalises the path first. Every refusal leaves the server serving."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from tests.serve_support import get, raw_request, set_summary

T = TypeVar("T")
SECRET = b"top secret outside the site"


def _status(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def _raw_get(port: int, target: str, host: str | None = None) -> bytes:
    host = host if host is not None else f"127.0.0.1:{port}"
    return raw_request(port, f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                       .encode())


@pytest.mark.parametrize("target", [
    "/../secret.txt", "/../../../../etc/passwd", "/%2e%2e/secret.txt", "/%2E%2E/%2e%2e/etc/passwd",
    "/..%2fsecret.txt", "/..%5csecret.txt", "/..\\secret.txt", "/index.html%00.txt",
    "/%00", "/./index.html", "/actors/%2e%2e/%2e%2e/secret.txt", "/%c0%ae%c0%ae/secret.txt",
    "secret.txt", "http://evil.example/../secret.txt",
])
def test_traversal_is_refused_and_the_server_keeps_serving(served, target: str) -> None:
    server, _ = served
    (server.site.parent / "secret.txt").write_bytes(SECRET)
    reply = _raw_get(server.port, target)
    assert 400 <= _status(reply) < 500, reply[:200]
    assert SECRET not in reply and b"root:" not in reply
    assert get(server, "/")[0] == 200


def test_symlink_leaving_the_site_is_refused(served) -> None:
    server, _ = served
    outside = server.site.parent / "secret.txt"
    outside.write_bytes(SECRET)
    os.symlink(outside, server.site / "link.txt")
    os.symlink(server.site.parent, server.site / "up")
    for target in ("/link.txt", "/up/secret.txt"):
        reply = _raw_get(server.port, target)
        assert _status(reply) == 403 and SECRET not in reply


def test_the_build_marker_is_not_served(served) -> None:
    server, _ = served
    assert get(server, "/.briefing-site")[0] == 404


@pytest.mark.parametrize("host", [
    "evil.example:{port}", "evil.example", "127.0.0.1.nip.io:{port}", "127.0.0.1:1",
    "localhost.evil.example:{port}", "", "127.0.0.1:{port}@evil.example",
])
def test_foreign_host_header_is_refused(served, host: str) -> None:
    server, _ = served
    status, body = get(server, "/", host=host.format(port=server.port))
    assert status in (400, 403) and b"Test briefing" not in body
    assert get(server, "/")[0] == 200


def test_missing_host_header_is_refused(served) -> None:
    server, _ = served
    reply = raw_request(server.port, b"GET / HTTP/1.0\r\n\r\n")
    assert _status(reply) == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_loopback_names_are_allowed(served, host: str) -> None:
    server, _ = served
    assert get(server, "/", host=host.format(port=server.port))[0] == 200


def _run(coro_fn: Callable[[], Awaitable[T]]) -> T:
    """asyncio.run in a thread of its own: Playwright's sync API may hold this one's loop."""
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(asyncio.run(coro_fn()))  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    if errors:
        raise errors[0]
    return box[0]


def _ws(port: int, origin: str | None, host: str | None = None) -> str:
    async def go() -> str:
        headers = {"Host": host or f"127.0.0.1:{port}"}
        if origin is not None:
            headers["Origin"] = origin
        request = HTTPRequest(f"ws://127.0.0.1:{port}/livereload", headers=headers,
                              request_timeout=10)
        try:
            conn = await websocket_connect(request)
        except HTTPClientError as exc:
            return f"refused {exc.code}"
        conn.write_message(json.dumps({"command": "hello",
                                       "protocols": ["http://livereload.com/protocols/official-7"]}))
        reply = await conn.read_message()
        conn.close()
        return f"accepted {json.loads(reply or '{}').get('command')}"

    return _run(go)


def test_cross_origin_websocket_is_refused(served) -> None:
    server, _ = served
    port = server.port
    assert _ws(port, "http://evil.example") == "refused 403"
    assert _ws(port, f"http://evil.example:{port}") == "refused 403"
    assert _ws(port, "null") == "refused 403"
    assert _ws(port, f"http://127.0.0.1:{port}", host=f"evil.example:{port}") == "refused 403"
    assert _ws(port, f"http://127.0.0.1:{port}") == "accepted hello"


def test_garbage_websocket_messages_do_not_hurt(served) -> None:
    server, _ = served

    async def go() -> None:
        request = HTTPRequest(f"ws://127.0.0.1:{server.port}/livereload",
                              headers={"Origin": f"http://127.0.0.1:{server.port}"})
        conn = await websocket_connect(request)
        conn.write_message("not json {")
        assert await conn.read_message() is None  # closed by the server

    _run(go)
    assert get(server, "/")[0] == 200


def test_oversized_requests_are_refused(served) -> None:
    server, _ = served
    port = server.port
    huge_header = (f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Big: {'a' * 100_000}\r\n"
                   "Connection: close\r\n\r\n").encode()
    assert _status(raw_request(port, huge_header)) in (0, 400, 431)
    huge_path = f"GET /{'a' * 100_000} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    assert _status(raw_request(port, huge_path)) in (0, 400, 414, 431)
    body = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 10000000\r\n"
            "Connection: close\r\n\r\n").encode() + b"x" * 65536
    assert _status(raw_request(port, body)) in (0, 400, 405, 413)
    assert get(server, "/")[0] == 200


def test_only_get_and_head(served) -> None:
    server, _ = served
    port = server.port
    for method in ("POST", "PUT", "DELETE"):
        reply = raw_request(port, f"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        assert _status(reply) == 405
    head = raw_request(port, f"HEAD / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close"
                       "\r\n\r\n".encode())
    assert _status(head) == 200 and head.endswith(b"\r\n\r\n")


def test_concurrent_requests_during_rebuilds_get_whole_pages(served, briefing: Path) -> None:
    """A bounded burst (loopback only: 6 threads x 40 requests, 30 s at most)
    while five edits rebuild the site: no error response, no partial page."""
    server, _ = served
    paths = ["/", "/actors/alice/", "/topics/talks/", "/sources/wire-1/", "/actors/",
             "/assets/style.css", "/data/briefing.json"]
    problems: list[str] = []
    deadline = time.monotonic() + 30

    def hammer(seed: int) -> None:
        for i in range(40):
            if time.monotonic() > deadline:
                problems.append("burst ran out of time")
                return
            path = paths[(seed + i) % len(paths)]
            status, body = get(server, path)
            if status != 200:
                problems.append(f"{path}: {status}")
            elif path.endswith("/") and not body.rstrip().endswith(b"</html>"):
                problems.append(f"{path}: partial page")
            elif path.endswith(".json"):
                json.loads(body)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for n in range(5):
        set_summary(briefing, f"Edit number {n} " + "words " * (50 * n))
        time.sleep(0.15)
    for t in threads:
        t.join(timeout=40)
    assert not problems, problems[:10]
    assert server.snapshot.generation > 1 and not server.snapshot.errors
