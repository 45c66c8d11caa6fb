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

Hashing every input of a large briefing costs more than the rest of a no-change
rebuild, so each file's hash is remembered with its size, modification time and
inode (``inputs.json``), as git's index does. A remembered hash is used only for
a file whose stat is unchanged *and* whose modification time is more than a
second older than when the hash was taken: a file saved again within the same
clock tick as its hashing (same size, same time) is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator import __version__


@dataclass(frozen=True, slots=True)
class Inputs:
    """The fingerprint of a build, and the SHA-256 of each input file by path."""

    key: str
    hashes: Mapping[str, str]


def inputs(root: Path, builtin_templates: Path, options: Mapping[str, object]) -> Inputs | None:
    """The fingerprint of a build of ``root`` with ``options`` (JSON-able values);
    None when some input cannot be read (the build then reports it properly)."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"version": __version__, **options}, sort_keys=True, default=str).encode())
    code = Path(__file__).resolve().parent
    folders = [("content", root / "content"), ("seeds", root / "seeds"), ("templates", root / "templates"),
               ("builtin", builtin_templates), ("code", code)]
    known = _known_hashes(root)
    seen: dict[str, list[int | str]] = {}
    try:
        for label, folder in folders:
            for rel, path in _files(folder):
                if label == "code" and not rel.endswith(".py"):
                    continue
                name = f"{label}/{rel}"
                digest.update(f"\0{name}\0".encode())
                seen[path] = entry = _hash(path, known.get(path))
                digest.update(bytes.fromhex(str(entry[-1])))
    except OSError:
        return None
    if seen != known:
        _write_json(_hashes_path(root), seen)
    return Inputs(digest.hexdigest(), {path: str(entry[-1]) for path, entry in seen.items()})


_TRUST_AFTER_NS = 1_000_000_000


def _hash(path: str, known: list[int | str] | None) -> list[int | str]:
    """[size, mtime_ns, inode, hashed-at, sha256] of a file, reusing ``known`` when
    its stat is unchanged and the file was already a second old when it was hashed."""
    st = os.stat(path)
    if (known is not None and len(known) == 5 and known[:3] == [st.st_size, st.st_mtime_ns, st.st_ino]
            and isinstance(known[3], int) and st.st_mtime_ns < known[3] - _TRUST_AFTER_NS):
        return known
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return [st.st_size, st.st_mtime_ns, st.st_ino, time.time_ns(), sha]


def _hashes_path(root: Path) -> Path:
    return root / CACHE_DIR / "inputs.json"


def _known_hashes(root: Path) -> dict[str, list[int | str]]:
    try:
        data = json.loads(_hashes_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: object) -> None:
    """Replace ``path`` with ``data``; a folder that cannot be written to gets nothing."""
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(exist_ok=True)
        temp.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)


def _files(folder: Path) -> Iterator[tuple[str, str]]:
    """Every file below ``folder`` as (relative POSIX path, path), in a stable order;
    links to folders are not followed (a loop must not hang the build). Plain
    strings and ``os.scandir``: pathlib's per-call cost showed at 20,000 files."""
    base = os.fspath(folder)
    if not os.path.isdir(base):
        return
    todo = [""]
    while todo:
        here = todo.pop()
        try:
            entries = sorted(os.scandir(os.path.join(base, here) if here else base), key=lambda e: e.name)
        except OSError:
            continue  # as os.walk does: an unreadable folder is skipped
        folders = []
        for entry in entries:
            rel = f"{here}/{entry.name}" if here else entry.name
            if entry.is_dir():
                if not entry.is_symlink() and entry.name != "__pycache__":
                    folders.append(rel)
            else:
                yield rel, entry.path
        todo.extend(reversed(folders))


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
    found = {}
    for rel, path in _files(out):
        st = os.stat(path)
        found[rel] = [st.st_size, st.st_mtime_ns]
    return found or None


def remember(root: Path, out: Path, key: str, warnings: list[dict[str, object]]) -> None:
    """Record that the site now in ``out`` was built from ``key``, with ``warnings``.
    A briefing folder that cannot be written to simply gets no record."""
    stats = _stats(out)
    if stats is None:
        return
    _forget_gone(root)
    _write_json(_record_path(root, out), {"out": str(out.resolve()), "inputs": key, "files": stats,
                                          "warnings": warnings})


def _forget_gone(root: Path) -> None:
    """Delete the records of outputs that no longer exist (the live preview's
    private folders, say), so the cache does not grow with every session."""
    for record in (root / CACHE_DIR).glob("build-*.json"):
        try:
            out = json.loads(record.read_text(encoding="utf-8")).get("out")
            if isinstance(out, str) and not Path(out).is_dir():
                record.unlink()
        except (OSError, ValueError, AttributeError):
            continue


def intact(root: Path, out: Path, written: Mapping[str, str]) -> dict[str, str]:
    """Of the site files ``written`` (path -> SHA-256, the site's own manifest),
    those still exactly as the last recorded build left them (size and mtime)."""
    try:
        data = json.loads(_record_path(root, out).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    found: dict[str, str] = {}
    for rel, sha in written.items():
        try:
            st = (out / rel).stat()
        except OSError:
            continue
        if files.get(rel) == [st.st_size, st.st_mtime_ns]:
            found[rel] = sha
    return found


@dataclass(frozen=True, slots=True)
class Recalled:
    """The last build into an output folder, still in place."""

    warnings: list[dict[str, object]]
    files: list[str]
    """Its files (site paths)."""


def recall(root: Path, out: Path, key: str) -> Recalled | None:
    """The last build into ``out`` when it was made from ``key`` and its files are
    still exactly as written (size and mtime); None otherwise."""
    try:
        data = json.loads(_record_path(root, out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("inputs") != key:
        return None
    try:
        stats = _stats(out)
    except OSError:
        return None
    if stats is None or stats != data.get("files"):
        return None
    warnings = data.get("warnings")
    return Recalled([w for w in warnings if isinstance(w, dict)] if isinstance(warnings, list) else [],
                    sorted(stats))
