"""Schema checks: every problem in a YAML file is reported with its file:line:col and a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assert_diag, build_errors, build_site, errors_of, write_briefing

BRIEFING_HEAD = "title: T\nas_of: 2025-10-08\n"


def kp_with_cite(*entries: str) -> str:
    """A briefing.yaml whose one key point cites ``entries`` (YAML list items), from line 6."""
    return BRIEFING_HEAD + "key_points:\n  - text: x\n    cite:\n" + "".join(
        f"      - {e}\n" for e in entries)


CASES: list[tuple[str, dict[str, str], str, str]] = [
    # (name, files, where, message fragment)
    ("unknown_key_did_you_mean_role", {"content/actors/bob.yaml": "name: Bob Jones\nrol: envoy\n"},
     "content/actors/bob.yaml:2:1", "unknown key 'rol' (did you mean 'role'?)"),
    ("unknown_key_in_briefing", {"content/briefing.yaml": BRIEFING_HEAD + "sumary: x\n"},
     "content/briefing.yaml:3:1", "unknown key 'sumary' (did you mean 'summary'?)"),
    ("unknown_key_in_claim", {"content/briefing.yaml": BRIEFING_HEAD
                              + "key_points:\n  - text: x\n    actor: [alice]\n"},
     "content/briefing.yaml:5:5", "unknown key 'actor' (did you mean 'actors'?)"),
    ("unknown_key_in_source", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl_: x\n"},
     "content/sources/cairo.yaml:3:1", "unknown key 'url_' (did you mean 'url'?)"),
    ("unknown_key_in_position", {"content/actors/bob.yaml":
                                 "name: B\npositions:\n  - topic: ceasefire\n    stanse: yes\n"},
     "content/actors/bob.yaml:4:5", "unknown key 'stanse' (did you mean 'stance'?)"),
    ("mapping_where_list_belongs", {"content/actors/bob.yaml": "name: B\naliases: {a: b}\n"},
     "content/actors/bob.yaml:2:10", "aliases must be a list, found a mapping"),
    ("text_where_list_belongs", {"content/topics/ceasefire.yaml": "title: C\nkeywords: truce\n"},
     "content/topics/ceasefire.yaml:2:11", "keywords must be a list, found text (write it as a list: ['truce']"),
    ("list_where_text_belongs", {"content/actors/bob.yaml": "name: [Bob]\n"},
     "content/actors/bob.yaml:1:7", "name must be text, found a list"),
    ("mapping_where_text_belongs", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: {a: b}\n"},
     "content/sources/cairo.yaml:2:8", "title must be text, found a mapping"),
    ("list_where_date_belongs", {"content/briefing.yaml": "title: T\nas_of: [2025-10-08]\n"},
     "content/briefing.yaml:2:8", "as_of must be a date written YYYY-MM-DD, found a list"),
    ("list_where_bool_belongs", {"content/actors/bob.yaml": "name: B\ndraft: [true]\n"},
     "content/actors/bob.yaml:2:8", "draft must be true or false, found a list"),
    ("text_where_mapping_belongs", {"content/briefing.yaml": "just text\n"},
     "content/briefing.yaml:1:1", "briefing.yaml must be a mapping of keys to values, found text"),
    ("list_as_whole_file", {"content/actors/bob.yaml": "- name: B\n"},
     "content/actors/bob.yaml:1:1", "actor 'bob' must be a mapping of keys to values, found a list"),
    ("key_point_as_text", {"content/briefing.yaml": BRIEFING_HEAD + "key_points:\n  - just words\n"},
     "content/briefing.yaml:4:5", "a key point must be a mapping with at least 'text'"),
    ("citation_as_mapping_of_list", {"content/briefing.yaml": kp_with_cite("[cairo]")},
     "content/briefing.yaml:6:9", "a citation must be"),
    ("missing_required_title", {"content/briefing.yaml": "as_of: 2025-10-08\n"},
     "content/briefing.yaml:1:1", "missing required key 'title' in briefing.yaml"),
    ("missing_required_name", {"content/actors/bob.yaml": "role: envoy\n"},
     "content/actors/bob.yaml:1:1", "missing required key 'name' in actor 'bob'"),
    ("missing_required_file", {"content/sources/cairo.yaml": "title: T\n"},
     "content/sources/cairo.yaml:1:1", "missing required key 'file' in source 'cairo'"),
    ("null_required_value", {"content/topics/ceasefire.yaml": "title:\nstatus: open\n"},
     "content/topics/ceasefire.yaml:1:1", "missing required key 'title'"),
    ("blank_required_value", {"content/topics/ceasefire.yaml": "title: '  '\n"},
     "content/topics/ceasefire.yaml:1:8", "title is blank"),
    ("event_without_date", {"content/briefing.yaml": BRIEFING_HEAD + "events:\n  - text: x\n"},
     "content/briefing.yaml:4:5", "missing required key 'date' in an event"),
    ("impossible_date", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\npublished: 2025-02-30\n"},
     "content/sources/cairo.yaml:3:12", "'2025-02-30' is not a real date"),
    ("impossible_event_date", {"content/briefing.yaml": BRIEFING_HEAD
                               + "events:\n  - date: 2025-13-01\n    text: x\n"},
     "content/briefing.yaml:4:11", "'2025-13-01' is not a real date"),
    ("non_iso_date", {"content/briefing.yaml": "title: T\nas_of: 8 Oct 2025\n"},
     "content/briefing.yaml:2:8", "as_of must be a date written YYYY-MM-DD, found '8 Oct 2025'"),
    ("bad_enum_kind", {"content/actors/bob.yaml": "name: B\nkind: persn\n"},
     "content/actors/bob.yaml:2:7", "found 'persn' (did you mean 'person'?)"),
    ("bad_enum_status", {"content/topics/ceasefire.yaml": "title: C\nstatus: agred\n"},
     "content/topics/ceasefire.yaml:2:9", "found 'agred' (did you mean 'agreed'?)"),
    ("javascript_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: javascript:alert(1)\n"},
     "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    ("javascript_url_mixed_case", {"content/sources/cairo.yaml":
                                   "file: cairo.txt\ntitle: T\nurl: ' JaVaScRiPt:alert(1)'\n"},
     "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    ("data_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: data:text/html,x\n"},
     "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    ("relative_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: /a/b\n"},
     "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    ("scheme_relative_url", {"content/sources/cairo.yaml": "file: cairo.txt\ntitle: T\nurl: //evil.example\n"},
     "content/sources/cairo.yaml:3:6", "must be an absolute http:// or https:// URL"),
    ("bad_base_url", {"content/briefing.yaml": BRIEFING_HEAD + "base_url: ftp://x.example/\n"},
     "content/briefing.yaml:3:11", "base_url: 'ftp://x.example/' must be an absolute"),
    ("unquoted_quote_citation", {"content/briefing.yaml": kp_with_cite("cairo: met in Cairo")},
     "content/briefing.yaml:6:9", "because it is not quoted; write it as a quoted string:"
                                  ' - "cairo: met in Cairo"'),
    ("unreadable_citation_string", {"content/briefing.yaml": kp_with_cite("'Cairo Talks'")},
     "content/briefing.yaml:6:9", "cannot read citation 'Cairo Talks'"),
    ("citation_mapping_missing_quote", {"content/briefing.yaml": kp_with_cite("{source: cairo, qoute: x}")},
     "content/briefing.yaml:6:25", "unknown key 'qoute' (did you mean 'quote'?)"),
    ("bad_id_in_reference", {"content/briefing.yaml": BRIEFING_HEAD
                             + "key_points:\n  - text: x\n    actors: [Alice]\n"},
     "content/briefing.yaml:5:14", "'Alice' is not a valid id"),
    ("bad_seed_name_with_dotdot", {"content/sources/cairo.yaml": "file: ../secret.txt\ntitle: T\n"},
     "content/sources/cairo.yaml:1:7", "must be the plain name of a file inside seeds/"),
    ("bad_seed_extension", {"content/sources/cairo.yaml": "file: cairo.pdf\ntitle: T\n"},
     "content/sources/cairo.yaml:1:7", "must be a .txt or .md article"),
    ("bad_language", {"content/briefing.yaml": BRIEFING_HEAD + "language: english please\n"},
     "content/briefing.yaml:3:11", "language must be a BCP 47 tag"),
    ("bad_regex", {"content/briefing.yaml": BRIEFING_HEAD + "ingest:\n  drop: ['(unclosed']\n"},
     "content/briefing.yaml:4:10", "is not a valid regular expression"),
    ("self_affiliation", {"content/actors/bob.yaml": "name: B\naffiliation: bob\n"},
     "content/actors/bob.yaml:2:14", "cannot be affiliated with itself"),
    ("duplicate_key", {"content/actors/bob.yaml": "name: B\nrole: x\nname: C\n"},
     "content/actors/bob.yaml:3:1", "duplicate key 'name' (first at line 1)"),
    ("tab_indent", {"content/actors/bob.yaml": "name: B\naliases:\n\t- Bobby\n"},
     "content/actors/bob.yaml:3:1", "indent with spaces, not tabs"),
    ("python_tag", {"content/actors/bob.yaml": "name: !!python/object:os.system B\n"},
     "content/actors/bob.yaml:1:7", "tag '!!python/object:os.system' is not allowed"),
    ("multiple_documents", {"content/actors/bob.yaml": "name: B\n---\nname: C\n"},
     "content/actors/bob.yaml:2:1", "more than one YAML document"),
    ("empty_actor_file", {"content/actors/bob.yaml": ""},
     "content/actors/bob.yaml", "actor 'bob' is empty; it needs at least 'name'"),
    ("empty_briefing_file", {"content/briefing.yaml": ""},
     "content/briefing.yaml", "briefing.yaml is empty; it needs at least 'title', 'as_of'"),
]


@pytest.mark.parametrize(("files", "where", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_schema_problem_is_reported_with_place_and_fix(tmp_path: Path, files: dict[str, str],
                                                       where: str, fragment: str) -> None:
    root = write_briefing(tmp_path, files)
    assert_diag(errors_of(root), where, fragment)


@pytest.mark.parametrize(("stem", "fragment"), [
    ("Bob", "'Bob' is not a valid id"),
    ("bob smith", "'bob smith' is not a valid id"),
    ("a..b", "'a..b' is not a valid id"),
    ("bob--smith", "'bob--smith' is not a valid id"),
    ("-bob", "'-bob' is not a valid id"),
    ("bob_smith", "'bob_smith' is not a valid id"),
    ("café", "'café' is not a valid id"),
    ("con", "'con' is a reserved name"),
    ("lpt1", "'lpt1' is a reserved name"),
    ("nul", "'nul' is a reserved name"),
])
def test_bad_file_stem_is_an_error_never_a_slug(tmp_path: Path, stem: str, fragment: str) -> None:
    root = write_briefing(tmp_path, {f"content/actors/{stem}.yaml": "name: Someone Else\n"})
    errors = errors_of(root)
    assert_diag(errors, f"content/actors/{stem}.yaml", "bad file name: " + fragment)


def test_good_ids_are_accepted(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/al-hayya.yaml": "name: Khalil al-Hayya\n",
                                     "content/actors/g7.yaml": "name: G7\n",
                                     "content/actors/2025-envoy.yaml": "name: Envoy\n"})
    assert errors_of(root) == []


def test_yml_extension_is_an_error_that_says_rename(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/carol.yml": "name: Carol\n"})
    assert_diag(errors_of(root), "content/actors/carol.yml", "rename to 'carol.yaml'")


def test_many_problems_in_one_file_are_all_reported(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/bob.yaml":
                                     "name: [B]\nrol: x\nkind: persn\naliases: a\ndraft: maybe\n"})
    errors = errors_of(root)
    for where in ("1:7", "2:1", "3:7", "4:10", "5:8"):
        assert any(e.startswith(f"content/actors/bob.yaml:{where}:") for e in errors), (where, errors)


def test_every_citation_form_resolves_to_its_block(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": kp_with_cite(
        "{source: cairo, quote: \"first phase\"}",
        "'cairo: Bob Jones rejected the draft'",
        "cairo#p2",
        "cairo",
    )})
    site = build_site(root)
    data = json.loads((site / "data/briefing.json").read_text(encoding="utf-8"))
    assert data["claims"][0]["cite"] == [
        {"source": "cairo", "n": 2}, {"source": "cairo", "n": 3},
        {"source": "cairo", "n": None},
    ]


def test_title_written_as_number_is_text(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/topics/ceasefire.yaml": "title: 1984\n"})
    site = build_site(root)
    data = json.loads((site / "data/briefing.json").read_text(encoding="utf-8"))
    assert data["topics"][0]["title"] == "1984"


@pytest.mark.parametrize(("data", "where"), [
    (b"name: [unclosed\n", "content/actors/bob.yaml:2:1"),
    (b"name: caf\xe9\n", "content/actors/bob.yaml:1:10"),
    (b"name: B\0\n", "content/actors/bob.yaml:1:8"),
    (b"name: B\n---\nname: C\n", "content/actors/bob.yaml:2:1"),
])
def test_unreadable_yaml_is_one_error_not_also_empty(tmp_path: Path, data: bytes, where: str) -> None:
    root = write_briefing(tmp_path, {"content/actors/bob.yaml": data})
    errors = [e for e in errors_of(root) if e.startswith("content/actors/bob.yaml")]
    assert len(errors) == 1 and errors[0].startswith(where + ": error:"), errors



@pytest.mark.parametrize(("head", "where", "fragment"), [
    ("title: Test briefing\n# no date\n", "content/briefing.yaml:1:1", "missing required key 'as_of'"),
    ("# no title\nas_of: 2025-10-08\n", "content/briefing.yaml:2:1", "missing required key 'title'"),
    ("title: [not, text]\nas_of: 2025-10-32\n", "content/briefing.yaml:2:8", "is not a real date"),
])
def test_a_briefing_without_a_usable_title_or_date_still_has_every_other_file_checked(
        tmp_path: Path, head: str, where: str, fragment: str) -> None:
    # The briefing's own error fails the build; the rest must not wait for a second run.
    root = write_briefing(tmp_path, {
        "content/briefing.yaml": head + "key_points:\n  - text: x\n    cite: [\"cairo: words nobody wrote\"]\n",
        "content/actors/bob.yaml": "name: Bob Jones\naffiliation: nobody\n",
    })
    errors = build_errors(root)
    assert_diag(errors, where, fragment)
    assert_diag(errors, "content/briefing.yaml:5:12", "quote not found in source 'cairo'")
    assert_diag(errors, "content/actors/bob.yaml:2:14", "unknown actor 'nobody'")
    assert not (root / "site").exists()
