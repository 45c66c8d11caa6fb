"""The search index: Pagefind, run over the rendered pages at build time.

Pagefind (``pagefind[extended]`` on PyPI, a Rust binary driven through its
Python API) reads the finished HTML and returns a static, chunked index plus a
small ES-module client (``pagefind/pagefind.js``); the browser downloads only
the chunks a query needs, and nothing leaves the site. The files come back in
memory and join the site's files, so the atomic swap covers them too.

Pages opt in with ``data-pagefind-body`` (set on ``<main>`` by the templates);
parts that would only repeat other pages (quoted passages, citation tooltips,
the visuals) carry ``data-pagefind-ignore``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator import urls
from generator.errors import Diagnostics, Location

_CLIENT_EXTRAS = ("pagefind-ui", "pagefind-modular-ui", "pagefind-component-ui",
                  "pagefind-highlight")
"""Pagefind's ready-made UIs: we ship our own small client (assets/search.js)."""


def index_files(files: Mapping[str, bytes], diagnostics: Diagnostics) -> dict[str, bytes]:
    """The search index for the site's HTML ``files``, as site path -> bytes under
    ``pagefind/``. When Pagefind is not installed or fails, warns and returns no
    files: the search page then says search is unavailable, and nothing else
    changes."""
    if importlib.util.find_spec("pagefind") is None:
        diagnostics.warning(Location("search"), "search index not built: install"
                            " 'pagefind[extended]' to enable search")
        return {}
    pages = {path: data for path, data in files.items() if path.endswith(".html")}
    try:
        found = _run(_index(pages))
    except Exception as exc:
        # Pagefind is an external binary; whatever goes wrong there must not cost
        # the editor the rest of the site, so it is reported and search is left out.
        diagnostics.warning(Location("search"), f"search index not built: Pagefind failed:"
                            f" {type(exc).__name__}: {exc}")
        return {}
    return {f"{urls.SEARCH_INDEX}/{path}": data for path, data in sorted(found.items())
            if not path.startswith(_CLIENT_EXTRAS)}


async def _index(pages: Mapping[str, bytes]) -> dict[str, bytes]:
    from pagefind.service import PagefindService

    # One request for the whole folder: Pagefind's service answers one message per
    # 0.1 s, so adding pages one by one would cost seconds.
    with tempfile.TemporaryDirectory(prefix="briefing-search-") as tmp:
        for path, data in pages.items():
            target = Path(tmp, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        async with PagefindService() as service:
            index = await service.create_index({"keep_index_url": True})
            await index.add_directory(tmp)
            result = await index.get_files()
    return {str(f["path"]): bytes(f["content"]) for f in result}


def _run(coro: object) -> dict[str, bytes]:
    """Run the indexer even when called from inside an event loop (the dev server):
    then it runs on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]
