"""The render stage: (template, context) -> text, with Jinja2.

The environment autoescapes every template, is strict about undefined names (a
typo in a user's template is an error with its line, not an empty string), and
looks up templates first in the briefing's own ``templates/`` folder, then in
the built-in ones, so a user overrides a template by giving a file its name.
"""

from __future__ import annotations

import io
import re
import traceback
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import field
from pathlib import Path
from typing import Any, NamedTuple

import jinja2
import jinja2.compiler
import jinja2.meta
import jinja2.nodes
import markupsafe

from generator import parallel
from generator.context import Page, PageKey, SitePages
from generator.errors import Diagnostic, Diagnostics, Location
from generator.frozen import record
from generator.memo import Journal, Memo, digest
from generator.output import Discard, Placed, Sink
from generator.parallel import fork_map
from generator.reads import pack


@record
class TemplateSet:
    """Where templates come from: the briefing's folder first, then the built-ins."""

    user: Path | None
    builtin: Path

    @property
    def folders(self) -> list[Path]:
        return [p for p in (self.user, self.builtin) if p is not None and p.is_dir()]

    def assets(self) -> Iterator[tuple[str, Path]]:
        """(site path, file) of every asset; a user's asset overrides a built-in one."""
        seen: dict[str, Path] = {}
        for folder in reversed(self.folders):
            base = folder / "assets"
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        seen[f"assets/{path.relative_to(base).as_posix()}"] = path
        yield from sorted(seen.items())


# The C function behind MarkupSafe 3's escape(); older versions have none, and
# their templates keep MarkupSafe's own escape.
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)


def _escape(value: object) -> object:
    """Jinja's ``escape`` of an expression's value for output, made without a
    :class:`markupsafe.Markup` around plain text: the same characters.

    A compiled template escapes the value of each ``{{ ... }}`` and joins the
    results (a macro marks its whole result safe), so nothing ever looks at the
    type of one escaped value. MarkupSafe's ``escape`` wraps each one in a
    ``Markup``, which is made by Python code: 18% of rendering a page."""
    assert _escape_inner is not None
    if value.__class__ is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    if html is not None:
        return html()
    return _escape_inner(str(value))


class _Template(jinja2.Template):
    """A template whose output expressions are escaped by :func:`_escape`."""

    @classmethod
    def _from_namespace(cls, environment: jinja2.Environment, namespace: MutableMapping[str, Any],
                        globals: MutableMapping[str, Any]) -> jinja2.Template:
        # The compiled code imported ``escape`` into its namespace; its functions
        # look the name up there when they run.
        if _escape_inner is not None and namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


_LOCAL = re.compile(r"[lt]_\d+_[A-Za-z_][A-Za-z0-9_]*")
"""How the compiled code names a template variable (``l_1_r``)."""


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's compiler, writing ``name.attr`` of a variable as a key lookup in
    the compiled code when the value is a dict with that key, with no call.

    Otherwise each ``{{ r.text }}`` is a call of ``environment.getattr``
    (:class:`_Environment`'s, which looks in a dict first: the same value): 8
    million calls in rendering 10,000 articles. An article's body rendered in
    0.15 ms against 0.19; a cold build's rendering at 10,000 articles took
    0.3 s less (8 pairs). Compiled templates kept by either compiler run the
    same under the other, since both end in ``environment.getattr``, so the
    bytecode cache need not tell them apart. Anything but a plain variable
    (``a.b.c``'s outer lookup, a variable that may be undefined) is compiled
    as Jinja does."""

    def visit_Getattr(self, node: jinja2.nodes.Getattr, frame: jinja2.compiler.Frame) -> None:
        if self.environment.is_async or not isinstance(node.node, jinja2.nodes.Name):
            super().visit_Getattr(node, frame)
            return
        self.write("")  # pending line breaks and indentation go out first
        real, self.stream = self.stream, io.StringIO()
        try:
            self.visit(node.node, frame)
            obj = self.stream.getvalue()
        finally:
            self.stream = real
        if not _LOCAL.fullmatch(obj):
            self.write(f"environment.getattr({obj}, {node.attr!r})")
            return
        key = repr(node.attr)
        self.write(f"({obj}[{key}] if {obj}.__class__ is dict and {key} in {obj} "
                   f"else environment.getattr({obj}, {key}))")


class _Environment(jinja2.Environment):
    """Jinja2, reading ``a.b`` from a context dict by key first.

    Contexts are plain dicts, so Jinja's default (try the attribute ``b`` of the
    dict, fail, then the key) costs a failed attribute lookup on nearly every
    expression: about a sixth of the rendering time. A dict's methods stay
    reachable when it has no key of that name."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._trees: dict[str, jinja2.nodes.Template] = {}

    def getattr(self, obj: object, attribute: str) -> object:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)

    def parse_kept(self, source: str) -> jinja2.nodes.Template:
        """:meth:`parse`, keeping the tree for the template's compilation, which
        then does not parse the source again. A build parses every template
        first to find the templates it names (see :func:`template_keys`); the
        second parse was 0.05 s of the 0.18 s the templates take in a first
        build (the tree is the same whatever the template's name)."""
        tree = self.parse(source)
        self._trees[source] = tree
        return tree

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        # Taken, not copied: compiling may change the tree (Jinja's optimizer).
        tree = self._trees.pop(source, None)
        return tree if tree is not None else super()._parse(source, name, filename)

    template_class = _Template
    code_generator_class = _CodeGenerator


