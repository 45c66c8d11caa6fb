"""The built briefing in a real browser (Debian Chromium driven by Playwright):
accessibility (axe-core, WCAG 2.1 A/AA), no outside requests, no console errors,
nothing wider than a phone, navigation from file://, search, and the evidence
features that must work without JavaScript.

Every check runs over every page of the repo's briefing, served under a
sub-path. Skipped, loudly, only when Chromium or node_modules is missing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.site_support import AXE, CHROMIUM, CHROMIUM_ARGS, BuiltSite, browser_missing, built_site

_missing = browser_missing()
pytestmark = pytest.mark.skipif(_missing is not None, reason=_missing or "")

PHONE = {"width": 375, "height": 812}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def site() -> BuiltSite:
    try:
        return built_site()
    except LookupError as exc:
        pytest.skip(f"BROWSER TESTS SKIPPED: {exc}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _html_pages(site: BuiltSite) -> list[str]:
    return list(site.pages)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_reports_no_wcag21_aa_violations_on_any_page(site: BuiltSite, browser: Any,
                                                          scheme: str) -> None:
    # bypass_csp lets the test inject axe; the pages themselves stay untouched.
    context = browser.new_context(color_scheme=scheme, bypass_csp=True)
    page = context.new_page()
    problems = []
    for path in _html_pages(site):
        page.goto(site.url(path))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                               AXE_TAGS)
        for v in result["violations"]:
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{path}: {v['id']} ({len(v['nodes'])}x): {v['help']} {targets}")
    context.close()
    assert problems == [], "\n".join(problems)


def test_no_request_leaves_the_site(site: BuiltSite, browser: Any) -> None:
    context = browser.new_context()
    outside: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(site.base) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    for path in [*_html_pages(site), "search/index.html?q=Hamas"]:
        page.goto(site.url(path), wait_until="networkidle" if path.startswith("search/") else "load")
    context.close()
    assert outside == []


def test_no_console_error_on_any_page(site: BuiltSite, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    for path in [*_html_pages(site), "search/index.html?q=ceasefire"]:
        page.goto(site.url(path), wait_until="networkidle" if path.startswith("search/") else "load")
    context.close()
    assert errors == []


def test_no_page_is_wider_than_a_phone(site: BuiltSite, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    wide = []
    for path in _html_pages(site):
        page.goto(site.url(path))
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        if width > PHONE["width"]:
            wide.append(f"{path}: {width}px")
    context.close()
    assert wide == []


def test_every_internal_link_resolves_to_a_file(site: BuiltSite, browser: Any) -> None:
    page = browser.new_page()
    broken = []
    for path in _html_pages(site):
        page.goto(site.url(path))
        hrefs = page.eval_on_selector_all("a[href]",
                                         "els => els.map(e => new URL(e.getAttribute('href'), document.baseURI).href)")
        for href in hrefs:
            if not href.startswith(site.base):
                continue
            target, _, _fragment = href[len(site.base):].partition("#")
            target = target.split("?")[0]
            if not (site.folder / target).is_file():
                broken.append(f"{path} -> {href}")
    page.close()
    assert broken == []


def test_site_is_navigable_from_file_url(site: BuiltSite, browser: Any) -> None:
    page = browser.new_page()
    page.goto((site.folder / "index.html").as_uri())
    assert page.locator("h1").count() == 1
    page.locator(".masthead nav a", has_text="Actors").click()
    assert page.url.endswith("/actors/index.html")
    page.locator("main .index a").first.click()
    assert re.search(r"/actors/[a-z0-9-]+/index\.html$", page.url)
    page.locator(".masthead nav a", has_text="Sources").click()
    page.locator("main .index a").first.click()
    assert re.search(r"/sources/[a-z0-9-]+/index\.html$", page.url)
    page.locator(".crumbs a", has_text="Briefing").click()
    assert page.url.endswith("/index.html")
    page.locator("a.cite").first.click()
    assert re.search(r"/sources/[a-z0-9-]+/index\.html#p\d+$", page.url)
    page.locator(".masthead nav a", has_text="Search").click()
    status = page.locator("#search-status").inner_text()
    assert "cannot run" in status and "file://" in status
    assert page.locator("#q").is_disabled()
    page.close()


def _known_phrase(site: BuiltSite) -> tuple[str, str, int]:
    """A phrase from the middle of an article paragraph: (phrase, source id, n)."""
    data = json.loads((site.folder / "data" / "briefing.json").read_text(encoding="utf-8"))
    source = data["sources"][0]
    block = max((b for b in source["blocks"] if b["n"]), key=lambda b: len(b["text"]))
    words = re.findall(r"[A-Za-z]{5,}", block["text"])
    return " ".join(words[len(words) // 2: len(words) // 2 + 3]), source["id"], block["n"]


def test_search_finds_a_known_phrase_and_opens_its_paragraph(site: BuiltSite, browser: Any) -> None:
    phrase, sid, n = _known_phrase(site)
    page = browser.new_page()
    page.goto(site.url("search/index.html"))
    page.fill("#q", phrase)
    page.press("#q", "Enter")
    hit = page.locator(f'#search-results a.hit-link[href*="sources/{sid}/index.html#p{n}"]')
    hit.first.wait_for(timeout=10_000)
    hit.first.click()
    page.wait_for_url(re.compile(rf"#p{n}$"))
    target = page.locator(":target")
    assert target.get_attribute("id") == f"p{n}"
    assert all(w.lower() in target.inner_text().lower() for w in phrase.split())
    page.close()


def test_citation_quote_shows_on_keyboard_focus_without_javascript(site: BuiltSite, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site.url("index.html"))
    cite = page.locator("a.cite").first
    quote = cite.locator(".cite-quote")
    assert quote.bounding_box()["width"] <= 1
    page.keyboard.press("Tab")
    cite.focus()
    box = quote.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 20
    assert quote.inner_text().strip()
    context.close()


def test_cited_paragraph_is_highlighted_when_reached(site: BuiltSite, browser: Any) -> None:
    page = browser.new_page()
    page.goto(site.url("index.html"))
    href = page.locator("a.cite").first.get_attribute("href")
    page.goto(site.url("index.html"))
    page.locator("a.cite").first.click()
    fragment = href.split("#", 1)[1]
    # The click loads the source's page: its body exists only once that is done.
    page.wait_for_url(re.compile(f"#{re.escape(fragment)}$"))
    page.wait_for_load_state("load")
    target = page.locator(f"#{fragment}")
    body_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert target.evaluate("e => getComputedStyle(e).backgroundColor") != body_bg
    assert target.evaluate("e => e.matches(':target')")
    page.close()


def test_source_paragraphs_list_the_claims_that_cite_them(site: BuiltSite, browser: Any) -> None:
    page = browser.new_page()
    cited = 0
    for path in [p for p in _html_pages(site) if re.match(r"sources/[^/]+/index\.html$", p)]:
        page.goto(site.url(path))
        cited += page.locator(".block.cited .cited-by a").count()
    page.close()
    assert cited > 0


def test_print_hides_navigation_and_prints_citations_as_source_and_paragraph(
        site: BuiltSite, browser: Any) -> None:
    page = browser.new_page()
    page.emulate_media(media="print")
    page.goto(site.url("index.html"))
    assert not page.locator(".masthead nav").is_visible()
    long = page.locator("a.cite .cite-long").first
    assert long.is_visible()
    assert re.search(r"¶\d+|article", long.inner_text())
    page.close()


def test_a_right_to_left_briefing_is_mirrored_and_no_page_scrolls_sideways(
        browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil

    from tests.helpers import REPO, build_site

    root = tmp_path_factory.mktemp("rtl")
    for part in ("content", "seeds"):
        shutil.copytree(REPO / part, root / part)
    briefing = root / "content" / "briefing.yaml"
    briefing.write_text(briefing.read_text(encoding="utf-8") + "language: ar\n", encoding="utf-8")
    folder = build_site(root)
    pages = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html")
                   if not p.relative_to(folder).as_posix().startswith("pagefind/"))
    wide = []
    for viewport in ({"width": 1280, "height": 800}, PHONE):
        page = browser.new_page(viewport=viewport)
        for path in pages:
            page.goto((folder / path).as_uri())
            assert page.evaluate("document.dir") == "rtl", path
            width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
            if width > viewport["width"]:
                wide.append(f"{path} at {viewport['width']}px: {width}px")
        page.close()
    assert wide == []
    page = browser.new_page()
    source = next(p for p in pages if re.match(r"sources/[^/]+/index\.html$", p))
    page.goto((folder / source).as_uri())
    cited = page.locator(".block.cited").first
    assert cited.evaluate("e => getComputedStyle(e).boxShadow").endswith("-3px 0px 0px 0px inset")
    assert cited.evaluate("e => getComputedStyle(e).paddingRight") == "12px"
    page.close()
