"""Pages whose inputs did not change are not even built (``generator.reads``).

A page's context is a pure function of what it reads of the site. The build
records that read set per page; a page whose recorded reads all have their old
versions is kept without building its context. These tests check the record
itself (every read is logged; reading a whole mapping marks the page as
unrecordable) and the build end to end: an edit leaves the pages it does not
concern unbuilt, and the pages it does concern are built again and equal a
cold build's, for edits of every kind a page reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import BuildOptions, build, preview_builder
from generator.reads import Reads
from tests.helpers import tree_hash, write_briefing


def test_every_read_of_an_entry_is_logged_once_in_order() -> None:
    reads = Reads()
    people = reads.mapping("people", {"a": 1, "b": 2})
    reads.log.start()
    assert people["b"] == 2
    assert people.get("zz") is None
    assert "a" in people
    assert people["b"] == 2
    places = reads.mapping("places", {"x": 0})
    assert places["x"] == 0
    assert people["a"] == 1
    assert reads.log.read_set() == (("people", ("b", "zz", "a")), ("places", ("x",)))


@pytest.mark.parametrize("whole", [list, len, lambda m: list(m.values()), lambda m: list(m.items()),
                                   lambda m: list(m.keys())])
def test_reading_a_whole_mapping_leaves_no_read_set(whole: object) -> None:
    reads = Reads()
    people = reads.mapping("people", {"a": 1})
    reads.log.start()
    assert callable(whole)
    whole(people)
    assert reads.log.read_set() is None
    reads.log.start()  # the next page starts afresh
    assert reads.log.read_set() == ()


def test_a_read_sets_key_changes_with_any_value_it_read() -> None:
    def key(data: dict[str, object]) -> bytes:
        reads = Reads()
        reads.mapping("things", data)
        return reads.inputs((("things", ("a", "gone")),), "template")

    assert key({"a": [1, 2]}) == key({"a": [1, 2], "b": "unread"})
    assert key({"a": [1, 2]}) != key({"a": [1, 3]})
    assert key({"a": [1, 2]}) != key({"a": [1, 2], "gone": None}), "a missing entry is not a None one"


def test_two_mappings_cannot_share_a_name() -> None:
    reads = Reads()
    reads.mapping("x", {})
    with pytest.raises(ValueError):
        reads.mapping("x", {})


def _many_sources(root: Path) -> Path:
    extra: dict[str, str] = {}
    for i in range(30):
        extra[f"seeds/s{i:02}.txt"] = f"Report {i}\nParagraph {i} about the weather.\nBob Jones spoke.\n"
        extra[f"content/sources/s{i:02}.yaml"] = f"file: s{i:02}.txt\ntitle: Report {i}\n"
    return write_briefing(root, extra)


def _item_pages(site: Path) -> set[str]:
    """The pages recorded reads are kept for: one per actor, topic and source."""
    return {p.relative_to(site).as_posix() for kind in ("actors", "topics", "sources")
            for p in (site / kind).glob("*/index.html")}


def test_an_article_edit_builds_only_the_pages_that_read_it(tmp_path: Path) -> None:
    root = _many_sources(tmp_path / "b")
    site = root / "site"
    build(BuildOptions(root=root, search=False))
    (root / "seeds" / "s07.txt").write_text("Report 7\nParagraph 7, corrected.\nBob Jones spoke.\n",
                                            encoding="utf-8")
    result = build(BuildOptions(root=root, search=False))
    # Bob's page lists his passages, s07's among them; the rest read nothing of s07.
    built = {"sources/s07/index.html", "actors/bob/index.html"}
    assert result.unbuilt == len(_item_pages(site) - built)
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
