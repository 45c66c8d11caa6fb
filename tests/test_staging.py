"""Rendering workers write their pages straight into the staged site.

On a large briefing the pages are rendered on every core, and each worker puts
its pages into the staging folder itself (``output.Staging``), so the parent
never holds the site in memory. The site must not depend on the number of
workers, and a build that fails once workers have written pages must still
leave the previous site exactly as it was, with nothing staged left behind.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import output, places, render
from generator.build import BuildOptions, build, preview_builder
from generator.errors import ContentError, OutputError
from generator.memo import user_cache
from generator.store import state_path
from tests.helpers import REPO, tree_hash, write_briefing
from tests.test_atomic import write_large_briefing

SOURCES = render.PARALLEL_MIN_PAGES + 20  # enough pages for the forked workers


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("large")
    write_large_briefing(root, "Workers", sources=SOURCES)
    return root


def _strays(out: Path) -> list[str]:
    """What failed or killed builds left beside ``out``; the spare site (the one
    the last swap replaced, kept for the next build to reuse) is not one."""
    return sorted(p.name for p in out.parent.iterdir()
                  if p.name.startswith(f".{out.name}.") and p.name != f".{out.name}.spare")


def test_workers_build_the_same_site_as_one_process(large: Path, tmp_path: Path) -> None:
    one = build(BuildOptions(root=large, out=tmp_path / "one", search=False, jobs=1))
    two = build(BuildOptions(root=large, out=tmp_path / "two", search=False, jobs=2))
    assert one.pages == two.pages > SOURCES
    assert tree_hash(tmp_path / "one") == tree_hash(tmp_path / "two")
    assert _strays(tmp_path / "one") == _strays(tmp_path / "two") == []


def test_reading_on_the_workers_finds_what_one_process_finds(large: Path, tmp_path: Path) -> None:
    # A cold build of a large briefing reads and analyses its sources on every
    # core (update._Run._read_ahead); what it reports must be what one process
    # reports, for each way a source can go wrong.
    broken = tmp_path / "broken"
    for kind in ("content", "seeds"):
        shutil.copytree(large / kind, broken / kind)
    write_briefing(broken, {
        "content/sources/s3.yaml": "file: s3.txt\ntitle: [unclosed\n",
        "content/sources/s4.yaml": "file: nowhere.txt\ntitle: Lost\n",
        "content/sources/s5.yaml": "file: s6.txt\ntitle: Twice\n",  # s6 names it too
        "content/sources/s9.yaml": "file: s9.txt\ntitle: Odd\nno_such_field: 1\n",
        "seeds/s8.txt": "\n",
    })
    (broken / "seeds/s7.txt").write_bytes(b"Binary\0text\n")
    found = []
    for jobs in (1, 2):
        with pytest.raises(ContentError) as failed:
            build(BuildOptions(root=broken, out=tmp_path / f"site-{jobs}", search=False, jobs=jobs))
        found.append([(d.location, d.severity, d.message) for d in failed.value.diagnostics])
    assert found[0] == found[1]
    where = {location.path for location, _, _ in found[0]}
    assert {"content/sources/s3.yaml", "content/sources/s4.yaml", "content/sources/s6.yaml",
            "content/sources/s9.yaml", "seeds/s7.txt", "seeds/s8.txt"} <= where


def test_a_template_error_on_the_workers_leaves_the_site_and_no_staged_files(large: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(BuildOptions(root=large, out=out, search=False, jobs=2))
    before = tree_hash(out)
    # A template that fails on one page only: the workers have written hundreds
    # of other pages into the staging folder by the time the error is known.
    broken = tmp_path / "broken"
    for kind in ("content", "seeds"):
        shutil.copytree(large / kind, broken / kind)
    source = (places.builtin_templates() / "source.html").read_text(encoding="utf-8")
    (broken / "templates").mkdir()
    (broken / "templates/source.html").write_text(
        source.replace("<h1>{{ source.title }}</h1>",
                       "<h1>{{ source.title }}{% if source.title == 'Source 300' %}{{ no_such_name }}{% endif %}</h1>"),
        encoding="utf-8")
    with pytest.raises(ContentError) as failed:
        build(BuildOptions(root=broken, out=out, search=False, jobs=2))
    [error] = failed.value.diagnostics
    assert error.location.path == "templates/source.html" and "no_such_name" in error.message
    time.sleep(0.2)  # a worker still writing would show here
    assert tree_hash(out) == before
    assert _strays(out) == []


def test_an_edit_rendered_on_the_workers_finishes_the_briefing_json_it_started_first(
        large: Path, tmp_path: Path) -> None:
    """An edit starts writing ``briefing.json`` (a thread copying most of it)
    before it knows how many pages it makes. When a template edit makes it
    render on forked workers, the file is finished before they fork: the site
    equals a cold build's; and a failing template leaves the site as it was,
    nothing staged behind."""
    root = tmp_path / "b"
    for kind in ("content", "seeds"):
        shutil.copytree(large / kind, root / kind)
    out = root / "site"
    build(BuildOptions(root=root, search=False, jobs=2))
    source = (places.builtin_templates() / "source.html").read_text(encoding="utf-8")
    title = "<h1>{{ source.title }}</h1>"
    assert title in source
    article = root / "seeds/s1.txt"
    article.write_text(article.read_text(encoding="utf-8") + "\nA paragraph added since.\n", encoding="utf-8")
    write_briefing(root, {"templates/source.html": source.replace(title, "<h1>Edited: {{ source.title }}</h1>")})
    result = build(BuildOptions(root=root, search=False, jobs=2))
    assert result.written > render.PARALLEL_MIN_PAGES, "the source pages were rendered again, on the workers"
    build(BuildOptions(root=root, out=tmp_path / "cold", search=False, jobs=2))
    assert tree_hash(out) == tree_hash(tmp_path / "cold")
    assert "A paragraph added since." in (out / "data/briefing.json").read_text(encoding="utf-8")

    before = tree_hash(out)
    article.write_text(article.read_text(encoding="utf-8") + "\nAnother one.\n", encoding="utf-8")
    write_briefing(root, {"templates/source.html": source.replace(
        title, "<h1>{{ source.title }}{% if source.title == 'Source 300' %}{{ no_such_name }}{% endif %}</h1>")})
    with pytest.raises(ContentError):
        build(BuildOptions(root=root, search=False, jobs=2))
    time.sleep(0.2)  # a thread or worker still writing would show here
    assert tree_hash(out) == before
    assert _strays(out) == []


def test_a_build_leaves_the_cycle_collector_as_it_found_it(large: Path, tmp_path: Path) -> None:
    # The build pauses the collector while it makes the site and freezes what it
    # made; the live preview builds again and again in one process, so both must
    # be undone after every build, failed ones included.
    assert gc.isenabled() and gc.get_freeze_count() == 0
    build(BuildOptions(root=large, out=tmp_path / "site", search=False, jobs=2))
    assert gc.isenabled() and gc.get_freeze_count() == 0
    broken = tmp_path / "broken"
    shutil.copytree(large, broken, ignore=shutil.ignore_patterns("site", ".briefing-cache"))
    (broken / "templates").mkdir()
    (broken / "templates/source.html").write_text("{{ no_such_name }}\n", encoding="utf-8")  # fails once made
    with pytest.raises(ContentError):
        build(BuildOptions(root=broken, out=tmp_path / "site", search=False, jobs=2))
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_live_preview_reuses_the_site_each_build_replaces(large: Path, tmp_path: Path) -> None:
    # Each preview build stages into the tree the one before it replaced (kept
    # as the spare, named in the builder's memory), so an edit neither makes a
    # whole tree of folders nor deletes one; nothing else is left beside the site.
    root = tmp_path / "briefing"
    shutil.copytree(large, root, ignore=shutil.ignore_patterns("site", ".briefing-cache"))
    builder = preview_builder(BuildOptions(root=root, jobs=2))
    out = tmp_path / "preview" / "site"
    spare = out.parent / ".site.spare"
    builder(out)
    for n in range(3):
        with (root / "seeds/s7.txt").open("a", encoding="utf-8") as f:
            f.write(f"Edit {n} of the article.\n")
        kept = (spare.stat().st_dev, spare.stat().st_ino) if spare.exists() else None
        builder(out)
        assert f"Edit {n} of the article." in (out / "sources/s7/index.html").read_text(encoding="utf-8")
        if kept is not None:
            assert (out.stat().st_dev, out.stat().st_ino) == kept, "the spare became the new site"
        assert spare.is_dir()
    assert _strays(out) == []
    build(BuildOptions(root=root, out=tmp_path / "cold", search=False, jobs=2))
    assert tree_hash(out) == tree_hash(tmp_path / "cold")


def _sources(root: Path, texts: dict[str, str | None]) -> None:
    """Write (or, for None, remove) articles s1, s2, ... with their summaries."""
    for sid, text in texts.items():
        if text is None:
            (root / f"seeds/{sid}.txt").unlink()
            (root / f"content/sources/{sid}.yaml").unlink()
        else:
            write_briefing(root, {f"seeds/{sid}.txt": f"Report {sid}\n{text}\n",
                                  f"content/sources/{sid}.yaml": f"file: {sid}.txt\ntitle: Report {sid}\n"})


def _build_equals_cold(root: Path, tmp_path: Path, name: str) -> None:
    build(BuildOptions(root=root, search=False))
    cold = tmp_path / f"cold-{name}"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(root / "site") == tree_hash(cold)


def test_the_replaced_site_is_reused_as_the_next_staging_folder_without_touching_the_current_one(
        tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    site, spare = root / "site", root / ".site.spare"
    _sources(root, {"s1": "First words.", "s2": "Second words.", "s3": "Third words."})
    _build_equals_cold(root, tmp_path, "1")
    # A first site replaces no tree: its spare is made of links to its files.
    assert (spare / ".briefing-site").stat().st_ino == (site / ".briefing-site").stat().st_ino
    assert (spare / "sources/s1/index.html").stat().st_ino == (site / "sources/s1/index.html").stat().st_ino
    assert tree_hash(spare) == tree_hash(site)
    assert _strays(site) == []
    made = (spare.stat().st_dev, spare.stat().st_ino)
    _sources(root, {"s3": "Third words, corrected."})
    _build_equals_cold(root, tmp_path, "2")
    assert (site.stat().st_dev, site.stat().st_ino) == made, "the spare made by the first build became the site"
    assert (spare / ".briefing-site").is_file(), "the replaced site is kept as the spare"
    page = site / "sources/s1/index.html"
    assert (spare / "sources/s1/index.html").stat().st_ino == page.stat().st_ino  # unchanged: one file

    # The next build reuses the spare. s1's page changes: the spare's file, which
    # is also the current site's file, must be replaced, never written into.
    held = tmp_path / "held.html"
    held.hardlink_to(page)
    before = held.read_bytes()
    unchanged = site / "sources/s2/index.html"
    inode, mtime = unchanged.stat().st_ino, unchanged.stat().st_mtime_ns
    reused = (spare.stat().st_dev, spare.stat().st_ino)
    _sources(root, {"s1": "First words, rewritten."})
    _build_equals_cold(root, tmp_path, "3")
    assert (site.stat().st_dev, site.stat().st_ino) == reused, "the spare became the new site"
    assert held.read_bytes() == before, "a file of the previous site was written into"
    assert "rewritten" in page.read_text(encoding="utf-8")
    assert (unchanged.stat().st_ino, unchanged.stat().st_mtime_ns) == (inode, mtime)

    # A page the site no longer has is not left in the reused tree.
    _sources(root, {"s2": None})
    _build_equals_cold(root, tmp_path, "4")
    assert not (site / "sources/s2").exists()
    assert _strays(site) == []


def test_a_damaged_spare_is_not_reused(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    _sources(root, {"s1": "First words."})
    build(BuildOptions(root=root, search=False))
    _sources(root, {"s1": "First words, again."})
    build(BuildOptions(root=root, search=False))
    spare = root / ".site.spare"
    (spare / ".briefing-site").write_text("not a manifest", encoding="utf-8")
    (spare / "sources/s1/index.html").write_text("planted", encoding="utf-8")
    _sources(root, {"s1": "First words, a third time."})
    _build_equals_cold(root, tmp_path, "damaged")
    assert "planted" not in (root / "site/sources/s1/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("planted", ["link", "folder"])
def test_a_spare_the_build_did_not_leave_is_never_used(tmp_path: Path, planted: str) -> None:
    """A briefing folder from someone else may come with a ``.site.spare`` of their
    making: a symbolic link to the user's files, or a folder whose manifest lists
    files as its own. A build must neither delete those files (as pages the site
    no longer has) nor write through the folder."""
    victim = tmp_path / "victim"
    (victim / "sources/x").mkdir(parents=True)
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    (victim / "sources/x/index.html").write_text("keep me too", encoding="utf-8")
    manifest = {"generator": "briefing", "files": {"precious.txt": "0" * 64, "sources/x/index.html": "0" * 64,
                                                   "index.html": "0" * 64}}
    (victim / ".briefing-site").write_text(json.dumps(manifest), encoding="utf-8")
    root = write_briefing(tmp_path / "b")
    spare = root / ".site.spare"
    if planted == "link":
        spare.symlink_to(victim, target_is_directory=True)
    else:
        shutil.copytree(victim, spare)
        (spare / "sources/x/index.html").unlink()
        (spare / "sources/x/index.html").symlink_to(victim / "sources/x/index.html")
    before = tree_hash(victim)
    for n in range(3):
        _sources(root, {"s1": f"Edit {n}."})
        _build_equals_cold(root, tmp_path, f"{planted}-{n}")
    assert tree_hash(victim) == before
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"
    if planted == "link":
        assert spare.is_symlink(), "a link by that name is left alone"
    else:  # a folder with our marker is a site to replace, like any output
        assert not (spare / "precious.txt").exists() and (spare / "sources/s1/index.html").is_file()


def test_a_spare_whose_record_is_lost_is_replaced_so_that_reuse_resumes(tmp_path: Path) -> None:
    # The build state naming the spare is gone (a new version of briefing, a
    # deleted cache): that spare cannot be trusted, but it must not block every
    # later one.
    root, site, spare = _built_twice(tmp_path)
    old = _identity(spare)
    state_path(user_cache(), root, site).unlink()
    _sources(root, {"s1": "Edit 2."})
    build(BuildOptions(root=root, search=False))
    assert _identity(spare) != old, "the untrusted spare was replaced"
    _reuses_its_spare(root, tmp_path, "resumed")


def test_a_first_build_replaces_an_untrusted_spare_of_ours_with_its_own(tmp_path: Path) -> None:
    # A first build into a folder replaces no site, so it makes its spare of links
    # to the new files. A spare of ours already there, which no state names (the
    # site was deleted, the cache too), must give way, as it does for a replaced
    # site: left in place, it would keep every later edit from reusing a spare.
    root, site, spare = _built_twice(tmp_path)
    stale = _identity(spare)
    shutil.rmtree(site)
    state_path(user_cache(), root, site).unlink()
    build(BuildOptions(root=root, search=False))  # its spare is made before it returns
    assert _identity(spare) != stale, "the stale spare was replaced"
    page = "sources/s1/index.html"
    assert (spare / page).stat().st_ino == (site / page).stat().st_ino, "the new spare links the new site's files"
    _reuses_its_spare(root, tmp_path, "after-first")


def _built_twice(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A briefing built, edited and built again: it has a site and a spare of ours."""
    root = write_briefing(tmp_path / "b")
    for n in range(2):
        _sources(root, {"s1": f"Edit {n}."})
        build(BuildOptions(root=root, search=False))
    return root, root / "site", root / ".site.spare"


