"""Property-based: the whole build over generated small briefings."""

# ruff: noqa: RUF001

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import BuildOptions, build
from generator.errors import ContentError
from tests.helpers import anchors, write_briefing

WORDS = ["Trump", "Melania", "Trump’s", "Hamas", "al-Hayya", "talks", "ceasefire", "Trumpet",
         "said", "the", "O'Neil", "O’Neil", "“quoted”", "—", "-", "\u200b", "é", "1", ".", ":"]
NAMES = st.lists(st.sampled_from(["Trump", "Melania Trump", "Donald Trump", "Hamas", "al-Hayya",
                                  "O'Neil", "O’Neil", "Trump’s", "the", "Hayya"]),
                 min_size=1, max_size=3, unique=True)
LINE = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(lambda w: "- " + " ".join(w)),
    st.just(""),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, min_size=1, max_size=12),
       actors=st.lists(NAMES, min_size=1, max_size=3),
       cites=st.lists(st.integers(min_value=1, max_value=6), max_size=3))
def test_generated_briefings_never_crash_and_mentions_are_right(
        lines: list[str], actors: list[list[str]], cites: list[int]) -> None:
    tmp = Path(tempfile.mkdtemp())
    try:
        files: dict[str, str | None] = {"seeds/cairo.txt": "\n".join(lines) + "\n",
                                        "content/actors/alice.yaml": None, "content/actors/bob.yaml": None,
                                        "content/briefing.yaml": "title: T\nas_of: 2025-10-08\nkey_points:\n"
                                        "  - text: x\n    cite: [" + ", ".join(f"cairo#p{n}" for n in cites) + "]\n"}
        for i, phrases in enumerate(actors):
            files[f"content/actors/a{i}.yaml"] = (f"name: {json.dumps(phrases[0])}\n"
                                                   f"aliases: {json.dumps(phrases[1:])}\n")
        root = write_briefing(tmp / "b", files)
        try:
            result = build(BuildOptions(root=root))
        except ContentError as exc:
            # only the expected kinds of error: a phrase on two actors, a block out of range
            for d in exc.diagnostics:
                if d.severity == "error":
                    assert "also names actor" in d.message or "has no block" in d.message, str(d)
                    assert d.location.line >= 1
            return
        site = result.out
        data = json.loads((site / "data/briefing.json").read_text(encoding="utf-8"))
        numbers = [b["n"] for b in data["sources"][0]["blocks"] if b["kind"] != "heading"]
        assert numbers == list(range(1, len(numbers) + 1))
        assert all(b["n"] is None for b in data["sources"][0]["blocks"] if b["kind"] == "heading")
        phrases = {f"a{i}": {p.replace("’", "'") for p in ph} for i, ph in enumerate(actors)}
        for attrs, text in anchors(site / "sources/cairo/index.html"):
            if "data-actor" in attrs:
                assert text.replace("’", "'") in phrases[attrs["data-actor"]], (attrs, text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
