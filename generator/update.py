"""The read, model and resolve stages, done again only for what changed.

A briefing is made of *units* (see :mod:`generator.indexes`): the briefing, and
one per source (its summary and its article), topic and actor. For each unit
the build state (:mod:`generator.store`) keeps what the last good build made of
it: the record read from its files (``read``), the mentions and keyword
passages found in its text (``facts``, sources only), its references resolved
and what it contributes to the indexes (``resolved``), and a small *head*
(what it was read from, its warnings) that every build loads whole.

:func:`update` finds which units changed since then, from the hashes of the
files they are read from, and does again exactly what depends on them:

* a unit whose files changed is read again;
* a source whose text changed, or every source when the actors' or topics'
  phrases changed, is analysed again;
* a unit is resolved again when it was read again, or when a source it cites
  changed, appeared, went or became a draft; every unit when the actors or
  topics that exist or are published changed;
* the indexes take the new contributions of the units resolved or analysed
  again in place of their old ones (:class:`indexes.Indexes`).

Nothing else is read: a one-article edit of a 10,000-article briefing reads
one article, where reading everything took seconds. A cold build is the same
code with an empty state (every unit is new), so an edit cannot make a site a
cold build would not. What the build state cannot vouch for (another version
of the code, another ``--drafts``) starts it afresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from generator import reader, schema
from generator.citations import fold_source
from generator.errors import Diagnostic, Diagnostics, Location, did_you_mean
from generator.frozen import record
from generator.indexes import (
    Contribution,
    Indexes,
    Touched,
    actor_blocks,
    by_date,
    cited_blocks,
    co_mentioned,
    contribution,
    in_unit_order,
    view,
)
from generator.lazy import Lazy, derived
from generator.load import (
    MAX_ARTICLE_BYTES,
    MAX_YAML_BYTES,
    BriefingPaths,
    check_name,
    names,
    parse_article,
    parse_record,
    read_bytes,
)
from generator.memo import digest
from generator.model import Actor, Briefing, Claim, Site, Source, SourceHead, Span, source_head
from generator.parallel import MIN_ITEMS, fork_map
from generator.resolve import (
    Phrases,
    Scope,
    analyse,
    matchers,
    phrases,
    resolve_actor,
    resolve_briefing,
    resolve_source,
    resolve_topic,
)
from generator.store import Store, Table

T = TypeVar("T")

BRIEFING = "briefing"
READING = "reading articles"
TABLES = ("read", "facts", "resolved", *(f"index:{name}" for name in Indexes.NAMES))
"""The tables of the state that :func:`update` writes, and nothing after it
(it writes ``meta`` too, which the rest of the build writes as well)."""
_KINDS = ("source", "topic", "actor")
_READERS = {"source": schema.read_source, "topic": schema.read_topic, "actor": schema.read_actor}
# Below this many sources to analyse, each build's matchers hold only the
# phrases those texts contain (see ``PhraseMatcher``): compiling all of them
# costs 0.1 s at 500 actors, more than analysing a few articles.
_FEW_TEXTS = 50

# How often a long stage tells the progress display how far it is.
_PROGRESS_EVERY = 200

Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` as a build goes (``("rendering pages", 120,
10069)``); ``done`` is 0 while a stage has no count of its own, ``total`` is 0
when unknown. Shown by ``generator.progress``."""


def no_progress(stage: str, done: int, total: int) -> None:
    """A :data:`Progress` that shows nothing."""
    del stage, done, total


Problems = tuple[tuple[str, int, int, str, str], ...]
"""Warnings as plain data: (path, line, column, severity, message) each."""


class Head(NamedTuple):
    """What the state keeps of every unit, loaded whole by each build: plain
    data, marshalled (see :func:`_load_heads`)."""

    inputs: tuple[str, ...]
    """The SHA-256 of the files it was read from (a source: its summary, its
    article, then a digest of the drop patterns that shaped the article's blocks)."""
    file: str = ""
    """A source's article (its file name in ``seeds/``)."""
    draft: bool = False
    read_warnings: Problems = ()
    resolve_warnings: Problems = ()
    source: tuple[str, str, str, int | None, int] | None = None
    """A source's head (see ``Site.heads``), its date as an ordinal."""


@record
class Read:
    """A unit as read from its files: its record (a source's with its blocks)."""

    record: Any
    problems: tuple[Diagnostic, ...] = ()
    """Found reading its YAML file."""
    article: tuple[Diagnostic, ...] = ()
    """Found reading a source's article."""


class _Parsed(NamedTuple):
    """A file read and parsed ahead of its turn (see ``_Run._read_ahead``)."""

    sha: str | None
    """The SHA-256 of its bytes; None when it could not be read."""
    made: Any
    """A summary's record or an article's blocks; None when unusable."""
    problems: tuple[Diagnostic, ...]
    """Found reading or parsing it."""


@record
class Facts:
    """What a published source's text yields."""

    mentions: Mapping[int, tuple[Span, ...]]
    passages: Mapping[int, tuple[Span, ...]]


@record
class Resolved:
    """A published unit resolved."""

    value: Any
    """The resolved briefing, topic or actor (a source's record is its read one)."""
    claims: tuple[Claim, ...]
    """Its claims, resolved, in order (an actor's: its positions)."""
    problems: tuple[Diagnostic, ...]
    contribution: Contribution


@record
class Globals:
    """What every unit's reading, analysis or resolution may depend on."""

    drafts: bool
    drop: tuple[str, ...]
    phrases: Phrases