def _identity(path: Path) -> tuple[int, int]:
    return path.stat().st_dev, path.stat().st_ino


def _reuses_its_spare(root: Path, tmp_path: Path, name: str) -> None:
    """The next edit's build equals a cold one, swaps in the spare now beside the
    site, and leaves nothing else behind."""
    site, kept = root / "site", _identity(root / ".site.spare")
    _sources(root, {"s1": "Edit 3."})
    _build_equals_cold(root, tmp_path, name)
    assert _identity(site) == kept, "the next build reused the new spare"
    assert _strays(site) == []


def test_the_site_manifest_is_the_json_it_claims_to_be_whatever_the_file_names(tmp_path: Path) -> None:
    """The manifest (``.briefing-site``) is written without a JSON encoder when no
    name needs escaping: it must be the text ``json.dumps`` makes, both for the
    generated site and for static files whose names need escaping, and name
    every file of the site with its digest."""
    root = write_briefing(tmp_path / "b", {
        "content/static/plain.txt": "plain",
        'content/static/quote "and" back\\slash.txt': "escaped",
        "content/static/caf\u00e9 \u2013 tab\there.txt": "not ascii",
    })
    for static in (True, False):
        if not static:
            shutil.rmtree(root / "content" / "static")
        build(BuildOptions(root=root, search=False))
        site = root / "site"
        text = (site / output.MARKER).read_text(encoding="utf-8")
        files = json.loads(text)["files"]
        assert text == json.dumps({"files": files, "generator": "briefing"}, indent=0, sort_keys=True) + "\n"
        assert output.manifest(site) == files
        on_disk = {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in site.rglob("*") if p.is_file() and p.name != output.MARKER}
        assert files.keys() == on_disk.keys()
        # briefing.json is named by its parts' digests (see data.PartMap), every other file by its bytes'.
        assert {rel: d for rel, d in files.items() if rel != "data/briefing.json"} == \
            {rel: d for rel, d in on_disk.items() if rel != "data/briefing.json"}
        assert any(name.startswith("quote") for name in files) is static


