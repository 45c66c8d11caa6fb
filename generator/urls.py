"""Where each page lives in the site, and relative links between pages.

Every internal link is relative and names ``index.html`` explicitly, so the site
works from any sub-path of any host and from ``file://`` (where a folder link
would show a directory listing instead of the page).
"""

from __future__ import annotations

HOME = "index.html"
TIMELINE = "timeline/index.html"
SEARCH = "search/index.html"
SEARCH_INDEX = "pagefind"
NOT_FOUND = "404.html"
DATA = "data/briefing.json"
WHATSNEW = "whatsnew/index.html"
REPORT = "_report/index.html"
"""The editors' health report (``build --report`` only; never in the sitemap or feed)."""
ASSETS = "assets"
ARCHIVE = "archive"
"""Where a large briefing lists its sources month by month (``archive/2025-10/``)."""


def index_page(kind: str) -> str:
    """The index page of ``actors``, ``topics`` or ``sources``."""
    return f"{kind}/index.html"


def item_page(kind: str, item_id: str) -> str:
    """The page of one actor, topic or source."""
    return f"{kind}/{item_id}/index.html"


def archive_page(month: str) -> str:
    """The page of the sources of one month (``2025-10``, or ``undated``)."""
    return f"{ARCHIVE}/{month}/index.html"


def block_link(source_id: str, n: int | None) -> str:
    """The source page, at block ``n`` when one is given (path and fragment)."""
    page = item_page("sources", source_id)
    return page if n is None else f"{page}#p{n}"


def relative(from_page: str, to: str) -> str:
    """A link from the page at ``from_page`` to ``to`` (both site paths, ``to`` may
    carry a ``#fragment``); a link to the same page is just the fragment.

    Links go up to the site root and down again (``../../actors/x/index.html``)
    rather than taking the shortest path: just as valid, and string work instead
    of ``posixpath.relpath``, which dominated building large sites.
    """
    if to.startswith(from_page) and to[len(from_page):len(from_page) + 1] == "#":
        return to[len(from_page):]
    return root_prefix(from_page) + to


def root_prefix(page: str) -> str:
    """The relative prefix from ``page`` to the site root (``""``, ``../``, ...)."""
    depth = page.count("/")
    return "../" * depth
