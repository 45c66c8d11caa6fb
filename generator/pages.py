"""Which pages a build makes again, and what it keeps of each page for the next.

Every page's read set (see :mod:`generator.reads`) is kept in the build state,
and so is an index from each entry read to the pages that read it
(:class:`Readers`). A build then makes again exactly:

* the readers of the entries that changed (``views.changed_entries``), a view
  read whole counting as one entry;
* the pages that are new, that are made from more than the site (read set None:
  What's new, the health report), whose template (or a template it uses)
  changed, or whose file in the current site is not intact;
* every page, when the build's settings changed or there is no state (a cold
  build).

Every other page is kept: its file in the current site is the one this build
would write, byte for byte, since everything it was made from is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator import packing
from generator.context import PageKey, SitePages
from generator.reads import WHOLE, Entry, unpack
from generator.render import RenderResult
from generator.store import Store, Table

TABLES = ("page", "readers")
"""The state's tables of what each page read (see :func:`remember`)."""


@dataclass(frozen=True, slots=True)
class Book:
    """What the state keeps of every page, loaded whole by each build."""

    pages: Mapping[str, tuple[str, str, str, bool]]
    """Page key (see :func:`page_id`) -> (path, template, SHA-256 of its bytes,
    whether it is always built)."""
    templates: Mapping[str, bytes]
    """Each template's key (``render.template_keys``) when the pages were made."""
    settings: Any
    """The settings every page depends on (``SitePages.settings``)."""
    changes: Any
    """What changed since the previous edition (``SitePages.changes``), which the
    pages that show it read whole."""

    def packed(self) -> tuple[bytes, Mapping[str, bytes], Any, Any]:
        """The book as the build state keeps it (see :mod:`generator.packing`)."""
        rows = self.pages.values()
        table = packing.columns(list(self.pages), [[r[0] for r in rows], [r[1] for r in rows],
                                                   [r[2] for r in rows], ["1" if r[3] else "" for r in rows]], [], [])
        return table, self.templates, self.settings, self.changes

    @classmethod
    def unpacked(cls, found: object) -> Book | None:
        if not (isinstance(found, tuple) and len(found) == 4):
            return None
        keys, (paths, templates, digests, always), _, _ = packing.uncolumns(found[0])
        pages = dict(zip(keys, zip(paths, templates, digests, (bool(a) for a in always), strict=True), strict=True))
        return cls(pages, found[1], found[2], found[3])


@dataclass(frozen=True, slots=True)
class Plan:
    """The pages of a build: which to make, which to keep (site path -> digest)."""

    make: list[PageKey]
    keep: dict[str, str]
    book: Book | None = None
    """What the last build kept of its pages (None: nothing, a cold build)."""


def page_id(key: PageKey) -> str:
    """``kind/item`` (``source/cairo``; ``home/``): ids hold no slash."""
    return f"{key[0]}/{key[1]}"


def plan(pages: SitePages, entries: set[Entry] | None, store: Store, templates: Mapping[str, bytes],
         reusable: Mapping[str, str]) -> Plan:
    """Which pages to make and which to keep (see the module doc). ``entries``:
    what changed (None: everything); ``templates``: each template's key now;
    ``reusable``: the current site's intact files (site path -> digest)."""
    keys = pages.plan()
    book = Book.unpacked(store.table("meta").get("pages"))
    if entries is None or book is None or book.settings != pages.settings:
        return Plan(list(keys), {}, book)
    ids = [page_id(k) for k in keys]
    if set(ids) != set(book.pages):
        entries = entries | {(WHOLE, "plan")}
    if book.changes != pages.changes:
        entries = entries | {(WHOLE, "changes")}
    affected = Readers(store.table("readers")).of(entries)
    retemplated = {name for name in book.templates.keys() | templates.keys()
                   if book.templates.get(name) != templates.get(name)}
    make: list[PageKey] = []
    keep: dict[str, str] = {}
    known_pages = book.pages
    for key, pid in zip(keys, ids, strict=True):
        known = known_pages.get(pid)
        if (known is None or known[3] or pid in affected or known[1] in retemplated
                or reusable.get(known[0]) != known[2]):
            make.append(key)
        else:
            keep[known[0]] = known[2]
    return Plan(make, keep, book)