def test_the_files_of_a_site_keep_pages_in_place_as_digests_and_answer_as_placed(tmp_path: Path) -> None:
    """:class:`output.SiteFiles` holds the pages kept in place as digests: each
    still reads as the :class:`Placed` it stands for, a file put over one
    replaces it, and the counts, digests and write flags cover both."""
    files = output.SiteFiles({"a.html": "da", "b.html": "db"})
    files["c.html"] = output.Placed("dc", written=True)
    files["b.html"] = output.Placed("db2", written=False, reused=True)
    assert list(files) == ["c.html", "b.html", "a.html"]
    assert len(files) == 3 and "a.html" in files and "z.html" not in files
    assert files["a.html"] == output.Placed("da", written=False, reused=True, unbuilt=True)
    assert files["b.html"] == output.Placed("db2", written=False, reused=True)
    assert files.digests() == {"a.html": "da", "b.html": "db2", "c.html": "dc"}
    assert files.written() == {"a.html": False, "b.html": False, "c.html": True}
    assert (files.count("written"), files.count("reused"), files.count("unbuilt")) == (1, 2, 1)
    del files["a.html"]
    del files["c.html"]
    assert dict(files) == {"b.html": output.Placed("db2", written=False, reused=True)}
    with pytest.raises(KeyError):
        files["a.html"]