@dataclass(slots=True)
class Changed:
    """What differs from the last good build's site, for the pages to know which
    of them to build again (see ``context.changed_entries``)."""

    fresh: bool
    """A cold build: everything is new."""
    previous: Site | None
    """The last good build's site (reading lazily), None for a cold build."""
    units: set[str] = field(default_factory=set)
    """Units read, analysed or resolved again, added or removed."""
    touched: Touched = field(default_factory=Touched)
    """The index keys those units' contributions touched."""


@record
class Update:
    """A build's site, and what changed since the last good one."""

    site: Site
    changed: Changed
    hashed: Mapping[str, str] = field(default_factory=dict)
    """The SHA-256 of each file read, of the very bytes parsed, by path: the
    fingerprint of a cold build is made of them (see ``fingerprint.Listed``)."""


def update(paths: BriefingPaths, store: Store, hashes: Mapping[str, str] | None, diagnostics: Diagnostics, *,
           drafts: bool = False, looked_at: frozenset[str] | None = None, jobs: int = 1,
           last: LastGood | None = None, every_hash: Callable[[], Mapping[str, str]] | None = None,
           progress: Progress = no_progress) -> Update | None:
    """Read, model and resolve the briefing against ``store`` (the last good
    build's state), writing what this build makes into the store's overlays
    (see :meth:`Store.commit`). ``hashes`` (file path -> SHA-256, from the
    fingerprint) spare hashing files again; ``looked_at`` (the fingerprint's
    files hashed again: every file changed since the last good build is among
    them, and no file or folder came or went) spares listing the folders.
    ``jobs``: processes to read and analyse many files with (the result does
    not depend on it). ``last``: :func:`last_good` of ``store``, if loaded
    already. ``every_hash``: when ``hashes`` are those of ``looked_at`` only, how to
    have them all (a whole read needs them; reading again what changed does not:
    a file it needs that is not among them is hashed as it is read). Problems go
    into ``diagnostics``; None when ``briefing.yaml`` cannot
    be used at all. The site is meaningful only when no error was reported.
    ``progress`` is told how far the long stages (reading, finding mentions,
    resolving) are."""
    meta = store.table("meta")
    last = last if last is not None else last_good(store, drafts=drafts)
    before, heads = last.globals, last.heads
    if before is None:
        store.start_fresh()
    run = _Run(paths, store, hashes or {}, diagnostics, heads, drafts, jobs, last.kinds, progress)
    listing = meta.get("listing")
    briefing = None
    if looked_at is not None and before is not None and listing is not None:
        briefing = run.read_changed(looked_at, before, listing, last.articles)
    if briefing is None:
        hashes = every_hash() if every_hash is not None else hashes
        run = _Run(paths, store, hashes or {}, diagnostics, heads, drafts, jobs, last.kinds, progress)
        briefing = run.read_all()
        meta["listing"] = _pack_problems(run.listing.items)
    if briefing is None:
        return None
    published = run.published()
    found = run.phrases(before, published)
    run.analyse(found, before, published)
    # What was read and found in the texts is complete: a cold build writes it
    # while it resolves, on a core that would be idle (at 10,000 articles the
    # text facts took 0.3 s of the later child's CPU, with both cores rendering).
    store.write_ahead(("read", "facts"))
    run.resolve(before, published)
    _save_heads(meta, heads, run.new_heads)
    meta["globals"] = Globals(drafts, briefing.drop, found)
    order = _order(published)
    if store.fresh:
        previous = None
    else:
        was = run._published_before()
        previous = _site(run.previous_tables(), heads, order if was == published else _order(was))
    changed = Changed(fresh=store.fresh, previous=previous, units=run.changed_units(), touched=run.touched)
    return Update(_site(run.tables(), run.new_heads, order), changed, run.hashed)


class LastGood(NamedTuple):
    """What every update starts from: the last good build's globals (None: a
    cold build) and the heads of its units, with what an edit's update looks up
    in all of them (10,000 heads: 10 to 15 ms, done while the helper works)."""

    globals: Globals | None
    heads: dict[str, Head]
    kinds: _Kinds
    """The units of each kind, and those published (see :func:`_kinds`)."""
    articles: dict[str, str]
    """The source unit of each article (its file name in ``seeds/``)."""


def last_good(store: Store, *, drafts: bool) -> LastGood:
    """What :func:`update` starts from in ``store``: nothing when it holds no
    build, or one with other ``drafts`` (a cold build). Independent of what
    changed: ``briefing build`` loads it while the fingerprint is still being
    worked out (see ``generator.prefetch``)."""
    meta = store.table("meta")
    before: Globals | None = meta.get("globals")
    if before is not None and before.drafts != drafts:
        before = None
    heads = _load_heads(meta) if before is not None else {}
    return LastGood(before, heads, _kinds(heads, drafts),
                    {head.file: unit for unit, head in heads.items() if head.file})


# ---------------------------------------------------------------- one update

