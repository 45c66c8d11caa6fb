"""The health report: every check on a briefing with known defects, the rule for
candidate actors, `briefing check` output and exit status, and `build --report`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.health import names_in
from tests.publish_support import cli, parse, seed_briefing, write_files

DEFECTS = {
    "content/briefing.yaml": """\
title: Defects
as_of: 2025-03-01
key_points:
  - text: Alice spoke first.
    cite: ["one#p1"]
    actors: [alice]
""",
    "content/sources/one.yaml": "file: one.txt\ntitle: One\n",
    "content/sources/two.yaml": "file: two.txt\ntitle: Two\n",
    "content/actors/alice.yaml": "name: Alice Smith\naliases: [Alice, The Chair]\nsummary: Chairs the talks.\n",
    "content/actors/ghost.yaml": "name: Ghost Writer\n",
    "content/topics/empty.yaml": "title: Empty\n",
    "seeds/one.txt": "Alice opened the meeting with Maria Lopez at her side.\n"
                     "Later, Maria Lopez and Alice left together.\n"
                     "Yesterday the weather was fine.\n",
    "seeds/two.txt": "Nobody else was there on Monday.\n",
}


@pytest.fixture()
def defective(tmp_path: Path) -> Path:
    return write_files(tmp_path / "brief", DEFECTS)


def test_check_reports_every_known_defect_in_a_health_section_and_exits_0(defective: Path) -> None:
    result = cli("check", "--root", defective)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.index("No problems found.") < out.index("Health: 7 things an editor could fix")
    expected = [
        "content/sources/two.yaml: no claim cites source 'two' (Two)",
        "content/actors/ghost.yaml: actor 'ghost' is never mentioned",
        "content/actors/ghost.yaml: actor 'ghost' has no summary",
        "content/topics/empty.yaml: topic 'empty' has no key points",
        "content/briefing.yaml:4:5: claim 'briefing/kp-1' has no quote among its citations",
        "content/actors/alice.yaml:2:18: alias 'The Chair' of actor 'alice' never matches",
        "seeds/one.txt: 'Maria Lopez' occurs in 2 passages (one ¶1, one ¶2) but belongs to no actor",
    ]
    for line in expected:
        assert line in out, f"missing {line!r} in\n{out}"
    assert "actor 'alice' has no summary" not in out
    assert "'Yesterday'" not in out and "'Monday'" not in out and "'Later'" not in out
    assert "warning:" not in out and "error:" not in out


def test_no_health_leaves_the_section_out(defective: Path) -> None:
    result = cli("check", "--root", defective, "--no-health")
    assert result.returncode == 0 and "Health" not in result.stdout


def test_errors_come_first_and_health_is_left_out_when_the_briefing_is_broken(defective: Path) -> None:
    (defective / "content" / "actors" / "bad.yaml").write_text("nam: Bad\n", encoding="utf-8")
    result = cli("check", "--root", defective)
    assert result.returncode == 1 and "error:" in result.stdout and "Health" not in result.stdout


def test_repository_briefing_checks_clean_with_exit_0(tmp_path: Path) -> None:
    result = cli("check", "--root", seed_briefing(tmp_path / "brief"))
    assert result.returncode == 0, result.stdout
    assert "No problems found." in result.stdout and "warning" not in result.stdout


@pytest.mark.parametrize(("text", "names"), [
    ("Alice met Maria Lopez in Cairo.", ["Maria Lopez", "Cairo"]),
    ("The Hamas delegation met Khalil al-Hayya.", ["Hamas", "Khalil al-Hayya"]),
    ("He met the Minister of Foreign Affairs today.", ["Minister of Foreign Affairs"]),
    ("In Sharm el-Sheikh, talks began. Egypt hosted.", ["Sharm el-Sheikh"]),
    ("Talks resumed on Monday in October, said “Qatar” officials.", []),
    ("Trump\u2019s envoy, Steve Witkoff, arrived.", ["Steve Witkoff"]),
    ("a U.S. official", []),
])
def test_names_in_follows_the_documented_rule(text: str, names: list[str]) -> None:
    assert names_in(text) == names


def test_names_overlapping_a_mention_are_not_candidates() -> None:
    from generator.model import Span
    text = "President Donald Trump spoke."
    start = text.index("Donald Trump")
    assert names_in(text, [Span(start, start + len("Donald Trump"), ("trump",))]) == []
    assert names_in(text) == ["President Donald Trump"]


def test_report_page_only_with_the_flag_noindex_and_not_in_sitemap_or_feed(defective: Path) -> None:
    assert cli("build", "--root", defective, "-q").returncode == 0
    assert not (defective / "site" / "_report").exists()
    result = cli("build", "--root", defective, "--report", "--base-url", "https://example.org/b/")
    assert result.returncode == 0, result.stderr
    site = defective / "site"
    report = site / "_report" / "index.html"
    html = report.read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "Maria Lopez" in html and "never matches" in html and "content/topics/empty.yaml" in html
    assert "_report" not in (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "_report" not in (site / "feed.xml").read_text(encoding="utf-8")
    for _, href, _ in parse(report).links:
        if not href.startswith(("#", "http")):
            target = (report.parent / href.split("#")[0]).resolve()
            assert target.is_file(), href
    assert cli("build", "--root", defective, "-q").returncode == 0
    assert not (site / "_report").exists(), "a build without --report drops the report"
