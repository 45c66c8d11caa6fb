"""Publishing anywhere: absolute URLs only where they must be (canonical, Open
Graph, sitemap, feed), relative links everywhere else, and the same site working
under a sub-path over HTTP and from file://."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.publish_support import Links, browser, cli, parse, seed_briefing, serve

BASE = "https://example.org/gaza/talks/"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = seed_briefing(tmp_path_factory.mktemp("publish") / "brief")
    result = cli("build", "--root", root, "--base-url", BASE, "-q")
    assert result.returncode == 0, result.stderr
    return root / "site"


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_canonical_and_open_graph_urls_are_absolute(site: Path) -> None:
    for page in _pages(site):
        if page.name == "404.html":
            continue
        rel = page.relative_to(site).as_posix().removesuffix("index.html")
        html = page.read_text(encoding="utf-8")
        assert f'<link rel="canonical" href="{BASE}{rel}">' in html, rel
        assert f'<meta property="og:url" content="{BASE}{rel}">' in html, rel


def test_sitemap_and_feed_urls_are_absolute(site: Path) -> None:
    locs = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert locs and all(loc.startswith(BASE) for loc in locs)
    assert f"{BASE}whatsnew/" in locs and f"{BASE}actors/trump/" in locs
    feed = (site / "feed.xml").read_text(encoding="utf-8")
    assert f'<link rel="self" href="{BASE}feed.xml"/>' in feed
    for value in re.findall(r"<id>([^<]+)</id>", feed) + re.findall(r'<link rel="alternate" href="([^"]+)"', feed):
        assert value.startswith(BASE), value


def test_every_internal_link_stays_relative(site: Path) -> None:
    for page in _pages(site):
        for tag, href, attrs in parse(page).links:
            if tag == "link" and attrs.get("rel") == "canonical":
                continue
            assert not href.startswith("/"), f"{page}: {href}"
            assert not href.startswith(BASE), f"{page}: {href}"
            if "://" in href:  # only the articles' own addresses leave the site
                assert tag == "a" and "noopener" in attrs.get("rel", ""), f"{page}: {href}"


def test_base_url_from_briefing_yaml_and_the_option_overrides_it(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    yaml = root / "content" / "briefing.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8") + "base_url: https://from-yaml.example/b\n", encoding="utf-8")
    assert cli("build", "--root", root, "-q").returncode == 0
    assert '<link rel="canonical" href="https://from-yaml.example/b/">' in (root / "site/index.html").read_text()
    assert cli("build", "--root", root, "-q", "--base-url", "https://cli.example/").returncode == 0
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://cli.example/">' in home and "from-yaml" not in home


def test_without_base_url_nothing_is_absolute(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    assert cli("build", "--root", root, "-q").returncode == 0
    home = (root / "site/index.html").read_text(encoding="utf-8")
    assert 'rel="canonical"' not in home and "og:url" not in home
    assert "<loc>actors/trump/</loc>" in (root / "site/sitemap.xml").read_text(encoding="utf-8")


def test_a_base_url_that_is_not_http_is_an_error(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    result = cli("build", "--root", root, "--base-url", "ftp://example.org/")
    assert result.returncode == 1 and "--base-url" in result.stderr


def _crawl(start: str) -> tuple[set[str], list[str]]:
    """Every page reachable by internal links from ``start`` (the front page) and from
    the "What's new" page (linked from the front page only when something changed),
    and the broken links (a missing file or #fragment)."""
    seen: set[str] = set()
    broken: list[str] = []
    todo = [start, urllib.parse.urljoin(start, "whatsnew/index.html")]
    ids: dict[str, set[str]] = {}
    wanted: list[tuple[str, str, str]] = []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        html = _read(url)
        if html is None:
            broken.append(url)
            continue
        links = Links()
        links.feed(html)
        ids[url] = links.ids
        for _, href, _ in links.links:
            if "://" in href and not href.startswith(start.rsplit("/", 1)[0]):
                continue
            target, _, frag = urllib.parse.urljoin(url, href).partition("#")
            if target.endswith(".html"):
                todo.append(target)
                if frag:
                    wanted.append((url, target, frag))
            elif _read(target, binary=True) is None:
                broken.append(f"{url} -> {target}")
    broken += [f"{src} -> {t}#{f}" for src, t, f in wanted if t in ids and f not in ids[t]]
    return seen, broken


def _read(url: str, binary: bool = False) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            data = response.read()
    except (OSError, ValueError):
        return None
    return "" if binary else data.decode("utf-8")


def test_site_under_a_sub_path_over_http_every_link_resolves(site: Path) -> None:
    with serve(site, "deep/sub/path") as base:
        pages, broken = _crawl(base + "index.html")
        assert broken == []
        assert len(pages) == len([p for p in _pages(site) if "404" not in p.name])
        with browser() as b:
            page = b.new_page()
            outside: list[str] = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
            for path in ("index.html", "actors/trump/index.html", "whatsnew/index.html"):
                response = page.goto(base + path)
                assert response is not None and response.status == 200
                assert page.evaluate("document.styleSheets.length") >= 1
                assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"  # style.css applied
            page.goto(base + "index.html")
            page.locator("a.cite").first.click()
            assert page.url.startswith(base + "sources/") and "#p" in page.url
            assert outside == []


def test_site_from_file_url_every_link_resolves(site: Path) -> None:
    start = (site / "index.html").resolve().as_uri()
    pages, broken = _crawl(start)
    assert broken == []
    assert len(pages) == len([p for p in _pages(site) if "404" not in p.name])
    with browser() as b:
        page = b.new_page()
        page.goto(start)
        assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"
        page.locator("nav a", has_text="Actors").first.click()
        assert page.url.endswith("/actors/index.html")
