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


# ---------------------------------------------------------------- the record of the last build
#
# Kept in ROOT/.briefing-cache/, never in the site: its warnings may name drafts.

CACHE_DIR = ".briefing-cache"


def _record_path(root: Path, out: Path) -> Path:
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return root / CACHE_DIR / f"build-{name}.json"


def _stats(out: Path) -> dict[str, list[int]] | None:
    """Size and mtime of every file of the site in ``out``, or None if it has none."""
    if not out.is_dir():
        return None
    found = {rel: [path.stat().st_size, path.stat().st_mtime_ns] for rel, path in _files(out)}
    return found or None


def remember(root: Path, out: Path, key: str, warnings: list[dict[str, object]]) -> None:
    """Record that the site now in ``out`` was built from ``key``, with ``warnings``.
    A briefing folder that cannot be written to simply gets no record."""
    stats = _stats(out)
    if stats is None:
        return
    path = _record_path(root, out)
    try:
        path.parent.mkdir(exist_ok=True)
        temp = path.with_suffix(f".tmp-{os.getpid()}")
        temp.write_text(json.dumps({"inputs": key, "files": stats, "warnings": warnings}), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        return


def recall(root: Path, out: Path, key: str) -> list[dict[str, object]] | None:
    """The warnings of the last build into ``out`` when it was made from ``key`` and
    its files are still exactly as written (size and mtime); None otherwise."""
    try:
        data = json.loads(_record_path(root, out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != key:
        return None
    try:
        if _stats(out) != data.get("files"):
            return None
    except OSError:
        return None
    warnings = data.get("warnings")
    return [w for w in warnings if isinstance(w, dict)] if isinstance(warnings, list) else []