class _Run:
    """The state of one :func:`update`."""

    def __init__(self, paths: BriefingPaths, store: Store, hashes: Mapping[str, str], diagnostics: Diagnostics,
                 heads: dict[str, Head], drafts: bool, jobs: int = 1, kinds: _Kinds | None = None,
                 progress: Progress = no_progress) -> None:
        self.paths = paths
        self.jobs = jobs
        self.progress = progress
        self.store = store
        self.hashes = hashes
        self.diagnostics = diagnostics
        self.heads = heads
        """The last good build's heads."""
        self.new_heads: dict[str, Head] = {}
        self.drafts = drafts
        self.read = store.table("read")
        self.facts = store.table("facts")
        self.resolved = store.table("resolved")
        self.index_tables = {name: store.table(f"index:{name}") for name in Indexes.NAMES}
        self.indexes = Indexes(**self.index_tables)
        self.reread: set[str] = set()
        """Units whose files changed (or that are new)."""
        self.attempted: set[str] = set()
        """Units whose files this run tried to read: those of them left out of
        ``new_heads`` exist but could not be read (see :meth:`unread`)."""
        self.unarticled: list[Source] = []
        """Summaries read whose article was not (not found, or not readable; an
        error): their key points are still checked, against the other sources."""
        self.listing = Diagnostics()
        """What listing the folders found (file names, links, sub-folders, articles
        no source names): the same while no file or folder comes or goes."""
        self.analysed: set[str] = set()
        self.resolved_again: set[str] = set()
        self.touched = Touched()
        self.ahead: dict[str, _Parsed] = {}
        """Files read and parsed ahead, by path (see :meth:`_read_ahead`)."""
        self.hashed: dict[str, str] = {}
        """The SHA-256 of each file read, by path (see :meth:`_digest`)."""
        self._now: tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]] | None = None
        self._was = kinds
        """:func:`_kinds` of ``heads``."""

    def counted(self, stage: str, items: Iterable[T], total: int) -> Iterator[T]:
        """``items``, telling :attr:`progress` now and then how many have passed."""
        for done, item in enumerate(items):
            if done % _PROGRESS_EVERY == 0:
                self.progress(stage, done, total)
            yield item
        self.progress(stage, total, total)

    def tables(self) -> _Tables:
        return _Tables(self.read, self.facts, self.resolved, self.indexes.tables(),
                       self.store.table("meta").get("cited_counts") or {})

    def previous_tables(self) -> _Tables:
        return _Tables(self.read.previous, self.facts.previous, self.resolved.previous,
                       {name: table.previous for name, table in self.index_tables.items()},
                       self.store.table("meta").previous.get("cited_counts") or {})

    # ------------------------------------------------------------ read

    def read_all(self) -> Briefing | None:
        """Read every unit whose files changed; the briefing's record (None: unusable)."""
        paths = self.paths
        briefing_file = paths.content / "briefing.yaml"
        if not briefing_file.is_file():
            _no_briefing(paths, briefing_file, self.diagnostics)
            return None
        self._read_unit(BRIEFING, os.fspath(briefing_file), _read_briefing)
        briefing: Briefing | None = self.read[BRIEFING].record if BRIEFING in self.new_heads else None
        drop = reader.compile_drop(briefing.drop if briefing else ())
        drop_key = digest([p.pattern for p in drop]).hex()
        for kind in ("topic", "actor"):
            for ident, path in self._content_files(kind):
                self._read_unit(f"{kind}:{ident}", path, _READERS[kind])
        self._read_sources(drop, drop_key)
        self.new_heads = {u: self.new_heads[u] for u in sorted(self.new_heads)}
        self.diagnostics.extend(self.listing.items)
        return briefing

    def _content_files(self, kind: str) -> Iterator[tuple[str, str]]:
        """(id, path) of each well-named file of a content folder."""
        folder = self.paths.content / f"{kind}s"
        base = os.fspath(folder)
        for name in names(self.paths, folder, self.listing):
            if check_name(self.paths, f"{kind}s", name, self.listing):
                yield name[:-5], f"{base}/{name}"

    def read_changed(self, looked_at: frozenset[str], before: Globals, listing: Problems,
                     articles: Mapping[str, str]) -> Briefing | None:
        """Read again the units of the files ``looked_at`` (see :func:`update`):
        the briefing's record, or None when that is not enough and every folder
        must be listed again (a summary names another article, the drop patterns
        changed, a file became a link). Reports nothing in that case."""
        paths = self.paths
        content, seeds = os.fspath(paths.content), os.fspath(paths.seeds)
        units: dict[str, str] = {}
        for path in looked_at:
            if path.startswith((content + "/", seeds + "/")) and os.path.islink(path):
                return None
            rel = path[len(content) + 1:] if path.startswith(content + "/") else None
            if rel == "briefing.yaml":
                units[BRIEFING] = path
            elif rel is not None and rel.count("/") == 1 and rel.endswith(".yaml"):
                kind, name = rel.split("/")
                if kind in ("sources", "actors", "topics"):
                    units[f"{kind[:-1]}:{name[:-5]}"] = path
            elif path.startswith(seeds + "/") and (unit := articles.get(path[len(seeds) + 1:])) is not None:
                units.setdefault(unit, f"{content}/sources/{unit.partition(':')[2]}.yaml")
        if any(unit not in self.heads for unit in units):
            return None  # a file that was not a unit (a bad name, say) or whose unit could not be read
        found = Diagnostics()
        run = _Run(paths, self.store, self.hashes, found, self.heads, self.drafts, self.jobs)
        run.new_heads = {u: h for u, h in self.heads.items() if u not in units}
        if BRIEFING in units:
            run._read_unit(BRIEFING, units[BRIEFING], _read_briefing)
        elif BRIEFING in self.heads:
            run.new_heads[BRIEFING] = self.heads[BRIEFING]
        briefing: Briefing | None = run.read[BRIEFING].record if BRIEFING in run.new_heads else None
        if briefing is None or briefing.drop != before.drop:
            return None
        drop = reader.compile_drop(briefing.drop)
        drop_key = digest([p.pattern for p in drop]).hex()
        for unit, path in sorted(units.items()):
            kind = unit.partition(":")[0]
            if kind in ("topic", "actor"):
                run._read_unit(unit, path, _READERS[kind])
            elif kind == "source":
                if not os.path.isfile(path):
                    return None
                run.attempted.add(unit)
                summary = _Summary.of(run, unit, path)
                head = self.heads.get(unit)
                if summary is None or head is None or summary.file != head.file:
                    return None  # a new article name: the names of all of them are checked again
                run._source_article(summary, f"{seeds}/{summary.file}", drop, drop_key)
        for unit, head in run.new_heads.items():
            if unit not in units and head.read_warnings:
                _report(found, head.read_warnings)
        _report(found, listing)
        self.diagnostics.extend(found.items)
        self.new_heads = {u: run.new_heads[u] for u in sorted(run.new_heads)}
        self.reread = run.reread
        self.attempted = run.attempted
        self.unarticled = run.unarticled
        return briefing

    def unread(self) -> dict[str, frozenset[str]]:
        """The ids of each kind whose file exists but could not be read (its
        errors are reported): a reference to one is then not "unknown". A build
        with any is failing, and a failed build keeps nothing, so the next one
        reads them again: no stored result can depend on this."""
        out: dict[str, set[str]] = {}
        for unit in self.attempted:
            if unit not in self.new_heads:
                kind, _, ident = unit.partition(":")
                out.setdefault(kind, set()).add(ident)
        return {kind: frozenset(ids) for kind, ids in out.items()}

    def _sha(self, path: str, limit: int) -> tuple[str, bytes | None] | None:
        """A file's SHA-256 (and its bytes, when they had to be read to hash it);
        None when it cannot be read (reported)."""
        known = self.hashes.get(path)
        if known is not None:
            return known, None
        data = read_bytes(self.paths, Path(path), limit, self.diagnostics)
        if data is None:
            return None
        return self._digest(path, data), data

    def _digest(self, path: str, data: bytes) -> str:
        """The SHA-256 of ``data``, the bytes just read of the file ``path``, kept in :attr:`hashed`."""
        sha = self.hashed[path] = hashlib.sha256(data).hexdigest()
        return sha

    def _bytes(self, path: str, limit: int, data: bytes | None) -> bytes | None:
        """The bytes of a file to read again. The fingerprint's hash is never
        trusted for what is read (the file may have been saved since): a unit's
        inputs are the hashes of the very bytes it was read from."""
        if data is not None:
            return data
        return read_bytes(self.paths, Path(path), limit, self.diagnostics)

    def _read_unit(self, unit: str, path: str, read: Any) -> None:
        """A briefing, topic or actor unit, read again if its file changed."""
        self.attempted.add(unit)
        hashed = self._sha(path, MAX_YAML_BYTES)
        if hashed is None:
            return
        sha, data = hashed
        head = self.heads.get(unit)
        if head is not None and head.inputs == (sha,):
            self.new_heads[unit] = head
            _report(self.diagnostics, head.read_warnings)
            return
        data = self._bytes(path, MAX_YAML_BYTES, data)
        if data is None:
            return
        record, problems = parse_record(self.paths, Path(path), data, read)
        self.diagnostics.extend(problems)
        if record is None:
            return
        self.read[unit] = Read(record, tuple(problems))
        self.reread.add(unit)
        self.new_heads[unit] = Head((self._digest(path, data),), draft=getattr(record, "draft", False),
                                    read_warnings=_pack_problems(problems))

    def _read_sources(self, drop: Sequence[Any], drop_key: str) -> None:
        """Every source unit: its summary, then its article, each read again if it changed."""
        paths = self.paths
        base = os.fspath(paths.seeds)
        seeds = {name: f"{base}/{name}" for name in names(paths, paths.seeds, self.listing)}
        named: dict[str, str] = {}
        hashes, heads, new_heads = self.hashes, self.heads, self.new_heads
        files = list(self._content_files("source"))
        self._read_ahead([path for ident, path in files if "source:" + ident not in heads], seeds, drop)
        # Counted only when each is read here: read ahead, they were counted as
        # they came (see _read_ahead); after an edit, most are not read at all.
        for ident, path in files if self.ahead or heads else self.counted(READING, files, len(files)):
            unit = "source:" + ident
            self.attempted.add(unit)
            head = heads.get(unit)
            if head is not None:
                # The common case, spelt out: an unchanged summary of an unchanged article.
                file = head.file
                seed = seeds.get(file)
                if (seed is not None and file not in named and head.inputs[0] == hashes.get(path)
                        and head.inputs[1] == hashes.get(seed) and head.inputs[2] == drop_key):
                    named[file] = ident
                    new_heads[unit] = head
                    if head.read_warnings:
                        _report(self.diagnostics, head.read_warnings)
                    continue
            summary = _Summary.of(self, unit, path)
            if summary is None:
                continue
            if summary.file in named:
                self.diagnostics.extend(summary.problems())
                self.unarticled.append(summary.record())
                self.diagnostics.error(summary.record().file_at,
                                       f"file '{summary.file}' is already the article of source"
                                       f" '{named[summary.file]}'; each article has one summary")
                continue
            named[summary.file] = ident
            seed = seeds.get(summary.file)
            if seed is None:
                self.diagnostics.extend(summary.problems())
                self.unarticled.append(summary.record())
                self.diagnostics.error(summary.record().file_at, f"article 'seeds/{summary.file}' not found"
                                                                 f"{did_you_mean(summary.file, seeds)}")
                continue
            self._source_article(summary, seed, drop, drop_key)
        for name, path in seeds.items():
            if name not in named and name.endswith((".txt", ".md")):
                self.listing.warning(Location(paths.rel(Path(path))), "no source names this article, so it is"
                                                                    " not published; add content/sources/"
                                                                    f"<id>.yaml with 'file: {name}'")

    def _read_ahead(self, summaries: list[str], seeds: Mapping[str, str], drop: Sequence[Any]) -> None:
        """Read and parse the summaries at these paths, and their articles, across
        the cores when they are many (a cold build): into :attr:`ahead`, which
        the build then takes them from in its own order, as if it read them then.
        Each file is independent of the others; only the records come back."""
        if self.jobs <= 1 or len(summaries) < MIN_ITEMS:
            return
        paths = self.paths

        def parsed(at: int) -> tuple[_Parsed, tuple[str, _Parsed] | None]:
            summary = _parse_file(paths, summaries[at], MAX_YAML_BYTES,
                                  lambda data: parse_record(paths, Path(summaries[at]), data, schema.read_source))
            seed = seeds.get(summary.made.file) if summary.made is not None else None
            if seed is None:
                return summary, None
            return summary, (seed, _parse_file(paths, seed, MAX_ARTICLE_BYTES,
                                               lambda data: parse_article(paths, Path(seed), data, drop)))

        made = fork_map(parsed, range(len(summaries)), jobs=self.jobs, chunksize=32)
        for path, (summary, article) in zip(summaries, self.counted(READING, made, len(summaries)), strict=True):
            self.ahead[path] = summary
            self._ahead_hashed(path, summary)
            if article is not None:
                self.ahead[article[0]] = article[1]
                self._ahead_hashed(*article)

    def _ahead_hashed(self, path: str, parsed: _Parsed) -> None:
        if parsed.sha is not None:
            self.hashed[path] = parsed.sha

    def _source_article(self, summary: _Summary, seed: str, drop: Sequence[Any], drop_key: str) -> None:
        unit = summary.unit
        ahead = self.ahead.pop(seed, None)
        if ahead is not None:
            self._source_parsed(summary, ahead, drop_key)
            return
        hashed = self._sha(seed, MAX_ARTICLE_BYTES)
        if hashed is None:
            self.diagnostics.extend(summary.problems())
            self.unarticled.append(summary.record())
            return
        seed_sha, data = hashed
        head = self.heads.get(unit)
        if head is not None and head.inputs == (summary.sha, seed_sha, drop_key):
            self.new_heads[unit] = head
            _report(self.diagnostics, head.read_warnings)
            return
        data = self._bytes(seed, MAX_ARTICLE_BYTES, data)
        if data is None:
            self.diagnostics.extend(summary.problems())
            self.unarticled.append(summary.record())
            return
        blocks, article = parse_article(self.paths, Path(seed), data, drop)
        self._source_parsed(summary, _Parsed(self._digest(seed, data), blocks, tuple(article)), drop_key)

    def _source_parsed(self, summary: _Summary, article: _Parsed, drop_key: str) -> None:
        """A source unit from its summary and its article as read and parsed."""
        unit = summary.unit
        problems = summary.problems()
        if article.sha is None:  # could not be read
            self.diagnostics.extend((*article.problems, *problems))
            self.unarticled.append(summary.record())
            return
        self.diagnostics.extend((*problems, *article.problems))
        blocks = article.made
        if blocks is None:
            self.unarticled.append(summary.record())
            return
        record = replace(summary.record(), blocks=blocks)
        self.read[unit] = Read(record, problems, article.problems)
        self.reread.add(unit)
        head_of = source_head(record)
        self.new_heads[unit] = Head((summary.sha, article.sha, drop_key), file=record.file,
                                    draft=record.draft, read_warnings=_pack_problems((*problems, *article.problems)),
                                    source=(*head_of[:3], _ordinal(head_of.published), head_of.numbered))

    # ------------------------------------------------------------ analyse

    def published(self) -> dict[str, frozenset[str]]:
        """The published ids of each kind, as the units now stand."""
        if self._now is None:
            self._now = _kinds_since(self._before(), self.heads, self.new_heads, self.drafts)
        return self._now[1]

    def _published_before(self) -> dict[str, frozenset[str]]:
        return self._before()[1]

    def _before(self) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
        if self._was is None:
            self._was = _kinds(self.heads, self.drafts)
        return self._was

    def phrases(self, before: Globals | None, published: Mapping[str, frozenset[str]]) -> Phrases:
        """What text analysis looks for; worked out again only when an actor or
        topic changed, appeared or went."""
        moved = {u for u in (self.reread | (self.heads.keys() ^ self.new_heads.keys()))
                 if u.startswith(("actor:", "topic:"))}
        if before is not None and not moved and self._published_before()["actor"] == published["actor"] \
                and self._published_before()["topic"] == published["topic"]:
            return before.phrases
        actors = [self.read[f"actor:{a}"].record for a in sorted(published["actor"])]
        topics = [self.read[f"topic:{t}"].record for t in sorted(published["topic"])]
        return phrases(actors, topics, self.diagnostics)

    def analyse(self, found: Phrases, before: Globals | None, published: Mapping[str, frozenset[str]]) -> None:
        """Find the mentions and keyword passages of every source whose text (or
        what is looked for) changed."""
        was = self._published_before()["source"]
        if before is None or before.phrases.key != found.key:
            todo = sorted(published["source"])
        else:
            todo = sorted(s for s in published["source"]
                          if f"source:{s}" in self.reread or s not in was)
        for sid in was - published["source"]:
            if sid in self.facts:
                del self.facts[sid]
            self.analysed.add(f"source:{sid}")
        if not todo:
            return
        sources = [self.read[f"source:{sid}"].record for sid in todo]
        within = [b.text for s in sources for b in s.blocks if b.n is not None] if len(todo) <= _FEW_TEXTS else None
        actor_matcher, topic_matcher = matchers(found, self.diagnostics, within)

        def analysed(at: int) -> tuple[dict[int, tuple[Span, ...]], dict[int, tuple[Span, ...]]]:
            return analyse(sources[at], actor_matcher, topic_matcher)

        # Each source is analysed on its own: across the cores for many (the
        # workers inherit the sources and matchers; only the spans come back).
        found_all = fork_map(analysed, range(len(sources)), jobs=self.jobs, chunksize=64)
        for source, (mentions, passages) in zip(sources, self.counted("finding mentions", found_all, len(sources)),
                                                strict=True):
            old = self.facts.get(source.id)
            if old is None or (old.mentions, old.passages) != (mentions, passages):
                self.facts[source.id] = Facts(mentions, passages)
            self.analysed.add(f"source:{source.id}")

    # ------------------------------------------------------------ resolve

    def resolve(self, before: Globals | None, published: Mapping[str, frozenset[str]]) -> None:
        """Resolve every unit that needs it (see the module doc) and put its new
        contribution into the indexes."""
        existed, was = self._before()
        present = self._now[0] if self._now is not None else _kinds(self.new_heads, self.drafts)[0]

        def now(unit: str) -> bool:
            kind, _, ident = unit.partition(":")
            return unit == BRIEFING or ident in published.get(kind, ())

        def then(unit: str) -> bool:
            kind, _, ident = unit.partition(":")
            return unit == BRIEFING or ident in was.get(kind, ())

        if before is None or any(present[k] != existed[k] or published[k] != was[k] for k in ("actor", "topic")):
            todo = {unit for unit in self.new_heads if now(unit)}
        else:
            moved = ({u.partition(":")[2] for u in self.reread if u.startswith("source:")}
                     | (published["source"] ^ was["source"]) | (existed["source"] - present["source"]))
            citers = self.indexes.citers
            todo = {u for u in self.reread if now(u)}
            for sid in moved:
                todo.update(u for u in (citers.get(sid) or {}) if now(u))
        for unit, head in self.new_heads.items():  # as the last good build found them
            if head.resolve_warnings and unit not in todo and now(unit):
                _report(self.diagnostics, head.resolve_warnings)
        checked = [s for s in self.unarticled if self.drafts or not s.draft]
        if todo or checked:
            scope = self._scope(published, present)
            for unit in self.counted("resolving citations", sorted(todo), len(todo)):
                self._resolve_unit(unit, scope)
            for source in checked:  # only in a failing build: nothing of it is kept
                resolve_source(source, scope, self.diagnostics)
        # Analysed again but not resolved again: the same claims, new mentions.
        for unit in sorted(self.analysed - todo):
            if now(unit):
                old: Resolved = self.resolved[unit]
                self._contribute(unit, replace(old, contribution=self._contribution(unit, old.claims, None)))
        gone = sorted(f"{kind}:{ident}" for kind, ids in was.items() for ident in ids - published.get(kind, set()))
        for unit in gone:  # gone, or a draft now
            found: Resolved | None = self.resolved.get(unit)
            if found is not None:
                self.touched.update(self.indexes.replace(unit, found.contribution, None))
                del self.resolved[unit]
                self.resolved_again.add(unit)
        self._count_cited()

    def _count_cited(self) -> None:
        """How many blocks of each source are cited: every list of sources shows it,
        so it is kept whole, not read from each source's entry of the index."""
        meta = self.store.table("meta")
        counts: dict[str, int] = dict(meta.get("cited_counts") or {})
        for sid in self.touched.keys.get("cited", ()):
            n = len(cited_blocks(self.indexes.cited.get(sid)))
            if n:
                counts[sid] = n
            else:
                counts.pop(sid, None)
        meta["cited_counts"] = counts

    def _scope(self, published: Mapping[str, frozenset[str]], present: Mapping[str, frozenset[str]]) -> Scope:
        read = self.read
        # The sources that could be read (drafts included), and their numbered
        # blocks folded for quote lookups, both from the state on first use.
        sources: Lazy[Source] = Lazy(present["source"], lambda sid: read["source:" + sid].record)
        return Scope(
            sources=sources,
            folded=derived(sources, fold_source),
            actors=dict.fromkeys(present["actor"]),
            topics=dict.fromkeys(present["topic"]),
            published_sources=published["source"],
            published_actors=published["actor"],
            published_topics=published["topic"],
            unread=self.unread(),
        )

    def _resolve_unit(self, unit: str, scope: Scope) -> None:
        kind = unit.partition(":")[0]
        record = self.read[unit].record
        found = Diagnostics()
        value: Any = None
        if kind == BRIEFING:
            value = resolve_briefing(record, scope, found)
            claims: tuple[Claim, ...] = (*value.key_points, *value.events)
        elif kind == "source":
            claims = resolve_source(record, scope, found)
        elif kind == "topic":
            value = resolve_topic(record, scope, found)
            claims = value.key_points
        else:
            value, claims = resolve_actor(record, scope, found)
        self.diagnostics.extend(found.items)
        resolved = Resolved(value, claims, tuple(found.items), self._contribution(unit, claims, value))
        self._contribute(unit, resolved)
        head = self.new_heads[unit]
        self.new_heads[unit] = head._replace(resolve_warnings=_pack_problems(found.items))

    def _contribution(self, unit: str, claims: tuple[Claim, ...], value: Any) -> Contribution:
        kind, _, ident = unit.partition(":")
        names = _named_sources(self.read[unit].record)
        if kind == "source":
            facts: Facts | None = self.facts.get(ident)
            return contribution(claims, names=names, mentions=facts.mentions if facts else None,
                                passages=facts.passages if facts else None,
                                published=self.read[unit].record.published)
        if kind == "actor":
            actor = value if value is not None else self.resolved[unit].value
            member_of = actor.affiliation.id if actor.affiliation else None
            return contribution(claims, names=names, member_of=member_of, actor=ident)
        return contribution(claims, names=names)

    def _contribute(self, unit: str, resolved: Resolved) -> None:
        old: Resolved | None = self.resolved.get(unit)
        self.touched.update(self.indexes.replace(unit, old.contribution if old else None, resolved.contribution))
        self.resolved[unit] = resolved
        self.resolved_again.add(unit)

    def changed_units(self) -> set[str]:
        # The units that came or went: none, most often (the two sets of
        # 10,600 keys compared, not made; 6 ms a call at 10,000 articles).
        before, now = self.heads.keys(), self.new_heads.keys()
        return self.reread | self.analysed | self.resolved_again | (set() if before == now else before ^ now)


