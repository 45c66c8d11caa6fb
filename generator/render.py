"""The render stage: (template, context) -> text, with Jinja2.

The environment autoescapes every template, is strict about undefined names (a
typo in a user's template is an error with its line, not an empty string), and
looks up templates first in the briefing's own ``templates/`` folder, then in
the built-in ones, so a user overrides a template by giving a file its name.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.context import Page, PageKey, SitePages
from generator.errors import Diagnostic, Diagnostics, Location
from generator.parallel import fork_map


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or the checkout's
    top-level ``templates/`` when running from source (editable install)."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


@dataclass(frozen=True, slots=True)
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


def environment(templates: TemplateSet, cache: Path | None = None) -> jinja2.Environment:
    """A Jinja2 environment for these templates: autoescaped, strict. With a
    ``cache`` folder, compiled templates are kept there between builds; Jinja keys
    them by each template's source checksum, so a changed template is recompiled."""
    bytecode = None
    if cache is not None:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            bytecode = jinja2.FileSystemBytecodeCache(str(cache))
        except OSError:
            bytecode = None  # a read-only briefing folder: compile every time
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in templates.folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=bytecode,
    )


# Below this many pages a pool costs more than it saves.
PARALLEL_MIN_PAGES = 400
_CHUNK = 32

RenderResult = tuple[str, str, bytes | None, Diagnostic | None]
"""(page path, template, bytes or None, the error if rendering failed)."""


@dataclass(frozen=True, slots=True)
class Renderer:
    """Everything needed to render any page of one site: a pure function of the
    page key, so it can run in any process."""

    env: jinja2.Environment
    pages: SitePages
    root: Path

    def render(self, key: PageKey) -> RenderResult:
        return _render(self.env, self.pages.page(key), self.root)


def render_page(env: jinja2.Environment, page: Page, root: Path, diagnostics: Diagnostics) -> str:
    """Render one page outside a site's plan (the one-file export); "" on a
    template error, which is reported."""
    _path, _template, data, error = _render(env, page, root)
    if error is not None:
        diagnostics.items.append(error)
    return data.decode("utf-8") if data is not None else ""


def _render(env: jinja2.Environment, page: Page, root: Path) -> RenderResult:
    try:
        text = env.get_template(page.template).render(page.context)
    except jinja2.TemplateError as exc:
        message = f"template error while rendering {page.path}: {exc.message or exc}"
        return page.path, page.template, None, _error(exc, page.template, root, message)
    except Exception as exc:
        # Templates are code the editor may write; whatever they raise is a
        # mistake in that template, reported with its line like any other.
        message = f"template error while rendering {page.path}: {type(exc).__name__}: {exc}"
        return page.path, page.template, None, _error(exc, page.template, root, message)
    return page.path, page.template, text.encode("utf-8"), None


def render_pages(renderer: Renderer, diagnostics: Diagnostics, *, jobs: int = 1) -> dict[str, bytes]:
    """Render every page, across ``jobs`` processes for large sites. The result
    does not depend on ``jobs``. A template error is reported once per template,
    with its file and line, and its pages are left out."""
    keys = renderer.pages.plan()
    failed: set[str] = set()
    out: dict[str, bytes] = {}
    for path, template, data, error in _results(renderer, keys, jobs):
        if error is not None:
            if template not in failed:
                diagnostics.items.append(error)
            failed.add(template)
        elif data is not None:
            out[path] = data
    return out


def _results(renderer: Renderer, keys: list[PageKey], jobs: int) -> Iterator[RenderResult]:
    if jobs > 1 and len(keys) >= PARALLEL_MIN_PAGES:
        for name in {renderer.pages.page(k).template for k in keys[:8]}:
            renderer.env.get_template(name)  # compile once, before the workers fork
    return fork_map(renderer.render, keys, jobs=jobs, chunksize=_CHUNK, min_items=PARALLEL_MIN_PAGES)


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
