"""The build's caches never serve a stale site.

Two caches exist: a rebuild whose inputs hash to the fingerprint of the site in
place does nothing, and a rebuild that does run keeps (hard-links) every file
whose bytes did not change. For an edit to each kind of input, the rebuilt site
must equal a cold build of the edited briefing byte for byte, the pages the edit
concerns must change, and the files it does not concern must be kept (same
inode, same mtime).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
    "topic yaml": ({"content/topics/ceasefire.yaml": "title: Ceasefire\nstatus: agreed\nkeywords: [ceasefire]\n"},
                   "topics/ceasefire/index.html"),
    "template": ({"templates/actor.html": "{% extends 'base.html' %}{% block main %}<h1>{{ actor.name }}!"
                  "</h1>{% endblock %}\n"}, "actors/bob/index.html"),
    "static file": ({"content/static/notes.txt": "hello\n"}, "notes.txt"),
}


def _build(root: Path, out: Path) -> str:
    result = run_cli("build", "--root", root, "--out", out, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


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


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_an_edit_rebuilds_exactly_like_a_cold_build(tmp_path: Path, kind: str) -> None:
    files, page = EDITS[kind]
    root = write_briefing(tmp_path / "b")
    site = root / "site"
    _build(root, site)
    old = tree_hash(site)
    inodes = {p.relative_to(site).as_posix(): p.stat().st_ino for p in site.rglob("*") if p.is_file()}

    write_briefing(root, files)
    _build(root, site)
    cold = tmp_path / "cold"
    _build(root, cold)

    new = tree_hash(site)
    assert new == tree_hash(cold), "a rebuild over the old site must equal a cold build"
    assert new.get(page) != old.get(page), f"{page} must change when the {kind} changes"
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
