"""Take the README screenshots: front, one actor, one topic, one source page, at
desktop (1280 px) and phone (375 px) widths, with headless Chromium.

    python docs/screenshots.py [--root BRIEFING] [--out docs/screenshots]

Builds the briefing into a temporary folder, serves it under a sub-path on a
loopback port, and writes PNGs. The actor, topic and source shown are the most
mentioned actor, the topic with the most passages and the newest source.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.build import BuildOptions, build  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
MAX_HEIGHT = {"desktop": 1800, "phone": 1400}


def pick_pages(site: Path) -> dict[str, str]:
    """The four pages to show, as site paths."""
    data = json.loads((site / "data" / "briefing.json").read_text(encoding="utf-8"))
    actor = max(data["actors"], key=lambda a: (len(a["mentions"]), a["id"]))
    topic = max(data["topics"], key=lambda t: (len(t["passages"]), t["id"]))
    source = data["sources"][-1]
    return {"front": "index.html", "actor": f"actors/{actor['id']}/index.html",
            "topic": f"topics/{topic['id']}/index.html", "source": f"sources/{source['id']}/index.html"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(site: Path, mount: str) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``site`` at ``http://127.0.0.1:PORT/<mount>/`` (the parent folder is served)."""
    handler = functools.partial(_QuietHandler, directory=str(site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/{mount}/"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=REPO, help="the briefing folder (default: the repo)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "brief"
        build(BuildOptions(root=args.root, out=site))
        pages = pick_pages(site)
        server, base = serve(site, "brief")
        args.out.mkdir(parents=True, exist_ok=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for size, viewport in SIZES.items():
                    context = browser.new_context(viewport=viewport, device_scale_factor=1 if size == "desktop" else 2,
                                                  color_scheme="light")
                    page = context.new_page()
                    for name, path in pages.items():
                        page.goto(base + path, wait_until="networkidle")
                        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT[size])
                        target = args.out / f"{name}-{size}.png"
                        page.screenshot(path=str(target), clip={"x": 0, "y": 0, "width": viewport["width"],
                                                                "height": height}, full_page=True)
                        print(target.relative_to(REPO) if target.is_relative_to(REPO) else target)
                    context.close()
                browser.close()
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
