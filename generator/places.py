"""Where the generator's own files are, found without importing what uses them."""

from __future__ import annotations

from pathlib import Path


def builtin_templates() -> Path:
    """The built-in templates: inside the installed package, or the checkout's
    top-level ``templates/`` when running from source (editable install)."""
    here = Path(__file__).resolve().parent
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"