def test_the_manifest_made_from_the_last_one_is_the_one_written_out_whole() -> None:
    """An edit's build makes its manifest from the current one's text, the
    digests that changed replaced (``output._marker_patched``): the very text
    written out whole, at the first path, the last, and between; or nothing
    when a path or digest would need an escape, or the path is not there."""
    before = {f"p{i:03}/index.html": f"{i:064x}" for i in range(200)}
    before["data/briefing.json"] = "m" * 40  # named by its parts' digest: another length
    text = output._marker_text(before)
    for changed in ([("p000/index.html", "a" * 64)], [("p199/index.html", "b" * 64)],
                    [("data/briefing.json", "c" * 70), ("p010/index.html", "d" * 64), ("p150/index.html", "")],
                    []):
        after = {**before, **dict(changed)}
        assert output._marker_patched(text, sorted(changed)) == output._marker_text(after), changed
    assert output._marker_patched(text, [("p000/index.html", 'say "x"')]) is None
    assert output._marker_patched(text, [("p999/index.html", "a" * 64)]) is None
    assert output._marker_patched(text, [("caf\u00e9", "a" * 64)]) is None


def test_the_files_of_a_site_tell_which_digests_changed_from_the_last_manifest() -> None:
    previous = {"a.html": "da", "b.html": "db", "c.html": "dc"}
    files = output.SiteFiles({"a.html": "da", "b.html": "db"})
    files["c.html"] = output.Placed("dc2", written=True)
    assert files.changed_from(previous) == [("c.html", "dc2")]
    files["b.html"] = output.Placed("db", written=False)
    assert files.changed_from(previous) == [("c.html", "dc2")], "put again, the same digest"
    assert files.changed_from({**previous, "d.html": "dd"}) is None, "a file gone"
    files["e.html"] = output.Placed("de", written=True)
    assert files.changed_from({**previous, "d.html": "dd"}) is None, "another file in its place"
    assert output.SiteFiles({"a.html": "other"}).changed_from({"a.html": "da"}) is None, \
        "a page kept in place is taken only with the digest the manifest has"