_HEAD_BUCKETS = 64
"""The heads are kept in this many entries of the state, by a digest of the unit:
an edit changes a head or two, and its build writes back 1/64 of them (the
whole table is 2.9 MB at 10,000 articles)."""


def _bucket(unit: str) -> str:
    return f"heads:{zlib.crc32(unit.encode()) % _HEAD_BUCKETS}"


def _load_heads(meta: MutableMapping[str, Any]) -> dict[str, Head]:
    """The last good build's heads, in unit order. Marshalled plain data, since
    every build loads all of them (pickling ten thousand took 50 ms, this 5)."""
    found: dict[str, tuple[Any, ...]] = {}
    for i in range(_HEAD_BUCKETS):
        data = meta.get(f"heads:{i}")
        if data:
            found.update(marshal.loads(data))
    make = Head._make
    return {unit: make(found[unit]) for unit in sorted(found)}


def _save_heads(meta: MutableMapping[str, Any], before: Mapping[str, Head], now: Mapping[str, Head]) -> None:
    """Write back the buckets holding a head that differs from ``before`` (see
    :data:`_HEAD_BUCKETS`): each as the state has it, with those heads replaced."""
    changed: dict[str, list[str]] = {}
    for unit, head in now.items():
        if before.get(unit) != head:
            changed.setdefault(_bucket(unit), []).append(unit)
    for unit in before.keys() - now.keys():
        changed.setdefault(_bucket(unit), []).append(unit)
    for key, units in changed.items():
        data = meta.get(key)
        heads: dict[str, tuple[Any, ...]] = marshal.loads(data) if data else {}
        for unit in units:
            if unit in now:
                heads[unit] = tuple(now[unit])
            else:
                heads.pop(unit, None)
        meta[key] = marshal.dumps(heads)