def environment(templates: TemplateSet, cache: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment for these templates: autoescaped, strict. With a
    ``cache`` folder, compiled templates are kept there between builds; Jinja keys
    them by each template's path and source checksum, so a changed template is
    recompiled. Compiled templates are code: the folder must be the user's own
    (``memo.user_cache``), never one inside a briefing that may come from others."""
    bytecode = None
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True, mode=0o700)
            bytecode = jinja2.FileSystemBytecodeCache(str(cache))
        except OSError:
            bytecode = None  # a read-only briefing folder: compile every time
    return _Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in templates.folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode,
    )


def template_keys(env: jinja2.Environment, memo: Memo, saved: MutableMapping[str, object] | None = None,
                  offered: object = None) -> dict[str, bytes]:
    """For each template, a key for its source and the sources of every template it
    extends, imports or includes, transitively (as the loader finds them: a
    briefing's own template first). An edit to ``actor.html`` then re-renders the
    actor pages only. A template that names another one by an expression could
    use any: its key covers them all. (``assets/`` holds files copied as they
    are, not templates.) ``saved`` keeps the keys for the next build, which
    finds them again without parsing any template if no template changed
    (parsing them all took 0.1 s). ``offered``: the entry :func:`prepared`
    made, taken as a saved one is (and saved)."""
    loader = env.loader
    assert loader is not None
    names = [n for n in loader.list_templates() if not n.startswith("assets/")]
    sources = {name: loader.get_source(env, name)[0] for name in names}
    whole = digest(sorted(sources.items()))
    known = saved.get(_KEYS_ENTRY) if saved is not None else None
    for entry in (known, offered):
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == whole and isinstance(entry[1], dict):
            if saved is not None and entry is not known:
                saved[_KEYS_ENTRY] = entry
            found: dict[str, bytes] = entry[1]
            return found
    keys = _keys(env, memo, names, sources)
    if saved is not None:
        saved[_KEYS_ENTRY] = (whole, keys)
    return keys


_KEYS_ENTRY = "template-keys"
"""Where :func:`template_keys` saves the keys, with the digest of the sources they are of."""


def _keys(env: jinja2.Environment, memo: Memo, names: list[str], sources: dict[str, str]) -> dict[str, bytes]:

    def references(name: str) -> tuple[str, ...] | None:
        source = sources[name]
        return memo.get("template-refs", digest(name, source), lambda: _references(env, source))

    def used_by(name: str) -> set[str]:
        used: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in used:
                continue
            used.add(current)
            if current not in sources:
                continue  # a missing template: rendering reports it; its name stays in the key
            found = references(current)
            if found is None:
                return set(names)
            todo.extend(found)
        return used

    return {name: digest(sorted((n, sources.get(n)) for n in used_by(name))) for name in names}


def _references(env: jinja2.Environment, source: str) -> tuple[str, ...] | None:
    """The templates ``source`` names; None if one is named by an expression (or
    the source does not parse: rendering will report that)."""
    try:
        tree = env.parse_kept(source) if isinstance(env, _Environment) else env.parse(source)
        found = list(jinja2.meta.find_referenced_templates(tree))
    except jinja2.TemplateSyntaxError:
        return None
    return None if any(n is None for n in found) else tuple(n for n in found if n is not None)


# Below this many pages a pool costs more than it saves.
PARALLEL_MIN_PAGES = 400
_CHUNK = 32
_PROGRESS_EVERY = 50

class RenderResult(NamedTuple):
    key: PageKey
    path: str
    template: str
    placed: Placed | None
    """The page as put into the site; None on a template error."""
    error: Diagnostic | None
    reads: bytes | None = None
    """What the page read of the site (see :mod:`generator.reads`), packed; None
    for a page that is always built."""
    learned: Journal | None = None
    """What building the page computed and found in the memo (see ``SitePages.learned``)."""


@record
class Renderer:
    """Everything needed to render any page of one site: a pure function of the
    page key, so it can run in any process."""

    env: jinja2.Environment
    pages: SitePages
    root: Path
    sink: Sink = field(default_factory=Discard)
    """Where rendered pages go: the new site's staging folder, or nowhere (``check``)."""

    def render(self, key: PageKey) -> RenderResult:
        """Render one page and put it into ``sink`` (in whichever process runs this)."""
        page, read_set = self.pages.recorded(key)
        text, error = _render(self.env, page, self.root)
        if error is not None:
            return RenderResult(key, page.path, page.template, None, error)
        placed = self.sink.put(page.path, text.encode("utf-8"))
        return RenderResult(key, page.path, page.template, placed, None,
                            None if read_set is None else pack(read_set), self.pages.learned())


def render_page(env: jinja2.Environment, page: Page, root: Path, diagnostics: Diagnostics) -> str:
    """Render one page outside a site's plan (the one-file export); "" on a
    template error, which is reported."""
    text, error = _render(env, page, root)
    if error is not None:
        diagnostics.items.append(error)
    return text


def _render(env: jinja2.Environment, page: Page, root: Path) -> tuple[str, Diagnostic | None]:
    try:
        return env.get_template(page.template).render(page.context), None
    except jinja2.TemplateError as exc:
        message = f"template error while rendering {page.path}: {exc.message or exc}"
        return "", _error(exc, page.template, root, message)
    except Exception as exc:
        # Templates are code the editor may write; whatever they raise is a
        # mistake in that template, reported with its line like any other.
        message = f"template error while rendering {page.path}: {type(exc).__name__}: {exc}"
        return "", _error(exc, page.template, root, message)


def render_pages(renderer: Renderer, keys: Sequence[PageKey], diagnostics: Diagnostics, *, jobs: int = 1,
                 memo: Memo | None = None, progress: Callable[[int, int], None] | None = None
                 ) -> list[RenderResult]:
    """Render the pages of ``keys`` into the renderer's sink, across ``jobs``
    processes for many pages; the result does not depend on ``jobs``. A template
    error is reported once per template, with its file and line, and its pages
    are left out. The ``memo`` learns what the pages computed in the workers.
    ``progress`` is told (pages done, pages) now and then."""
    failed: set[str] = set()
    out: list[RenderResult] = []
    renderer.pages.learned()  # only what pages compute from here on is sent back
    for done, result in enumerate(_results(renderer, list(keys), jobs), 1):
        if memo is not None and result.learned is not None:
            memo.replay(result.learned)
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == len(keys)):
            progress(done, len(keys))
        if result.error is not None:
            if result.template not in failed:
                diagnostics.items.append(result.error)
            failed.add(result.template)
        elif result.placed is not None:
            out.append(result)
    return out


def forks(keys: Sequence[PageKey], jobs: int) -> bool:
    """Whether :func:`render_pages` renders these pages on forked workers."""
    return parallel.forks(len(keys), jobs=jobs, min_items=PARALLEL_MIN_PAGES)


def _results(renderer: Renderer, keys: list[PageKey], jobs: int) -> Iterator[RenderResult]:
    if forks(keys, jobs):
        # Compile every template once, before the workers fork (not each worker
        # on its own).
        compile_all(renderer.env)
    return fork_map(renderer.render, keys, jobs=jobs, chunksize=_CHUNK, min_items=PARALLEL_MIN_PAGES)


def compile_all(env: jinja2.Environment) -> None:
    """Compile (or load from the bytecode cache) every template of ``env``; one
    that does not compile is left for its pages to report."""
    loader = env.loader
    assert loader is not None
    for name in (n for n in loader.list_templates() if not n.startswith("assets/")):
        try:
            env.get_template(name)
        except jinja2.TemplateError:
            continue


def prepared(templates: TemplateSet, cache: Path) -> object:
    """What a first build needs of its templates, worked out ahead of it (by a
    forked child while the build reads and resolves the briefing: see
    ``build``): every template compiled into the bytecode ``cache``, and the
    entry :func:`template_keys` saves, which the build's own call takes only
    while the templates' sources are those it was made from."""
    env = environment(templates, cache=cache)
    saved: dict[str, object] = {}
    template_keys(env, Memo(), saved)
    compile_all(env)
    return saved.get(_KEYS_ENTRY)


def _error(exc: Exception, name: str, root: Path, message: str) -> Diagnostic:
    return Diagnostic(_template_location(exc, name, root), "error", message)


def _template_location(exc: Exception, name: str, root: Path) -> Location:
    """The template file and line an error comes from (Jinja2 maps its frames back
    to template lines; the deepest template frame is the culprit)."""
    filename: str | None = getattr(exc, "filename", None)
    line: int | None = getattr(exc, "lineno", None)
    if line is None:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.endswith((".html", ".xml")):
                filename, line = frame.filename, frame.lineno
                break
    path = _shown(Path(filename), root) if filename else f"templates/{name}"
    return Location(path, line or 1, 1)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return f"(built-in) {path.name}"
