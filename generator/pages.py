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

import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from generator import packing
from generator.context import PageKey, SitePages
from generator.frozen import record
from generator.reads import WHOLE, Entry, unpack
from generator.render import RenderResult
from generator.store import Store, Table

TABLES = ("page", "readers")
"""The state's tables of what each page read (see :func:`remember`)."""


@record
class Book:
    """What the state keeps of every page, loaded whole by each build: by
    column, a row a page, in the order of the plan that made them. Kept as
    columns, not a dict of tuples: making 10,600 tuples took 10 ms of an edit's
    build, and the plan mostly compares whole columns."""

    ids: list[str]
    """Each page's key (see :func:`page_id`)."""
    paths: list[str]
    layouts: list[str]
    """The template each page was made with."""
    digests: list[str]
    """The SHA-256 of each page's bytes."""
    always: list[str]
    """``"1"`` for a page that is always built, else ``""``."""
    templates: Mapping[str, bytes]
    """Each template's key (``render.template_keys``) when the pages were made."""
    settings: Any
    """The settings every page depends on (``SitePages.settings``)."""
    changes: Any
    """What changed since the previous edition (``SitePages.changes``), which the
    pages that show it read whole."""

    def packed(self) -> tuple[bytes, Mapping[str, bytes], Any, Any]:
        """The book as the build state keeps it (see :mod:`generator.packing`)."""
        table = packing.columns(self.ids, [self.paths, self.layouts, self.digests, self.always], [], [])
        return table, self.templates, self.settings, self.changes

    @classmethod
    def unpacked(cls, found: object) -> Book | None:
        if not (isinstance(found, tuple) and len(found) == 4):
            return None
        ids, columns, _, _ = packing.uncolumns(found[0])
        if len(columns) != 4 or any(len(column) != len(ids) for column in columns):
            return None
        paths, layouts, digests, always = columns
        return cls(ids, paths, layouts, digests, always, found[1], found[2], found[3])


@record
class Plan:
    """The pages of a build: which to make, which to keep (site path -> digest)."""

    make: list[PageKey]
    keep: dict[str, str]
    book: Book | None = None
    """What the last build kept of its pages (None: nothing, a cold build)."""
    ids: list[str] | None = None
    """The id of every page (see :func:`page_id`), in the plan's order."""


def page_id(key: PageKey) -> str:
    """``kind/item`` (``source/cairo``; ``home/``): ids hold no slash."""
    return f"{key[0]}/{key[1]}"


def plan(pages: SitePages, entries: set[Entry] | None, store: Store, templates: Mapping[str, bytes],
         reusable: Mapping[str, str]) -> Plan:
    """Which pages to make and which to keep (see the module doc). ``entries``:
    what changed (None: everything); ``templates``: each template's key now;
    ``reusable``: the current site's intact files (site path -> digest)."""
    keys = pages.plan()
    ids = [page_id(k) for k in keys]
    book = Book.unpacked(store.table("meta").get("pages"))
    if entries is None or book is None or book.settings != pages.settings:
        return Plan(list(keys), {}, book, ids)
    same = ids == book.ids  # the same pages in the same order: the common case
    if not same and set(ids) != set(book.ids):
        entries = entries | {(WHOLE, "plan")}
    if book.changes != pages.changes:
        entries = entries | {(WHOLE, "changes")}
    row = dict(zip(book.ids, range(len(book.ids)), strict=True))
    made = dict(zip(book.paths, book.digests, strict=True))
    stale = _stale(book, made, row, Readers(store.table("readers")).of(entries), templates, reusable)
    if same:
        # Column at a time: every page kept, but the stale rows.
        keep = made
        for i in stale:
            del keep[book.paths[i]]
        return Plan([keys[i] for i in sorted(stale)], keep, book, ids)
    make: list[PageKey] = []
    keep = {}
    for key, pid in zip(keys, ids, strict=True):
        at = row.get(pid)
        if at is None or at in stale:
            make.append(key)
        else:
            keep[book.paths[at]] = book.digests[at]
    return Plan(make, keep, book, ids)