def _source_head(found: tuple[str, str, str, int | None, int] | None) -> SourceHead:
    assert found is not None, "every source read has a head"
    sid, title, outlet, day, numbered = found
    return SourceHead(sid, title, outlet, None if day is None else dt.date.fromordinal(day), numbered)


def _report(diagnostics: Diagnostics, found: Problems) -> None:
    """Report warnings kept in a head."""
    for path, line, column, severity, message in found:
        where = Location(path, line, column)
        if severity == "error":
            diagnostics.error(where, message)
        else:
            diagnostics.warning(where, message)


def _ordinal(day: dt.date | None) -> int | None:
    return None if day is None else day.toordinal()


def _parse_file(paths: BriefingPaths, path: str, limit: int,
                parse: Callable[[bytes], tuple[Any, list[Diagnostic]]]) -> _Parsed:
    """A file read and parsed (see ``_Run._read_ahead``)."""
    found = Diagnostics()
    data = read_bytes(paths, Path(path), limit, found)
    if data is None:
        return _Parsed(None, None, tuple(found.items))
    made, problems = parse(data)
    return _Parsed(hashlib.sha256(data).hexdigest(), made, tuple(problems))


def _pack_problems(found: Iterable[Diagnostic]) -> Problems:
    return tuple((d.location.path, d.location.line, d.location.column, d.severity, d.message) for d in found)


