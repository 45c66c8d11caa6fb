"""The build's caches never serve a stale site.

Three caches exist: a rebuild whose inputs hash to the fingerprint of the site
in place does nothing; a rebuild that does run starts from the state of the
last good build (``generator.store``: every unit as read and resolved, the
indexes, what each page read), does again only what the changed files reach,
and builds again only the pages that read something that changed; and every
file whose bytes did not change is kept (hard-linked). For an edit to each kind of input,
the rebuilt site must equal a cold build of the edited briefing byte for byte,
the pages the edit concerns must change and be the only ones rendered, and the
files it does not concern must be kept (same inode, same mtime).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from generator import context, fingerprint, memo, places, render
from generator.build import BuildOptions, build, preview_builder
from generator.errors import ContentError, Diagnostics
from generator.load import BriefingPaths
from generator.parallel import MIN_ITEMS
from generator.store import DamagedState, Store, state_path, state_salt
from generator.update import update
from tests.helpers import run_cli, tree_hash, write_briefing

# Each edit: (files to overlay, a page that must change).
EDITS: dict[str, tuple[dict[str, str], str]] = {
    "article": ({"seeds/cairo.txt": "Talks in Cairo\nNegotiators met in Cairo on Monday to discuss the"
                 " ceasefire.\nAlice Smith said the “first phase” is close — very close.\n- Bob Jones"
                 " rejected the draft on Tuesday.\nA new paragraph about Alice.\n"},
                "sources/cairo/index.html"),
    "briefing.yaml": ({"content/briefing.yaml": "title: Test briefing\nas_of: 2025-10-08\nsummary: A new bottom"
                       " line.\n"}, "index.html"),
    "source yaml": ({"content/sources/cairo.yaml": "file: cairo.txt\ntitle: Talks in Cairo, retitled\n"},
                    "sources/cairo/index.html"),
    "actor yaml": ({"content/actors/bob.yaml": "name: Bob Jones\nrole: negotiator\n"},
                   "actors/bob/index.html"),
    "topic yaml": ({"content/topics/ceasefire.yaml": "title: Truce\nstatus: agreed\nkeywords: [ceasefire]\n"},
                   "topics/ceasefire/index.html"),
    "template": ({"templates/actor.html": "{% extends 'base.html' %}{% block main %}<h1>{{ actor.name }}!"
                  "</h1>{% endblock %}\n"}, "actors/bob/index.html"),
    "static file": ({"content/static/notes.txt": "hello\n"}, "notes.txt"),
}


def _build(root: Path, out: Path, *options: str) -> str:
    result = run_cli("build", "--root", root, "--out", out, *options, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _reused(stdout: str) -> int:
    found = re.search(r"(\d+) pages reused unrendered", stdout)
    assert found, stdout
    return int(found.group(1))


def _built_pages(stdout: str) -> int:
    found = re.search(r"Built (\d+) pages", stdout)
    assert found, stdout
    return int(found.group(1))


def _pages(tree: dict[str, str]) -> set[str]:
    """The rendered pages of a site (its HTML and XML files, the search page's
    assets aside)."""
    return {rel for rel in tree if rel.endswith((".html", ".xml")) and not rel.startswith("assets/")}


def test_unchanged_inputs_rebuild_nothing(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    before = {p: p.stat().st_mtime_ns for p in (root / "site").rglob("*") if p.is_file()}
    assert " 0 written" in _build(root, root / "site")
    assert {p: p.stat().st_mtime_ns for p in (root / "site").rglob("*") if p.is_file()} == before


def test_a_deleted_output_file_is_rebuilt(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    (root / "site" / "actors" / "bob" / "index.html").unlink()
    _build(root, root / "site")
    assert (root / "site" / "actors" / "bob" / "index.html").is_file()


def test_a_page_edited_in_the_site_is_made_again_by_the_next_build(tmp_path: Path) -> None:
    """A page kept unbuilt must be the very file the last build wrote: one changed
    in place (same path) since is made again, by ``build``, by the command (whose
    helper looks at the site) and by a preview builder not told its folder is its own."""
    root = write_briefing(tmp_path / "b")
    preview = preview_builder(BuildOptions(root=root))
    build(BuildOptions(root=root, search=False))
    preview(tmp_path / "preview")
    _build(root, tmp_path / "command", "--no-search")
    for site in (root / "site", tmp_path / "preview", tmp_path / "command"):
        page = site / "actors" / "bob" / "index.html"
        page.write_text(page.read_text(encoding="utf-8").replace("Bob Jones", "Someone Else"), encoding="utf-8")
    _write(root / "content/briefing.yaml",
           (root / "content/briefing.yaml").read_text(encoding="utf-8").replace("The bottom line.", "Changed."))
    build(BuildOptions(root=root, search=False))
    preview(tmp_path / "preview")
    _build(root, tmp_path / "command", "--no-search")
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(root / "site") == tree_hash(cold)
    assert tree_hash(tmp_path / "preview") == tree_hash(cold)
    assert tree_hash(tmp_path / "command") == tree_hash(cold)


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_an_edit_rebuilds_exactly_like_a_cold_build(tmp_path: Path, kind: str) -> None:
    files, page = EDITS[kind]
    root = write_briefing(tmp_path / "b")
    site = root / "site"
    _build(root, site)
    old = tree_hash(site)
    inodes = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}

    write_briefing(root, files)
    reused = _reused(_build(root, site))
    cold = tmp_path / "cold"
    _build(root, cold)

    new = tree_hash(site)
    assert new == tree_hash(cold), "a rebuild over the old site must equal a cold build"
    assert new.get(page) != old.get(page), f"{page} must change when the {kind} changes"
    # A page is rendered again when what it is made from (its templates and
    # context) changed. For these edits that is exactly the pages whose bytes
    # change. (A context change no template shows, say a topic's status on a
    # page that lists only its title, renders the page to the same bytes.)
    same = {rel for rel in _pages(new) if old.get(rel) == new[rel]}
    assert reused == len(same), f"exactly the {len(_pages(new)) - len(same)} changed pages must be rendered"
    kept = [rel for rel, digest in new.items() if digest != "dir" and old.get(rel) == digest and rel != ".briefing-site"]
    assert kept, "an edit to one input must leave some files as they were"
    for rel in kept:
        assert (site / rel).stat().st_ino == inodes[rel], f"unchanged {rel} was rewritten"


def test_fingerprint_covers_options(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    result = run_cli("build", "--root", root, "--noindex")
    assert result.returncode == 0
    assert " 0 written" not in result.stdout
    assert 'name="robots"' in (root / "site" / "index.html").read_text(encoding="utf-8")
    assert os.path.exists(root / "site" / "index.html")


def test_one_article_edit_renders_only_the_pages_it_touches(tmp_path: Path) -> None:
    """Many sources: an edit to one article leaves every other source page unrendered."""
    extra: dict[str, str] = {}
    for i in range(30):
        extra[f"seeds/s{i:02}.txt"] = f"Report {i}\nParagraph {i} about the weather.\n"
        extra[f"content/sources/s{i:02}.yaml"] = f"file: s{i:02}.txt\ntitle: Report {i}\n"
    root = write_briefing(tmp_path / "b", extra)
    site = root / "site"
    cold = _build(root, site)
    before = tree_hash(site)
    (root / "seeds" / "s07.txt").write_text("Report 7\nParagraph 7, corrected.\n", encoding="utf-8")
    edit = _build(root, site)
    reused = _reused(edit)
    after = tree_hash(site)
    changed = {rel for rel in _pages(after) if before.get(rel) != after[rel]}
    assert "sources/s07/index.html" in changed
    assert not any(rel.startswith("sources/s") and rel != "sources/s07/index.html" for rel in changed)
    assert reused == len(_pages(after)) - len(changed)
    assert reused >= 30
    # The pages counted, whether made or kept (kept ones are counted without a test each).
    assert _built_pages(cold) == _built_pages(edit) == _built_pages(_build(root, site)) == len(_pages(after))


def test_nothing_pickled_in_the_briefing_folder_is_ever_loaded(tmp_path: Path) -> None:
    """Unpickling runs code: the build state lives in the user's own cache folder,
    and a pickle planted in a shared briefing folder (where older versions kept
    their memo) is never read."""
    root = write_briefing(tmp_path / "b")
    canary = tmp_path / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {canary}",))

    cache = root / ".briefing-cache"
    cache.mkdir()
    for name in ("memo.pickle", "state.sqlite", "inputs.json"):
        (cache / name).write_bytes(b"\0" * 32 + pickle.dumps(("salt", Payload())))
    _build(root, root / "site")
    write_briefing(root, {"content/actors/bob.yaml": "name: Bob Jones\nrole: mediator\n"})
    _build(root, root / "site")
    assert not canary.exists()
    cold = tmp_path / "cold"
    _build(root, cold)
    assert tree_hash(root / "site") == tree_hash(cold)


def _state_file(user_cache: Path, root: Path) -> Path:
    return state_path(user_cache / "briefing", root, root / "site")


def _edit_builds_as_a_cold_build(root: Path, tmp_path: Path) -> None:
    """An edit (an actor's role), built on whatever state the build finds, makes
    the site a cold build makes."""
    write_briefing(root, {"content/actors/bob.yaml": "name: Bob Jones\nrole: mediator\n"})
    _build(root, root / "site")
    cold = tmp_path / "cold"
    _build(root, cold)
    assert tree_hash(root / "site") == tree_hash(cold)


def test_the_build_state_is_the_users_own(tmp_path: Path, user_cache: Path) -> None:
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    state = _state_file(user_cache, root)
    assert state.is_file()
    assert state.is_relative_to(user_cache)
    assert not any(p.suffix in (".sqlite", ".pickle") for p in root.rglob("*")), "nothing of it in the briefing"


@pytest.mark.parametrize("damage", ["flipped bytes", "truncated", "not a database", "another version"])
def test_a_damaged_or_foreign_state_is_ignored(tmp_path: Path, user_cache: Path, damage: str) -> None:
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    state = _state_file(user_cache, root)
    data = bytearray(state.read_bytes())
    if damage == "flipped bytes":
        for i in range(len(data) // 3, len(data), 97):
            data[i] ^= 0xFF
        state.write_bytes(bytes(data))
    elif damage == "truncated":
        state.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "not a database":
        state.write_bytes(b"hello")
    else:
        with sqlite3.connect(state) as conn:
            conn.execute("UPDATE kv SET value = ? WHERE ns = '' AND key = 'salt'", (b"other code",))
    _edit_builds_as_a_cold_build(root, tmp_path)


def test_a_value_altered_in_the_state_is_caught_by_its_checksum(tmp_path: Path, user_cache: Path) -> None:
    # One byte of one pickled value changed, its checksum left: a disk error that
    # SQLite itself would not notice. The value must not be used.
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    state = _state_file(user_cache, root)
    with sqlite3.connect(state) as conn:
        value, = conn.execute("SELECT value FROM kv WHERE ns = 'meta' AND key = 'globals'").fetchone()
        at = value.index(b"Bob")  # a name in the pickled briefing: still loads when altered
        altered = value[:at] + b"Rob" + value[at + 3:]
        conn.execute("UPDATE kv SET value = ? WHERE ns = 'meta' AND key = 'globals'", (altered,))
    with pytest.raises(DamagedState):
        Store.on_disk(state, state_salt(), root).table("meta").get("globals")
    _edit_builds_as_a_cold_build(root, tmp_path)


def test_the_state_of_a_deleted_briefing_is_deleted_by_the_next_cold_build(tmp_path: Path, user_cache: Path) -> None:
    """A cold build deletes the states of briefings whose folder is gone, so the
    cache does not grow with every briefing ever built: the state and its note
    of the folder. Those of briefings still there are kept."""
    gone, kept = write_briefing(tmp_path / "gone"), write_briefing(tmp_path / "kept")
    for root in (gone, kept):
        _build(root, root / "site")
    leftovers = [_state_file(user_cache, gone), _state_file(user_cache, gone).with_suffix(".root")]
    assert all(path.exists() for path in leftovers)
    shutil.rmtree(gone)
    other = write_briefing(tmp_path / "other")
    _build(other, other / "site")
    assert not any(path.exists() for path in leftovers)
    assert _state_file(user_cache, other).exists() and _state_file(user_cache, kept).exists()


def test_a_cold_build_that_fails_while_its_state_is_written_ahead_keeps_the_last_state(
        tmp_path: Path, user_cache: Path) -> None:
    # A cold build writes its largest tables in a child process while it renders
    # (Store.write_ahead). A page that fails to render then must leave the state
    # of the last good build as it was, and nothing of the new one in the cache.
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    state = _state_file(user_cache, root)
    before = state.read_bytes()
    folder = sorted(p.name for p in state.parent.iterdir())
    write_briefing(root, {"templates/actor.html": "{{ no_such_name }}\n"})
    # --drafts: the state is of a build without drafts, so this one starts afresh (cold).
    failed = run_cli("build", "--root", root, "--drafts", timeout=120)
    assert failed.returncode == 1 and "no_such_name" in failed.stderr
    assert state.read_bytes() == before
    assert sorted(p.name for p in state.parent.iterdir()) == folder
    write_briefing(root, {"templates/actor.html": None})
    _build(root, root / "site")
    cold = tmp_path / "cold"
    _build(root, cold)
    assert tree_hash(root / "site") == tree_hash(cold)


def _dead_pid() -> int:
    for pid in range(4_000_000, 1_000, -997):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            continue
    raise AssertionError("no free process id")


def test_unfinished_state_files_of_killed_builds_are_deleted(tmp_path: Path, user_cache: Path) -> None:
    # A build killed while its child wrote the state ahead leaves that file,
    # which nothing swaps in; the next cold build of the same state deletes it.
    root = write_briefing(tmp_path / "b")
    _build(root, root / "site")
    state = _state_file(user_cache, root)
    dead = _dead_pid()
    litter = [state.with_name(f"{state.name}.ahead-{dead}"), state.with_name(f"{state.name}.tmp-{dead}")]
    for path in litter:
        path.write_bytes(b"unfinished")
    alive = state.with_name(f"{state.name}.ahead-{os.getpid()}")  # a build still running: kept
    alive.write_bytes(b"being written")
    _build(root, root / "site", "--drafts")  # the state is of a build without drafts: a cold one
    assert not any(path.exists() for path in litter)
    assert alive.exists()
    alive.unlink()


def test_a_same_size_edit_within_the_same_second_is_seen(tmp_path: Path) -> None:
    """The remembered input hashes trust a file's size and mtime only once it was
    a second old when hashed; a quick same-size edit with the mtime put back is
    still seen."""
    root = write_briefing(tmp_path / "b")
    article = root / "seeds" / "cairo.txt"
    _build(root, root / "site")
    stat = article.stat()
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("discuss", "debated"), encoding="utf-8")  # same length
    os.utime(article, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert article.stat().st_size == stat.st_size
    _build(root, root / "site")
    assert "debated" in (root / "site" / "sources" / "cairo" / "index.html").read_text(encoding="utf-8")


def test_the_live_preview_memo_builds_what_a_cold_build_does(tmp_path: Path) -> None:
    """``briefing serve`` keeps its memo in memory across builds; after a series of
    edits (and a failed build in between) its site equals a cold build's."""
    root = write_briefing(tmp_path / "b")
    builder = preview_builder(BuildOptions(root=root))
    out = tmp_path / "preview"
    builder(out)
    edits: list[dict[str, str | bytes | None]] = [
        {"content/actors/alice.yaml": "name: Alice Smith\nrole: envoy\n"},
        {"content/actors/bob.yaml": "name: [broken\n"},
        {"content/actors/bob.yaml": "name: Bob Jones\naliases: [Jones]\n"},
        {"content/briefing.yaml": "title: Retitled\nas_of: 2025-10-08\nsummary: New line.\n"},
    ]
    for edit in edits:
        write_briefing(root, edit)
        try:
            builder(out)
        except ContentError:  # the broken edit: the preview keeps the last good site
            assert "bob.yaml" in str(edit)
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(out) == tree_hash(cold)


def _write(path: Path, text: str) -> None:
    """Write one file (``write_briefing`` writes every file of the minimal briefing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _fingerprint(root: Path, known: fingerprint.Known | None, changed: list[Path] | None) -> fingerprint.Inputs:
    found = fingerprint.inputs(root, places.builtin_templates(), {}, known,
                               None if changed is None else [str(p) for p in changed])
    assert found is not None
    return found


def test_a_fingerprint_told_what_changed_is_the_whole_passs(tmp_path: Path) -> None:
    """The live preview tells the fingerprint the files its watcher saw change;
    the fingerprint is the one a pass over every file finds, whatever was told."""
    root = write_briefing(tmp_path / "b")
    table = _fingerprint(root, None, None).table
    assert table is not None
    cases: list[tuple[str, dict[str, str | None], list[str]]] = [
        ("an edit", {"seeds/cairo.txt": "Talks in Cairo\nA shorter text.\n"}, ["seeds/cairo.txt"]),
        ("a save with the same bytes", {"content/briefing.yaml": None}, ["content/briefing.yaml"]),
        ("an editor's temporary file, gone again", {}, ["content/actors/.bob.yaml.swp"]),
        ("a new file", {"content/actors/dan.yaml": "name: Dan Brown\n"}, ["content/actors/dan.yaml"]),
        ("a new folder", {"content/static/css/x.css": "b {}\n"}, ["content/static/css"]),
        ("a removed file", {"content/actors/dan.yaml": "REMOVE"}, ["content/actors/dan.yaml"]),
        ("a path outside the briefing", {}, [str(tmp_path / "elsewhere.txt")]),
        ("a folder of the briefing made", {"templates/assets/x.css": "i {}\n"}, ["templates"]),
    ]
    for what, files, told in cases:
        for rel, text in files.items():
            if text == "REMOVE":
                (root / rel).unlink()
            elif text is None:
                (root / rel).write_bytes((root / rel).read_bytes())
            else:
                _write(root / rel, text)
        whole = _fingerprint(root, table, None)
        quick = _fingerprint(root, table, [root / t if not t.startswith("/") else Path(t) for t in told])
        assert (quick.key, quick.hashes) == (whole.key, whole.hashes), what
        assert quick.table is not None, f"{what}: a told build must leave the whole table for the next"
        table = quick.table


def test_the_preview_told_what_changed_sees_what_a_failed_build_was_told(tmp_path: Path) -> None:
    """A failed build keeps nothing: the paths it was told are looked at again by
    the next build, with those the watcher reports then."""
    root = write_briefing(tmp_path / "b")
    preview = preview_builder(BuildOptions(root=root))
    out = tmp_path / "preview"
    preview(out, None)
    article = root / "seeds/cairo.txt"
    _write(article, article.read_text(encoding="utf-8") + "A paragraph written while bob.yaml was broken.\n")
    _write(root / "content/actors/bob.yaml", "name: [broken\n")
    with pytest.raises(ContentError):
        preview(out, [str(article), str(root / "content/actors/bob.yaml")])
    _write(root / "content/actors/bob.yaml", "name: Bob Jones\n")
    preview(out, [str(root / "content/actors/bob.yaml")])
    assert "while bob.yaml was broken" in (out / "sources/cairo/index.html").read_text(encoding="utf-8")
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False))
    assert tree_hash(out) == tree_hash(cold)


def test_compiled_templates_planted_in_the_briefing_folder_never_run(tmp_path: Path) -> None:
    """Compiled templates are code. They are cached in the user's own cache folder;
    a cache planted in a briefing (say, committed to a shared repository) is not read."""
    root = write_briefing(tmp_path / "b")
    canary = tmp_path / "pwned"
    env = render.environment(render.TemplateSet(root / "templates", places.builtin_templates()))
    planted = FileSystemBytecodeCache(str(root / ".briefing-cache" / "templates"))
    (root / ".briefing-cache" / "templates").mkdir(parents=True)
    assert env.loader is not None
    for name in ("base.html", "index.html"):
        source, filename, _ = env.loader.get_source(env, name)
        bucket = Bucket(env, planted.get_cache_key(name, filename), planted.get_source_checksum(source))
        bucket.code = compile(f"open({str(canary)!r}, 'w').close()", name, "exec")
        planted.dump_bytecode(bucket)
    _build(root, root / "site")
    assert not canary.exists()
    assert "Test briefing" in (root / "site" / "index.html").read_text(encoding="utf-8")


def test_an_edit_to_an_included_template_rerenders_the_pages_that_include_it(tmp_path: Path) -> None:
    """A page's key covers every template it extends, imports or includes, whatever
    the included file is called."""
    root = write_briefing(tmp_path / "b", {
        "templates/actor.html": "{% extends 'base.html' %}{% block main %}<h1>{{ actor.name }}</h1>"
                                "{% include 'parts/note.txt' %}{% endblock %}\n",
        "templates/parts/note.txt": "first note\n",
    })
    site = root / "site"
    _build(root, site)
    (root / "templates" / "parts" / "note.txt").write_text("second note\n", encoding="utf-8")
    _build(root, site)
    assert "second note" in (site / "actors" / "bob" / "index.html").read_text(encoding="utf-8")
    cold = tmp_path / "cold"
    _build(root, cold)
    assert tree_hash(site) == tree_hash(cold)


def test_the_fingerprint_is_of_places_and_contents_not_of_where_the_briefing_is(tmp_path: Path) -> None:
    """The same briefing in another folder has the same fingerprint; moving a file
    within it, or adding an empty folder, changes it."""
    here = write_briefing(tmp_path / "here")
    there = write_briefing(tmp_path / "elsewhere" / "there")
    key = _fingerprint(here, None, None).key
    assert _fingerprint(there, None, None).key == key
    (here / "content" / "actors" / "bob.yaml").rename(here / "content" / "actors" / "rob.yaml")
    moved = _fingerprint(here, None, None).key
    (here / "content" / "static").mkdir()
    assert len({key, moved, _fingerprint(here, None, None).key}) == 3


def test_the_fingerprint_follows_links_to_files_lists_links_to_folders_and_refuses_broken_ones(
        tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "note.txt").write_text("Talks\nA linked article.\n", encoding="utf-8")
    (outside / "deep" / "more.txt").write_text("More\n", encoding="utf-8")
    (root / "seeds" / "linked.txt").symlink_to(outside / "note.txt")
    (root / "seeds" / "folder").symlink_to(outside / "deep", target_is_directory=True)
    found = _fingerprint(root, None, None)
    linked, folder = str(root / "seeds" / "linked.txt"), str(root / "seeds" / "folder")
    assert linked in found.files and found.hashes[linked] == hashlib.sha256(b"Talks\nA linked article.\n").hexdigest()
    assert found.table is not None and folder in found.table.folders, "a link to a folder is listed"
    assert not any(f.startswith(folder + os.sep) for f in found.files), "and not walked"
    # An edit to the linked file is an edit of the input.
    (outside / "note.txt").write_text("Talks\nEdited.\n", encoding="utf-8")
    again = _fingerprint(root, found.table, None)
    assert again.key != found.key and linked in (again.looked_at or ())
    (outside / "note.txt").unlink()
    assert fingerprint.inputs(root, places.builtin_templates(), {}, found.table) is None, "a broken link"


def test_the_fingerprint_looks_again_at_exactly_the_files_whose_stat_changed(tmp_path: Path) -> None:
    """A whole pass hashes again only the files whose size, mtime or inode is not
    the remembered one, wherever they are in the listing, and names them."""
    root = write_briefing(tmp_path / "b")
    for i in range(40):
        _write(root / "seeds" / f"extra-{i:02}.txt", f"Extra {i}\nA paragraph.\n")
    old = os.stat(root / "seeds" / "extra-00.txt").st_mtime_ns - 5_000_000_000
    for path in root.rglob("*"):  # every file a few seconds old: trusted once hashed
        if path.is_file():
            os.utime(path, ns=(old, old))
    first = _fingerprint(root, None, None)
    table = first.table
    assert table is not None
    touched = [root / "seeds" / "extra-00.txt", root / "seeds" / "extra-17.txt", root / "content" / "briefing.yaml"]
    for path in touched:
        path.write_bytes(path.read_bytes() + b"\n")
    again = _fingerprint(root, table, None)
    assert again.looked_at == frozenset(str(p) for p in touched)
    assert again.key != first.key
    assert again.hashes == _fingerprint(root, None, None).hashes


def test_the_remembered_hashes_hold_for_the_briefing_named_another_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--root b`` after ``--root /abs/b``: the same files, spelt otherwise. The
    remembered hashes are trusted as they are (none is made again: 20,000 files
    at 10,000 articles), and the table is kept in the new spelling."""
    root = write_briefing(tmp_path / "b")
    old = time.time_ns() - 5_000_000_000
    for path in root.rglob("*"):  # every file a few seconds old: trusted once hashed
        if path.is_file():
            os.utime(path, ns=(old, old))
    first = _fingerprint(root, None, None)
    assert first.table is not None
    # Same size and stat, other bytes: only a file read again shows them.
    briefing = root / "content" / "briefing.yaml"
    text = briefing.read_bytes()
    briefing.write_bytes(text.replace(b"a", b"b", 1))
    os.utime(briefing, ns=(old, old))
    monkeypatch.chdir(tmp_path)
    again = _fingerprint(Path("b"), first.table, None)
    spelt = os.path.join("b", "content", "briefing.yaml")
    assert again.hashes[spelt] == first.hashes[str(briefing)], "the remembered hash, not the file's new one"
    assert again.key == first.key
    assert again.table is not None, "written again, in this spelling"
    assert spelt in again.table.files and not any(f.startswith(str(root) + os.sep) for f in again.table.files)
    assert fingerprint.Known.unpacked(again.table.packed()) == again.table


def test_the_remembered_hashes_survive_the_build_state(tmp_path: Path) -> None:
    """The table a fingerprint remembers is read back from the state as written,
    and anything else there is no table at all."""
    root = write_briefing(tmp_path / "b")
    table = _fingerprint(root, None, None).table
    assert table is not None
    assert fingerprint.Known.unpacked(table.packed()) == table
    for other in (None, b"", b"not marshal", pickle.dumps({"a": "b"}), table.packed()[:-3]):
        assert fingerprint.Known.unpacked(other) is None


@pytest.mark.parametrize("case", ["all", "marker", "not recorded", "recorded only"])
def test_the_intact_files_are_the_same_found_at_once_or_one_by_one(tmp_path: Path, case: str) -> None:
    # fingerprint.intact copies the tables whole when no file is altered; what it
    # finds must be what looking at each file finds (an altered set naming no
    # file of the site takes that way).
    written = {f"p{i}/index.html": f"{i:064x}" for i in range(50)}
    files = {rel: f"{i} 1" for i, rel in enumerate(written)}
    if case == "marker":
        files[fingerprint.MARKER] = "9 9"
    elif case == "not recorded":
        del files["p7/index.html"]
    elif case == "recorded only":
        files["gone.html"] = "1 1"
        files[fingerprint.MARKER] = "9 9"
    known = fingerprint.Record("key", files, [])
    at_once = fingerprint.intact(tmp_path, written, known, altered=set())
    one_by_one = fingerprint.intact(tmp_path, written, known, altered={"no such file"})
    assert at_once == one_by_one
    assert at_once == fingerprint.intact(tmp_path, written, known, trusted=True)
    assert set(at_once[0]) == set(at_once[1]) == {rel for rel in written if rel in files}


def test_a_source_date_edit_reorders_the_passages_of_its_actors_pages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An actor's page shows the passages of its newest articles: a date edit of an
    article it did not show (whose title it did not read) brings that article's
    passage in, as a cold build has it."""
    monkeypatch.setattr(context, "MAX_PASSAGES_PER_PAGE", 1)
    extra = {"seeds/paris.txt": "Talks in Paris\nAlice Smith spoke in Paris.\n",
             "content/sources/paris.yaml": "file: paris.txt\ntitle: Talks in Paris\npublished: 2025-10-01\n"}
    root = write_briefing(tmp_path / "b", extra)
    site = root / "site"
    build(BuildOptions(root=root, search=False, jobs=1))
    page = site / "actors" / "alice" / "index.html"
    assert 'data-cite="cairo#p2"' in page.read_text(encoding="utf-8")
    assert 'data-cite="paris#p1"' not in page.read_text(encoding="utf-8")
    write_briefing(root, {**extra, "content/sources/paris.yaml": extra["content/sources/paris.yaml"]
                          .replace("2025-10-01", "2025-10-08")})
    build(BuildOptions(root=root, search=False, jobs=1))
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False, jobs=1))
    assert tree_hash(site) == tree_hash(cold)
    assert 'data-cite="paris#p1"' in page.read_text(encoding="utf-8")
    assert 'data-cite="cairo#p2"' not in page.read_text(encoding="utf-8")


def _listed(root: Path) -> fingerprint.Listed:
    found = fingerprint.listed(root, places.builtin_templates(), {})
    assert found is not None
    return found


def test_a_cold_builds_fingerprint_is_the_one_a_whole_pass_works_out(tmp_path: Path, user_cache: Path) -> None:
    """A build with nothing remembered lists its inputs and hashes the bytes it
    reads (``fingerprint.Listed``): the fingerprint it remembers is the one a
    whole pass makes, and the next build finds nothing to do."""
    root = write_briefing(tmp_path / "b")
    old = time.time_ns() - 5_000_000_000
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(old, old))
    out = tmp_path / "site"
    build(BuildOptions(root=root, out=out, search=False))
    store = Store.on_disk(state_path(memo.user_cache(), root, out), state_salt(), root)
    try:
        meta = store.table("meta")
        table = fingerprint.Known.unpacked(meta.get("inputs"))
        record = fingerprint.Record.unpacked(meta.get("record"))
    finally:
        store.close()
    whole = fingerprint.inputs(root, places.builtin_templates(), _options(), None)
    assert whole is not None and table is not None and record is not None
    assert table.files == list(whole.files) and table.shas == list(whole.shas)
    assert set(table.trust) == {"T"}, "a second old when listed: trusted next time"
    assert record.key == whole.key
    assert build(BuildOptions(root=root, out=out, search=False)).reused == build(
        BuildOptions(root=root, out=out, search=False)).pages


def test_a_file_saved_between_the_listing_and_the_read_is_looked_at_again(tmp_path: Path) -> None:
    """The stats of a cold build's listing are taken before its files are read:
    a file saved in between is remembered with its old stat and its new bytes'
    hash, so the next pass sees the stat changed and hashes it again (never a
    stale hash trusted); and a file saved within a second of the listing is
    not trusted at all."""
    root = write_briefing(tmp_path / "b")
    old = time.time_ns() - 5_000_000_000
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(old, old))
    fresh = root / "seeds" / "doha.txt"
    _write(fresh, "Talks in Doha\nSaved just now.\n")
    listed = _listed(root)
    article = root / "seeds" / "cairo.txt"
    article.write_text("Talks in Cairo\nSaved between the listing and the read.\n", encoding="utf-8")
    read = {str(article): hashlib.sha256(article.read_bytes()).hexdigest()}  # what the build's update hashed
    found = listed.hashed(read)
    assert found is not None and found.table is not None
    trust = dict(zip(found.table.files, found.table.trust, strict=True))
    assert trust[str(fresh)] == "U" and trust[str(root / "content" / "briefing.yaml")] == "T"
    again = _fingerprint(root, found.table, None)
    assert str(article) in (again.looked_at or ())
    assert again.hashes == _fingerprint(root, None, None).hashes


def _options() -> dict[str, object]:
    return fingerprint.covered(drafts=False, base_url=None, noindex=False, search=False, report=False)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_cold_update_keeps_the_hash_of_every_file_it_read(tmp_path: Path, jobs: int) -> None:
    """What a cold build's fingerprint is made of (``Update.hashed``): the SHA-256
    of every summary, article and profile, read once, on the workers or not."""
    root = write_briefing(tmp_path / "b")
    for i in range(MIN_ITEMS + 4):  # enough summaries to be read on the workers
        _write(root / "seeds" / f"extra-{i:03}.txt", f"Extra {i}\nA paragraph.\n")
        _write(root / "content" / "sources" / f"extra-{i:03}.yaml", f"file: extra-{i:03}.txt\ntitle: Extra {i}\n")
    result = update(BriefingPaths(root), Store.in_memory(), None, Diagnostics(), jobs=jobs)
    assert result is not None
    read = [p for folder in ("content", "seeds") for p in (root / folder).rglob("*")
            if p.suffix in (".yaml", ".txt")]
    assert result.hashed == {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in read}
