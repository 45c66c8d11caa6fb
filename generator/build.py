"""The build, as one straight pipeline: read -> model -> resolve -> render -> write."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import changes as changes_mod
from generator import context, fingerprint, output, pages, parallel, prefetch, render
from generator.changes import Changes
from generator.data import PartMap, Splice, briefing_data, json_pieces
from generator.errors import ContentError, Diagnostic, Diagnostics, Location, UsageError
from generator.fields import url_problem
from generator.frozen import record
from generator.load import BriefingPaths
from generator.memo import Memo, user_cache
from generator.model import Site
from generator.places import builtin_templates
from generator.reads import Entry
from generator.store import DamagedState, Store, Table, state_path, state_salt
from generator.update import TABLES, Progress, Update, last_good, no_progress, update
from generator.views import changed_entries, json_changes

if TYPE_CHECKING:
    from generator import health

KEPT = ("layout", "md-block", "md-inline", "md-plain")
"""What the memo keeps in the build state for the next build: the graph's layout
(0.26 s at 500 actors), and the Markdown of every text, so that a page built
again after an edit needs no Markdown parser (importing it alone took 40 ms)."""

@record
class BuildOptions:
    """What to build and how. ``out`` defaults to ``ROOT/site``; ``base_url``
    overrides the briefing's own ``base_url``."""

    root: Path
    out: Path | None = None
    drafts: bool = False
    base_url: str | None = None
    noindex: bool = False
    search: bool = True
    """Build the search index (Pagefind). ``check`` and the live preview skip it:
    it is the slowest step on a small briefing, and a preview is read, not searched."""
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Processes to render with (large sites only; the output does not depend on it)."""
    single_file: Path | None = None
    """Also write the whole briefing as one self-contained HTML file here."""
    report: bool = False
    """Also write the editors' health report to ``_report/index.html``."""
    previous: Path | None = None
    """The previous edition to compare with (a site folder or its ``briefing.json``);
    default: the output folder."""

    @property
    def paths(self) -> BriefingPaths:
        return BriefingPaths(self.root)

    @property
    def out_dir(self) -> Path:
        return self.out if self.out is not None else self.root / "site"


@record
class BuildResult:
    """A finished build: where it went, what it wrote, and the warnings it found."""

    out: Path
    pages: int
    """Its HTML and XML files (see :func:`_pages`)."""
    files: int
    written: int
    kept: int
    removed: int
    seconds: float
    warnings: tuple[Diagnostic, ...] = field(default=())
    reused: int = 0
    """Pages not rendered again: made from exactly what their file in the previous
    site was made from."""
    unbuilt: int = 0
    """Of the reused pages, those whose context was not even built: what they read
    of the site had not changed (see :mod:`generator.reads`)."""


def build(options: BuildOptions, store: Store | None = None, progress: Progress = no_progress,
          memo: Memo | None = None, changed: Collection[str] | None = None, own_out: bool = False,
          helper: prefetch.Helper | None = None, keep: list[object] | None = None) -> BuildResult:
    """Build the site into ``options.out_dir``.

    Raises :class:`ContentError` (with every diagnostic) when the briefing has
    errors, and :class:`OutputError` when the output directory cannot be used;
    in both cases the previous site is left exactly as it was.

    ``store`` is the state of the last good build (see :mod:`generator.store`):
    by default the one kept for this briefing and output in the user's cache
    folder; only what changed since is done again (see :mod:`generator.update`
    and :mod:`generator.pages`). ``memo`` remembers results between builds in
    this process (the live preview's). ``changed``: the files a watcher saw
    change since the last good build into ``store`` (see ``fingerprint.inputs``),
    or None to look at every file. ``own_out``: the output folder is this
    process's own (the live preview's temporary folder), which nothing else
    writes to, so its files are taken to be as the last build left them without
    a stat of each. ``helper``: the fingerprint, worked out while the command
    imported this module (see :mod:`generator.prefetch`). Either way the site
    is the same, byte for byte.
    ``progress`` is told how the build goes. The site it replaces is kept
    beside it as the next build's staging folder (see :mod:`generator.output`).
    ``keep``: given what the build made (the site, its state), for a caller
    that ends its process without freeing them (``cli.run``): freed object by
    object as the build returned, a 10,000-article site took 0.19 s.
    """
    started = time.perf_counter()
    output.check_output(options.out_dir, options.root)
    if options.single_file is not None:
        from generator import single  # this module and those below: only when asked for

        single.check_target(options.single_file, options.out_dir)
    if options.previous is not None and not options.previous.exists():
        raise UsageError(f"--previous {options.previous}: no such file or folder")
    # Also when nothing is to be built: a build killed after its swap leaves the
    # previous site beside the (complete) new one.
    output.clean_strays(options.out_dir)
    own = store is None
    if store is None:
        store = Store.on_disk(state_path(user_cache(), options.root, options.out_dir), state_salt(), options.root)
    memo = memo if memo is not None else Memo()
    try:
        try:
            return _build(options, store, memo, progress, started, changed, own_out,
                          helper if changed is None else None, keep)
        except DamagedState:
            # What the last build kept cannot be read back as written: it is of no
            # use, and the build is done again without it (a cold build).
            store.forget()
            return _build(options, store, memo, progress, started, changed, own_out, None, keep)
    finally:
        if helper is not None:
            helper.close()  # still looking at the site, of no use now (a build with nothing to do)
        if own:
            store.close()
        if keep is not None:
            keep.append((store, memo))


