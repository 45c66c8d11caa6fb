"""Resolution: quotes to blocks, references checked, drafts left out, mentions found."""

# The curly quotes and dashes in the fixtures are the point of these tests.
# ruff: noqa: RUF001

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    anchors,
    assert_diag,
    build_site,
    errors_of,
    site_files,
    warnings_of,
    write_briefing,
)

HEAD = "title: T\nas_of: 2025-10-08\n"


def cite_briefing(*entries: str) -> str:
    """briefing.yaml with one key point citing ``entries``; the first entry is on line 6."""
    return HEAD + "key_points:\n  - text: x\n    cite:\n" + "".join(f"      - {e}\n" for e in entries)


def data(site: Path) -> dict[str, Any]:
    return json.loads((site / "data/briefing.json").read_text(encoding="utf-8"))


def test_quote_folding_matches_across_quotes_dashes_and_whitespace(tmp_path: Path) -> None:
    article = ("First paragraph here.\n"
               "He said ‘we’re  ready’ and “done” — it’s over – maybe ‐ not.\n"
               "Third paragraph.\n")
    quote = "{source: cairo, quote: \"said 'we're ready' and \\\"done\\\" - it's\\n  over - maybe - not\"}"
    root = write_briefing(tmp_path, {"seeds/cairo.txt": article,
                                     "content/briefing.yaml": cite_briefing(quote)})
    assert errors_of(root) == []
    assert data(build_site(root))["claims"][0]["cite"] == [{"source": "cairo", "n": 2}]


def test_quote_folding_is_case_sensitive(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing("'cairo: NEGOTIATORS met'")})
    assert_diag(errors_of(root), "content/briefing.yaml:6:9", "quote not found in source 'cairo'")


def test_quote_resolves_to_the_block_that_holds_it(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing(
        "'cairo: rejected the draft on Tuesday'", "'cairo: Negotiators met'")})
    cites = data(build_site(root))["claims"][0]["cite"]
    assert cites == [{"source": "cairo", "n": 3}, {"source": "cairo", "n": 1}]


def test_quote_across_two_blocks_is_not_found(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing(
        "'cairo: the ceasefire. Alice Smith said'")})
    assert_diag(errors_of(root), "content/briefing.yaml:6:9", "quote not found")


def test_quote_in_a_heading_is_not_found(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing("'cairo: Talks in Cairo'")})
    assert_diag(errors_of(root), "content/briefing.yaml:6:9", "quote not found in source 'cairo' (cairo.txt):"
                " \"Talks in Cairo\"; it is in a heading, and only paragraphs and list items can be cited")


@pytest.mark.parametrize(("quote", "hint"), [
    ("negotiators met in Cairo", "p1 has it with other capitals: \"Negotiators met in Cairo\"; case counts"),
    ("the ceasefire. Alice Smith said", "it runs from p1 into p2; quote words from one block, or cite each block"),
    ("Alice Smith said the first phase is close",
     "p2 has its opening words \"Alice Smith said the\" but not \"first phase is close\" after them"),
    ("words nobody wrote", "quotes must be verbatim words from one paragraph or list item"),
])
def test_a_quote_not_found_says_what_is_nearest(tmp_path: Path, quote: str, hint: str) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing(f"'cairo: {quote}'")})
    assert_diag(errors_of(root), "content/briefing.yaml:6:9", f"quote not found in source 'cairo' (cairo.txt):"
                f" \"{quote}\"; {hint}")


def test_a_quote_whose_accents_are_encoded_otherwise_is_told_so(tmp_path: Path) -> None:
    # The article has "Zoë" as one code point (NFC), the quote as e + U+0308 (NFD):
    # they look the same, so the error must say what differs.
    root = write_briefing(tmp_path, {
        "seeds/cairo.txt": "Zo\u00eb M\u00fcller spoke in Cairo on Monday.\n",
        "content/briefing.yaml": cite_briefing("'cairo: Zoe\u0308 Mu\u0308ller spoke'"),
    })
    assert_diag(errors_of(root), "content/briefing.yaml:6:9", "p1 has the same letters with their accents"
                " encoded another way (Unicode NFC and NFD)")