def test_a_file_put_later_is_written_by_a_thread_as_put_would_write_it(tmp_path: Path) -> None:
    """``briefing.json`` is written by a thread while a small build renders its
    pages: its bytes and copied ranges are the ones :meth:`Staging.put_parts`
    would write, and the build's own thread places it."""
    out = tmp_path / "site"
    (out / "data").mkdir(parents=True)
    (out / "data" / "x.json").write_bytes(b"0123456789")
    parts: list[bytes | output.Copy] = [b"<", output.Copy(2, 5), b"|", output.Copy(0, 1), b">"]
    written = {}
    for how in ("now", "later"):
        with output.Staging(out) as staging:
            if how == "now":
                placed = staging.put_parts("data/x.json", iter(parts), lambda: "digest")
            else:
                later = staging.put_parts_later("data/x.json", iter(parts), lambda: "digest")
                placed = later.wait()
                assert later.wait() is placed
            assert placed == output.Placed("digest", written=True)
            written[how] = (staging.path / "data" / "x.json").read_bytes()
            staging.discard()
        assert not staging.path.exists()
    assert written == {"now": b"<23456|0>", "later": b"<23456|0>"}


def test_a_file_put_later_that_cannot_be_written_fails_the_build_cleanly(tmp_path: Path) -> None:
    """What the thread fails with is raised by ``wait`` as the build's own error
    (the site cannot be written), and discarding the staged site waits for it."""
    out = tmp_path / "site"
    (out / "data").mkdir(parents=True)
    (out / "data" / "x.json").write_bytes(b"short")
    with pytest.raises(OutputError, match="shorter than its record"), output.Staging(out) as staging:
        pending = staging.put_parts_later("data/z.json", [b"z" * 1000], lambda: "z")
        with pytest.raises(RuntimeError, match="not waited for"):
            staging.commit({}, then=None)
        later = staging.put_parts_later("data/x.json", [output.Copy(0, 1000)], lambda: "digest")
        later.wait()
    # Leaving the block on the error discarded the staged site, the threads waited for.
    assert not pending.done and not staging.path.exists()
    assert (out / "data" / "x.json").read_bytes() == b"short"