def _looks(helper: prefetch.Helper, options: BuildOptions) -> prefetch.Looks | None:
    """The helper's looks, if they are those of this build."""
    found = helper.looks()
    if found is None or options.previous is not None or options.single_file is not None:
        return None
    return found if found.describe(options.root, options.out_dir, _fingerprinted(options)) else None


def _build(options: BuildOptions, store: Store, memo: Memo, progress: Progress, started: float,
           changed: Collection[str] | None, own_out: bool, helper: prefetch.Helper | None,
           keep: list[object] | None) -> BuildResult:
    """:func:`build`, once the output folder is known to be usable."""
    with _long_lived() as made:
        meta = store.table("meta")
        last = fingerprint.Record.unpacked(meta.get("record"))
        looks = start = None
        if helper is not None:
            # While the helper still works out the fingerprint: what any update starts from.
            start = last_good(store, drafts=options.drafts)
            _read_ahead(meta)
            looks = _looks(helper, options)
        looked = looks.inputs if looks is not None else \
            _fingerprint(options, fingerprint.Known.unpacked(meta.get("inputs")), changed, cold=last is None)
        # Listed only (nothing was remembered): the update hashes every file it reads.
        found = None if isinstance(looked, fingerprint.Listed) else looked
        key = found.key if found is not None else None
        if key is not None and (known := fingerprint.recall(options.out_dir, key, last)) is not None:
            return _reused(options, known, started)
        if found is not None and found.table is not None:
            meta["inputs"] = found.table.packed()
        memo.with_saved(store.table("memo"), KEPT)
        ahead = _templates_ahead(options) if last is None else None
        try:
            diagnostics = Diagnostics()
            progress("reading the briefing", 0, 0)
            result = update(options.paths, store, found.hashes if found is not None else None, diagnostics,
                            drafts=options.drafts, looked_at=found.looked_at if found is not None else None,
                            jobs=options.jobs, last=start, every_hash=_every_hash(found, meta), progress=progress)
            if keep is not None:
                keep.append((start, result))
            if result is None or diagnostics.has_errors():
                raise ContentError(diagnostics.sorted())
            if isinstance(looked, fingerprint.Listed):
                found = looked.hashed(result.hashed)
                key = found.key if found is not None else None
                if found is not None and found.table is not None:
                    meta["inputs"] = found.table.packed()
            made()
            store.write_ahead(TABLES)  # a cold build's: written while the pages are rendered
            built = _publish(result, options, store, memo, diagnostics, progress, key=key, last=last,
                             started=started, own_out=own_out, helper=helper, templates_ahead=ahead)
            memo.settle(succeeded=True)
            return built
        except BaseException:
            if ahead is not None:
                ahead.cancel()
            store.discard()
            memo.settle(succeeded=False)
            raise


