"""The one-file export: the whole briefing as one self-contained HTML file.

``briefing build --single-file briefing.html`` writes a file that can be mailed,
dropped in a chat or carried to an air-gapped laptop: the front page, the
timeline, every actor, topic and source as sections of one document, the
stylesheet inlined, no script and no other file. It reuses the site's page
contexts (``context.pages``) and turns every link between pages into a link
inside the file:

========================================  =========================
site path (and fragment)                  in-file fragment
========================================  =========================
``index.html#kp-2``                       ``#briefing--kp-2``
``timeline/index.html#event-3``           ``#timeline--event-3``
``actors/index.html``                     ``#actors``
``actors/<id>/index.html#position-1``     ``#actor-<id>--position-1``
``topics/<id>/index.html``                ``#topic-<id>``
``sources/<id>/index.html#p7``            ``#source-<id>--p7``
========================================  =========================

The double hyphen cannot occur in an id, so these fragments never collide. The
file's Content-Security-Policy allows exactly its own ``<style>`` (by hash) and
nothing else: opening it makes no request at all.
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator import context, render, urls
from generator.changes import Changes
from generator.context import Page
from generator.errors import Diagnostics, OutputError
from generator.model import Site

TEMPLATE = "single.html"
_SECTIONS = {urls.HOME: "briefing", urls.TIMELINE: "timeline", urls.WHATSNEW: "whatsnew",
             urls.index_page("actors"): "actors", urls.index_page("topics"): "topics",
             urls.index_page("sources"): "sources"}
_ITEM_PREFIX = {"actors": "actor", "topics": "topic", "sources": "source"}

# Sections of the one file start on a new page when printed; the :target rule
# shows where an in-file link landed.
_EXTRA_CSS = """
/* one-file export */
.part { border-top: 2px solid var(--rule); margin-top: 3rem; }
.item { border-top: 1px solid var(--rule); margin-top: 2rem; }
.item > h3 { font-size: 1.25rem; }
h4 { font: 700 1rem var(--ui); margin: 1.25rem 0 .25rem; }
.refs a { margin-right: .35rem; }
@media print { .part { break-before: page; border-top: 0; } .toc { display: none; } }
"""


def fragment(target: str) -> str | None:
    """The in-file fragment (without ``#``) for a site path with an optional
    ``#fragment``, or None for a file the export does not hold (the JSON, the feed)."""
    path, _, inner = target.partition("#")
    section = _SECTIONS.get(path)
    if section is None:
        parts = path.split("/")
        if len(parts) != 3 or parts[2] != "index.html" or parts[0] not in _ITEM_PREFIX:
            return None
        section = f"{_ITEM_PREFIX[parts[0]]}-{parts[1]}"
    return f"{section}--{inner}" if inner else section


def localize(value: Any, here: str) -> Any:
    """A copy of a page context in which every ``*url`` value (a link relative to
    the page ``here``) is an in-file ``#fragment``; external links are kept."""
    if isinstance(value, dict):
        return {k: _link(v, here) if k.endswith("url") and isinstance(v, str) else localize(v, here)
                for k, v in value.items()}
    if isinstance(value, list):
        return [localize(v, here) for v in value]
    return value


def _link(url: str, here: str) -> str:
    if not url or "://" in url or url.startswith(("mailto:", "data:")):
        return url
    if url.startswith("#"):
        target = here + url
    else:
        path, hash_, inner = url.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(here), path)) + hash_ + inner
    found = fragment(target)
    return f"#{found}" if found is not None else "#briefing"


def stylesheet(templates: render.TemplateSet) -> str:
    """The site's stylesheet (a user's ``assets/style.css`` first) and the export's
    additions, made safe to sit inside ``<style>``."""
    css = ""
    for path, source in templates.assets():
        if path == "assets/style.css":
            css = source.read_text(encoding="utf-8")
    return (css + _EXTRA_CSS).replace("</", "<\\/")


def css_sha256(css: str) -> str:
    """The base64 SHA-256 of a ``<style>`` element's content, for its CSP ``'sha256-...'``."""
    return base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")


def render_single(site: Site, templates: render.TemplateSet, root: Path, diagnostics: Diagnostics, *,
                  base_url: str = "", noindex: bool = False, changes: Changes | None = None) -> str:
    """The whole briefing as one HTML document; a template error goes into
    ``diagnostics`` (and the result is then empty)."""
    pages = {p.path: p for p in context.pages(site, base_url=base_url, noindex=noindex, changes=changes)}

    def ctx(path: str) -> dict[str, Any]:
        page = pages[path]
        out: dict[str, Any] = localize(page.context, path)
        out["prefix"] = fragment(path)
        return out

    css = stylesheet(templates)
    home = ctx(urls.HOME)
    whatsnew = ctx(urls.WHATSNEW) if urls.WHATSNEW in pages else None
    values = {
        "site": home["site"],
        "canonical": home["page"]["canonical"],
        "description": home["page"]["description"],
        "css": Markup(css),
        "css_sha256": css_sha256(css),
        "home": home,
        "whatsnew": whatsnew if whatsnew and whatsnew["changes"]["count"] else None,
        "timeline": ctx(urls.TIMELINE) if urls.TIMELINE in pages else None,
        "actor_index": ctx(urls.index_page("actors")),
        "actors": [ctx(urls.item_page("actors", a)) for a in site.actors],
        "topics": [ctx(urls.item_page("topics", t)) for t in site.topics],
        # The front page lists the sources newest first; the export keeps its order.
        "sources": [ctx(urls.item_page("sources", row["id"])) for row in pages[urls.HOME].context["sources"]],
    }
    env = render.environment(templates)
    return render.render_page(env, Page("(single file)", TEMPLATE, values), root, diagnostics)


def check_target(single_file: Path, out: Path) -> None:
    """Raise :class:`OutputError` when the one file would land inside the site
    folder (the next build would delete it)."""
    if single_file.resolve().is_relative_to(out.resolve()):
        raise OutputError(f"refusing to write {single_file} inside the site folder {out}: the next build"
                          " replaces that folder; write it beside the site instead")
    if single_file.is_dir():
        raise OutputError(f"cannot write the one file to {single_file}: it is a directory")


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a temporary file, then a rename)."""
    temp = path.parent / f".{path.name}.tmp-{os.getpid()}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
