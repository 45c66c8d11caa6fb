"""The render stage: (template, context) -> text, with Jinja2.

The environment autoescapes every template, is strict about undefined names (a
typo in a user's template is an error with its line, not an empty string), and
looks up templates first in the briefing's own ``templates/`` folder, then in
the built-in ones, so a user overrides a template by giving a file its name.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.context import Page
from generator.errors import Diagnostics, Location


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


def environment(templates: TemplateSet) -> jinja2.Environment:
    """A Jinja2 environment for these templates: autoescaped, strict, cached."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in templates.folders]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def render_pages(env: jinja2.Environment, pages: Iterable[Page], root: Path,
                 diagnostics: Diagnostics) -> dict[str, str]:
    """Render every page; a template error is reported once per template, with
    its file and line, and the page is left out."""
    out: dict[str, str] = {}
    failed: set[str] = set()
    for page in pages:
        if page.template in failed:
            continue
        try:
            out[page.path] = env.get_template(page.template).render(page.context)
        except jinja2.TemplateError as exc:
            failed.add(page.template)
            diagnostics.error(_template_location(exc, page.template, root),
                              f"template error while rendering {page.path}: {exc.message or exc}")
        except Exception as exc:  # noqa: BLE001
            # Templates are code the editor may write; whatever they raise is a
            # mistake in that template, reported with its line like any other.
            failed.add(page.template)
            diagnostics.error(_template_location(exc, page.template, root),
                              f"template error while rendering {page.path}: {type(exc).__name__}: {exc}")
    return out


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