class _Summary:
    """A source's summary file in one build: its hash and article name, and its
    record and problems, read from the state only if they are needed (an
    unchanged summary of an unchanged article needs neither)."""

    __slots__ = ("_problems", "_record", "_run", "file", "sha", "unit")

    def __init__(self, run: _Run, unit: str, sha: str, file: str, record: Source | None,
                 problems: tuple[Diagnostic, ...] | None) -> None:
        self._run = run
        self.unit = unit
        self.sha = sha
        self.file = file
        self._record = record
        self._problems = problems

    @classmethod
    def of(cls, run: _Run, unit: str, path: str) -> _Summary | None:
        """The summary at ``path``; None if it cannot be used (reported)."""
        ahead = run.ahead.pop(path, None)
        if ahead is not None:
            if ahead.made is None:
                run.diagnostics.extend(ahead.problems)
                return None
            assert ahead.sha is not None
            return cls(run, unit, ahead.sha, ahead.made.file, ahead.made, ahead.problems)
        hashed = run._sha(path, MAX_YAML_BYTES)
        if hashed is None:
            return None
        sha, data = hashed
        head = run.heads.get(unit)
        if head is not None and head.inputs[0] == sha:
            return cls(run, unit, sha, head.file, None, None)
        data = run._bytes(path, MAX_YAML_BYTES, data)
        if data is None:
            return None
        record, problems = parse_record(run.paths, Path(path), data, schema.read_source)
        if record is None:
            run.diagnostics.extend(problems)
            return None
        return cls(run, unit, run._digest(path, data), record.file, record, tuple(problems))

    def _stored(self) -> Read:
        found: Read = self._run.read.previous[self.unit]
        return found

    def record(self) -> Source:
        """The summary's record, without the article's blocks."""
        if self._record is None:
            self._record = replace(self._stored().record, blocks=())
        return self._record

    def problems(self) -> tuple[Diagnostic, ...]:
        if self._problems is None:
            self._problems = self._stored().problems
        return self._problems