def _templates_ahead(options: BuildOptions) -> parallel.Pending[object] | None:
    """The templates of a first build into the output (no record of one: most
    often a fresh user cache too) prepared by a forked child while the build
    reads and resolves the briefing (``render.prepared``): their compilation
    and keys took 0.13 to 0.18 s of a 1,000-article build's critical path. The
    child runs at the lowest priority, so it takes the moments a core is idle
    (the resolving is one core's work) and not the reading workers' time; the
    build takes its keys only if they are of the templates as they are, and
    its compiled templates through Jinja's cache, which checks each against
    its source. None with a single job: nothing would be idle."""
    if options.jobs <= 1:
        return None
    templates = render.TemplateSet(options.paths.templates, builtin_templates())
    cache = user_cache() / "templates"

    def prepare() -> object:
        with contextlib.suppress(OSError):
            os.nice(19)
        return render.prepared(templates, cache)

    return parallel.fork_call(prepare, fallback=lambda: None)


def _read_ahead(meta: Table) -> None:
    """Read (and check) the entries of the state that an edit's build reads
    once it knows what changed: the table keeps them. Done while the helper
    still lists the inputs, and the command would be waiting: at 10,000
    articles, 7 to 10 ms less after the looks come."""
    for name in _READ_AHEAD:
        meta.get(name)


_READ_AHEAD = ("cited_counts", "json", "pages")
"""What ``update``, ``briefing.json`` and the plan of pages read of ``meta``."""


def _publish(result: Update, options: BuildOptions, store: Store, memo: Memo, diagnostics: Diagnostics,
             progress: Progress, *, key: str | None, last: fingerprint.Record | None, started: float,
             own_out: bool = False, helper: prefetch.Helper | None = None,
             templates_ahead: parallel.Pending[object] | None = None) -> BuildResult:
    """The second half of :func:`build`: the resolved site rendered into a
    staging folder and swapped in, or nothing written if rendering finds errors.
    ``key`` is the build's fingerprint, remembered once the site is in place;
    ``last`` the record of the last build into the output folder."""
    site = result.site
    # Read the previous edition's data before anything is written over it.
    where = options.previous if options.previous is not None else options.out_dir
    changes, previous = _changes(site, where, options.drafts, diagnostics)
    meta = store.table("meta")
    entries = changed_entries(result.changed, site)
    # The helper's look at the site (see generator.prefetch): its manifest, then
    # which of its files are not as the last build left them (a stat of each:
    # 10,600 of them took 80 ms, on the other core while this process read
    # what changed).
    manifest = helper.manifest(options.out_dir) if helper is not None else None
    text = helper.marker_text(last) if helper is not None and manifest is not None else None
    with output.Staging(options.out_dir, spare=_as_identity(meta.get("spare")), current=manifest,
                        current_text=text) as staging:
        early = _json_early(site, options, store, entries, staging, last, own_out)
        altered = helper.altered(last, fingerprint.record_mark(meta.previous.get("record"))) \
            if helper is not None and manifest is not None and last is not None else None
        reusable, record = fingerprint.intact(options.out_dir, staging.previous, last, trusted=own_out,
                                              altered=altered)
        if last is not None:  # without a record (a lost state), the site's manifest is all there is
            staging.distrust(rel for rel in staging.previous if rel not in reusable)
        files = render_site(site, options, diagnostics, changes=changes, store=store, memo=memo,
                            entries=entries, reusable=reusable, progress=progress, sink=staging,
                            briefing_json=early, templates_ahead=templates_ahead)
        if previous is not None:
            files[changes_mod.PREVIOUS] = staging.put_stream(changes_mod.PREVIOUS, json_pieces(previous))
        one_file = _single_file(site, options, diagnostics, changes) if options.single_file is not None else ""
        if diagnostics.has_errors():
            raise ContentError(diagnostics.sorted())
        warnings = diagnostics.sorted()
        progress("writing files", 0, files.count("written"))  # an edit's: a few; the others are linked

        def remember() -> None:
            meta["spare"] = staging.spare  # the next build may reuse it, and no other
            if key is not None:
                done = fingerprint.record(options.out_dir, key, [_as_data(d) for d in warnings],
                                          files.written(), record)
                meta["record"] = done.packed() if done is not None else None
            store.commit()

        written = staging.commit(files, then=remember)
    if options.single_file is not None:
        from generator import single

        single.write_file(options.single_file, one_file.encode("utf-8"))
    return BuildResult(
        out=options.out_dir,
        pages=_pages(files),
        files=len(files),
        written=written.written,
        kept=written.kept,
        removed=written.removed,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        reused=files.count("reused"),
        unbuilt=files.count("unbuilt"),
    )