def test_quote_not_in_source_is_error_with_line(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing(
        "cairo#p1", "{source: cairo, quote: words nobody wrote}")})
    assert_diag(errors_of(root), "content/briefing.yaml:7:9",
                "quote not found in source 'cairo' (cairo.txt): \"words nobody wrote\"")


def test_block_number_out_of_range_names_the_range(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing("cairo#p4", "cairo#p0")})
    errors = errors_of(root)
    assert_diag(errors, "content/briefing.yaml:6:9", "source 'cairo' has no block p4; it has p1 to p3")
    assert_diag(errors, "content/briefing.yaml:7:9", "source 'cairo' has no block p0")


def test_unknown_source_actor_and_topic_have_did_you_mean(tmp_path: Path) -> None:
    briefing = HEAD + ("key_points:\n  - text: x\n    cite: [cairro]\n"
                       "    actors: [alise]\n    topics: [ceasfire]\n")
    root = write_briefing(tmp_path, {"content/briefing.yaml": briefing})
    errors = errors_of(root)
    assert_diag(errors, "content/briefing.yaml:5:12", "unknown source 'cairro' (did you mean 'cairo'?)")
    assert_diag(errors, "content/briefing.yaml:6:14", "unknown actor 'alise' (did you mean 'alice'?)")
    assert_diag(errors, "content/briefing.yaml:7:14", "unknown topic 'ceasfire' (did you mean 'ceasefire'?)")


def test_unknown_references_in_every_file_kind(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {
        "content/actors/bob.yaml": ("name: Bob Jones\naffiliation: hamass\npositions:\n"
                                    "  - topic: ceasefir\n    stance: no\n    cite: [cairo#p9]\n"),
        "content/topics/ceasefire.yaml": "title: C\nrelated: [hostages]\n",
        "content/sources/cairo.yaml": ("file: cairo.txt\ntitle: T\nkey_points:\n"
                                       "  - text: y\n    actors: [bobb]\n"),
    })
    errors = errors_of(root)
    assert_diag(errors, "content/actors/bob.yaml:2:14", "unknown actor 'hamass'")
    assert_diag(errors, "content/actors/bob.yaml:4:12", "unknown topic 'ceasefir' (did you mean 'ceasefire'?)")
    assert_diag(errors, "content/actors/bob.yaml:6:12", "source 'cairo' has no block p9")
    assert_diag(errors, "content/topics/ceasefire.yaml:2:11", "unknown topic 'hostages'")
    assert_diag(errors, "content/sources/cairo.yaml:5:14", "unknown actor 'bobb' (did you mean 'bob'?)")


