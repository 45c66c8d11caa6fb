"""Large briefings keep their lists readable: sources by month, a capped feed,
and actor and topic pages that show the newest articles' passages and claims.

The thresholds (500 sources for one sources page, 50 feed entries, 50 passages
and 100 claims a page) are lowered here so that a small briefing shows the large
layout.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator import context
from generator.build import BuildOptions, build
from tests.helpers import link_problems, parse_page, write_briefing


def _briefing(root: Path, n: int) -> Path:
    files: dict[str, str] = {}
    for i in range(n):
        month = ("08", "09", "10")[i % 3]
        files[f"seeds/s{i:02}.txt"] = f"Report {i}\nParagraph {i} about the talks.\n"
        files[f"content/sources/s{i:02}.yaml"] = (f"file: s{i:02}.txt\ntitle: Report {i}\n"
                                                  f"published: 2025-{month}-{10 + i % 15}\n")
    files["seeds/undated.txt"] = "Undated\nA paragraph.\n"
    files["content/sources/undated.yaml"] = "file: undated.txt\ntitle: Undated report\n"
    return write_briefing(root, files)


def _links(path: Path) -> list[str]:
    return [a["href"] for tag, a in parse_page(path).elements if tag == "a" and "href" in a]


def test_beyond_the_threshold_sources_are_listed_by_month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "MAX_INDEX_SOURCES", 5)
    monkeypatch.setattr(context, "NEWEST_SOURCES", 3)
    root = _briefing(tmp_path / "b", 12)
    build(BuildOptions(root=root, search=False, jobs=1))
    site = root / "site"
    index = _links(site / "sources" / "index.html")
    months = [h for h in index if "archive/" in h]
    assert months == ["../archive/2025-10/index.html", "../archive/2025-09/index.html",
                      "../archive/2025-08/index.html", "../archive/undated/index.html"], "newest first, undated last"
    # Every source is on the page of its month, newest first, and nowhere else among the months.
    listed: list[str] = []
    for month in ("2025-10", "2025-09", "2025-08", "undated"):
        page = site / "archive" / month / "index.html"
        sources = [h for h in _links(page) if re.fullmatch(r"\.\./\.\./sources/[a-z0-9-]+/index\.html", h)]
        listed += sources
        text = page.read_text(encoding="utf-8")
        rows = text[text.index('<ul class="index">'):]  # past the masthead's own date
        days = re.findall(r'datetime="(2025-\d\d-\d\d)"', rows)
        assert days == sorted(days, reverse=True)
        assert all(d.startswith(month) for d in days)
    assert len(listed) == len(set(listed)) == 14  # these, the undated one, and cairo
    assert link_problems(site) == []
    # The sitemap has the month pages.
    assert "archive/2025-09/" in (site / "sitemap.xml").read_text(encoding="utf-8")


def test_up_to_the_threshold_one_page_lists_every_source(tmp_path: Path) -> None:
    root = _briefing(tmp_path / "b", 12)
    build(BuildOptions(root=root, search=False, jobs=1))
    site = root / "site"
    assert not (site / "archive").exists()
    sources = [h for h in _links(site / "sources" / "index.html")
               if re.fullmatch(r"\.\./sources/[a-z0-9-]+/index\.html", h)]
    assert len(set(sources)) == 14  # every source: these, the undated one, and cairo


def test_the_feed_carries_the_newest_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "MAX_FEED_ENTRIES", 4)
    root = _briefing(tmp_path / "b", 12)
    build(BuildOptions(root=root, search=False, jobs=1))
    feed = (root / "site" / "feed.xml").read_text(encoding="utf-8")
    updated = re.findall(r"<entry>.*?<updated>([^<]+)</updated>", feed, re.DOTALL)
    assert len(updated) == 4
    assert updated == sorted(updated, reverse=True)
    assert updated[0].startswith("2025-10-2")


def _passage_links(page: Path) -> list[str]:
    """The ¶ links of a page's passages, in page order."""
    text = page.read_text(encoding="utf-8")
    return re.findall(r'<a class="para-link" href="[^"]*" data-cite="([^"]+)"', text)