def _fingerprint(options: BuildOptions, known: fingerprint.Known | None, changed: Collection[str] | None,
                 cold: bool = False) -> fingerprint.Inputs | fingerprint.Listed | None:
    """The hash of everything this build is made from (``known``: the hashes an
    earlier build remembered; ``changed``: see :func:`build`), or None when the
    output also depends on something outside it (``--previous``, ``--single-file``).
    With nothing remembered (no ``known``, and ``cold``: no record of a build
    into the output), the inputs listed only: the update hashes what it reads."""
    if options.previous is not None or options.single_file is not None:
        return None
    if known is None and cold:
        return fingerprint.listed(options.root, builtin_templates(), _fingerprinted(options))
    return fingerprint.inputs(options.root, builtin_templates(), _fingerprinted(options), known, changed)


def _every_hash(found: fingerprint.Inputs | None, meta: Table) -> Callable[[], dict[str, str]] | None:
    """When ``found`` has the hashes of the files looked at again only (see
    ``Inputs.looked_again``): how to have them all, which only a whole read
    of the briefing needs."""
    if found is None or not found.partial:
        return None
    return lambda: fingerprint.every_hash(found, fingerprint.Known.unpacked(meta.get("inputs")))


def _fingerprinted(options: BuildOptions) -> dict[str, object]:
    """The options a build's fingerprint covers (see ``fingerprint.covered``)."""
    return fingerprint.covered(drafts=options.drafts, base_url=options.base_url, noindex=options.noindex,
                               search=options.search, report=options.report)


def _as_identity(value: object) -> output.Identity | None:
    """A spare's identity as the state holds it, if it has that shape."""
    if isinstance(value, tuple) and len(value) == 2 and all(type(v) is int for v in value):
        return value[0], value[1]
    return None


def _reused(options: BuildOptions, known: fingerprint.Recalled, started: float) -> BuildResult:
    """The result of a build whose inputs are those of the site already in place:
    nothing is read, rendered or written (its warnings are repeated)."""
    files = [rel for rel in known.files if rel != output.MARKER]
    pages = _pages(files)
    return BuildResult(out=options.out_dir, pages=pages, files=len(files), written=0, kept=len(files), removed=0,
                       seconds=time.perf_counter() - started, warnings=tuple(_from_data(w) for w in known.warnings),
                       reused=pages)


def _pages(files: Iterable[str]) -> int:
    """How many of the site ``files`` are pages: HTML or XML outside ``assets/``,
    the feed and the sitemap included, as the pages reused are."""
    if isinstance(files, output.SiteFiles):
        return files.pages(_is_page)
    return sum(1 for rel in files if _is_page(rel))


def _is_page(rel: str) -> bool:
    return rel.endswith((".html", ".xml")) and not rel.startswith("assets/")


def _as_data(d: Diagnostic) -> dict[str, object]:
    return {"path": d.location.path, "line": d.location.line, "column": d.location.column,
            "severity": d.severity, "message": d.message}


def _from_data(data: dict[str, Any]) -> Diagnostic:
    where = Location(str(data.get("path", "")), int(data.get("line", 0)), int(data.get("column", 0)))
    return Diagnostic(where, "error" if data.get("severity") == "error" else "warning", str(data.get("message", "")))


