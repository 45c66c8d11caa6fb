"""The overview visuals stay readable at any size.

A briefing of a few articles draws each one on the timeline (a square per
article, stacked by day, linking to it). A large one would draw thousands of
overlapping squares, a page tall: its articles become a histogram, one bar per
stretch of days, whose counts add up to the articles and whose bars never overlap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

from generator import context, visuals
from generator.build import BuildOptions, build
from tests.test_atomic import write_large_briefing

DAY = dt.date(2025, 1, 1)


def _items(per_day: list[int]) -> list[tuple[str, dt.date, str]]:
    items = [("event-1", DAY, "event")]
    for offset, count in enumerate(per_day):
        items += [(f"s{offset}-{i}", DAY + dt.timedelta(days=offset), "source") for i in range(count)]
    return items


def test_a_few_articles_are_drawn_one_by_one() -> None:
    shape = visuals.timeline(_items([2, 0, 3]))
    sources = [m for m in shape["marks"] if m["lane"] == "source"]
    assert len(sources) == 5 and not [m for m in shape["marks"] if m["lane"] == "bar"]
    # stacked by day: three rows on the third day
    assert len({m["y"] for m in sources if m["date"] == "2025-01-03"}) == 3


def test_many_articles_become_bars_that_add_up_and_do_not_overlap() -> None:
    per_day = [(d * 7) % 13 for d in range(720)]  # 720 days, up to 12 articles a day
    shape = visuals.timeline(_items(per_day))
    bars = [m for m in shape["marks"] if m["lane"] == "bar"]
    assert not [m for m in shape["marks"] if m["lane"] == "source"]
    assert sum(b["count"] for b in bars) == sum(per_day)
    xs = sorted(b["x"] for b in bars)
    assert all(b - a >= 8 for a, b in itertools.pairwise(xs))  # bars are 8 wide
    assert max(b["height"] for b in bars) == 60 and min(b["height"] for b in bars) >= 2
    assert shape["height"] < 200  # not a page tall
    for bar in bars:  # each bar's stretch of days holds its own articles
        first, last = dt.date.fromisoformat(bar["first"]), dt.date.fromisoformat(bar["last"])
        assert bar["count"] == sum(n for d, n in enumerate(per_day) if first <= DAY + dt.timedelta(days=d) <= last)


def test_one_crowded_day_is_enough_to_draw_bars() -> None:
    shape = visuals.timeline(_items([1, visuals.MAX_STACK + 1]))
    assert [m["count"] for m in shape["marks"] if m["lane"] == "bar"] == [1, visuals.MAX_STACK + 1]


def test_the_front_page_of_a_large_briefing_draws_article_bars(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_large_briefing(root, "Bars", sources=visuals.MAX_SOURCE_MARKS + 20)
    for i in range(visuals.MAX_SOURCE_MARKS + 20):
        path = root / f"content/sources/s{i}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"published: 2025-09-{1 + i % 28:02d}\n",
                        encoding="utf-8")
    (root / "content/briefing.yaml").write_text(
        "title: Bars\nas_of: 2025-10-08\nevents:\n  - date: 2025-09-03\n    text: Talks open.\n"
        "    cite: ['s1#p1']\n", encoding="utf-8")
    build(BuildOptions(root=root, search=False))
    home = (root / "site/index.html").read_text(encoding="utf-8")
    titles = re.findall(r'<a href="sources/index.html" tabindex="-1"><title>(\d+) articles? published ([^<]+)</title>',
                        home)
    assert sum(int(n) for n, _ in titles) == visuals.MAX_SOURCE_MARKS + 20
    assert ("5", "1 September 2025") in titles  # s0, s28, s56, s84 and s112: a bar a day here
    assert home.count('class="mark-source"') == len(titles)
    assert f"{visuals.MAX_SOURCE_MARKS + 20} articles published" in home  # the caption still counts them all


def test_the_front_page_of_a_large_briefing_stays_short(tmp_path: Path) -> None:
    # Every article and every position stays on its own page and index; the front
    # page shows the newest articles and the most-mentioned actors' positions.
    root = tmp_path / "b"
    n = context.MAX_HOME_SOURCES + 5
    write_large_briefing(root, "Many", sources=n)
    for i in range(n):
        path = root / f"content/sources/s{i}.yaml"
        path.write_text(path.read_text(encoding="utf-8") + f"published: 2025-09-{1 + i % 28:02d}\n",
                        encoding="utf-8")
    actors = context.MAX_MATRIX_ACTORS + 3
    for i in range(actors):  # a position each, all on topic 0; topics 1.. get none
        path = root / f"content/actors/actor-{i}.yaml"
        path.write_text(path.read_text(encoding="utf-8")
                        + f"positions:\n  - topic: topic-0\n    stance: Stance {i}.\n    cite: ['s{i}#p1']\n",
                        encoding="utf-8")
    build(BuildOptions(root=root, search=False))
    home = (root / "site/index.html").read_text(encoding="utf-8")
    listed = home[home.index('aria-labelledby="sources"'):]
    assert listed.count('<li><a href="sources/') == context.MAX_HOME_SOURCES
    assert f'<a href="sources/index.html">All {n} articles</a> (the newest {context.MAX_HOME_SOURCES} above)' in listed
    # newest first (ties by id): the oldest five, of 1 to 3 September, are left out
    shown = set(re.findall(r'<li><a href="sources/(s\d+)/index.html">', listed))
    assert {"s27", "s2"} <= shown and not shown & {"s0", "s28", "s1", "s29", "s30"}
    matrix = home[home.index('aria-labelledby="stands"'):home.index('aria-labelledby="actors"')]
    assert (f"The {context.MAX_MATRIX_ACTORS} most-mentioned of the {actors} actors with a stated position,"
            " against the topics. Every position is on its actor's page.") in matrix
    assert matrix.count('<tr><th scope="row">') == context.MAX_MATRIX_ACTORS
    assert matrix.count("Stance ") == context.MAX_MATRIX_ACTORS  # each shown actor's stance, once (its cell title)
    sources_page = (root / "site/sources/index.html").read_text(encoding="utf-8")
    assert all(f'href="../sources/s{i}/index.html"' in sources_page for i in range(n))