def _stale(book: Book, made: dict[str, str], row: Mapping[str, int], affected: Iterable[str],
           templates: Mapping[str, bytes], reusable: Mapping[str, str]) -> set[int]:
    """The rows of ``book`` whose page must be made again: always built, ``affected``
    (it read what changed), made with a template that changed since, or whose
    file in the current site is not intact (see :func:`plan`). ``made``: the
    digest of each page of ``book`` by site path."""
    # Most often every page is intact: the items (path, digest) compared in C
    # tell (10,600 of them in a comprehension took 4 ms of every edit).
    if made.items() <= reusable.items():
        stale: set[int] = set()
    else:
        in_place = reusable.get
        stale = {i for i, (path, digest) in enumerate(zip(book.paths, book.digests, strict=True))
                 if in_place(path) != digest}
    stale.update(i for i, always in enumerate(book.always) if always)
    stale.update(row[pid] for pid in affected if pid in row)
    retemplated = {name for name in book.templates.keys() | templates.keys()
                   if book.templates.get(name) != templates.get(name)}
    if retemplated:
        stale.update(i for i, layout in enumerate(book.layouts) if layout in retemplated)
    return stale


def remember(store: Store, pages: SitePages, templates: Mapping[str, bytes], plan: Plan,
             made: Sequence[RenderResult]) -> None:
    """Keep, for the next build, what each page was made from (the state's overlays)."""
    meta = store.table("meta")
    before = None if store.fresh else plan.book
    if before is None or plan.ids is None or (not plan.keep and len(made) == len(plan.ids)):
        _remember_all(store, pages, templates, made)
        return
    row = dict(zip(before.ids, range(len(before.ids)), strict=True))
    ids = plan.ids
    columns = _columns(before, ids, row)
    at = columns[0] if ids != before.ids else row  # where each page is in the new book
    reads = store.table("page")
    readers = Readers(store.table("readers"))
    for result in made:
        pid = page_id(result.key)
        assert result.placed is not None
        i = at[pid]
        for column, value in zip(columns[1:], (result.path, result.template, result.placed.digest,
                                                "1" if result.reads is None else ""), strict=True):
            column[i] = value
        previous = reads.get(pid) if pid in row else None
        if previous != result.reads:
            readers.move(pid, unpack(previous) if previous else (), unpack(result.reads) if result.reads else ())
            reads[pid] = result.reads
    for pid in () if ids == before.ids else row.keys() - set(ids):  # pages the site no longer has
        previous = reads.get(pid)
        if previous:
            readers.move(pid, unpack(previous), ())
        if pid in reads:
            del reads[pid]
    _, paths, layouts, digests, always = columns
    meta["pages"] = Book(ids, paths, layouts, digests, always, dict(templates), pages.settings,
                         pages.changes).packed()


def _columns(before: Book, ids: list[str], row: Mapping[str, int]
             ) -> tuple[dict[str, int], list[str], list[str], list[str], list[str]]:
    """The last book's columns for the pages ``ids``, in that order (a page it
    does not have: blank, filled in once made); and where each page is, when
    that is not its row in the last book."""
    if ids == before.ids:
        return {}, list(before.paths), list(before.layouts), list(before.digests), list(before.always)
    rows = [row.get(pid) for pid in ids]

    def of(column: list[str]) -> list[str]:
        return [column[i] if i is not None else "" for i in rows]

    return (dict(zip(ids, range(len(ids)), strict=True)), of(before.paths), of(before.layouts),
            of(before.digests), of(before.always))


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


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector, paused: the readers index of a cold build is
    a few hundred thousand lists and dicts, none of them garbage, and making
    them set off full collections that walked them again and again (7, 0.5 s
    of the parent's time at 10,000 articles, at the very end of the build)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_collector_paused()
def _remember_all(store: Store, pages: SitePages, templates: Mapping[str, bytes],
                  made: Sequence[RenderResult]) -> None:
    """What every page was made from, when every page was made: the readers all
    at once (far cheaper than page by page), in place of the old ones."""
    for name in ("page", "readers"):
        table = store.table(name)
        for key in list(table):
            del table[key]
    store.table("meta")["pages"] = Book(
        [page_id(r.key) for r in made], [r.path for r in made], [r.template for r in made],
        [r.placed.digest if r.placed else "" for r in made], ["1" if r.reads is None else "" for r in made],
        dict(templates), pages.settings, pages.changes).packed()
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