class PreviewBuilder:
    """The build the live preview runs after each save: into the folder it is
    given, without the search index, keeping the build state and the memo in
    memory (see :mod:`generator.store`), the replaced site among it (see
    :mod:`generator.output`). A call raises like :func:`build`."""

    def __init__(self, options: BuildOptions, own_out: bool = False) -> None:
        """``own_out``: the folders it is given are its own, written by nothing
        else (the server's temporary folder; see ``build``)."""
        self._options = dataclasses.replace(options, search=False)
        self._own = own_out
        self._store = Store.in_memory()
        self._memo = Memo()
        self._out: Path | None = None
        self._pending: set[str] | None = None
        """What the watcher reported since the last good build; None: unknown."""

    def __call__(self, out: Path, changed: Collection[str] | None = None) -> list[Diagnostic]:
        """Build into ``out``. ``changed``: the paths the watcher reported since the
        last call, which spares looking at every other file (see ``fingerprint.inputs``);
        None (the first build, say) looks at all of them."""
        if out != self._out:  # the state describes the site in one folder
            self._store, self._out, self._pending = Store.in_memory(), out, None
        # A failed build keeps nothing, so what changed before it is looked at again.
        pending = None if changed is None or self._pending is None else self._pending | set(changed)
        self._pending = pending
        result = build(dataclasses.replace(self._options, out=out), self._store, memo=self._memo, changed=pending,
                       own_out=self._own)
        self._pending = set()
        return list(result.warnings)


def preview_builder(options: BuildOptions, own_out: bool = False) -> PreviewBuilder:
    """The live preview's builder for ``options`` (see :class:`PreviewBuilder`)."""
    return PreviewBuilder(options, own_out)


def check(options: BuildOptions) -> list[Diagnostic]:
    """Validate the briefing completely (templates included) without writing
    anything; returns every error and warning, in file order."""
    return check_health(options)[0]


def check_health(options: BuildOptions) -> tuple[list[Diagnostic], list[health.Finding]]:
    """:func:`check`, and the health findings (empty when the briefing has errors)."""
    from generator import health
    diagnostics = Diagnostics()
    site = load_site(options, diagnostics)
    if site is None or diagnostics.has_errors():
        return diagnostics.sorted(), []
    render_site(site, options, diagnostics, changes=Changes())
    if options.single_file is not None:
        _single_file(site, options, diagnostics, Changes())
    return diagnostics.sorted(), health.findings(site) if not diagnostics.has_errors() else []


def load_site(options: BuildOptions, diagnostics: Diagnostics) -> Site | None:
    """Read, model and resolve the briefing from scratch (nothing is kept): the
    resolved :class:`Site`, meaningful only when no error was reported."""
    result = update(options.paths, Store.in_memory(), None, diagnostics, drafts=options.drafts, jobs=options.jobs)
    return None if result is None else result.site


