"""One hash of everything a build is made from.

If two builds have the same fingerprint, they produce the same site, byte for
byte. The fingerprint covers the contents of every file under ``content/``,
``seeds/`` and the briefing's ``templates/``, the built-in templates, the
generator's own source code (so an upgrade or a local change to the code
rebuilds), and every option that changes the output. It is computed from file
contents, not modification times, so a stale site is impossible by construction.
The build stores the fingerprint beside its output. A rebuild with the same
fingerprint, over an output that still holds every file it wrote, has nothing
to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from generator import __version__


def inputs(root: Path, builtin_templates: Path, options: Mapping[str, object]) -> str | None:
    """The fingerprint of a build of ``root`` with ``options`` (JSON-able values);
    None when some input cannot be read (the build then reports it properly)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": __version__, **options}, sort_keys=True, default=str).encode())
    code = Path(__file__).resolve().parent
    folders = [("content", root / "content"), ("seeds", root / "seeds"), ("templates", root / "templates"),
               ("builtin", builtin_templates), ("code", code)]
    try:
        for label, folder in folders:
            for rel, path in _files(folder):
                if label == "code" and not rel.endswith(".py"):
                    continue
                digest.update(f"\0{label}/{rel}\0".encode())
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return digest.hexdigest()


def _files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file below ``folder`` as (relative POSIX path, path), in a stable order;
    links to folders are not followed (a loop must not hang the build)."""
    if not folder.is_dir():
        return
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            path = Path(top) / name
            yield path.relative_to(folder).as_posix(), path