_Kinds = tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]


def _kinds(heads: Mapping[str, Head], drafts: bool) -> _Kinds:
    """The ids of each kind of unit among ``heads``, and those published."""
    present: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    published: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    for unit, head in heads.items():
        kind, _, ident = unit.partition(":")
        found = present.get(kind)
        if found is not None:
            found.append(ident)
            if drafts or not head.draft:
                published[kind].append(ident)
    return ({k: frozenset(v) for k, v in present.items()}, {k: frozenset(v) for k, v in published.items()})


def _kinds_since(was: tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]], heads: Mapping[str, Head],
                 now: Mapping[str, Head], drafts: bool) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """:func:`_kinds` of ``now``, from ``was``, those of ``heads``: only the units
    whose head is another object are looked at (an edit's few), not all of them,
    and only the kinds one of them enters or leaves are made again (copying
    each of the 10,000 sources' took 9 ms of every edit)."""
    present, published = was
    edits: dict[str, tuple[set[str], set[str]]] = {}

    def edit(kind: str) -> tuple[set[str], set[str]]:
        if kind not in edits:
            edits[kind] = (set(present[kind]), set(published[kind]))
        return edits[kind]

    for unit, head in now.items():
        if heads.get(unit) is head:
            continue
        kind, _, ident = unit.partition(":")
        if kind not in present:
            continue
        shown = drafts or not head.draft
        if ident in present[kind] and (ident in published[kind]) == shown:
            continue  # read again, and still where it was
        there, out = edit(kind)
        there.add(ident)
        if shown:
            out.add(ident)
        else:
            out.discard(ident)
    for unit in () if heads.keys() == now.keys() else heads.keys() - now.keys():
        kind, _, ident = unit.partition(":")
        if kind in present:
            there, out = edit(kind)
            there.discard(ident)
            out.discard(ident)
    return ({k: frozenset(edits[k][0]) if k in edits else v for k, v in present.items()},
            {k: frozenset(edits[k][1]) if k in edits else v for k, v in published.items()})