@contextlib.contextmanager
def _long_lived() -> Iterator[Callable[[], None]]:
    """Python's cycle collector, paused while the site's objects are made, then
    told they live as long as the build (call the function given).

    They are millions on a large briefing and hardly ever cyclic, yet every full
    collection walked them all again: 3.9 s of a 10,000-article build. Frozen
    once made, they are not walked by later collections, here or in the forked
    workers (where walking them would also copy the parent's memory). Afterwards
    they are ordinary objects again: the live preview builds many times."""
    enabled = gc.isenabled()
    gc.disable()

    def made() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield made
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def render_site(site: Site, options: BuildOptions, diagnostics: Diagnostics, changes: Changes | None = None,
                store: Store | None = None, memo: Memo | None = None, entries: set[Entry] | None = None,
                reusable: Mapping[str, str] | None = None, progress: Progress = no_progress,
                sink: output.Sink | None = None, briefing_json: JsonLater | None = None,
                templates_ahead: parallel.Pending[object] | None = None) -> output.SiteFiles:
    """Make every file of the site and put it into ``sink`` (by default nowhere);
    return where each went, by site path. Only the pages that read the view
    ``entries`` that changed (None: everything, a cold build) are made again
    (see :mod:`generator.pages`); the others are kept from the current site
    (``reusable``: its intact files, path -> digest), and ``store`` learns what
    each page was made from. ``changes`` adds the "What's new" page;
    ``options.report`` the health report. ``briefing_json``: that file, being
    written already (see :func:`_json_early`). ``templates_ahead``: the
    templates prepared by a child (see :func:`_templates_ahead`)."""
    store = store if store is not None else Store.in_memory()
    memo = memo if memo is not None else Memo()
    sink = sink if sink is not None else output.Discard()
    base_url = _base_url(site, options, diagnostics)
    templates = render.TemplateSet(options.paths.templates, builtin_templates())
    env = render.environment(templates, cache=user_cache() / "templates")
    report = None
    if options.report:
        from generator import health

        report = (health.findings(site), health.CHECKS)
    site_pages = context.SitePages(site, base_url=base_url, noindex=options.noindex, changes=changes, report=report,
                                   memo=memo)
    keys = render.template_keys(env, memo, store.table("meta"),
                                offered=templates_ahead.wait() if templates_ahead is not None else None)
    plan = pages.plan(site_pages, entries, store, keys, reusable or {})
    meta = store.table("meta")

    def made_json(later: bool) -> JsonLater:
        return _briefing_json(site, options, entries, _old_json(store, entries, reusable or {}), sink, later=later)

    # briefing.json is made from the site alone. A small build has a thread write
    # it (mostly copied from the current one) while the pages are rendered; one
    # that renders on forked workers, which a running thread makes unsafe, has a
    # forked child make it while the pages' reads are recorded (3 s each at
    # 10,000 articles). One being written already is finished before any fork.
    forks = render.forks(plan.make, options.jobs)
    later: output.Later | None
    if briefing_json is not None:
        later, json_map = briefing_json
        if forks:
            later.wait()
    else:
        later, json_map = (None, None) if forks else made_json(later=True)
    renderer = render.Renderer(env, site_pages, options.root, sink)
    made = render.render_pages(renderer, plan.make, diagnostics, jobs=options.jobs, memo=memo,
                               progress=lambda done, total: progress("rendering pages", done, total))
    files = sink.keep(plan.keep)
    for r in made:
        if r.placed is not None:
            files[r.path] = r.placed
    if later is None:
        with parallel.fork_call(lambda: _placed(*made_json(later=False))) as child:
            pages.remember(store, site_pages, keys, plan, made)
            store.write_ahead(pages.TABLES)  # a cold build's: written while it goes on
            if isinstance(sink, output.Staging):
                sink.link_spare_ahead(r.path for r in made)  # a first site's, while the child works
            files[_JSON], json_map = child.wait()
    else:
        pages.remember(store, site_pages, keys, plan, made)
        files[_JSON] = later.wait()
    if json_map is not None:
        meta["json"] = json_map
    for path, source in templates.assets():
        files[path] = sink.put(path, source.read_bytes())
    if options.search and isinstance(sink, output.Staging):
        from generator import search

        progress("indexing for search", 0, len(files))
        sink.prune(files)  # the recycled tree's pages this site no longer has
        for path, content in search.index_site(sink.path, diagnostics).items():
            files[path] = sink.put(path, content)
    _add_static(options.paths, files, diagnostics, sink)
    return files


PackedMap = tuple[str, int, bytes, bytes]
"""Where the parts of ``briefing.json`` are, as the state keeps it (``PartMap.packed``)."""

JsonLater = tuple[output.Later, PackedMap | None]
"""``briefing.json`` being written (see ``Staging.put_parts_later``), and where its parts are."""

_EARLY_JSON_PARTS = 1_000
"""The most changed parts of ``briefing.json`` that :func:`_json_early` makes in
the build's own thread; more are made by a forked child, if the pages are."""


def _placed(later: output.Later, json_map: PackedMap | None) -> tuple[output.Placed, PackedMap | None]:
    return later.wait(), json_map


def _json_early(site: Site, options: BuildOptions, store: Store, entries: set[Entry] | None,
                staging: output.Staging, last: fingerprint.Record | None, own_out: bool) -> JsonLater | None:
    """``briefing.json`` started at once, written by a thread while the build
    waits for the stat of each of the site's files and plans and renders its
    pages: when this is an edit that changed a few of its parts, and the current
    file is the one the state describes (one stat tells). None otherwise:
    :func:`render_site` then makes it once it knows whether the pages are
    rendered on forked workers."""
    if entries is None or len(json_changes(entries)) > _EARLY_JSON_PARTS:
        return None
    digest = staging.previous.get(_JSON)
    if digest is None or not fingerprint.intact(options.out_dir, {_JSON: digest}, last, trusted=own_out)[0]:
        return None
    old = _old_json(store, entries, {_JSON: digest})
    return None if old is None else _briefing_json(site, options, entries, old, staging, later=True)