def test_a_popular_actors_page_shows_the_passages_of_the_newest_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "MAX_PASSAGES_PER_PAGE", 5)
    files: dict[str, str] = {}
    dates = {"a": "2025-09-01", "b": "2025-10-05", "c": None, "d": "2025-10-01", "e": "2025-10-05"}
    for sid, day in dates.items():
        files[f"seeds/{sid}.txt"] = (f"Report {sid}\n\nAlice Smith spoke on the ceasefire ({sid}, 1).\n\n"
                                     f"Nothing here.\n\nAlice said more about the ceasefire ({sid}, 3).\n")
        files[f"content/sources/{sid}.yaml"] = (f"file: {sid}.txt\ntitle: Report {sid}\n"
                                                + (f"published: {day}\n" if day else ""))
    root = write_briefing(tmp_path / "b", files)
    build(BuildOptions(root=root, search=False, jobs=1))
    site = root / "site"
    # Newest first (b and e share a day: by id), each source's blocks in order,
    # five in all; cairo (2025-10-07) mentions Alice once.
    expected = ["cairo#p2", "b#p1", "b#p3", "e#p1", "e#p3"]
    assert _passage_links(site / "actors" / "alice" / "index.html") == expected
    assert "Showing 5 of 11 passages, from the newest articles." in (
        site / "actors" / "alice" / "index.html").read_text(encoding="utf-8")
    topic = site / "topics" / "ceasefire" / "index.html"
    assert _passage_links(topic)[1:] == expected[1:]
    # The passages' sources carry their dates, newest first.
    days = re.findall(r'<h3><a [^>]*>[^<]*</a> <time class="meta" datetime="([\d-]+)"',
                      (site / "actors" / "alice" / "index.html").read_text(encoding="utf-8"))
    assert days == ["2025-10-07", "2025-10-05", "2025-10-05"]


def test_an_actor_with_few_passages_shows_them_all_undated_last(tmp_path: Path) -> None:
    files = {"seeds/u.txt": "Undated\n\nAlice Smith, undated.\n",
             "content/sources/u.yaml": "file: u.txt\ntitle: Undated report\n",
             "seeds/old.txt": "Old\n\nAlice Smith, long ago.\n",
             "content/sources/old.yaml": "file: old.txt\ntitle: Old report\npublished: 2020-01-01\n"}
    root = write_briefing(tmp_path / "b", files)
    build(BuildOptions(root=root, search=False, jobs=1))
    page = root / "site" / "actors" / "alice" / "index.html"
    assert _passage_links(page) == ["cairo#p2", "old#p1", "u#p1"]
    assert "Showing" not in page.read_text(encoding="utf-8").split('id="mentions"')[1]


def test_a_popular_actors_claims_are_the_briefings_then_the_newest_articles(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "MAX_CLAIMS_PER_PAGE", 3)
    files: dict[str, str] = {}
    for sid, day in (("a", "2025-09-01"), ("b", "2025-10-05"), ("c", "2025-10-01")):
        files[f"seeds/{sid}.txt"] = f"Report {sid}\n\nAlice Smith spoke ({sid}).\n"
        files[f"content/sources/{sid}.yaml"] = (f"file: {sid}.txt\ntitle: Report {sid}\npublished: {day}\n"
                                                f"key_points:\n  - text: Alice spoke in {sid}.\n"
                                                f"    cite: ['{sid}#p1']\n    actors: [alice]\n")
    root = write_briefing(tmp_path / "b", files)
    build(BuildOptions(root=root, search=False, jobs=1))
    text = (root / "site" / "actors" / "alice" / "index.html").read_text(encoding="utf-8")
    claims = text[text.index('id="claims"'):text.index('id="mentions"')]
    shown = re.findall(r'<span class="claim-text">([^<]*)</span>', claims)
    # The briefing's key point first, then the newest articles' (b, then c); a is left out.
    assert shown == ["Talks resumed.", "Alice spoke in b.", "Alice spoke in c."]
    assert "Showing 3 of 4 claims, from the newest articles" in claims
