"""The built site: every file of CONTENT.md section 5, the data contract, links,
determinism, golden pages and incremental writes."""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    REPO,
    anchors,
    build_site,
    copy_fixture,
    link_problems,
    parse_page,
    run_cli,
    site_files,
    tree_hash,
    write_briefing,
)

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="module")
def talks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo-style fixture briefing, built once for the module; returns the site."""
    root = copy_fixture("talks", tmp_path_factory.mktemp("talks") / "briefing")
    return build_site(root)


def load_json(site: Path) -> dict[str, Any]:
    return json.loads((site / "data/briefing.json").read_text(encoding="utf-8"))


SOURCES = ("wire-talks", "ynet-2025-10-06")
ACTORS = ("al-hayya", "hamas", "israel", "melania", "netanyahu", "trump", "witkoff")
TOPICS = ("ceasefire", "hostages")


def test_every_page_of_the_contract_exists(talks: Path) -> None:
    expected = ["index.html", "actors/index.html", "topics/index.html", "sources/index.html",
                "timeline/index.html", "data/briefing.json", "sitemap.xml", "feed.xml", "404.html"]
    expected += [f"actors/{a}/index.html" for a in ACTORS]
    expected += [f"topics/{t}/index.html" for t in TOPICS]
    expected += [f"sources/{s}/index.html" for s in SOURCES]
    missing = [p for p in expected if not (talks / p).is_file()]
    assert missing == []


def test_static_files_are_copied_verbatim(talks: Path) -> None:
    assert (talks / "CNAME").read_bytes() == b"briefing.example.org\n"


def test_no_timeline_page_without_events(briefing: Path) -> None:
    site = build_site(briefing)
    assert not (site / "timeline").exists()


def test_sitemap_and_feed_are_well_formed_xml(talks: Path) -> None:
    import xml.etree.ElementTree as ET

    for name in ("sitemap.xml", "feed.xml"):
        ET.fromstring((talks / name).read_bytes())


def test_briefing_json_has_the_contract_shape(talks: Path) -> None:
    data = load_json(talks)
    assert isinstance(data["title"], str) and data["title"] == "Gaza ceasefire talks"
    assert data["as_of"] == "2025-10-08"
    assert [s["id"] for s in data["sources"]] == sorted(SOURCES)
    assert [a["id"] for a in data["actors"]] == sorted(ACTORS)
    assert [t["id"] for t in data["topics"]] == sorted(TOPICS)
    for source in data["sources"]:
        assert {"id", "title", "blocks"} <= source.keys()
        numbers = []
        for block in source["blocks"]:
            assert set(block) == {"kind", "n", "text"}
            assert block["kind"] in ("paragraph", "item", "heading")
            assert isinstance(block["text"], str) and block["text"]
            if block["kind"] == "heading":
                assert block["n"] is None
            else:
                numbers.append(block["n"])
        assert numbers == list(range(1, len(numbers) + 1))
    for key, owners in (("mentions", data["actors"]), ("passages", data["topics"])):
        for owner in owners:
            refs = [(r["source"], r["n"]) for r in owner[key]]
            assert all(set(r) == {"source", "n"} for r in owner[key])
            assert refs == sorted(set(refs)), (owner["id"], refs)
    for actor in data["actors"]:
        assert {"id", "name", "mentions"} <= actor.keys()
    for topic in data["topics"]:
        assert {"id", "title", "passages"} <= topic.keys()
    assert data["claims"]
    for claim in data["claims"]:
        assert {"text", "cite", "actors", "topics"} <= claim.keys()
        for c in claim["cite"]:
            assert set(c) == {"source", "n"} and c["source"] in SOURCES
            assert c["n"] is None or isinstance(c["n"], int)
        assert set(claim["actors"]) <= set(ACTORS) and set(claim["topics"]) <= set(TOPICS)


def test_briefing_json_values_follow_the_articles(talks: Path) -> None:
    data = load_json(talks)
    ynet = next(s for s in data["sources"] if s["id"] == "ynet-2025-10-06")
    kinds = [(b["kind"], b["n"]) for b in ynet["blocks"]]
    # boilerplate dropped; two headings; three list items (-, •)
    assert kinds == [("heading", None), ("paragraph", 1), ("paragraph", 2), ("heading", None),
                     ("paragraph", 3), ("item", 4), ("item", 5), ("item", 6), ("paragraph", 7)]
    assert not any("View gallery" in b["text"] or "(Photo:" in b["text"] for b in ynet["blocks"])
    actors = {a["id"]: a["mentions"] for a in data["actors"]}
    assert actors["melania"] == [{"source": "ynet-2025-10-06", "n": 7}]
    assert actors["trump"] == [{"source": "ynet-2025-10-06", "n": 1}, {"source": "ynet-2025-10-06", "n": 2}]
    assert actors["netanyahu"] == [{"source": "wire-talks", "n": 4}, {"source": "ynet-2025-10-06", "n": 2}]
    claims = {c["text"]: c["cite"] for c in data["claims"]}
    assert claims["Hamas wants a permanent ceasefire."] == [{"source": "wire-talks", "n": 1}]
    assert claims["The first phase covers the hostages."] == [{"source": "ynet-2025-10-06", "n": 4}]
    assert "notes" not in json.dumps(data)


def test_every_numbered_block_has_its_anchor(talks: Path) -> None:
    data = load_json(talks)
    for source in data["sources"]:
        ids = parse_page(talks / f"sources/{source['id']}/index.html").ids
        for block in source["blocks"]:
            if block["n"] is not None:
                assert f"p{block['n']}" in ids


def _cite_links(site: Path) -> list[tuple[str, dict[str, str]]]:
    return [(p.relative_to(site).as_posix(), a) for p in site.rglob("*.html")
            for a, _ in anchors(p) if "data-cite" in a]


def test_every_citation_is_a_link_with_data_cite_to_its_block(talks: Path) -> None:
    links = _cite_links(talks)
    assert links
    for page, attrs in links:
        m = re.fullmatch(r"([a-z0-9-]+)(?:#p(\d+))?", attrs["data-cite"])
        assert m, attrs
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), attrs["href"].split("#")[0]))
        if attrs["href"].startswith("#"):
            target = page
        assert target == f"sources/{m[1]}/index.html", (page, attrs)
        fragment = attrs["href"].partition("#")[2]
        assert fragment == (f"p{m[2]}" if m[2] else ""), (page, attrs)
    present = {a["data-cite"] for _, a in links}
    for claim in load_json(talks)["claims"]:
        for c in claim["cite"]:
            assert (f"{c['source']}#p{c['n']}" if c["n"] else c["source"]) in present
    assert "ynet-2025-10-06" in present  # the whole-source form


def test_home_page_cites_its_key_points(talks: Path) -> None:
    cites = {a["data-cite"] for a, _ in anchors(talks / "index.html") if "data-cite" in a}
    assert {"ynet-2025-10-06#p1", "wire-talks#p1"} <= cites


def test_every_mention_is_a_link_with_data_actor(talks: Path) -> None:
    data = load_json(talks)
    for source in SOURCES:
        page = talks / f"sources/{source}/index.html"
        found: set[tuple[str, int]] = set()
        # which block each mention link is in: parse with block ids
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'id="p(\d+)"(.*?)</(?:p|li)>', html, re.S):
            for actor in re.findall(r'data-actor="([^"]+)"', m[2]):
                found.add((actor, int(m[1])))
        expected = {(a["id"], r["n"]) for a in data["actors"] for r in a["mentions"] if r["source"] == source}
        assert found == expected, source
        for attrs, _ in anchors(page):
            if "data-actor" in attrs:
                assert attrs["href"] == f"../../actors/{attrs['data-actor']}/index.html"


def test_every_internal_link_resolves_and_is_relative(talks: Path) -> None:
    assert link_problems(talks) == []


def test_link_checker_catches_broken_and_absolute_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/index.html").write_text('<p id="x"></p><a href="../b.html">b</a><a href="#x">x</a>'
                                           '<a href="/a/index.html">abs</a><a href="index.html#nope">n</a>')
    problems = link_problems(tmp_path)
    assert len(problems) == 3, problems


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = copy_fixture("talks", tmp_path / "b")
    one = build_site(root, out=tmp_path / "one")
    two = build_site(root, out=tmp_path / "two")
    assert tree_hash(one) == tree_hash(two)


def test_builds_are_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    root = copy_fixture("talks", tmp_path / "b")
    hashes = []
    for seed in ("0", "12345"):
        out = tmp_path / f"out-{seed}"
        result = run_cli("build", "--root", root, "--out", out, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        hashes.append(tree_hash(out))
    assert hashes[0] == hashes[1]


def test_unchanged_rebuild_keeps_files_and_mtimes(tmp_path: Path) -> None:
    root = copy_fixture("talks", tmp_path / "b")
    site = build_site(root)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site_files(site)}
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert " 0 written" in result.stdout and "0 removed" in result.stdout
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in site_files(site)}
    del before[site / ".briefing-site"], after[site / ".briefing-site"]
    assert after == before


def test_the_command_says_all_it_has_to_before_it_ends(tmp_path: Path) -> None:
    # The command ends without interpreter shutdown (cli.run): its output must be
    # flushed first, block-buffered into pipes as it is without PYTHONUNBUFFERED.
    root = copy_fixture("talks", tmp_path / "b")
    built = run_cli("build", "--root", root, env={"PYTHONUNBUFFERED": ""})
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith("Built ") and built.stdout.endswith(" removed.\n"), built.stdout
    (root / "content/briefing.yaml").write_text("title: [broken\n", encoding="utf-8")
    failed = run_cli("build", "--root", root, env={"PYTHONUNBUFFERED": ""})
    assert failed.returncode == 1
    assert failed.stderr.rstrip().endswith("briefing: build failed; the previous site was left as it was")


def test_the_command_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    # The collector is paused while the modules are imported (cli._uncollected),
    # and on again for the build and after it, as for the live preview's builds.
    root = copy_fixture("talks", tmp_path / "b")
    code = ("import gc, sys; from generator import cli, build; seen = []; real = build.build\n"
            "def spy(*a, **k):\n    seen.append(gc.isenabled()); return real(*a, **k)\n"
            "build.build = spy; status = cli.main(['build', '--quiet', '--no-search', '--root', sys.argv[1]])\n"
            "print(status, seen, gc.isenabled())")
    done = subprocess.run([sys.executable, "-c", code, str(root)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.stdout.split() == ["0", "[True]", "True"], done.stdout + done.stderr


def test_a_changed_source_rewrites_only_what_changed(tmp_path: Path) -> None:
    root = copy_fixture("talks", tmp_path / "b")
    site = build_site(root)
    before = {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site_files(site)}
    path = root / "content/sources/wire-talks.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("outlet: Wire", "outlet: Wire Service"),
                    encoding="utf-8")
    build_site(root)
    after = {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site_files(site)}
    changed = {p for p in after if after[p] != before.get(p)}
    assert "sources/wire-talks/index.html" in changed and "data/briefing.json" in changed
    assert "assets/style.css" not in changed and "actors/israel/index.html" not in changed
    assert b"Wire Service" in (site / "sources/wire-talks/index.html").read_bytes()


def test_a_removed_item_disappears_from_the_site(tmp_path: Path) -> None:
    root = copy_fixture("talks", tmp_path / "b")
    site = build_site(root)
    (root / "content/actors/melania.yaml").unlink()
    build_site(root)
    assert not (site / "actors/melania").exists()
    assert link_problems(site) == []


GOLDEN_PAGES = ("index.html", "sources/cairo/index.html", "actors/alice/index.html",
                "topics/ceasefire/index.html", "data/briefing.json")


@pytest.mark.parametrize("page", GOLDEN_PAGES)
def test_golden_pages_of_the_minimal_briefing(tmp_path: Path, page: str) -> None:
    """Whole pages compared byte for byte; UPDATE_GOLDEN=1 regenerates tests/golden/."""
    site = build_site(write_briefing(tmp_path / "b"))
    got = (site / page).read_text(encoding="utf-8")
    golden = GOLDEN / "minimal" / page
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; run with UPDATE_GOLDEN=1"
    assert got == golden.read_text(encoding="utf-8")


def test_build_output_defaults_to_root_site_and_marks_it(briefing: Path) -> None:
    result = run_cli("build", "--root", briefing)
    assert result.returncode == 0, result.stderr
    assert (briefing / "site/.briefing-site").is_file()
    assert "Built " in result.stdout


def test_check_writes_nothing_and_says_no_problems(briefing: Path) -> None:
    result = run_cli("check", "--root", briefing)
    assert result.returncode == 0 and "No problems found." in result.stdout
    assert not (briefing / "site").exists()


def test_site_files_are_all_utf8_and_no_stray_temp_dirs(talks: Path) -> None:
    for path in site_files(talks):
        if path.suffix in (".html", ".xml", ".json", ".css"):
            path.read_bytes().decode("utf-8")
    # The spare (the next build's staging folder, see generator.output) and nothing else.
    assert [p.name for p in talks.parent.iterdir() if p.name.startswith(".site")] == [".site.spare"]


def test_briefing_json_is_encoded_in_pieces_to_the_same_bytes_as_one_dump() -> None:
    from generator.data import json_pieces

    many = [{"id": f"s{i}", "title": f"Title “{i}” — 😀", "n": i, "ok": i % 2 == 0, "x": None} for i in range(1000)]
    for value in ({"title": "T", "sources": many, "empty": [], "nested": {"a": many[:3], "b": {}}},
                  {1: "int key", "s": [1.5, True]}, many, [], "text", 3):
        assert b"".join(json_pieces(value)) == (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_the_places_of_a_few_parts_are_those_of_the_whole_index() -> None:
    # An edit finds the parts it makes again by a search each, more by the index.
    from array import array

    from generator.data import PartMap

    ids = [f"source:s{i:05}:blocks" for i in range(3000)]
    parts = PartMap.of(ids, array("q", range(3000)), array("q", [1] * 3000), bytes(16 * 3000), 3000, b"u")
    index = parts.index()
    for wanted in (set(), {ids[0]}, {ids[-1], ids[1500]}, set(ids[:5]), set(ids[::100])):
        assert parts.places(wanted) == {pid: index[pid] for pid in wanted}
    assert parts.places({ids[0], "actor:nobody"}) is None, "a part the file does not have: no places"
    assert parts.places({*ids[:20], "actor:nobody"}) is None


_REMADE = """
import resource, sys
from generator import cli
if sys.argv[1] == "build":
    cli._keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
