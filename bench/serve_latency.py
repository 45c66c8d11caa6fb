"""Save -> browser-reloaded latency of ``briefing serve`` on a real briefing.

Copies the briefing (default: this repository's content/ and seeds/) to a
temporary folder, starts the dev server in-process on a free loopback port,
opens the front page in headless Chromium, then saves ``content/briefing.yaml``
with a new title N times. Each latency runs from just before the write to the
new page's ``loadEventEnd`` (browser and script share the machine's clock).

    python bench/serve_latency.py [BRIEFING_ROOT] [--saves 10]

Measured figures are in docs/serve.md.
"""

from __future__ import annotations

import argparse
import io
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.build import BuildOptions, preview_builder  # noqa: E402
from generator.serve import DevServer  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=REPO)
    parser.add_argument("--saves", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    try:
        for part in ("content", "seeds", "templates"):
            if (args.root / part).is_dir():
                shutil.copytree(args.root / part, work / part)
        run(work, args.saves)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(root: Path, saves: int) -> None:
    builder = preview_builder(BuildOptions(root=root))  # exactly what `briefing serve` runs

    yaml = root / "content/briefing.yaml"
    original = yaml.read_text(encoding="utf-8")
    title = re.search(r"^title:.*$", original, re.M)
    assert title, "briefing.yaml has no title line"
    log = io.StringIO()
    server = DevServer(builder, [root / "content", root / "seeds"], port=0, log=log, base=root)
    server.start()
    latencies: list[float] = []
    navigations: list[float] = []  # from the reload's start to the page's load event
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(server.url)
            time.sleep(1.0)  # let livereload.js connect
            for n in range(saves + 2):  # the first two warm up
                marker = f"bench-save-{n}"
                text = original.replace(title.group(0), f'title: "Latency {marker}"', 1)
                time.sleep(0.6)
                started = time.time() * 1000
                yaml.write_text(text, encoding="utf-8")
                expect(page).to_have_title(re.compile(marker), timeout=10_000)
                origin, loaded = page.evaluate(
                    "[performance.timeOrigin, performance.timeOrigin +"
                    " performance.getEntriesByType('navigation')[0].loadEventEnd]")
                if n >= 2:
                    latencies.append(loaded - started)
                    navigations.append(loaded - origin)
            browser.close()
    finally:
        server.stop()
    builds = [float(s) for s in re.findall(r"Built \(.*?\) in ([0-9.]+) s", log.getvalue())]
    print(f"saves: {len(latencies)}  (briefing: {len(list((root / 'content').rglob('*.yaml')))}"
          f" YAML files, {len(list((root / 'seeds').glob('*')))} seeds)")
    print("save -> reloaded (ms): " + " ".join(f"{x:.0f}" for x in latencies))
    q = statistics.quantiles(latencies, n=10)
    print(f"median {statistics.median(latencies):.0f} ms, min {min(latencies):.0f},"
          f" p90 {q[-1]:.0f}, max {max(latencies):.0f}")
    if builds:
        print(f"of which the build: median {statistics.median(builds) * 1000:.0f} ms")
    print(f"of which the browser's reload (navigation start -> load event): median"
          f" {statistics.median(navigations):.0f} ms")


if __name__ == "__main__":
    main()
