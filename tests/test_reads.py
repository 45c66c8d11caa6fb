"""Pages whose inputs did not change are not even built (``generator.reads``, ``generator.pages``).

A page's context is a pure function of what it reads of the site. The build
records that read set per page, and after an edit builds again only the readers
of the entries that changed. These tests check the record itself (every read is
logged; reading a whole view is logged as the view) and the build end to end:
an edit leaves the pages it does not concern unbuilt, and the pages it does
concern are built again and equal a cold build's, for edits of every kind a
page reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import BuildOptions, build, preview_builder
from generator.reads import WHOLE, Views
from tests.helpers import tree_hash, write_briefing


def test_every_read_of_an_entry_is_logged_once_in_order() -> None:
    views = Views()
    people = views.view("people", {"a": 1, "b": 2})
    views.log.start()
    assert people["b"] == 2
    assert people.get("zz") is None
    assert "a" in people
    assert people["b"] == 2
    places = views.view("places", {"x": 0})
    assert places["x"] == 0
    assert people["a"] == 1
    assert views.log.read_set() == (("people", "b"), ("people", "zz"), ("people", "a"), ("places", "x"))


@pytest.mark.parametrize("whole", [list, len, lambda m: list(m.values()), lambda m: list(m.items()),
                                   lambda m: list(m.keys())])
def test_reading_a_whole_view_is_logged_as_the_view(whole: object) -> None:
    views = Views()
    people = views.view("people", {"a": 1})
    views.log.start()
    assert callable(whole)
    whole(people)
    assert views.log.read_set() == ((WHOLE, "people"),)
    views.log.start()  # the next page starts afresh
    assert views.log.read_set() == ()


def test_a_page_made_from_more_than_views_has_no_read_set() -> None:
    views = Views()
    views.log.start()
    views.log.always = True
    assert views.log.read_set() is None


def test_two_views_cannot_share_a_name() -> None:
    views = Views()
    views.view("x", {})
    with pytest.raises(ValueError):
        views.view("x", {})


def _many_sources(root: Path) -> Path:
    extra: dict[str, str] = {}
    for i in range(30):
        extra[f"seeds/s{i:02}.txt"] = f"Report {i}\nParagraph {i} about the weather.\nBob Jones spoke.\n"
        extra[f"content/sources/s{i:02}.yaml"] = f"file: s{i:02}.txt\ntitle: Report {i}\n"
    return write_briefing(root, extra)


def _rendered(result: object) -> int:
    """How many pages (HTML and XML) a build made again."""
    return result.pages - result.unbuilt  # type: ignore[attr-defined, no-any-return]


@pytest.mark.parametrize(("text", "built"), [
    # Paragraph 1 is on s07's own page only.
    ("Report 7\nParagraph 7, corrected.\nBob Jones spoke.\n", {"sources/s07/index.html"}),
    # Paragraph 2 is also among Bob's passages.
    ("Report 7\nParagraph 7 about the weather.\nBob Jones spoke at length.\n",
     {"sources/s07/index.html", "actors/bob/index.html"}),
])
def test_an_article_edit_builds_only_the_pages_that_read_it(tmp_path: Path, text: str, built: set[str]) -> None:
    root = _many_sources(tmp_path / "b")
    site = root / "site"
    build(BuildOptions(root=root, search=False))
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.rglob("*.html")}
    (root / "seeds" / "s07.txt").write_text(text, encoding="utf-8")
    result = build(BuildOptions(root=root, search=False))
    assert _rendered(result) == len(built)
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site.rglob("*.html")}
    assert {p.relative_to(site).as_posix() for p in after if after[p] != before.get(p)} == built
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(site) == tree_hash(cold)


# Each edit changes something a kept page reads: its pages must be built again.
EDITS: dict[str, dict[str, str]] = {
    "an actor's name (linked from articles)": {"content/actors/bob.yaml": "name: Robert Jones\naliases: [Bob Jones]\n"},
    "a claim citing an article": {"content/briefing.yaml": "title: Test briefing\nas_of: 2025-10-08\nkey_points:\n"
                                  "  - text: Bob spoke.\n    cite: [\"s03#p2\"]\n    actors: [bob]\n"},
    "the briefing's title (on every page)": {"content/briefing.yaml": "title: Another title\nas_of: 2025-10-08\n"},
    "a new actor mentioned in articles": {"content/actors/weather.yaml": "name: Weather\naliases: [weather]\n"},
    "a source's title (in citations)": {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: Cairo, retitled\n"},
    "an affiliation (members on the actor page)": {"content/actors/alice.yaml":
                                                   "name: Alice Smith\naliases: [Alice]\naffiliation: bob\n"},
}


@pytest.mark.parametrize("what", sorted(EDITS))
def test_an_edit_of_what_kept_pages_read_builds_them_again(tmp_path: Path, what: str) -> None:
    root = _many_sources(tmp_path / "b")
    site = root / "site"
    build(BuildOptions(root=root, search=False))
    preview = preview_builder(BuildOptions(root=root))
    preview(tmp_path / "preview")

    write_briefing(root, EDITS[what])
    build(BuildOptions(root=root, search=False))
    preview(tmp_path / "preview")
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(site) == tree_hash(cold), "a build with recorded reads must equal a cold build"
    assert tree_hash(tmp_path / "preview") == tree_hash(cold), "so must the live preview's"