_NO_CHILD_LEFT = """
try:
    os.waitpid(-1, os.WNOHANG)
    sys.exit("a child is left")
except ChildProcessError:
    print("ok")
"""

_FORK_CALL = """
import os, sys
from generator import parallel

here = os.getpid()
assert parallel.fork_call(os.getpid).wait() != here, "made in a child"

def dies() -> str:
    if os.getpid() != here:
        os._exit(3)
    return "made here"

assert parallel.fork_call(dies).wait() == "made here", "a failed child: the call is made here"
assert parallel.fork_call(dies, fallback=lambda: "fallback").wait() == "fallback"
with parallel.fork_call(lambda: __import__("time").sleep(60)):
    pass  # left without waiting, as on an error: the child is stopped and reaped
""" + _NO_CHILD_LEFT


_FORK_EACH = """
import os, sys, time
from pathlib import Path
from generator import parallel

here, gate = os.getpid(), Path(sys.argv[1])

def results():
    yield "first"
    deadline = time.monotonic() + 60  # not forever, should the parent be gone
    while not gate.exists() and time.monotonic() < deadline:  # the parent has the first result by now
        time.sleep(0.01)
    yield os.getpid()
    raise RuntimeError("failing after its second result: the third is the fallback's")

first, second, third = parallel.fork_each(results, [lambda: "no 1", lambda: "no 2", lambda: "no 3"])
assert first.wait() == "first"
gate.touch()
assert second.wait() != here, "made in the child"
assert third.wait() == "no 3", "not sent: the fallback's"
one, two = parallel.fork_each(lambda: iter([1, 2]), [lambda: 0, lambda: 0])
with two:
    assert one.wait() == 1
with parallel.fork_each(lambda: iter([__import__("time").sleep(60)]), [lambda: 0])[0]:
    pass  # left without waiting, as on an error: the child is stopped and reaped

# A result larger than a pipe holds does not hold the child back until it is read.
went_on = gate.with_name("went-on")

def large_first():
    yield "x" * 4_000_000
    went_on.touch()
    yield "second"

large, after = parallel.fork_each(large_first, [lambda: "no 1", lambda: "no 2"])
deadline = time.monotonic() + 60
while not went_on.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
assert went_on.exists(), "the child went on before its first result was read"
assert (large.wait(), after.wait()) == ("x" * 4_000_000, "second")
""" + _NO_CHILD_LEFT


