"""Issue 6: hostile but valid content builds, and none of it becomes live markup;
drafts and notes never leak into any file of the site."""

from __future__ import annotations

import html
import json
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.helpers import (
    Page,
    anchors,
    build_site,
    errors_of,
    run_cli,
    site_files,
    write_briefing,
)

ATTR = '"><img src=x onerror=alert(1)>'
SCRIPT = "<script>alert('x')</script>"
PAYLOADS = [ATTR, SCRIPT, "'><svg onload=alert(1)>", "</title><script>alert(2)</script>",
            "javascript:alert(3)", "jav&#x61;script:alert(4)", "{{ 7*7 }}{% raw %}"]
P = " ".join(PAYLOADS)


def yq(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return json.dumps(text)


MD = f"""\
Plain {SCRIPT} and <img src=x onerror=alert(1)> and <a href="javascript:alert(1)">raw</a>.

[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](jav&#x61;script:alert(1))
[d](&#106;avascript:alert(1)) [e](vbscript:msgbox(1)) [f](data:text/html;base64,PHNjcmlwdD4=)
[g]( javascript:alert(1)) [h](java%0ascript:alert(1)) <javascript:alert(1)>
![i](javascript:alert(1)) ![j](data:text/html,<script>alert(1)</script>)
[k](https://ok.example/"onmouseover="alert(1)) `{SCRIPT}`

[ref]: javascript:alert(1)
[l][ref]
"""

HOSTILE = {
    "seeds/cairo.txt": f"Heading {ATTR}\nAlice {ATTR} said {SCRIPT} in Cairo.\n- <b onclick=x>Bob</b> {P}\n",
    "seeds/evil.md": MD,
    "content/briefing.yaml": (
        f"title: {yq('Briefing ' + P)}\nsubtitle: {yq(P)}\nas_of: 2025-10-08\n"
        f"summary: {yq(MD)}\nwatch: [{yq(MD)}]\n"
        "key_points:\n"
        f"  - text: {yq(MD)}\n"
        f"    cite: [{yq('cairo: ' + SCRIPT)}]\n"
        "    actors: [alice]\n"
        "events:\n"
        f"  - date: 2025-10-06\n    text: {yq(MD)}\n    actors: [alice]\n"),
    "content/sources/cairo.yaml": (
        f"file: cairo.txt\ntitle: {yq('Cairo ' + P)}\noutlet: {yq(P)}\n"
        f"url: {yq('https://x.example/' + chr(34) + '><svg/onload=alert(1)>')}\nsummary: {yq(MD)}\n"),
    "content/sources/evil.yaml": f"file: evil.md\ntitle: {yq(P)}\n",
    "content/actors/alice.yaml": (
        f"name: {yq('Alice ' + ATTR)}\nrole: {yq(P)}\naliases: [{yq(SCRIPT)}]\nsummary: {yq(MD)}\n"
        f"positions:\n  - topic: ceasefire\n    stance: {yq(MD)}\n    cite: [cairo#p1]\n"),
    "content/actors/bob.yaml": "name: <b onclick=x>Bob</b>\nkind: group\n",
    "content/topics/ceasefire.yaml": (
        f"title: {yq(P)}\nkeywords: [{yq(SCRIPT)}, onerror]\nsummary: {yq(MD)}\n"
        f"open_questions: [{yq(MD)}]\nkey_points:\n  - text: {yq(MD)}\n"),
}

_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")


def _scheme_is_bad(value: str) -> bool:
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(value)).lower()
    return cleaned.startswith(_BAD_SCHEMES)


def live_markup_problems(site: Path) -> list[str]:
    problems = []
    for path in site_files(site):
        rel = path.relative_to(site).as_posix()
        if path.suffix == ".xml":
            tree = ET.fromstring(path.read_bytes())
            for el in tree.iter():
                if el.tag.rsplit("}", 1)[-1].lower() == "script":
                    problems.append(f"{rel}: <script> element")
            # Atom text constructs are plain text unless type="html": check those as HTML
            for el in tree.iter():
                if el.get("type") in ("html", "xhtml") and el.text:
                    problems.extend(f"{rel} (embedded): {p}" for p in _html_problems(el.text))
        elif path.suffix == ".html":
            problems.extend(f"{rel}: {p}" for p in _html_problems(path.read_text(encoding="utf-8")))
    return problems


def _ours(tag: str, attrs: dict[str, str]) -> bool:
    """The only script and form the templates emit: ``assets/search.js`` loaded from
    the site itself, and the search form submitting to its own page."""
    if tag == "script":
        src = attrs.get("src", "")
        return src.endswith("assets/search.js") and ":" not in src and not src.startswith("//")
    action = attrs.get("action", "")
    return action == "index.html"


