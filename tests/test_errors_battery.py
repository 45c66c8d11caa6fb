"""Issue 6: broken briefings never crash, never touch the previous site, and say where.

Each case is a minimal good briefing with one thing broken. The real CLI runs over
it (memory-capped, time-bounded) while ``site/`` holds a previous good build.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import HEAD_YAML, build_site, run_cli, tree_hash, write_briefing

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    name: str
    files: dict[str, str | bytes | None] = field(default_factory=dict)
    where: str | None = None  # "path:line:col" (or just "path" for a whole-file problem)
    fragment: str = ""
    setup: Setup | None = None
    args: tuple[str, ...] = ()


def kp(*lines: str) -> str:
    """briefing.yaml whose one key point has ``lines`` (indented 4) after '- text: x' (line 4)."""
    return HEAD_YAML + "key_points:\n  - text: x\n" + "".join(f"    {line}\n" for line in lines)


def _outside(tmp: Path) -> Path:
    out = tmp.parent / "outside"
    out.mkdir(exist_ok=True)
    (out / "secret.yaml").write_text("name: Outsider\n", encoding="utf-8")
    (out / "secret.txt").write_text("A secret paragraph.\n", encoding="utf-8")
    return out


def symlinked_yaml(root: Path) -> None:
    os.symlink(_outside(root) / "secret.yaml", root / "content/actors/evil.yaml")


def symlinked_seed(root: Path) -> None:
    (root / "seeds/cairo.txt").unlink()
    os.symlink(_outside(root) / "secret.txt", root / "seeds/cairo.txt")


def symlinked_static(root: Path) -> None:
    (root / "content/static").mkdir(parents=True)
    os.symlink(_outside(root) / "secret.txt", root / "content/static/secret.txt")


def symlinked_static_dir(root: Path) -> None:
    (root / "content/static").mkdir(parents=True)
    os.symlink(_outside(root), root / "content/static/leak")


def broken_symlink(root: Path) -> None:
    os.symlink(root / "nowhere.yaml", root / "content/topics/gone.yaml")


def alias_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghij"
    for prev, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "name: Bob\n" + "\n".join(lines) + "\n"


def thousand_errors() -> str:
    return HEAD_YAML + "key_points:\n" + "".join(f"  - text: t{i}\n    cites: [x]\n" for i in range(1000))


BAD_UTF8_SEED = b"Para one.\n" + "Second éé ".encode() + b"\xff para.\n"

CASES = [
    # YAML syntax, in every file kind
    Case("yaml_syntax_briefing", {"content/briefing.yaml": "title: [unclosed\nas_of: 2025-10-08\n"},
         "content/briefing.yaml:2:6", "YAML syntax:"),
    Case("yaml_syntax_source", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: a: b\n"},
         "content/sources/cairo.yaml:2:9", "a value containing ': ' must be quoted"),
    Case("yaml_syntax_topic", {"content/topics/ceasefire.yaml": "title: 'unterminated\n"},
         "content/topics/ceasefire.yaml:2:1", "YAML syntax:"),
    Case("tabs_actor", {"content/actors/bob.yaml": "name: B\naliases:\n\t- Bobby\n"},
         "content/actors/bob.yaml:3:1", "indent with spaces, not tabs"),
    Case("duplicate_keys_topic", {"content/topics/ceasefire.yaml": "title: A\nstatus: open\ntitle: B\n"},
         "content/topics/ceasefire.yaml:3:1", "duplicate key 'title' (first at line 1)"),
    Case("alias_bomb_actor", {"content/actors/bob.yaml": alias_bomb()},
         "content/actors/bob.yaml", "document too large"),
    Case("alias_cycle", {"content/actors/bob.yaml": "name: B\na: &a [*a]\n"},
         "content/actors/bob.yaml:2:8", "refers to the collection it is in"),
    Case("python_tag_briefing", {"content/briefing.yaml": "title: !!python/object/apply:os.system [id]\nas_of: 2025-10-08\n"},
         "content/briefing.yaml:1:8", "tag '!!python/object/apply:os.system' is not allowed"),
    Case("deep_nesting_source", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nx: " + "[" * 10_000 + "]" * 10_000 + "\n"},
         "content/sources/cairo.yaml:3", "nested more than 64 levels deep"),
    Case("multiple_documents", {"content/topics/ceasefire.yaml": "title: A\n---\ntitle: B\n"},
         "content/topics/ceasefire.yaml:2:1", "more than one YAML document"),
    # encodings and binary files
    Case("invalid_utf8_yaml", {"content/actors/bob.yaml": b"name: Bob\nrole: caf\xe9 owner\n"},
         "content/actors/bob.yaml:2:10", "not valid UTF-8 (byte 0xe9)"),
    Case("invalid_utf8_seed", {"seeds/cairo.txt": BAD_UTF8_SEED},
         "seeds/cairo.txt:2:11", "not valid UTF-8 (byte 0xff)"),
    Case("binary_yaml", {"content/topics/ceasefire.yaml": b"title: C\nstatus: \x00\x01\x02\n"},
         "content/topics/ceasefire.yaml:2:9", "binary file (it contains NUL bytes)"),
    Case("binary_seed", {"seeds/cairo.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"},
         "seeds/cairo.txt:3:1", "binary file"),
    # empty files
    Case("empty_briefing", {"content/briefing.yaml": ""},
         "content/briefing.yaml", "briefing.yaml is empty; it needs at least 'title', 'as_of'"),
    Case("empty_actor", {"content/actors/bob.yaml": "\n\n"},
         "content/actors/bob.yaml", "actor 'bob' is empty; it needs at least 'name'"),
    Case("empty_seed", {"seeds/cairo.txt": ""},
         "content/briefing.yaml:6:12", "quote not found in source 'cairo'"),
    Case("missing_briefing_yaml", {"content/briefing.yaml": None},
         "content/briefing.yaml", "content/briefing.yaml is missing"),
    # wrong types
    Case("mapping_where_list", {"content/actors/alice.yaml": "name: Alice Smith\naliases: {a: b}\n"},
         "content/actors/alice.yaml:2:10", "aliases must be a list, found a mapping"),
    Case("list_where_text", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: [T]\n"},
         "content/sources/cairo.yaml:2:8", "title must be text, found a list"),
    Case("text_where_mapping", {"content/briefing.yaml": kp("cite: [cairo]") + "events: [just text]\n"},
         "content/briefing.yaml:6:10", "an event must be a mapping"),
    Case("number_where_bool", {"content/actors/bob.yaml": "name: B\ndraft: 1\n"},
         "content/actors/bob.yaml:2:8", "draft must be true or false"),
    Case("unknown_key", {"content/actors/bob.yaml": "name: Bob Jones\nrol: envoy\n"},
         "content/actors/bob.yaml:2:1", "unknown key 'rol' (did you mean 'role'?)"),
    Case("missing_required", {"content/sources/cairo.yaml": "file: cairo.txt\n"},
         "content/sources/cairo.yaml:1:1", "missing required key 'title'"),
    # ids
    Case("id_upper_case", {"content/actors/Carol.yaml": "name: Carol\n"},
         "content/actors/Carol.yaml", "'Carol' is not a valid id"),
    Case("id_space", {"content/topics/gaza aid.yaml": "title: Aid\n"},
         "content/topics/gaza aid.yaml", "'gaza aid' is not a valid id"),
    Case("id_dotdot", {"content/topics/a..b.yaml": "title: Aid\n"},
         "content/topics/a..b.yaml", "'a..b' is not a valid id"),
    Case("id_slash_in_reference", {"content/briefing.yaml": kp("actors: [hamas/politburo]")},
         "content/briefing.yaml:5:14", "'hamas/politburo' is not a valid id"),
    Case("id_reserved", {"content/sources/con.yaml": "file: con.txt\ntitle: T\n", "seeds/con.txt": "P.\n"},
         "content/sources/con.yaml", "'con' is a reserved name"),
    Case("ids_differing_by_case", {"content/actors/Bob.yaml": "name: Bobby\n"},
         "content/actors/Bob.yaml", "'Bob' is not a valid id"),
    Case("seed_path_traversal", {"content/sources/cairo.yaml": "file: ../../etc/passwd.txt\ntitle: T\n"},
         "content/sources/cairo.yaml:1:7", "must be the plain name of a file inside seeds/"),
    Case("missing_seed", {"seeds/cairo.txt": None},
         "content/sources/cairo.yaml:1:7", "article 'seeds/cairo.txt' not found"),
    # symlinks out of the folder
    Case("symlink_yaml_outside", setup=symlinked_yaml,
         where="content/actors/evil.yaml", fragment="links outside the briefing folder"),
    Case("symlink_seed_outside", setup=symlinked_seed,
         where="seeds/cairo.txt", fragment="links outside the briefing folder"),
    Case("symlink_static_outside", setup=symlinked_static,
         where="content/static/secret.txt", fragment="links outside the briefing folder"),
    Case("broken_symlink", setup=broken_symlink,
         where="content/topics/gone.yaml", fragment="broken link"),
    # dates, quotes, block numbers, references
    Case("impossible_date", {"content/briefing.yaml": "title: T\nas_of: 2025-02-30\n"},
         "content/briefing.yaml:2:8", "'2025-02-30' is not a real date"),
    Case("quote_not_in_source", {"content/briefing.yaml": kp("cite: ['cairo: words nobody wrote']")},
         "content/briefing.yaml:5:12", "quote not found in source 'cairo'"),
    Case("unquoted_quote_citation", {"content/briefing.yaml": kp("cite:", "  - cairo: met in Cairo")},
         "content/briefing.yaml:6:9", "is not quoted; write it as a quoted string"),
    Case("block_out_of_range", {"content/briefing.yaml": kp("cite: [cairo#p99]")},
         "content/briefing.yaml:5:12", "source 'cairo' has no block p99; it has p1 to p3"),
    Case("unknown_source", {"content/briefing.yaml": kp("cite: [kairo]")},
         "content/briefing.yaml:5:12", "unknown source 'kairo' (did you mean 'cairo'?)"),
    Case("unknown_actor", {"content/briefing.yaml": kp("actors: [alise]")},
         "content/briefing.yaml:5:14", "unknown actor 'alise' (did you mean 'alice'?)"),
    Case("unknown_topic_in_position", {"content/actors/bob.yaml": "name: B\npositions:\n  - topic: truce\n    stance: no\n"},
         "content/actors/bob.yaml:3:12", "unknown topic 'truce'"),
    Case("unknown_affiliation_with_draft_elsewhere",
         {"content/actors/bob.yaml": "name: B\naffiliation: hamas\n",
          "content/actors/alice.yaml": "name: Alice Smith\ndraft: true\n"},
         "content/actors/bob.yaml:2:14", "unknown actor 'hamas'"),
    Case("alias_on_two_actors", {"content/actors/bob.yaml": "name: Bob Jones\naliases: [Alice]\n"},
         "content/actors/bob.yaml:2:11", "'Alice' also names actor 'alice'"),
    Case("javascript_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: javascript:alert(1)\n"},
         "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    Case("data_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: 'data:text/html,<script>'\n"},
         "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    Case("javascript_base_url_option", where="--base-url", fragment="must be an absolute http",
         args=("--base-url", "javascript:alert(1)")),
    # templates and static files
    Case("template_syntax_error", {"templates/index.html": "<p>\n{% if %}\n"},
         "templates/index.html:2", "template"),
    Case("static_replaces_generated", {"content/static/index.html": "<p>mine</p>"},
         "content/static/index.html", "would replace the generated file index.html"),
    # size
    Case("huge_article", {"seeds/cairo.txt": "A long line of text. " * 500_000},
         "seeds/cairo.txt", "file is too large"),
    Case("huge_yaml", {"content/actors/bob.yaml": "name: B\nsummary: " + "x" * (1 << 20) + "\n"},
         "content/actors/bob.yaml", "file is too large"),
    Case("pathological_markdown_and_error",
         {"seeds/md.md": "[" * 50_000, "content/sources/md.yaml": "file: md.md\ntitle: M\nsummary: '" + "[" * 50_000 + "'\nrol: x\n"},
         "content/sources/md.yaml:4:1", "unknown key 'rol'"),
]


@pytest.fixture
def good(tmp_path: Path) -> Path:
    root = write_briefing(tmp_path / "b")
    build_site(root)
    return root


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_briefing_fails_cleanly_and_keeps_the_previous_site(good: Path, case: Case) -> None:
    write_briefing(good, case.files)
    if case.setup:
        case.setup(good)
    before = tree_hash(good / "site")
    assert before
    started = time.monotonic()
    result = run_cli("build", "--root", good, *case.args, timeout=20)
    assert time.monotonic() - started < 20
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    lines = result.stderr.splitlines()
    assert case.where is not None
    assert any(line.startswith(case.where + ":") and case.fragment in line and ": error: " in line
               for line in lines), output
    assert "the previous site was left as it was" in result.stderr
    assert tree_hash(good / "site") == before
    # Nothing left beside it but the spare (a failed build may have used it up as
    # its staging folder, which is then removed: see generator.output).
    assert [p.name for p in good.iterdir() if p.name.startswith(".site") and p.name != ".site.spare"] == []


def test_static_folder_linked_outside_publishes_nothing_from_outside(good: Path) -> None:
    symlinked_static_dir(good)
    result = run_cli("build", "--root", good)
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1)
    for path in (good / "site").rglob("*"):
        assert path.is_dir() or b"A secret paragraph" not in path.read_bytes()
    assert not (good / "site/leak").exists()


def test_one_thousand_errors_are_all_reported_in_one_run(good: Path) -> None:
    write_briefing(good, {"content/briefing.yaml": thousand_errors()})
    before = tree_hash(good / "site")
    result = run_cli("build", "--root", good, timeout=20)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: unknown key 'cites'" in line]
    assert len(errors) == 1000
    assert errors[0].startswith("content/briefing.yaml:5:5:")
    assert errors[-1].startswith(f"content/briefing.yaml:{4 + 2 * 999 + 1}:5:")
    assert "1000 errors" in result.stderr
    assert tree_hash(good / "site") == before


def test_check_reports_the_same_errors_on_stdout_and_writes_nothing(good: Path) -> None:
    write_briefing(good, {"content/actors/bob.yaml": "name: Bob Jones\nrol: envoy\n"})
    before = tree_hash(good / "site")
    result = run_cli("check", "--root", good)
    assert result.returncode == 1
    assert "content/actors/bob.yaml:2:1: error: unknown key 'rol'" in result.stdout
    assert tree_hash(good / "site") == before


@pytest.mark.parametrize("content", [
    {"seeds/cairo.txt": "[" * 50_000 + "\nSecond paragraph.\n", "content/briefing.yaml": HEAD_YAML},
    {"seeds/md.md": "[" * 50_000, "content/sources/md.yaml": "file: md.md\ntitle: M\n"},
    {"content/sources/md.yaml": "file: md.md\ntitle: M\nsummary: '" + "[" * 50_000 + "'\n",
     "seeds/md.md": "*" * 20_000 + "\n\n" + "> " * 5_000 + "x\n\n" + "- " * 5_000 + "y\n"},
    {"content/briefing.yaml": HEAD_YAML + "summary: '" + "<a " * 20_000 + "'\n"},
], ids=["txt_brackets", "md_brackets", "summary_brackets_and_nesting", "summary_tags"])
def test_pathological_markdown_builds_in_bounded_time(good: Path, content: dict[str, str]) -> None:
    write_briefing(good, content)
    result = run_cli("build", "--root", good, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_to_build_into_a_folder_that_is_not_ours(good: Path, tmp_path: Path) -> None:
    mine = tmp_path / "precious"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work", encoding="utf-8")
    before = tree_hash(mine)
    result = run_cli("build", "--root", good, "--out", mine)
    assert result.returncode == 1
    assert "refusing to replace" in result.stderr and "Traceback" not in result.stderr
    assert tree_hash(mine) == before


@pytest.mark.parametrize("out", ["content", "seeds", "."], ids=["content", "seeds", "root"])
def test_refuses_to_build_over_the_briefing_itself(good: Path, out: str) -> None:
    before = tree_hash(good)
    result = run_cli("build", "--root", good, "--out", good / out)
    assert result.returncode == 1 and "refusing to" in result.stderr
    assert tree_hash(good) == before


def test_builds_into_an_empty_folder_that_is_not_ours(good: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("build", "--root", good, "--out", empty)
    assert result.returncode == 0, result.stderr
    assert (empty / "index.html").is_file()


@pytest.mark.parametrize("args", [("build", "--frobnicate"), ("publish",), ("build", "--root")],
                         ids=["unknown_option", "unknown_command", "missing_value"])
def test_usage_errors_exit_2(good: Path, args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "usage:" in result.stderr


@pytest.mark.parametrize("command", [("build",), ("check",), ("serve", "--port", "0")])
def test_not_a_briefing_folder_exits_1(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = run_cli(*command, "--root", tmp_path, timeout=60)
    assert result.returncode == 1, result.stderr
    said = result.stdout + result.stderr  # check's report is its output
    assert "is not a briefing folder: it has no content/ folder" in said
    assert "Traceback" not in said
    assert not (tmp_path / "site").exists()
