"""The search index: Pagefind, run over the rendered pages at build time.

Pagefind (``pagefind[extended]`` on PyPI, a Rust binary driven through its
Python API) reads the finished HTML and returns a static, chunked index plus a
small ES-module client (``pagefind/pagefind.js``); the browser downloads only
the chunks a query needs, and nothing leaves the site. Pagefind reads the new
site's staged pages and writes its bundle to a private folder; the bundle then
joins the staged site, so the atomic swap covers it too.

Pages opt in with ``data-pagefind-body`` (set on ``<main>`` by the templates);
parts that would only repeat other pages (quoted passages, citation tooltips,
the visuals) carry ``data-pagefind-ignore``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import tempfile
from pathlib import Path

from generator import urls
from generator.errors import Diagnostics, Location

TIMEOUT_S = 600
"""Pagefind indexes about a thousand pages a second; past this, something is wrong."""

_CLIENT_EXTRAS = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui",
                  "pagefind-highlight")
"""Pagefind's ready-made UIs: we ship our own small client (assets/search.js)."""


def index_site(site: Path, diagnostics: Diagnostics) -> dict[str, bytes]:
    """The search index for the HTML pages in the folder ``site`` (the new site,
    staged), as site path -> bytes under ``pagefind/``. When Pagefind is not
    installed or fails, warns and returns no files: the search page then says
    search is unavailable, and nothing else changes."""
    if importlib.util.find_spec("pagefind") is None:
        diagnostics.warning(Location("search"), "search index not built: install"
                            " 'pagefind[extended]' to enable search")
        return {}
    try:
        found = _index(site)
    except (OSError, subprocess.SubprocessError, ImportError) as exc:
        # Pagefind is an external binary; whatever goes wrong there must not cost
        # the editor the rest of the site, so it is reported and search is left out.
        diagnostics.warning(Location("search"), f"search index not built: Pagefind failed:"
                            f" {type(exc).__name__}: {exc}")
        return {}
    return {f"{urls.SEARCH_INDEX}/{path}": data for path, data in sorted(found.items())
            if not path.startswith(_CLIENT_EXTRAS)}


def _index(site: Path) -> dict[str, bytes]:
    """Run the Pagefind binary (shipped in the ``pagefind[extended]`` wheel) over
    the pages in ``site``; return its bundle, made in a private folder, as path -> bytes.

    We call the binary rather than Pagefind's Python service: the service answers
    one message per 0.1 s and stalled for good on a 1,000-page site, while the
    binary indexes in one run, and a timeout bounds it.
    """
    from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="briefing-search-") as tmp:
        bundle = Path(tmp, "bundle")
        subprocess.run(
            [str(get_executable()), "--site", str(site), "--output-path", str(bundle), "--keep-index-url",
             "--silent"],
            check=True, capture_output=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
        )
        return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}