def test_same_alias_on_two_actors_is_an_error(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/bob.yaml": "name: Bob Jones\naliases: [Smith, Alice]\n"})
    errors = errors_of(root)
    assert_diag(errors, "content/actors/bob.yaml:2:18", "'Alice' also names actor 'alice'")


def test_name_equal_to_other_actors_alias_modulo_apostrophe_is_an_error(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {
        "content/actors/alice.yaml": "name: Alice Smith\naliases: [O’Neil]\n",
        "content/actors/bob.yaml": "name: O'Neil\n"})
    errors = errors_of(root)
    assert any("also names actor" in e and "O" in e for e in errors), errors


def test_draft_alias_does_not_clash(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/bob.yaml": "name: Bob Jones\naliases: [Alice]\ndraft: true\n"})
    assert errors_of(root) == []


DRAFTY = {
    "content/actors/bob.yaml": "name: Bob Jones\nrole: Draft Role Marker\ndraft: true\n",
    "content/topics/hostages.yaml": "title: Hostage Deal\ndraft: true\nkeywords: [draft]\n",
    "content/sources/secret.yaml": "file: secret.txt\ntitle: Secret Memo Title\ndraft: true\n",
    "seeds/secret.txt": "A secret paragraph nobody may see.\n",
    "content/briefing.yaml": HEAD + (
        "key_points:\n"
        "  - text: Talks resumed.\n"
        "    cite: [cairo#p1, secret#p1]\n"
        "    actors: [alice, bob]\n"
        "    topics: [ceasefire, hostages]\n"),
}


def test_references_to_drafts_are_dropped_with_a_warning(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, DRAFTY)
    assert errors_of(root) == []
    warnings = warnings_of(root)
    assert_diag(warnings, "content/briefing.yaml:5:22", "source 'secret' is a draft")
    assert_diag(warnings, "content/briefing.yaml:6:21", "actor 'bob' is a draft")
    assert_diag(warnings, "content/briefing.yaml:7:25", "topic 'hostages' is a draft")
    site = build_site(root)
    claim = data(site)["claims"][0]
    assert claim["cite"] == [{"source": "cairo", "n": 1}]
    assert claim["actors"] == ["alice"] and claim["topics"] == ["ceasefire"]
    assert not (site / "actors/bob").exists()
    assert not (site / "topics/hostages").exists()
    assert not (site / "sources/secret").exists()
    for path in site_files(site):
        body = path.read_bytes()
        for word in (b"Draft Role Marker", b"Hostage Deal", b"Secret Memo Title", b"secret paragraph",
                     b"actors/bob", b"hostages", b"secret#", b"sources/secret"):
            assert word not in body, (path, word)


def test_drafts_option_includes_drafts(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, DRAFTY)
    assert warnings_of(root, drafts=True) == []
    site = build_site(root, drafts=True)
    claim = data(site)["claims"][0]
    assert claim["cite"] == [{"source": "cairo", "n": 1}, {"source": "secret", "n": 1}]
    assert claim["actors"] == ["alice", "bob"] and claim["topics"] == ["ceasefire", "hostages"]
    for page in ("actors/bob/index.html", "topics/hostages/index.html", "sources/secret/index.html"):
        assert (site / page).is_file()
    # Bob is mentioned in p3 now that he takes part
    assert {"source": "cairo", "n": 3} in next(a for a in data(site)["actors"] if a["id"] == "bob")["mentions"]


def test_draft_actor_is_not_mentioned(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/actors/bob.yaml": "name: Bob Jones\ndraft: true\n"})
    site = build_site(root)
    page = site / "sources/cairo/index.html"
    assert all(a.get("data-actor") != "bob" for a, _ in anchors(page))
    assert "Bob Jones rejected" in page.read_text(encoding="utf-8")


def test_leftmost_longest_mention_across_actors(tmp_path: Path) -> None:
    article = ("Melania Trump met Trump in Washington.\n"
               "Trump’s plan was discussed; a trumpet played; Trumpet did not count.\n"
               "Donald Trump Jr. spoke.\n")
    root = write_briefing(tmp_path, {
        "seeds/cairo.txt": article,
        "content/actors/alice.yaml": "name: Melania Trump\n",
        "content/actors/bob.yaml": "name: Donald Trump\naliases: [Trump]\n",
        "content/actors/jr.yaml": "name: Donald Trump Jr.\n",
        "content/briefing.yaml": HEAD,
    })
    site = build_site(root)
    links = [(a["data-actor"], text) for a, text in anchors(site / "sources/cairo/index.html")
             if "data-actor" in a]
    assert links == [("alice", "Melania Trump"), ("bob", "Trump"), ("bob", "Trump"),
                     ("jr", "Donald Trump Jr.")]
    mentions = {a["id"]: a["mentions"] for a in data(site)["actors"]}
    assert mentions == {"alice": [{"source": "cairo", "n": 1}],
                        "bob": [{"source": "cairo", "n": 1}, {"source": "cairo", "n": 2}],
                        "jr": [{"source": "cairo", "n": 3}]}


def test_mentions_are_not_searched_in_headings(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"seeds/cairo.txt": "Alice Smith in Cairo\nShe arrived on Monday.\n",
                                     "content/briefing.yaml": HEAD})
    site = build_site(root)
    assert data(site)["actors"][0]["mentions"] == []
    assert not [a for a, _ in anchors(site / "sources/cairo/index.html") if "data-actor" in a]


def test_topic_keywords_ignore_case_and_list_each_block_once(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {
        "seeds/cairo.txt": "A CEASEFIRE and a ceasefire.\nNothing here.\n- Ceasefire talks.\n",
        "content/topics/ceasefire.yaml": "title: C\nkeywords: [ceasefire, Ceasefire talks]\n",
        "content/briefing.yaml": HEAD})
    topic = data(build_site(root))["topics"][0]
    assert topic["passages"] == [{"source": "cairo", "n": 1}, {"source": "cairo", "n": 3}]


def test_seed_no_source_names_is_warned_and_not_published(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"seeds/orphan.txt": "UNPUBLISHED-ORPHAN text.\n"})
    assert_diag(warnings_of(root), "seeds/orphan.txt", "no source names this article, so it is not published")
    site = build_site(root)
    for path in site_files(site):
        assert b"UNPUBLISHED-ORPHAN" not in path.read_bytes()
        assert b"orphan" not in path.read_bytes()


def test_missing_seed_is_error_with_did_you_mean(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/sources/cairo.yaml": "file: ciaro.txt\ntitle: T\n"})
    assert_diag(errors_of(root), "content/sources/cairo.yaml:1:7",
                "article 'seeds/ciaro.txt' not found (did you mean 'cairo.txt'?)")


def test_citing_a_source_whose_article_is_missing_says_so(tmp_path: Path) -> None:
    # The source exists; calling it unknown would send the editor looking for a typo.
    root = write_briefing(tmp_path, {"seeds/cairo.txt": None})
    errors = errors_of(root)
    assert_diag(errors, "content/briefing.yaml:6:12", "source 'cairo' could not be read, so this citation"
                " cannot be checked; fix the errors reported for content/sources/cairo.yaml or its article")
    assert not any("unknown source" in e for e in errors), errors


def test_a_source_whose_article_is_missing_still_has_its_key_points_checked(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {
        "content/sources/cairo.yaml": "file: ciaro.txt\ntitle: T\nkey_points:\n  - text: x\n"
                                      "    cite: [\"cairo#p1\", \"kairo\"]\n    actors: [nobody]\n",
    })
    errors = errors_of(root)
    assert_diag(errors, "content/sources/cairo.yaml:1:7", "article 'seeds/ciaro.txt' not found")
    assert_diag(errors, "content/sources/cairo.yaml:5:12", "source 'cairo' could not be read")
    assert_diag(errors, "content/sources/cairo.yaml:5:24", "unknown source 'kairo'")
    assert_diag(errors, "content/sources/cairo.yaml:6:14", "unknown actor 'nobody'")


def test_referring_to_an_unreadable_topic_or_actor_says_so(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/topics/ceasefire.yaml": "title: Ceasefire\n\tkeywords: [x]\n",
                                     "content/actors/alice.yaml": "name: [Alice\n"})
    errors = errors_of(root)
    assert_diag(errors, "content/topics/ceasefire.yaml:2:1", "indent with spaces, not tabs")
    assert_diag(errors, "content/briefing.yaml:8:14", "topic 'ceasefire' could not be read, so this reference"
                " cannot be checked; fix the errors reported for content/topics/ceasefire.yaml")
    assert_diag(errors, "content/briefing.yaml:7:14", "actor 'alice' could not be read")
    assert not any("unknown" in e for e in errors), errors


def test_a_reference_to_no_file_at_all_is_still_unknown(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/topics/ceasefire.yaml": None})
    assert_diag(errors_of(root), "content/briefing.yaml:8:14",
                "unknown topic 'ceasefire' (no content/topics/ceasefire.yaml)")


def test_two_sources_naming_one_article_is_error(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/sources/zcairo.yaml": "file: cairo.txt\ntitle: Again\n"})
    assert_diag(errors_of(root), "content/sources/zcairo.yaml:1:7", "is already the article of source 'cairo'")


def test_the_same_block_cited_twice_is_one_citation(tmp_path: Path) -> None:
    root = write_briefing(tmp_path, {"content/briefing.yaml": cite_briefing(
        "cairo#p1", "cairo#p1", "'cairo: Negotiators met'", "cairo", "cairo")})
    cites = data(build_site(root))["claims"][0]["cite"]
    assert cites == [{"source": "cairo", "n": 1}, {"source": "cairo", "n": None}]