def remember(store: Store, pages: SitePages, templates: Mapping[str, bytes], plan: Plan,
             made: Sequence[RenderResult]) -> None:
    """Keep, for the next build, what each page was made from (the state's overlays)."""
    meta = store.table("meta")
    before = None if store.fresh else plan.book
    if before is None or (not plan.keep and len(made) == len(pages.plan())):
        _remember_all(store, pages, templates, made)
        return
    old = dict(before.pages) if before is not None else {}
    by_path = {entry[0]: (pid, entry) for pid, entry in old.items()}
    book: dict[str, tuple[str, str, str, bool]] = {}
    for path in plan.keep:
        pid, entry = by_path[path]
        book[pid] = entry
    reads = store.table("page")
    readers = Readers(store.table("readers"))
    for result in made:
        pid = page_id(result.key)
        assert result.placed is not None
        book[pid] = (result.path, result.template, result.placed.digest, result.reads is None)
        previous = reads.get(pid) if pid in old else None
        if previous != result.reads:
            readers.move(pid, unpack(previous) if previous else (), unpack(result.reads) if result.reads else ())
            reads[pid] = result.reads
    for pid in old.keys() - book.keys():  # pages the site no longer has
        previous = reads.get(pid)
        if previous:
            readers.move(pid, unpack(previous), ())
        if pid in reads:
            del reads[pid]
    meta["pages"] = Book(book, dict(templates), pages.settings, pages.changes).packed()


def _group(entry: Entry) -> str:
    """Entries are kept in groups (one state row each): by view and the first
    part of the key (a source's blocks are one group)."""
    view, key = entry
    first = key[0] if isinstance(key, tuple) else key
    return f"{view}\0{first}"


class Readers:
    """The pages that read each entry, kept in the state in groups (see :func:`_group`)."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def of(self, entries: Iterable[Entry]) -> set[str]:
        """The ids of the pages that read any of ``entries``."""
        found: set[str] = set()
        for entry in entries:
            group = self._table.get(_group(entry))
            if group is not None:
                found.update(group.get(entry[1], ()))
        return found

    def move(self, page: str, before: Iterable[Entry], after: Iterable[Entry]) -> None:
        """Record that ``page`` now reads ``after`` instead of ``before``."""
        gone, come = set(before), set(after)
        changed: dict[str, dict[Any, tuple[str, ...]]] = {}

        def group_of(entry: Entry) -> dict[Any, tuple[str, ...]]:
            name = _group(entry)
            found = changed.get(name)
            if found is None:
                found = changed[name] = dict(self._table.get(name) or {})
            return found

        for entry in gone - come:
            group = group_of(entry)
            left = tuple(p for p in group.get(entry[1], ()) if p != page)
            if left:
                group[entry[1]] = left
            else:
                group.pop(entry[1], None)
        for entry in come - gone:
            group = group_of(entry)
            group[entry[1]] = (*group.get(entry[1], ()), page)
        for name, group in changed.items():
            if group:
                self._table[name] = group
            elif name in self._table:
                del self._table[name]


def _remember_all(store: Store, pages: SitePages, templates: Mapping[str, bytes],
                  made: Sequence[RenderResult]) -> None:
    """What every page was made from, when every page was made: the readers all
    at once (far cheaper than page by page), in place of the old ones."""
    for name in ("page", "readers"):
        table = store.table(name)
        for key in list(table):
            del table[key]
    book = {page_id(r.key): (r.path, r.template, r.placed.digest if r.placed else "", r.reads is None)
            for r in made}
    store.table("meta")["pages"] = Book(book, dict(templates), pages.settings, pages.changes).packed()
    groups: dict[str, dict[Any, list[str]]] = {}
    # The loop below runs once per entry of every page (a million at 10,000
    # articles): each group is found by its (view, first part) pair, its name
    # made once.
    by_pair: dict[tuple[str, Any], dict[Any, list[str]]] = {}
    reads = store.table("page")
    for result in made:
        if result.reads is None:
            continue
        pid = page_id(result.key)
        reads[pid] = result.reads
        for entry in unpack(result.reads):
            view, what = entry
            pair = (view, what[0] if isinstance(what, tuple) else what)
            group = by_pair.get(pair)
            if group is None:
                group = by_pair[pair] = groups.setdefault(_group(entry), {})
            ids = group.get(what)
            if ids is None:
                group[what] = [pid]
            else:
                ids.append(pid)
    table = store.table("readers")
    for name, group in groups.items():
        table[name] = {key: tuple(ids) for key, ids in group.items()}
