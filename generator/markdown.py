"""Markdown fields (summaries, stances, claims) -> safe HTML.

CommonMark via markdown-it-py with raw HTML escaped, links limited to http(s),
mailto and in-page fragments (``javascript:``, ``data:``, ``vbscript:`` and
relative paths are left as text), images not loaded (no request may leave the
site: an image becomes its alt text), and external links opened with
``rel="noopener noreferrer"``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator.memo import Memo

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})

# Text with none of these characters is plain text to CommonMark's inline rules
# (no emphasis, code, link, image, escape, entity, raw HTML or line break), so
# its HTML is the text itself with ``"`` escaped (``&``, ``<``, ``>`` are not in
# it): most claims and summaries are. Checked against markdown-it on every text
# of this repository's briefing and on generated ones (tests/test_markdown.py).
_MARKUP = re.compile(r"[\\`*_\[\]!<>&~|\n\r\0]")


def _plain_text(text: str) -> str | None:
    """``text`` stripped, if it holds no inline markup; None otherwise."""
    if _MARKUP.search(text) is not None:
        return None
    return text.strip()


def _validate_link(url: str) -> bool:
    stripped = url.strip()
    if stripped.startswith("#"):
        return True
    try:
        parts = urlsplit(stripped)
    except ValueError:
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme.lower() in _SAFE_SCHEMES


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if not href.startswith("#"):
        token.attrSet("rel", "noopener noreferrer")
    result: str = self.renderToken(tokens, idx, options, env)
    return result


def _image(self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    # Images would be requests leaving the site; show what they depict instead.
    token = tokens[idx]
    return escape(self.renderInlineAsText(token.children or [], options, env))


def _make() -> MarkdownIt:
    from markdown_it import MarkdownIt  # imported when first needed: an edit may need no Markdown

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image)
    return md


class Markdown:
    """A configured renderer; create one per build (markdown-it keeps no state
    between calls, but we avoid a module-level instance all the same). With a
    ``memo``, a text converted by an earlier build is not parsed again: the same
    claim's text appears on many pages, and most texts outlive an edit."""

    def __init__(self, memo: Memo | None = None) -> None:
        self._made: MarkdownIt | None = None
        self._memo = memo if memo is not None else Memo()

    @property
    def _md(self) -> MarkdownIt:
        if self._made is None:
            self._made = _make()
        return self._made

    def block(self, text: str) -> str:
        """Render paragraphs, lists, emphasis, links; returns HTML."""
        if not text.strip():
            return ""
        plain = _plain_text(text)
        if plain is not None and plain[0].isalpha() and text[0] == plain[0]:
            # One paragraph: no block starts with a letter at the left margin.
            return f"<p>{plain.replace(chr(34), '&quot;')}</p>\n"
        return self._memo.get("md-block", text.encode(), lambda: str(self._md.render(text)))

    def inline(self, text: str) -> str:
        """Render one line of inline Markdown (no surrounding ``<p>``); returns HTML."""
        if not text.strip():
            return ""
        plain = _plain_text(text)
        if plain is not None:
            return plain.replace('"', "&quot;")
        return self._memo.get("md-inline", text.encode(), lambda: str(self._md.renderInline(text.strip())))

    def plain(self, text: str) -> str:
        """The text of some Markdown without its markup (for titles, descriptions)."""
        plain = _plain_text(text)
        if plain is not None:
            return plain
        return self._memo.get("md-plain", text.encode(), lambda: self._plain(text))

    def _plain(self, text: str) -> str:
        tokens = self._md.parseInline(text.strip())
        out: list[str] = []
        for token in tokens:
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    out.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    out.append(" ")
        return "".join(out)
