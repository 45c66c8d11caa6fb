"""Markdown fields: plain text skips the parser and still comes out as
markdown-it would make it.

Most claims and summaries hold no markup at all, and converting each with
markdown-it was a tenth of rendering a large briefing; ``generator.markdown``
writes such text out itself. These tests compare its results with
markdown-it's own on the briefing in this repository and on generated texts
made of letters, spaces, punctuation and every character that means
something to CommonMark.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from generator.markdown import Markdown, _make

ROOT = Path(__file__).resolve().parent.parent

_ALPHABET = ["a", "B", "é", "1", "2.", " ", "  ", "\t", "\n", '"', "'", "-", "--", ".", ",", ":", ";", "(", ")",
             "#", "=", "+", "*", "_", "`", "[", "]", "!", "<", ">", "&", "\\", "~", "|", "    ", "\u00a0",
             "http://x.org", "&amp;", "1)", "> q", "- i", "***"]


def _generated(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(1, 12))) for _ in range(n)]


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _briefing_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "content").rglob("*.yaml")):
        texts.extend(_strings(yaml.safe_load(path.read_text(encoding="utf-8"))))
    return texts


TEXTS = _briefing_texts() + _generated(4000, 1) + [
    "plain words", 'He said "no".', "x  ", "  lead", "a\tb", "Ünïcode text", "1. not a list inline", "# title",
    "a = b", "trailing  ", "x\0y", "Dash - and -- more", "Time: 10:30 (local)",
]


@pytest.fixture(scope="module")
def reference() -> object:
    return _make()


def test_the_texts_include_plain_and_marked_up_ones() -> None:
    from generator.markdown import _plain_text

    plain = [t for t in TEXTS if t.strip() and _plain_text(t) is not None]
    assert len(plain) > 500 and len(TEXTS) - len(plain) > 500


@pytest.mark.parametrize("kind", ["inline", "block", "plain"])
def test_every_text_is_converted_as_markdown_it_converts_it(kind: str, reference: object) -> None:
    md = Markdown()
    ours = getattr(md, kind)
    for text in TEXTS:
        if not text.strip():
            continue
        if kind == "inline":
            expected = reference.renderInline(text.strip())  # type: ignore[attr-defined]
        elif kind == "block":
            expected = reference.render(text)  # type: ignore[attr-defined]
        else:
            expected = md._plain(text)
        assert ours(text) == expected, repr(text)
