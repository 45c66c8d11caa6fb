"""The one-file export: self-contained, every in-file link resolves, no request
leaves it, accessible, small, deterministic."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.publish_support import axe_or_skip, browser, cli, parse, seed_briefing

MAX_BYTES = 400_000  # "under a few hundred KB" for the seed briefing


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(the one file, the briefing folder) for the repository's briefing."""
    root = seed_briefing(tmp_path_factory.mktemp("single") / "brief")
    target = root.parent / "briefing.html"
    result = cli("build", "--root", root, "--single-file", target, "-q")
    assert result.returncode == 0, result.stderr
    yield target, root


def test_single_file_is_small_and_holds_no_script_and_no_outside_reference(exported: tuple[Path, Path]) -> None:
    target, _ = exported
    data = target.read_bytes()
    assert len(data) < MAX_BYTES, f"{len(data)} bytes"
    text = data.decode("utf-8")
    assert "<script" not in text.lower()
    assert "<link rel=\"stylesheet\"" not in text
    assert not re.search(r"\bsrc=", text)
    assert not re.search(r"url\((?!\s*['\"]?data:)", text), "the inline CSS must not load anything"
    for tag, href, attrs in parse(target).links:
        if tag == "link":
            assert attrs.get("rel") == "canonical", href
        else:
            assert href.startswith(("#", "https://", "http://")), href


def test_inline_style_is_allowed_by_its_hash_and_nothing_else(exported: tuple[Path, Path]) -> None:
    text = exported[0].read_text(encoding="utf-8")
    css = re.search(r"<style>(.*?)</style>", text, re.S)
    assert css is not None
    digest = base64.b64encode(hashlib.sha256(css.group(1).encode("utf-8")).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert f"style-src 'sha256-{digest}'" in csp.group(1)


def test_every_actor_topic_source_block_and_event_is_a_section(exported: tuple[Path, Path]) -> None:
    target, root = exported
    ids = parse(target).ids
    data = json.loads(cli("build", "--root", root, "-q").stderr or (root / "site/data/briefing.json").read_text())
    for name in ("briefing", "timeline", "actors", "topics", "sources"):
        assert name in ids
    for actor in data["actors"]:
        assert f"actor-{actor['id']}" in ids
    for topic in data["topics"]:
        assert f"topic-{topic['id']}" in ids
    for source in data["sources"]:
        assert f"source-{source['id']}" in ids
        for block in source["blocks"]:
            if block["n"] is not None:
                assert f"source-{source['id']}--p{block['n']}" in ids
    events = [c for c in data["claims"] if c["kind"] == "event"]
    assert events and all(f"timeline--{c['id']}" in ids for c in events)


def test_every_in_file_link_has_a_target_and_citations_keep_data_cite(exported: tuple[Path, Path]) -> None:
    links = parse(exported[0])
    fragments = [href[1:] for _, href, _ in links.links if href.startswith("#")]
    assert len(fragments) > 500
    assert sorted({f for f in fragments if f not in links.ids}) == []
    cites = [(href, a["data-cite"]) for _, href, a in links.links if "data-cite" in a]
    assert cites
    for href, data_cite in cites:
        source, _, n = data_cite.partition("#")
        assert href == f"#source-{source}--{n}" if n else href == f"#source-{source}"
    mentions = [(href, a["data-actor"]) for _, href, a in links.links if "data-actor" in a]
    assert mentions and all(href == f"#actor-{actor}" for href, actor in mentions)


def test_single_file_is_the_same_bytes_on_every_build(exported: tuple[Path, Path], tmp_path: Path) -> None:
    target, root = exported
    again = tmp_path / "again.html"
    assert cli("build", "--root", root, "--out", tmp_path / "site", "--single-file", again).returncode == 0
    assert again.read_bytes() == target.read_bytes()


def test_single_file_inside_the_site_folder_is_refused(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    result = cli("build", "--root", root, "--single-file", root / "site" / "one.html")
    assert result.returncode == 1
    assert "inside the site folder" in result.stderr
    assert not (root / "site" / "one.html").exists()


def test_single_file_in_the_browser_from_file_url(exported: tuple[Path, Path]) -> None:
    target, _ = exported
    url = target.resolve().as_uri()
    with browser() as b:
        context = b.new_context()
        page = context.new_page()
        requests: list[str] = []
        console: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: console.append(m.text) if m.type in ("error", "warning") else None)
        page.goto(url)
        # The inline stylesheet applies (the CSP allows it by hash).
        assert page.evaluate("getComputedStyle(document.querySelector('.bottom-line')).borderLeftStyle") == "solid"
        missing = page.evaluate("""() => [...document.querySelectorAll('a[href^="#"]')]
            .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
            .filter(id => !document.getElementById(id))""")
        assert missing == []
        # Following links moves inside the file: a citation, a mention, the nav.
        for selector in ("a.cite", "a.mention", "nav a[href='#sources']"):
            link = page.locator(selector).first
            href = link.get_attribute("href")
            link.click()
            assert page.evaluate("location.href") == f"{url}{href}"
            assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") \
                == href[1:]
        page.emulate_media(media="print")
        assert page.pdf()[:4] == b"%PDF"
        context.close()
    assert requests == [url], "no request may leave the file"
    assert console == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_single_file_has_no_axe_violations(exported: tuple[Path, Path], scheme: str) -> None:
    axe = axe_or_skip()
    with browser() as b:
        context = b.new_context(color_scheme=scheme, bypass_csp=True)
        page = context.new_page()
        page.goto(exported[0].resolve().as_uri())
        page.add_script_tag(path=str(axe))
        result: dict[str, Any] = page.evaluate("() => axe.run(document)")
        context.close()
    problems = [f"{v['id']} ({len(v['nodes'])}x): {v['help']} {[n['target'] for n in v['nodes']][:3]}"
                for v in result["violations"]]
    assert problems == [], "\n".join(problems)