big = b"x" * (8 << 20)  # made, written and freed, as a build's large buffers are
del big
before = faults()
big = b"x" * (8 << 20)
print(faults() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_build_command_keeps_freed_memory_for_its_next_buffers() -> None:
    """An 8 MB buffer freed and made again by ``briefing build`` reuses the freed
    memory: none of its 2,048 pages is faulted in anew (each fault is 4 to 6 µs
    here). By default glibc unmaps it and maps fresh pages."""
    def faults(mode: str) -> int:
        done = subprocess.run([sys.executable, "-c", _REMADE, mode], capture_output=True, text=True, check=True)
        return int(done.stdout)

    assert faults("build") < 100
    assert faults("default") > 1500, "the default allocator faults the pages in again"


def test_a_briefing_with_no_actors_or_topics_says_so_and_shows_no_empty_lists(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {
        "content/briefing.yaml": "title: Only articles\nas_of: 2025-10-08\n",
        "content/actors/alice.yaml": None, "content/actors/bob.yaml": None, "content/topics/ceasefire.yaml": None,
        "seeds/one.txt": "A single paragraph.\n", "content/sources/one.yaml": "file: one.txt\ntitle: One\n",
    })
    site = build_site(root)
    for page in ("index.html", "actors/index.html", "topics/index.html", "sources/index.html"):
        text = (site / page).read_text(encoding="utf-8")
        assert not re.search(r"<ul[^>]*>\s*</ul>", text), (page, text)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'id="actors"' not in home and 'id="topics"' not in home and 'id="sources"' in home
    assert "This briefing has no actor profiles yet." in (site / "actors/index.html").read_text(encoding="utf-8")
    assert "This briefing has no topic profiles yet." in (site / "topics/index.html").read_text(encoding="utf-8")
    sources = (site / "sources/index.html").read_text(encoding="utf-8")
    assert "1 paragraph · 0 cited" in sources and "3 paragraphs · " in sources


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "ltr"), ("en-GB", "ltr"), ("ar", "rtl"), ("he-IL", "rtl"), ("fa", "rtl"), ("ur-PK", "rtl"),
    ("uz-Arab", "rtl"), ("ku-Latn", "ltr"), ("az-Arab-IR", "rtl"), ("sr-Cyrl", "ltr"), ("AR", "rtl"),
])
def test_the_text_direction_follows_the_language_tag(language: str, expected: str) -> None:
    from generator.views import direction

    assert direction(language) == expected


def test_a_right_to_left_briefing_says_so_on_every_page(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": "title: T\nas_of: 2025-10-08\nlanguage: ar\n"})
    site = build_site(root)
    pages = [p for p in site_files(site) if p.suffix == ".html"]
    assert pages
    for page in pages:
        assert page.read_text(encoding="utf-8").startswith('<!doctype html>\n<html lang="ar" dir="rtl">'), page
    left = write_briefing(tmp_path / "ltr")
    assert 'dir=' not in (build_site(left) / "index.html").read_text(encoding="utf-8").split("\n")[1]