def _read_briefing(node: Any, _: str, at: Location, found: Diagnostics) -> Briefing | None:
    return schema.read_briefing(node, at, found)


def _named_sources(record: Any) -> set[str]:
    """The sources a unit's claims (or positions) name as written."""
    if isinstance(record, Briefing):
        claims: Iterable[Any] = (*record.key_points, *record.events)
    elif isinstance(record, Actor):
        claims = record.positions
    else:
        claims = record.key_points
    return {cite.source for claim in claims for cite in claim.cite}


def _no_briefing(paths: BriefingPaths, briefing_file: Path, diagnostics: Diagnostics) -> None:
    where = Location(paths.rel(briefing_file))
    if not paths.content.is_dir():
        diagnostics.error(where, f"{paths.root} is not a briefing folder: it has no content/"
                                 " folder (start one with 'briefing new DIR', or pass --root)")
    else:
        diagnostics.error(where, "content/briefing.yaml is missing; create it with at least 'title' and 'as_of'")


# ---------------------------------------------------------------- the site

@record
class _Tables:
    read: Mapping[str, Read]
    facts: Mapping[str, Facts]
    resolved: Mapping[str, Resolved]
    indexes: Mapping[str, Mapping[str, Any]]
    cited_counts: Mapping[str, int]


def _order(published: Mapping[str, frozenset[str]]) -> dict[str, dict[str, None]]:
    """The published units of each kind, sorted by id, as the keys of a dict:
    the site's mappings of a kind share it (see :func:`_units`)."""
    return {kind: dict.fromkeys(sorted(published[kind])) for kind in ("source", "actor", "topic")}


def _site(tables: _Tables, heads: Mapping[str, Head], order: Mapping[str, dict[str, None]]) -> Site:
    """The site the units make, reading the tables on demand; ``order``: see :func:`_order`."""
    sources, actors, topics = (order[k] for k in ("source", "actor", "topic"))
    resolved, facts, index = tables.resolved, tables.facts, tables.indexes
    found = resolved.get(BRIEFING)
    briefing = found.value if found is not None else tables.read[BRIEFING].record
    return Site(
        briefing=briefing,
        sources=_units(sources, lambda sid: replace(tables.read[f"source:{sid}"].record,
                                                    key_points=resolved[f"source:{sid}"].claims)),
        heads=_units(sources, lambda sid: _source_head(heads[f"source:{sid}"].source)),
        actors=_units(actors, lambda aid: resolved[f"actor:{aid}"].value),
        topics=_units(topics, lambda tid: resolved[f"topic:{tid}"].value),
        positions=_units(actors, lambda aid: resolved[f"actor:{aid}"].claims),
        mentions=_units(sources, lambda sid: facts[sid].mentions),
        passages=_units(sources, lambda sid: facts[sid].passages),
        actor_mentions=view(index["mentions"], actor_blocks, actors),
        topic_passages=view(index["passages"], actor_blocks, topics),
        cited_by=view(index["cited"], cited_blocks),
        cited_counts=tables.cited_counts,
        claims_by_actor=view(index["by_actor"], in_unit_order, actors),
        claims_by_topic=view(index["by_topic"], in_unit_order, topics),
        co_mentions=view(index["pairs"], co_mentioned, actors),
        members=view(index["members"], in_unit_order, actors),
        positions_by_topic=view(index["positions"], in_unit_order, topics),
        months=view(index["months"], by_date),
    )


def _units(ids: dict[str, None], make: Callable[[str], Any]) -> Lazy[Any]:
    """One thing per published unit of a kind (``ids``, sorted: see :func:`_order`),
    made on first read. The mappings of a kind share their keys, read only: a
    dict of them each took 1 ms at 10,000 articles, 10 for the two sites of an
    edit (the previous one and the new)."""
    return Lazy(ids, make)


def memory_store() -> Store:
    """A fresh state in memory (``briefing check``, tests)."""
    return Store.in_memory()


__all__ = ["Changed", "Table", "Update", "memory_store", "update"]