def _html_problems(text: str) -> list[str]:
    page = Page()
    page.feed(text)
    page.close()
    out = []
    for tag, attrs in page.elements:
        if tag in ("script", "form") and _ours(tag, attrs):
            pass  # the search page's own external script and relative form, from our templates
        elif tag in ("script", "iframe", "object", "embed", "base", "form"):
            out.append(f"<{tag}> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                out.append(f"<{tag} {name}=...> event handler")
            if name in ("href", "src", "action", "formaction", "xlink:href", "srcset") and _scheme_is_bad(value):
                out.append(f"<{tag} {name}={value!r}>")
            if tag == "meta" and name == "content" and "url=" in value.lower() and _scheme_is_bad(value.split("=", 1)[1]):
                out.append("meta refresh to a bad scheme")
    return out


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_briefing(tmp_path_factory.mktemp("hostile") / "b", HOSTILE)
    assert errors_of(root) == []
    return build_site(root)


def test_checker_finds_live_markup(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<p><script>x</script><img src=x onerror=y>'
                                     '<a href=" jav&#x61;script:1">a</a><a href="DATA:x">b</a></p>')
    assert len(live_markup_problems(tmp_path)) == 4


def test_hostile_content_is_never_live_markup(hostile_site: Path) -> None:
    assert live_markup_problems(hostile_site) == []


def test_template_syntax_in_content_is_not_evaluated(hostile_site: Path) -> None:
    body = (hostile_site / "index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }}" in html.unescape(body)


def test_hostile_text_is_kept_as_data_in_json(hostile_site: Path) -> None:
    data = json.loads((hostile_site / "data/briefing.json").read_text(encoding="utf-8"))
    assert data["title"] == "Briefing " + P
    actors = {a["id"]: a for a in data["actors"]}
    assert actors["alice"]["name"] == "Alice " + ATTR
    assert actors["alice"]["aliases"] == [SCRIPT]
    assert actors["bob"]["name"] == "<b onclick=x>Bob</b>"
    cairo = next(s for s in data["sources"] if s["id"] == "cairo")
    assert cairo["blocks"][1]["text"] == f"Alice {ATTR} said {SCRIPT} in Cairo."
    assert data["claims"][0]["cite"] == [{"source": "cairo", "n": 1}]


def test_hostile_alias_is_still_found_as_a_mention(hostile_site: Path) -> None:
    data = json.loads((hostile_site / "data/briefing.json").read_text(encoding="utf-8"))
    alice = next(a for a in data["actors"] if a["id"] == "alice")
    assert {"source": "cairo", "n": 1} in alice["mentions"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)",
                                 "jav&#x61;script:alert(1)", "java\tscript:alert(1)",
                                 "data:text/html,x", "vbscript:x", "//evil.example/x"])
def test_hostile_source_url_is_refused(tmp_path: Path, url: str) -> None:
    root = write_briefing(tmp_path, {"content/sources/cairo.yaml": f"file: cairo.txt\ntitle: T\nurl: {yq(url)}\n"})
    assert any(e.startswith("content/sources/cairo.yaml:3:6: error: url:") for e in errors_of(root))


def test_nothing_draft_and_no_notes_leak_into_any_file(tmp_path: Path) -> None:
    marker = f"LEAKMARKER-{uuid.uuid4()}"
    m = lambda what: f"{marker}-{what}"  # noqa: E731
    files = {
        "seeds/secret.txt": f"{m('seed')} secret paragraph.\nAnother {m('seed2')}.\n",
        "seeds/cairo.txt": "Negotiators met in Cairo on Monday.\nAlice Smith spoke.\nDraftman Dan spoke too.\n",
        "content/sources/secret.yaml": (
            f"file: secret.txt\ntitle: {m('stitle')}\noutlet: {m('outlet')}\ndraft: true\n"
            f"summary: {m('ssum')}\nurl: https://{marker.lower()}.example/\nnotes: {m('snotes')}\n"
            f"key_points:\n  - text: {m('skp')}\n    cite: [secret#p1]\n"),
        "content/actors/dan.yaml": (
            f"name: Draftman Dan\nrole: {m('role')}\naliases: [{m('alias')}]\ndraft: true\n"
            f"summary: {m('asum')}\nnotes: {m('anotes')}\n"
            f"positions:\n  - topic: ceasefire\n    stance: {m('stance')}\n"),
        "content/topics/secret-topic.yaml": (
            f"title: {m('ttitle')}\nkeywords: [Negotiators]\ndraft: true\nsummary: {m('tsum')}\n"
            f"open_questions: [{m('tq')}]\nnotes: {m('tnotes')}\n"
            f"key_points:\n  - text: {m('tkp')}\n"),
        "content/actors/alice.yaml": f"name: Alice Smith\nnotes: {m('alice-notes')}\naffiliation: dan\n",
        "content/topics/ceasefire.yaml": f"title: Ceasefire\nrelated: [secret-topic]\nnotes: {m('cnotes')}\n",
        "content/sources/cairo.yaml": f"file: cairo.txt\ntitle: Cairo\nnotes: |\n  {m('cairo-notes')}\n",
        "content/briefing.yaml": (
            f"title: T\nas_of: 2025-10-08\nnotes:\n  - {m('bnotes')}\n  - nested: {m('bnotes2')}\n"
            "key_points:\n  - text: Published claim.\n"
            "    cite: [secret#p1, 'secret: secret paragraph', cairo#p1]\n"
            "    actors: [alice, dan]\n    topics: [ceasefire, secret-topic]\n"
            "events:\n  - date: 2025-10-01\n    text: Published event.\n    cite: [secret]\n    actors: [dan]\n"),
    }
    root = write_briefing(tmp_path / "b", files)
    result = run_cli("build", "--root", root)
    assert result.returncode == 0, result.stderr
    assert "is a draft" in result.stderr
    site = root / "site"
    needles = [marker.encode(), marker.lower().encode(), b"secret-topic", b"sources/secret",
               b"actors/dan", b'"secret"', b"secret.txt"]
    for path in [*site_files(site), *site.rglob(".*")]:
        if path.is_file():
            body = path.read_bytes()
            for needle in needles:
                assert needle not in body, (path, needle)
    # Dan's name stays in the article as plain text, not as a mention
    page = site / "sources/cairo/index.html"
    assert "Draftman Dan spoke too." in html.unescape(page.read_text(encoding="utf-8"))
    assert all(a.get("data-actor") != "dan" for a, _ in anchors(page))