def test_a_child_forked_off_sends_each_result_as_soon_as_it_is_made(tmp_path: Path) -> None:
    """``parallel.fork_each`` (the build's helper: its fingerprint, then the
    site's files): each result can be used before the child makes the next; the
    ones a failing child did not send are the fallbacks'; no child is left
    behind, waited for or not. In a fresh process, as for ``fork_call``."""
    result = subprocess.run([sys.executable, "-c", _FORK_EACH, str(tmp_path / "gate")], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


_STOPS_READING = """
import os, time
from generator import parallel

[pending] = parallel.fork_each(lambda: iter(["x" * 3_000_000]), [lambda: 0])
child = pending._child  # the parent stops reading, and the child finds the pipe closed before it is killed
os.close(child._fd)
child._fd = None
time.sleep(1.0)
_, status = os.waitpid(child.pid, 0)
print("ok" if os.waitstatus_to_exitcode(status) == 0 else "failed")
"""


def test_a_child_whose_parent_stops_reading_ends_quietly() -> None:
    """A build that needs nothing more from its helper closes the pipe: the
    helper's writer finds it closed, and prints nothing on the user's terminal."""
    result = subprocess.run([sys.executable, "-c", _STOPS_READING], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert (result.stdout.strip(), result.stderr) == ("ok", ""), result.stderr


def test_a_call_forked_off_gives_its_result_or_is_made_here() -> None:
    """``parallel.fork_call`` (a cold build's ``briefing.json``): the result of the
    child, the call made in this process when the child fails, and no child left
    behind when the caller gives up on it. In a fresh process: one with other
    threads (this one may have) forks nothing."""
    result = subprocess.run([sys.executable, "-c", _FORK_CALL], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_first_sites_spare_begun_before_the_commit_holds_the_sites_very_files(tmp_path: Path) -> None:
    """A first site's spare is begun with links to its pages as staged, while the
    build waits for ``briefing.json`` (``Staging.link_spare_ahead``); the commit
    links the rest, and links again a page put anew since (another inode), so
    every file of the spare is the site's own, its manifest last."""
    out = tmp_path / "site"
    with output.Staging(out) as staging:
        files = staging.keep({})
        files["a/index.html"] = staging.put("a/index.html", b"A")
        files["b/index.html"] = staging.put("b/index.html", b"B")
        files["gone/index.html"] = staging.put("gone/index.html", b"G")
        staging.link_spare_ahead(["a/index.html", "b/index.html", "gone/index.html"])
        files["b/index.html"] = staging.put_stream("b/index.html", [b"B, put anew"])
        del files["gone/index.html"]  # and from the staged site: as a pruned file would be
        (staging.path / "gone/index.html").unlink()
        (staging.path / "gone").rmdir()
        files["c.txt"] = staging.put("c.txt", b"C")
        staging.commit(files)
    spare = tmp_path / ".site.spare"
    assert sorted(str(p.relative_to(spare)) for p in spare.rglob("*") if p.is_file()) == \
        sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()) == \
        [".briefing-site", "a/index.html", "b/index.html", "c.txt"]
    for rel in (".briefing-site", "a/index.html", "b/index.html", "c.txt"):
        assert os.path.samestat((spare / rel).stat(), (out / rel).stat()), rel
    assert (spare / "b/index.html").read_bytes() == b"B, put anew"
    assert not (spare / "gone").exists(), "the folder of a file the site no longer has"
    assert _strays(out) == []


def test_a_failed_first_build_leaves_no_spare_it_began(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with pytest.raises(RuntimeError), output.Staging(out) as staging:
        staging.put("a/index.html", b"A")
        staging.link_spare_ahead(["a/index.html"])
        raise RuntimeError("the build failed after its pages were rendered")
    assert not out.exists() and not (tmp_path / ".site.spare").exists()
    assert _strays(out) == []


def test_a_first_site_rendered_on_the_workers_has_a_spare_of_its_very_files(large: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build(BuildOptions(root=large, out=out, search=False, jobs=2))
    spare = tmp_path / ".site.spare"
    files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert len(files) > SOURCES and files == sorted(p.relative_to(spare) for p in spare.rglob("*") if p.is_file())
    assert all(os.path.samestat((out / rel).stat(), (spare / rel).stat()) for rel in files)
    assert _strays(out) == []
