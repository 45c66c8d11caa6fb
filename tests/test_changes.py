"""What changed: pure comparison of two data objects, and a pair of real builds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from generator.changes import ClaimChange, Item, StatusChange, compare
from tests.publish_support import cli, seed_briefing


def _data(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "T", "as_of": "2025-01-01",
        "sources": [{"id": "a", "title": "Article A"}],
        "actors": [{"id": "bob", "name": "Bob"}],
        "topics": [{"id": "pay", "title": "Pay", "status": "open"}],
        "claims": [{"id": "briefing/kp-1", "text": "One."}, {"id": "briefing/kp-2", "text": "Two."}],
    }
    return base | over


def test_no_previous_build_means_no_baseline() -> None:
    changes, problems = compare(None, _data())
    assert not changes.has_baseline and changes.count == 0 and problems == []


def test_identical_data_has_no_changes() -> None:
    changes, _ = compare(_data(), _data(as_of="2025-01-02"))
    assert changes.has_baseline and changes.baseline_as_of == "2025-01-01" and changes.count == 0


def test_new_sources_actors_topics_and_removed_items_are_listed() -> None:
    new = _data(sources=[{"id": "a", "title": "Article A"}, {"id": "b", "title": "Article B"}],
                actors=[{"id": "eve", "name": "Eve"}])
    changes, _ = compare(_data(), new)
    assert changes.added == (Item("source", "b", "Article B"), Item("actor", "eve", "Eve"))
    assert changes.removed == (Item("actor", "bob", "Bob"),)
    assert changes.summary() == ["1 new source", "1 new actor", "1 item removed"]


def test_topic_status_change_is_listed() -> None:
    changes, _ = compare(_data(), _data(topics=[{"id": "pay", "title": "Pay", "status": "agreed"}]))
    assert changes.status == (StatusChange("pay", "Pay", "open", "agreed"),)


def test_same_id_with_new_text_is_reworded() -> None:
    new = _data(claims=[{"id": "briefing/kp-1", "text": "One, said better."}, {"id": "briefing/kp-2", "text": "Two."}])
    changes, _ = compare(_data(), new)
    assert changes.claims_reworded == (ClaimChange("briefing/kp-1", "One.", "One, said better."),)
    assert changes.claims_added == () and changes.claims_removed == ()


def test_a_claim_inserted_first_is_added_not_everything_reworded() -> None:
    new = _data(claims=[{"id": "briefing/kp-1", "text": "Zero."}, {"id": "briefing/kp-2", "text": "One."},
                        {"id": "briefing/kp-3", "text": "Two."}])
    changes, _ = compare(_data(), new)
    assert changes.claims_added == (ClaimChange("briefing/kp-1", new="Zero."),)
    assert changes.claims_reworded == () and changes.claims_removed == ()


def test_removed_claim_is_listed_with_its_old_text() -> None:
    changes, _ = compare(_data(), _data(claims=[{"id": "briefing/kp-1", "text": "One."}]))
    assert changes.claims_removed == (ClaimChange("briefing/kp-2", old="Two."),)


def test_old_shape_without_claim_ids_is_compared_by_text_with_a_problem() -> None:
    old = _data(claims=[{"text": "One."}, {"text": "Gone."}], actors="not a list")
    changes, problems = compare(old, _data())
    assert changes.claims_added == (ClaimChange("briefing/kp-2", new="Two."),)
    assert changes.claims_removed == (ClaimChange("", old="Gone."),)
    assert any("no ids" in p for p in problems) and any("'actors' is not a list" in p for p in problems)


# ---------------------------------------------------------------- real builds

def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _main(html: str) -> str:
    found = re.search(r"<main.*?</main>", html, re.S)
    assert found is not None
    return found.group()


def test_pair_of_builds_lists_exactly_the_known_differences(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    assert cli("build", "--root", root, "-q").returncode == 0
    first = (root / "site" / "whatsnew" / "index.html").read_text(encoding="utf-8")
    assert "first edition" in first
    assert "changes-notice" not in (root / "site" / "index.html").read_text(encoding="utf-8")

    content = root / "content"
    _edit(content / "briefing.yaml", "as_of: 2025-10-08", "as_of: 2025-10-09")
    _edit(content / "briefing.yaml", "Israel has allocated\n      several days for them.",
          "Israel has set aside\n      several days for them.")
    _edit(content / "topics" / "ceasefire.yaml", "status: open", "status: disputed")
    (content / "actors" / "sisi.yaml").write_text(
        "name: Abdel Fattah el-Sisi\nkind: person\nrole: President of Egypt\n", encoding="utf-8")
    (root / "seeds" / "later.txt").write_text("Talks continued on Thursday.\n", encoding="utf-8")
    (content / "sources" / "later-2025-10-09.yaml").write_text(
        "file: later.txt\ntitle: Talks continue\npublished: 2025-10-09\nkey_points:\n"
        "  - text: The talks went on.\n    cite: ['later-2025-10-09: Talks continued on Thursday.']\n",
        encoding="utf-8")
    result = cli("build", "--root", root, "-q")
    assert result.returncode == 0, result.stderr

    page = _main((root / "site" / "whatsnew" / "index.html").read_text(encoding="utf-8"))
    assert "Since the edition of <time datetime=\"2025-10-08\">8 October 2025</time>: 1 new source," \
           " 1 new actor, 1 claim added, 1 claim reworded, 1 topic status change." in page
    assert '<a href="../sources/later-2025-10-09/index.html">Talks continue</a>' in page
    assert '<a href="../actors/sisi/index.html">Abdel Fattah el-Sisi</a>' in page
    assert "<del>open</del> → <ins>disputed</ins>" in page
    assert "Israel has set aside several days for them." in page and "allocated several days for them" in page
    assert "The talks went on." in page
    assert page.count("<li") == 5, "exactly these five changes and nothing else"
    home = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert '<a href="whatsnew/index.html">What\'s new</a> since 8 October 2025: 1 new source' in home

    # Rebuilding the same edition keeps the same baseline: nothing is lost.
    assert cli("build", "--root", root, "-q").returncode == 0
    again = _main((root / "site" / "whatsnew" / "index.html").read_text(encoding="utf-8"))
    assert again == page
    carried = json.loads((root / "site" / "data" / "previous.json").read_text(encoding="utf-8"))
    assert carried["as_of"] == "2025-10-08"


def test_previous_site_fetched_back_on_another_machine(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    assert cli("build", "--root", root, "-q").returncode == 0
    fetched = tmp_path / "fetched.json"  # e.g. curl -o fetched.json https://host/briefing/data/briefing.json
    fetched.write_bytes((root / "site" / "data" / "briefing.json").read_bytes())
    other = seed_briefing(tmp_path / "elsewhere")
    _edit(other / "content" / "briefing.yaml", "as_of: 2025-10-08", "as_of: 2025-10-10")
    _edit(other / "content" / "topics" / "ceasefire.yaml", "status: open", "status: agreed")
    result = cli("build", "--root", other, "--previous", fetched, "-q")
    assert result.returncode == 0, result.stderr
    page = (other / "site" / "whatsnew" / "index.html").read_text(encoding="utf-8")
    assert "1 topic status change" in page and "<del>open</del> → <ins>agreed</ins>" in page


def test_corrupt_or_foreign_previous_data_is_a_warning_not_a_traceback(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    assert cli("build", "--root", root, "-q").returncode == 0
    data = root / "site" / "data" / "briefing.json"
    for broken in ("{not json", "[1, 2]", '{"title": "no as_of"}', "\udcff"):
        data.write_text(broken, encoding="utf-8", errors="surrogateescape")
        result = cli("build", "--root", root, "-q")
        assert result.returncode == 0, result.stderr
        assert "warning:" in result.stderr and "What's new" in result.stderr
        assert "Traceback" not in result.stderr
        assert "first edition" in (root / "site" / "whatsnew" / "index.html").read_text(encoding="utf-8")


def test_missing_previous_path_is_a_usage_error(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    result = cli("build", "--root", root, "--previous", tmp_path / "nope.json")
    assert result.returncode == 2 and "no such file" in result.stderr


def test_a_rebuild_of_the_same_edition_is_told_from_the_start_of_the_file(tmp_path: Path) -> None:
    # A build writes compact JSON that starts with title, drafts, subtitle and
    # as_of; a rebuild of the same edition needs nothing more (the file is 62 MB
    # at 10,000 articles). The damaged tail shows that only the start was read.
    from generator.changes import read_baseline

    carried = _data(title="The edition before")
    (tmp_path / "data").mkdir()
    (tmp_path / "data/previous.json").write_text(json.dumps(carried), encoding="utf-8")
    written = {"title": "T", "drafts": False, "subtitle": "", **_data()}  # in the order builds write
    head = json.dumps(written, ensure_ascii=False, separators=(",", ":"))
    (tmp_path / "data/briefing.json").write_text(head[:-1] + ',"sources":[{"damaged', encoding="utf-8")
    same = read_baseline(tmp_path, _data()["as_of"])
    assert same.data == carried and same.problems == ()
    # Any other edition is read in full, so the damage is reported.
    other = read_baseline(tmp_path, "2031-01-01")
    assert other.data is None and "cannot read" in other.problems[0]
    # Data that included drafts is never a public build's baseline.
    drafted = head.replace('"drafts":false', '"drafts":true')
    assert drafted != head
    (tmp_path / "data/briefing.json").write_text(drafted, encoding="utf-8")
    assert read_baseline(tmp_path, _data()["as_of"]).data is None
    assert read_baseline(tmp_path, _data()["as_of"], drafts=True).data == carried
