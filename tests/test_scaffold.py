"""`briefing new`: a new briefing that builds and checks clean, items from templates,
never an overwrite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.scaffold import make_id
from tests.publish_support import cli, seed_briefing


def test_new_briefing_round_trip_builds_and_checks_clean(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    made = cli("new", root)
    assert made.returncode == 0, made.stderr
    assert (root / "content" / "briefing.yaml").is_file() and (root / "seeds").is_dir()
    built = cli("build", "--root", root)
    assert built.returncode == 0 and built.stderr == "", built.stderr
    assert (root / "site" / "index.html").is_file()
    checked = cli("check", "--root", root)
    assert checked.returncode == 0
    assert checked.stdout == "No problems found.\nHealth: nothing to fix.\n"


def test_new_in_the_current_folder(tmp_path: Path) -> None:
    assert cli("new", cwd=tmp_path).returncode == 0
    assert cli("check", cwd=tmp_path).returncode == 0


def test_new_items_are_correctly_named_and_check_without_warnings(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert cli("new", root).returncode == 0
    (root / "seeds" / "Report 12.txt").write_text("Second report\nJane Doe spoke on Friday.\n", encoding="utf-8")
    (root / "seeds" / "later.md").write_text("# Later\n\nMore talks.\n", encoding="utf-8")
    for args, path in [
        (("actor", "Zoë O'Brien: \"the boss\""), "content/actors/zoe-obrien-the-boss.yaml"),
        (("topic", "Water rights"), "content/topics/water-rights.yaml"),
        (("source", "Report 12.txt"), "content/sources/report-12.yaml"),
        (("source", "second-look", "--file", "later.md"), "content/sources/second-look.yaml"),
    ]:
        result = cli("new", *args, "--root", root)
        assert result.returncode == 0, result.stderr
        assert (root / path).is_file(), result.stdout
    checked = cli("check", "--root", root, "--no-health")
    assert checked.returncode == 0 and checked.stdout == "No problems found.\n", checked.stdout
    assert cli("build", "--root", root, "-q").returncode == 0
    data = json.loads((root / "site" / "data" / "briefing.json").read_text(encoding="utf-8"))
    names = {a["id"]: a["name"] for a in data["actors"]}
    assert names["zoe-obrien-the-boss"] == "Zoë O'Brien: \"the boss\""
    titles = {s["id"]: s["title"] for s in data["sources"]}
    assert titles["report-12"] == "Second report"


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    assert cli("new", root).returncode == 0
    assert cli("new", "actor", "Bob", "--root", root).returncode == 0
    target = root / "content" / "actors" / "bob.yaml"
    target.write_text("name: Bob\nrole: edited\n", encoding="utf-8")
    again = cli("new", "actor", "Bob", "--root", root)
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    assert target.read_text(encoding="utf-8") == "name: Bob\nrole: edited\n"
    before = (root / "content" / "briefing.yaml").read_bytes()
    whole = cli("new", root)
    assert whole.returncode == 2 and "already holds a briefing" in whole.stderr
    assert (root / "content" / "briefing.yaml").read_bytes() == before


def test_new_into_the_repository_briefing_refuses(tmp_path: Path) -> None:
    root = seed_briefing(tmp_path / "brief")
    assert cli("new", root).returncode == 2


@pytest.mark.parametrize(("args", "message"), [
    (("source", "missing.txt"), "no article missing.txt"),
    (("source", "other", "--file", "harbour-report.txt"), "already the article of source 'harbour-report'"),
    (("actor", "!!!"), "cannot make an id"),
    (("actor",), "give the new actor's name"),
])
def test_new_item_mistakes_are_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    root = tmp_path / "fresh"
    assert cli("new", root).returncode == 0
    result = cli("new", *args, "--root", root)
    assert result.returncode == 2 and message in result.stderr


def test_new_item_outside_a_briefing_is_refused(tmp_path: Path) -> None:
    result = cli("new", "topic", "Pay", "--root", tmp_path)
    assert result.returncode == 2 and "briefing new" in result.stderr


@pytest.mark.parametrize(("name", "expected"), [
    ("Khalil al-Hayya", "khalil-al-hayya"), ("  Zoë  Ünal ", "zoe-unal"), ("U.S. Army", "u-s-army"),
    ("O'Brien", "obrien"), ("東京", ""), ("2025 talks", "2025-talks"),
    ("Zoë Müller-Ørsted", "zoe-muller-orsted"), ("Łukasz Straße", "lukasz-strasse"),
])
def test_make_id(name: str, expected: str) -> None:
    assert make_id(name) == expected
