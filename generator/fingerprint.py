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
a file whose stat is unchanged *and* whose modification time was more than a
second older than when the hash was taken: a file saved again within the same
clock tick as its hashing (same size, same time) is hashed again. The table is
written again only when many entries changed: the few files of an edit are
simply hashed again by the next build too.
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
    code = Path(__file__).resolve().parent
    folders = [("content", root / "content"), ("seeds", root / "seeds"), ("templates", root / "templates"),
               ("builtin", builtin_templates), ("code", code)]
    known = _known_hashes(root)
    seen: dict[str, str] = {}
    named: list[str] = [json.dumps({"version": __version__, **options}, sort_keys=True, default=str)]
    hashed = 0
    try:
        for label, folder in folders:
            for rel, path in _files(folder):
                if label == "code" and not rel.endswith(".py"):
                    continue
                entry = _hash(path, known.get(path))
                if entry is not known.get(path):
                    hashed += 1
                seen[path] = entry
                named.append(f"{label}/{rel}\0{entry[-64:]}")
    except OSError:
        return None
    # A few files hashed again (an edit) are hashed again next time too, which
    # costs less than writing the whole table (20,000 entries) on every edit.
    if hashed > _REWRITE_AFTER or seen.keys() != known.keys():
        _write_json(_hashes_path(root), seen)
    key = hashlib.sha256("\0".join(named).encode()).hexdigest()
    return Inputs(key, {path: entry[-64:] for path, entry in seen.items()})


_TRUST_AFTER_NS = 1_000_000_000
_REWRITE_AFTER = 64


def _hash(path: str, known: object) -> str:
    """``"size mtime_ns inode trust sha256"`` of a file, reusing ``known`` when its
    stat is unchanged and it was trusted: already a second old when it was hashed
    (``T``; a file hashed in the clock tick it was saved in is ``U``, hashed again)."""
    st = os.stat(path)
    stat = f"{st.st_size} {st.st_mtime_ns} {st.st_ino} T "
    if type(known) is str and known.startswith(stat) and len(known) == len(stat) + 64:
        return known
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    trust = "T" if st.st_mtime_ns < time.time_ns() - _TRUST_AFTER_NS else "U"
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ino} {trust} {sha}"


def _hashes_path(root: Path) -> Path:
    return root / CACHE_DIR / "inputs.json"


def _known_hashes(root: Path) -> dict[str, object]:
    try:
        data = json.loads(_hashes_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    # Kept in the briefing folder, so anything may be in it: an entry of another
    # shape is never used (see _hash).
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


def remember(root: Path, out: Path, key: str, warnings: list[dict[str, object]],
             files: Mapping[str, bool] | None = None, before: Mapping[str, list[int]] | None = None) -> None:
    """Record that the site now in ``out`` was built from ``key``, with ``warnings``.
    With ``files`` (every site path, and whether this build wrote it anew) and
    ``before`` (the record :func:`intact` read), only the files written or not
    in that record are looked at again: the others are the very files (same
    inode, same mtime) the record describes. A briefing folder that cannot be
    written to simply gets no record."""
    stats = _stats(out) if files is None or before is None else _restat(out, files, before)
    if stats is None:
        return
    _forget_gone(root)
    _write_json(_record_path(root, out), {"out": str(out.resolve()), "inputs": key, "files": stats,
                                          "warnings": warnings})


def _restat(out: Path, files: Mapping[str, bool], before: Mapping[str, list[int]]) -> dict[str, list[int]] | None:
    base = os.fspath(out)
    found: dict[str, list[int]] = {}
    try:
        for rel in sorted([*files, MARKER]):
            known = before.get(rel)
            if known is not None and not files.get(rel, True):
                found[rel] = known
                continue
            st = os.stat(f"{base}/{rel}")
            found[rel] = [st.st_size, st.st_mtime_ns]
    except OSError:
        return None
    return found


MARKER = ".briefing-site"
"""The site's own manifest (``output.MARKER``), which every build writes."""


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


def intact(root: Path, out: Path, written: Mapping[str, str]) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Of the site files ``written`` (path -> SHA-256, the site's own manifest),
    those still exactly as the last recorded build left them (size and mtime);
    and that record's entries for them."""
    try:
        data = json.loads(_record_path(root, out).read_text(encoding="utf-8"))
        files = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}, {}
    if not isinstance(files, dict):
        return {}, {}
    base = os.fspath(out)
    found: dict[str, str] = {}
    record: dict[str, list[int]] = {}
    for rel, sha in written.items():
        try:
            st = os.stat(f"{base}/{rel}")
        except OSError:
            continue
        entry = [st.st_size, st.st_mtime_ns]
        if files.get(rel) == entry:
            found[rel] = sha
            record[rel] = entry
    return found, record


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