_JSON = "data/briefing.json"


def _old_json(store: Store, entries: set[Entry] | None, reusable: Mapping[str, str]) -> PartMap | None:
    """Where the parts of the current site's ``briefing.json`` are, when the
    state describes that very file (see ``data.Splice``) and this is not a cold build."""
    old = None if entries is None else PartMap.unpacked(store.table("meta").get("json"))
    return old if old is not None and reusable.get(_JSON) == old.digest else None


def _briefing_json(site: Site, options: BuildOptions, entries: set[Entry] | None, old: PartMap | None,
                   sink: output.Sink, *, later: bool) -> JsonLater:
    """``data/briefing.json``, its unchanged parts copied from the current site's
    file that ``old`` describes (see ``data.Splice``); written by a thread if
    ``later`` (see ``Staging.put_parts_later``). And where its parts are, for
    the state to keep (``PartMap.packed``)."""
    splice = Splice(site, drafts=options.drafts, old=old,
                    changed=json_changes(entries) if entries is not None else None)

    def digest() -> str:  # known once the parts are made
        return splice.map.digest if splice.map else ""

    if later:
        placed = sink.put_parts_later(_JSON, splice, digest)
    else:
        done = sink.put_parts(_JSON, splice, digest)
        placed = output.Later(None, lambda: done)
    return placed, splice.map.packed() if splice.map is not None else None


# ---------------------------------------------------------------- publishing

def _changes(site: Site, where: Path, drafts: bool,
             diagnostics: Diagnostics) -> tuple[Changes, dict[str, Any] | None]:
    """What changed since the previous edition found at ``where`` (a pure read), and
    that edition's data, which the new site carries along (``data/previous.json``)."""
    baseline = changes_mod.read_baseline(where, site.briefing.as_of.isoformat(), drafts=drafts)
    problems: list[str] = []
    if baseline.data is None:
        found = Changes()
    else:
        # Only with a baseline: the comparison reads every source, actor and claim.
        found, problems = changes_mod.compare(baseline.data, briefing_data(site, drafts=drafts))
    for problem in (*baseline.problems, *problems):
        diagnostics.warning(Location(str(changes_mod.previous_files(where)[0])), problem)
    return found, dict(baseline.data) if baseline.data is not None else None


def _single_file(site: Site, options: BuildOptions, diagnostics: Diagnostics, changes: Changes) -> str:
    from generator import single

    templates = render.TemplateSet(options.paths.templates, builtin_templates())
    return single.render_single(site, templates, options.root, diagnostics,
                                base_url=_base_url(site, options, Diagnostics()), noindex=options.noindex,
                                changes=changes)


def _base_url(site: Site, options: BuildOptions, diagnostics: Diagnostics) -> str:
    if options.base_url is None:
        return site.briefing.base_url
    problem = url_problem(options.base_url)
    if problem:
        diagnostics.error(Location("--base-url"), problem)
        return ""
    return options.base_url.strip()


def _add_static(paths: BriefingPaths, files: output.SiteFiles, diagnostics: Diagnostics,
                sink: output.Sink) -> None:
    """Copy ``content/static/`` verbatim; it may not replace a generated file."""
    base = paths.static
    if not base.is_dir():
        return
    root = paths.root.resolve()
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base).as_posix()
        where = Location(paths.rel(path))
        if any(part.startswith(".") for part in Path(rel).parts) or path.is_dir():
            continue
        if not path.resolve().is_relative_to(root):
            diagnostics.error(where, "links outside the briefing folder; copy the file in instead")
            continue
        if rel in files or rel == output.MARKER:
            diagnostics.error(where, f"would replace the generated file {rel}; rename or remove it")
            continue
        files[rel] = sink.put(rel, path.read_bytes())
