"""``briefing build`` has its fingerprint worked out by a forked helper while it
imports the rest of the generator (``generator.prefetch``): the helper's answer
is the fingerprint the build would work out itself, and one that is not the
build's own is never used.

A helper is forked only by a process with no other thread (as the command is
when it forks). The test process may have others (servers of other tests, the
browser's driver), so each case runs in a fresh Python process: ``scenario_*``
below, run by the ``test_*`` at the end.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator import build as build_module
from generator import fingerprint, memo, output, parallel, places, prefetch
from generator.build import BuildOptions, build
from generator.store import Store, state_path, state_salt
from tests.helpers import REPO, tree_hash, write_briefing

OPTIONS = fingerprint.covered(drafts=False, base_url=None, noindex=False, search=False, report=False)


def _known(root: Path, out: Path) -> fingerprint.Known | None:
    store = Store.on_disk(state_path(memo.user_cache(), root, out), state_salt(), root)
    try:
        return fingerprint.Known.unpacked(store.table("meta").get("inputs"))
    finally:
        store.close()


def _inline(root: Path, out: Path) -> fingerprint.Inputs:
    found = fingerprint.inputs(root, places.builtin_templates(), OPTIONS, _known(root, out))
    assert found is not None
    return found


def _helped(root: Path, out: Path, options: dict[str, object] = OPTIONS) -> prefetch.Helper:
    helper = prefetch.start(root, out, options)
    assert helper is not None, "this system can fork"
    return helper


def scenario_the_helpers_fingerprint_is_the_builds_own(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    out = root / "site"
    for step in ("no state yet", "after a build", "after an edit"):
        if step == "after a build":
            build(BuildOptions(root=root, search=False))
        elif step == "after an edit":
            (root / "seeds/cairo.txt").write_text("Talks in Cairo\nAn edited text.\n", encoding="utf-8")
        looks = _helped(root, out).looks()
        assert looks is not None and looks.inputs is not None, step
        assert looks.describe(root, out, OPTIONS)
        own = _inline(root, out)
        if step == "no state yet":
            # Nothing remembered: the inputs listed, to be hashed as the build reads them.
            assert isinstance(looks.inputs, fingerprint.Listed)
            assert looks.inputs == fingerprint.listed(root, places.builtin_templates(), OPTIONS)._replace(
                at=looks.inputs.at)
            assert looks.inputs.hashed({}) == own, "hashed by the build, the fingerprint it would work out itself"
            continue
        assert isinstance(looks.inputs, fingerprint.Inputs)
        # Once there is a table, the hashes of the files looked at again only: the build has the others'.
        assert looks.inputs.partial, step
        assert looks.inputs == own.looked_again(), step
        assert fingerprint.every_hash(looks.inputs, _known(root, out)) == own.hashes, step
        if step == "after an edit":
            # The edited file, and any hashed in the tick it was saved in (not trusted).
            edited = str(root / "seeds/cairo.txt")
            assert looks.inputs.hashes[edited] == own.hashes[edited]
            assert set(looks.inputs.hashes) == looks.inputs.looked_at and len(looks.inputs.hashes) < len(own.hashes)


def scenario_a_helped_edit_that_needs_a_whole_read_has_every_hash(tmp_path: Path) -> None:
    # A summary that names another article cannot be read again on its own: the
    # whole briefing is read, with every hash (the helper sent the edited file's).
    root = write_briefing(tmp_path / "b", {"seeds/doha.txt": "Talks in Doha\nThey met in Cairo on Monday.\n"})
    build(BuildOptions(root=root, search=False))
    summary = root / "content/sources/cairo.yaml"
    summary.write_text(summary.read_text(encoding="utf-8").replace("file: cairo.txt", "file: doha.txt"),
                       encoding="utf-8")
    looks = _helped(root, root / "site").looks()
    assert looks is not None and looks.inputs is not None and looks.inputs.partial
    build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)


def scenario_the_helpers_look_at_the_site_is_the_builds_own(tmp_path: Path) -> None:
    # Sent after the fingerprint: the site's manifest, then which of its files are
    # not as the last build's record has them (the helper takes a stat of each).
    root = write_briefing(tmp_path / "b")
    out = root / "site"
    helper = _helped(root, out)
    assert helper.looks() is not None
    assert helper.manifest(tmp_path / "elsewhere") is None, "a look at another folder is not this one's"
    assert helper.manifest(out) == {}, "no site yet"
    build(BuildOptions(root=root, search=False))
    (out / "index.html").write_text("edited by hand", encoding="utf-8")
    (out / "feed.xml").unlink()
    helper = _helped(root, out)
    assert helper.looks() is not None
    manifest = output.manifest(out)
    assert helper.manifest(out) == manifest and "feed.xml" in manifest
    packed = _record(root, out)
    last = fingerprint.Record.unpacked(packed)
    assert last is not None
    altered = helper.altered(last, fingerprint.record_mark(packed))
    assert altered == {"index.html", "feed.xml"}
    reusable, _ = fingerprint.intact(out, manifest, last, altered=altered)
    assert reusable == fingerprint.intact(out, manifest, last)[0], "as judged by a stat of each here"
    assert "index.html" not in reusable and "feed.xml" not in reusable and "sources/index.html" in reusable


def scenario_the_helpers_judgement_is_taken_only_against_the_same_record(tmp_path: Path) -> None:
    # The helper judges the site's files against the record it read; the build
    # against another (a build in between) takes none of it, and looks itself.
    root = write_briefing(tmp_path / "b")
    out = root / "site"
    build(BuildOptions(root=root, search=False))
    helper = _helped(root, out)
    assert helper.looks() is not None and helper.manifest(out)
    packed = _record(root, out)
    last = fingerprint.Record.unpacked(packed)
    assert last is not None and isinstance(packed, tuple)
    other = (packed[0], packed[1] + b" ", packed[2])
    assert fingerprint.record_mark(other) != fingerprint.record_mark(packed)
    assert helper.altered(last, fingerprint.record_mark(other)) is None
    assert helper.altered(last, None) is None


def _record(root: Path, out: Path) -> object:
    store = Store.on_disk(state_path(memo.user_cache(), root, out), state_salt(), root)
    try:
        return store.table("meta").get("record")
    finally:
        store.close()


def scenario_the_helper_and_the_build_meet_on_the_sites_files(tmp_path: Path) -> None:
    # The helper takes the stats from the front, the build from the back, until
    # they meet: between them, every file, and the faster side takes most.
    files = [f"f{i}" for i in range(3000)]

    def taker(side: str, slow: bool) -> Callable[[list[str]], list[str]]:
        def take(chunk: list[str]) -> list[str]:
            if slow:
                time.sleep(0.005)
            return [f"{side} {rel}" for rel in chunk]
        return take

    for slow in ("front", "back"):
        meeting = prefetch._Meeting()
        front = taker("front", slow == "front")
        [helper] = parallel.fork_each(lambda m=meeting, f=front: iter([m.from_front(f, files)]), [lambda: None])
        start, back = meeting.from_back(taker("back", slow == "back"), files)
        theirs = helper.wait()
        assert theirs is not None and len(theirs) >= start, f"{slow}: no file left out"
        assert theirs == [f"front {rel}" for rel in files[:len(theirs)]], slow
        assert back == [f"back {rel}" for rel in files[start:]], slow
        assert len(back if slow == "front" else theirs) > len(files) / 2, slow


def scenario_a_build_with_nothing_to_do_leaves_no_helper_behind(tmp_path: Path) -> None:
    # Its look at the site is of no use then: the build stops the helper and reaps it.
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    result = build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    assert result.written == 0 and result.reused == result.pages
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def scenario_a_build_given_a_helper_for_another_build_works_its_fingerprint_out(tmp_path: Path) -> None:
    # Were the helper's fingerprint (of a --noindex build) taken as this build's,
    # the --noindex build after it would find "its" site in place and keep it.
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    (root / "content/briefing.yaml").write_text("title: Retitled\nas_of: 2025-10-08\nsummary: New.\n",
                                               encoding="utf-8")
    elsewhere = {**OPTIONS, "noindex": True}
    build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site", elsewhere))
    assert "Retitled" in (root / "site/index.html").read_text(encoding="utf-8")
    build(BuildOptions(root=root, search=False, noindex=True))
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False, noindex=True), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)
    # A helper for another output folder, whose site has other pages (built
    # without --noindex) than this build's: this build's site is still its own.
    other = tmp_path / "other"
    build(BuildOptions(root=root, out=other, search=False))
    build(BuildOptions(root=root, out=other, search=False, noindex=True), helper=_helped(root, root / "site"))
    assert tree_hash(other) == tree_hash(cold)


def scenario_a_build_helped_after_an_edit_equals_a_cold_build(tmp_path: Path) -> None:
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    article = root / "seeds/cairo.txt"
    article.write_text(article.read_text(encoding="utf-8") + "A paragraph added since.\n", encoding="utf-8")
    result = build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    assert result.written > 0
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)


def scenario_the_build_and_its_helper_together_judge_every_file_of_a_large_site(tmp_path: Path) -> None:
    # 3,000 files: the build takes stats from the back while the helper still
    # takes them from the front, and judges its part itself; together they find
    # the files altered at both ends.
    root = write_briefing(tmp_path / "b", {f"content/static/f{i:04}.txt": f"file {i}\n" for i in range(3000)})
    out = root / "site"
    build(BuildOptions(root=root, search=False))
    manifest = output.manifest(out)
    first, last_file = min(manifest), max(manifest)
    for rel in (first, last_file):
        (out / rel).write_text("edited by hand", encoding="utf-8")
    packed = _record(root, out)
    last = fingerprint.Record.unpacked(packed)
    assert last is not None
    helper = _helped(root, out)
    assert helper.looks() is not None and helper.manifest(out) == manifest
    assert helper.altered(last, fingerprint.record_mark(packed)) == {first, last_file}


def scenario_a_helped_edit_makes_its_manifest_from_the_last_one(tmp_path: Path) -> None:
    # The helper sends the manifest's text with its stat: the build makes the new
    # manifest from it when it is the file the last build wrote, and it is then
    # the text written out whole (escaped names included); not from a file
    # changed since, by hand say.
    root = write_briefing(tmp_path / "b", {'content/static/quote "and" back\\slash.txt': "escaped"})
    out = root / "site"
    build(BuildOptions(root=root, search=False))
    article = root / "seeds/cairo.txt"
    for step in ("as written", "touched"):
        packed = _record(root, out)
        last = fingerprint.Record.unpacked(packed)
        helper = _helped(root, out)
        assert helper.looks() is not None and helper.manifest(out)
        text = (out / output.MARKER).read_text(encoding="utf-8")
        assert helper.marker_text(last) == (text if step == "as written" else None), step
        helper.close()
        article.write_text(article.read_text(encoding="utf-8") + f"A paragraph added: {step}.\n", encoding="utf-8")
        whole: list[int] = []
        real = output._marker_text
        output._marker_text = lambda digests, whole=whole, real=real: whole.append(1) or real(digests)  # type: ignore[assignment,misc]
        try:
            build(BuildOptions(root=root, search=False), helper=_helped(root, out))
        finally:
            output._marker_text = real  # type: ignore[assignment]
        assert len(whole) == (0 if step == "as written" else 1), step
        made = (out / output.MARKER).read_text(encoding="utf-8")
        assert made == output._marker_text(output.manifest(out)) and made != text, step
        cold = tmp_path / f"cold-{step}"
        build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
        assert tree_hash(out) == tree_hash(cold), step
        os.utime(out / output.MARKER, ns=(1, 1))  # for the next step: not as the build left it


def scenario_the_command_forks_its_helper_before_parsing_and_builds_with_it(tmp_path: Path) -> None:
    # ``briefing build`` guesses its command line before argparse is imported and
    # forks the helper for that build; the build then takes the helper's looks,
    # and the site is the cold build's, byte for byte.
    from generator import cli

    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    article = root / "seeds/cairo.txt"
    article.write_text(article.read_text(encoding="utf-8") + "A paragraph added since.\n", encoding="utf-8")
    events: list[str] = []
    real_start, real_parser, real_looks = prefetch.start, cli._parser, build_module._looks

    def start(*args: Any, **kwargs: Any) -> prefetch.Helper | None:
        events.append("fork")
        return real_start(*args, **kwargs)

    def parser() -> Any:
        events.append("parse")
        return real_parser()

    def looks(*args: Any) -> prefetch.Looks | None:
        found = real_looks(*args)
        events.append("helped" if found is not None else "not helped")
        return found

    prefetch.start, cli._parser, build_module._looks = start, parser, looks  # type: ignore[assignment]
    assert cli.main(["build", "--quiet", "--no-search", "--root", str(root)]) == 0
    assert events == ["fork", "parse", "helped"]
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)
    # A spelling the guess does not read (an abbreviation argparse accepts): the
    # helper is forked once the command line is parsed, as before.
    events.clear()
    article.write_text(article.read_text(encoding="utf-8") + "Another.\n", encoding="utf-8")
    assert cli.main(["build", "--quiet", "--no-sea", "--root", str(root)]) == 0
    assert events == ["parse", "fork", "helped"]


def scenario_a_helper_forked_on_a_guess_is_kept_only_for_its_own_build(tmp_path: Path) -> None:
    from generator import cli

    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    guessed = cli._guess(["build", "--root", str(root)])
    assert guessed is not None
    for words, kept in ((["build", "--root", str(root)], True),
                        (["build", "--root", str(root), "--noindex"], False),
                        (["build", "--root", str(root), "--out", str(tmp_path / "other")], False),
                        (["build", "--root", str(root), "--single-file", str(tmp_path / "one.html")], False)):
        early = prefetch.start(guessed.root, cli._out(guessed), cli._choices(guessed))
        assert early is not None
        chosen = cli._helper(cli._parser().parse_args(words), early)
        assert (chosen is early) == kept, words
        if chosen is not None and not kept:
            found = chosen.looks()
            assert found is not None and found.options["noindex"] == ("--noindex" in words), words
        if not kept:
            assert early.looks() is None, "the helper of the wrong guess is stopped"
        if chosen is not None:
            chosen.close()


GUESSED = [
    ["build"],
    ["build", "--root", "b", "--out", "o", "--quiet"],
    ["build", "--root=b", "--out=o", "-q", "--drafts", "--noindex", "--no-search", "--report"],
    ["build", "--root", "a", "--root", "b"],
    ["build", "--root="],
    ["build", "--root", ""],
    ["build", "--base-url", "https://example.org/briefing/"],
    ["build", "--base-url=https://example.org/?a=b"],
]
NOT_GUESSED = [
    [],
    ["check"],
    ["serve", "--root", "b"],
    ["--version"],
    ["build", "--help"],
    ["build", "-h"],
    ["build", "--no-sea"],
    ["build", "--root"],
    ["build", "--root", "--out", "o"],
    ["build", "--drafts=yes"],
    ["build", "--single-file", "one.html"],
    ["build", "--previous", "old"],
    ["build", "extra"],
    ["build", "--", "--root"],
    ["build", "-qq"],
]


@pytest.mark.parametrize("words", GUESSED + NOT_GUESSED)
def test_the_guess_at_a_build_is_what_argparse_reads_or_nothing(words: list[str]) -> None:
    # The helper is forked on the guess before argparse runs: for the plain
    # spellings the very build argparse then reads, and for anything else none.
    from generator import cli

    guessed = cli._guess(words)
    assert (guessed is not None) == (words in GUESSED), words
    if guessed is None:
        return
    args = cli._parser().parse_args(words)
    assert args.command == "build"
    assert (guessed.root, cli._out(guessed), cli._choices(guessed)) == (args.root, cli._out(args), cli._choices(args))
    assert vars(guessed).items() <= vars(args).items(), "each option the guess reads, as argparse reads it"
    choices = cli._choices(guessed)
    assert fingerprint.covered(**choices) == choices, "the options the fingerprint covers, all of them"


def test_no_helper_is_forked_while_other_threads_run(tmp_path: Path) -> None:
    # A lock another thread holds at the fork would stay held in the helper.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert prefetch.start(tmp_path, tmp_path / "site", OPTIONS) is None
    finally:
        stop.set()
        other.join()


def scenario_a_helped_build_makes_a_page_edited_in_the_site_again(tmp_path: Path) -> None:
    # While the helper works, the build looks at the site's files itself: one
    # changed since the last build wrote it is not kept.
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    page = root / "site/actors/bob/index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("Bob Jones", "Someone Else"), encoding="utf-8")
    briefing = root / "content/briefing.yaml"
    briefing.write_text(briefing.read_text(encoding="utf-8").replace("The bottom line.", "Changed."),
                        encoding="utf-8")
    build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)


def scenario_a_damaged_entry_read_ahead_makes_the_helped_build_a_cold_one(tmp_path: Path) -> None:
    # While the helper lists the inputs, the build reads ahead what it reads of
    # the state once it knows what changed (build._READ_AHEAD: each an entry every
    # build leaves). One found damaged then is what it would be later: the state
    # is of no use, and the build a cold one.
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    state = state_path(memo.user_cache(), root, root / "site")
    store = Store.on_disk(state, state_salt(), root)
    try:
        assert all(store.table("meta").get(name) is not None for name in build_module._READ_AHEAD)
    finally:
        store.close()
    with sqlite3.connect(state) as conn:
        value, = conn.execute("SELECT value FROM kv WHERE ns = 'meta' AND key = 'pages'").fetchone()
        at = len(value) // 2  # one byte of the pickled value, its checksum left as it was
        conn.execute("UPDATE kv SET value = ? WHERE ns = 'meta' AND key = 'pages'",
                     (value[:at] + bytes([value[at] ^ 0xFF]) + value[at + 1:],))
    article = root / "seeds/cairo.txt"
    article.write_text(article.read_text(encoding="utf-8") + "A paragraph added since.\n", encoding="utf-8")
    result = build(BuildOptions(root=root, search=False), helper=_helped(root, root / "site"))
    assert result.reused == 0, "no page kept on the word of a damaged state"
    cold = tmp_path / "cold"
    build(BuildOptions(root=root, out=cold, search=False), Store.in_memory())
    assert tree_hash(root / "site") == tree_hash(cold)


def test_the_helper_is_forked_before_the_heavy_modules_are_imported(tmp_path: Path) -> None:
    # What the command imports before the fork delays the helper; argparse, the
    # model's dataclasses, jinja2 and the rest come after it. Nor does the helper import
    # them for its own work: its looks at the inputs and at the site.
    root = write_briefing(tmp_path / "b")
    build(BuildOptions(root=root, search=False))
    heavy = "('argparse', 'dataclasses', 'inspect', 'jinja2', 'generator.errors', 'generator.model', 'generator.output')"
    for work in ("pass", f"list(generator.prefetch._look(Path({str(root)!r}), Path({str(root / 'site')!r}), {OPTIONS!r}, generator.prefetch._Meeting()))"):
        code = ("import sys; from pathlib import Path; import generator.cli, generator.fingerprint, "
                f"generator.prefetch; {work}; print(sorted(m for m in {heavy} if m in sys.modules))")
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                              check=False, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
        assert done.returncode == 0 and done.stdout.strip() == "[]", work + done.stdout + done.stderr


SCENARIOS = sorted(name for name in dir() if name.startswith("scenario_"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_in_a_process_of_its_own(name: str, tmp_path: Path, user_cache: Path) -> None:
    code = f"import sys; from pathlib import Path; import tests.test_prefetch as t; t.{name}(Path(sys.argv[1]))"
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert done.returncode == 0, done.stderr
