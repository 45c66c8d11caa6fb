"""One hash of everything a build is made from.

If two builds have the same fingerprint, they produce the same site, byte for
byte. The fingerprint covers the contents of every file under ``content/``,
``seeds/`` and the briefing's ``templates/``, the built-in templates, the
generator's own source code (so an upgrade or a local change to the code
rebuilds), and every option that changes the output. It is computed from file
contents, not modification times, so a stale site is impossible by construction.
The build keeps the fingerprint, with the size and mtime of every file it
wrote (a :class:`Record`), in its build state (``generator.store``). A rebuild
with the same fingerprint, over an output that still holds every file it
wrote, has nothing to do.

Hashing every input of a large briefing costs more than the rest of a no-change
rebuild, so each file's hash is remembered with its size, modification time and
inode (in the build state too), as git's index does. A remembered hash is used only for
a file whose stat is unchanged *and* whose modification time was more than a
second older than when the hash was taken: a file saved again within the same
clock tick as its hashing (same size, same time) is hashed again. The table is
written again only when many entries changed: the few files of an edit are
simply hashed again by the next build too.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from generator import __version__, packing


@dataclass(frozen=True, slots=True)
class Inputs:
    """The fingerprint of a build, and the SHA-256 of each input file by path."""

    key: str
    hashes: Mapping[str, str]
    table: dict[str, str] | None = None
    """The hashes to remember for the next build (see :func:`inputs`); None when
    the ones given are still good enough."""
    looked_at: frozenset[str] | None = None
    """The files hashed again (their stat was not the remembered one): every file
    changed since the remembered table was made is among them. None when the
    files and folders are not the same as the table's."""


def covered(*, drafts: bool, base_url: str | None, noindex: bool, search: bool, report: bool) -> dict[str, object]:
    """The options that change a build's output, as :func:`inputs` takes them."""
    return {"drafts": drafts, "base_url": base_url, "noindex": noindex, "search": search, "report": report}


def inputs(root: Path, builtin_templates: Path, options: Mapping[str, object],
           known: Mapping[str, str], changed: Collection[str] | None = None) -> Inputs | None:
    """The fingerprint of a build of ``root`` with ``options`` (JSON-able values),
    reusing the hashes ``known`` from an earlier build (see the module doc);
    None when some input cannot be read (the build then reports it properly).

    ``changed``: the files a watcher saw change since the build that made
    ``known`` (the live preview's), when it knows them. Then only those are
    looked at again, if they are files ``known`` has and still files (an edit);
    anything else (a file or folder that came or went) is a whole pass, as
    without ``changed``. Either way the fingerprint is the same."""
    folders = _input_folders(root, builtin_templates)
    if changed is not None and known:
        found = _inputs_changed(folders, options, known, changed)
        if found is not None:
            return found
    seen: dict[str, str] = {}
    hashed: list[str] = []
    try:
        for label, folder in folders:
            files, subfolders = _walk(folder)
            for path in subfolders:  # an empty folder changes what a build reports, too
                seen[path] = _FOLDER
            code = label == "code"
            for rel, path in files:  # the loop of a no-change build: kept tight
                if code and not rel.endswith(".py"):
                    continue
                was = known.get(path)
                st = os.stat(path)
                head = f"{st.st_size} {st.st_mtime_ns} {st.st_ino} T "  # as _hash makes it
                if was is None or len(was) != len(head) + 64 or not was.startswith(head):
                    was = _hash(path)
                    hashed.append(path)
                seen[path] = was
    except OSError:
        return None
    same = seen.keys() == known.keys()
    # A few files hashed again (an edit) are hashed again next time too, which
    # costs less than writing the whole table (20,000 entries) on every edit;
    # unless the next build is told what changed, and trusts the rest as it is.
    keep = changed is not None or len(hashed) > _REWRITE_AFTER or not same
    return _finish(folders, options, seen, seen if keep else None, frozenset(hashed) if same else None)


def _input_folders(root: Path, builtin_templates: Path) -> list[tuple[str, str]]:
    """(label, path) of each folder a build reads; our own code last."""
    code = Path(__file__).resolve().parent
    return [(label, os.fspath(folder)) for label, folder in (
        ("content", root / "content"), ("seeds", root / "seeds"), ("templates", root / "templates"),
        ("builtin", builtin_templates), ("code", code))]


def _inputs_changed(folders: list[tuple[str, str]], options: Mapping[str, object], known: Mapping[str, str],
                    changed: Collection[str]) -> Inputs | None:
    """:func:`inputs` when only the files ``changed`` may have changed; None when
    one of them is not a file ``known`` already has, or is no longer a file."""
    places = [(os.path.abspath(folder) + os.sep, folder + os.sep) for _, folder in folders]
    seen = dict(known)
    hashed: list[str] = []
    for name in changed:
        name = os.path.abspath(name)
        path = next((mine + name[len(there):] for there, mine in places if name.startswith(there)), None)
        if path is None:
            if any(there.startswith(name + os.sep) for there, _ in places):
                return None  # one of the folders itself (made while serving, say), or above them
            continue  # outside what a build reads
        was = known.get(path)
        if was is None and not os.path.lexists(path):
            continue  # came and went between two looks (an editor's temporary file)
        if was is None or was == _FOLDER or os.path.islink(path) or not os.path.isfile(path):
            return None
        try:
            entry = _hash(path)
        except OSError:
            return None
        if entry[-64:] != was[-64:]:
            hashed.append(path)
        seen[path] = entry
    # Written back every time: the next build trusts these entries without a stat.
    return _finish(folders, options, seen, seen, frozenset(hashed))


def _finish(folders: list[tuple[str, str]], options: Mapping[str, object], seen: dict[str, str],
            table: dict[str, str] | None, looked_at: frozenset[str] | None) -> Inputs:
    """The :class:`Inputs` of the files and folders ``seen`` (path -> entry, in
    the order of a whole pass, folder by folder): the hash of each one's place
    below its folder and its contents."""
    named: list[str] = [json.dumps({"version": __version__, **options}, sort_keys=True, default=str)]
    hashes: dict[str, str] = {}
    at = 0
    label, prefix = folders[0][0], folders[0][1] + os.sep
    start = len(prefix)
    for path, entry in seen.items():
        if not path.startswith(prefix):
            while not path.startswith(prefix) and at + 1 < len(folders):
                at += 1
                label, prefix = folders[at][0], folders[at][1] + os.sep
            start = len(prefix)
        if entry == _FOLDER:
            named.append(f"{label}:{path}")
            continue
        sha = hashes[path] = entry[-64:]
        rel = path[start:] if os.sep == "/" else path[start:].replace(os.sep, "/")
        named.append(f"{label}/{rel}\0{sha}")
    key = hashlib.sha256("\0".join(named).encode()).hexdigest()
    return Inputs(key, hashes, table, looked_at)


_FOLDER = "folder"


_TRUST_AFTER_NS = 1_000_000_000
_REWRITE_AFTER = 64


def _hash(path: str) -> str:
    """``"size mtime_ns inode trust sha256"`` of a file. The trust flag is ``T``
    when the file was already a second old when hashed, ``U`` when it was hashed
    in the clock tick it was saved in: a later build reuses only a ``T`` entry
    whose stat is unchanged (see :func:`inputs`)."""
    st = os.stat(path)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    trust = "T" if st.st_mtime_ns < time.time_ns() - _TRUST_AFTER_NS else "U"
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ino} {trust} {sha}"


def _files(folder: Path | str) -> list[tuple[str, str]]:
    """Every file below ``folder`` as (relative POSIX path, path), in a stable order;
    links to folders are not followed (a loop must not hang the build)."""
    return _walk(folder)[0]


def _walk(folder: Path | str) -> tuple[list[tuple[str, str]], list[str]]:
    """:func:`_files`, and the paths of the folders below ``folder``. Plain strings
    and ``os.scandir``: pathlib's per-call cost showed at 20,000 files."""
    base = os.fspath(folder)
    out: list[tuple[str, str]] = []
    below: list[str] = []
    if not os.path.isdir(base):
        return out, below
    todo = [("", base)]
    while todo:
        here, path = todo.pop()
        try:
            entries = list(os.scandir(path))
        except OSError:
            continue  # as os.walk does: an unreadable folder is skipped
        entries.sort(key=_name)
        prefix = f"{here}/" if here else ""
        folders = []
        for entry in entries:
            if entry.is_dir():
                if entry.name == "__pycache__":
                    continue
                below.append(entry.path)  # links to folders too: not walked, but there
                if not entry.is_symlink():
                    folders.append((prefix + entry.name, entry.path))
            else:
                out.append((prefix + entry.name, entry.path))
        todo.extend(reversed(folders))
    return out, below


_name = operator.attrgetter("name")


# ---------------------------------------------------------------- the record of the last build
#
# Kept in the build state (see ``build``), never in the site: its warnings may name drafts.


class Record(NamedTuple):
    """The last build into an output folder: its fingerprint, the size and mtime
    of every file it left there (``"size mtime_ns"``), and its warnings."""

    key: str
    files: dict[str, str]
    warnings: list[dict[str, object]]

    def packed(self) -> tuple[str, bytes, list[dict[str, object]]]:
        """The record as the build state keeps it (see :mod:`generator.packing`)."""
        return self.key, packing.strings(self.files), self.warnings

    @classmethod
    def unpacked(cls, found: object) -> Record | None:
        if not (isinstance(found, tuple) and len(found) == 3):
            return None
        return cls(found[0], packing.unstrings(found[1]), found[2])


def _stat(path: str) -> str:
    st = os.stat(path)
    return f"{st.st_size} {st.st_mtime_ns}"


def _stats(out: Path) -> dict[str, str] | None:
    """Size and mtime of every file of the site in ``out``, or None if it has none."""
    if not out.is_dir():
        return None
    found = {rel: _stat(path) for rel, path in _files(out)}
    return found or None


def record(out: Path, key: str, warnings: list[dict[str, object]], files: Mapping[str, bool] | None = None,
           before: Mapping[str, str] | None = None) -> Record | None:
    """The record of the site now in ``out``, built from ``key`` with ``warnings``.
    With ``files`` (every site path, and whether this build wrote it anew) and
    ``before`` (the entries :func:`intact` found), only the files written or not
    among those are looked at again: the others are the very files (same inode,
    same mtime) the record describes. None when the site cannot be looked at."""
    stats = _stats(out) if files is None or before is None else _restat(out, files, before)
    return None if stats is None else Record(key, stats, warnings)


def _restat(out: Path, files: Mapping[str, bool], before: Mapping[str, str]) -> dict[str, str] | None:
    base = os.fspath(out)
    found: dict[str, str] = {}
    try:
        for rel in [*files, MARKER]:
            known = before.get(rel)
            if known is not None and not files.get(rel, True):
                found[rel] = known
                continue
            found[rel] = _stat(f"{base}/{rel}")
    except OSError:
        return None
    return found


MARKER = ".briefing-site"
"""The site's own manifest (``output.MARKER``), which every build writes."""


def intact(out: Path, written: Mapping[str, str], known: Record | None, trusted: bool = False
           ) -> tuple[dict[str, str], dict[str, str]]:
    """Of the site files ``written`` (path -> SHA-256, the site's own manifest),
    those still exactly as the last build (``known``) left them (size and
    mtime); and that record's entries for them. ``trusted``: nothing but our
    builds writes to ``out``, so every file the record has is taken as intact
    without a stat (10,000 of them took 55 ms)."""
    if known is None:
        return {}, {}
    files = known.files
    if trusted:
        kept = {rel: files[rel] for rel in written if rel in files}
        return {rel: written[rel] for rel in kept}, kept
    base = os.fspath(out)
    found: dict[str, str] = {}
    entries: dict[str, str] = {}
    for rel, sha in written.items():
        try:
            entry = _stat(f"{base}/{rel}")
        except OSError:
            continue
        if files.get(rel) == entry:
            found[rel] = sha
            entries[rel] = entry
    return found, entries


@dataclass(frozen=True, slots=True)
class Recalled:
    """The last build into an output folder, still in place."""

    warnings: list[dict[str, object]]
    files: list[str]
    """Its files (site paths)."""


def recall(out: Path, key: str, known: Record | None) -> Recalled | None:
    """The last build into ``out`` (``known``) when it was made from ``key`` and
    its files are still exactly as written (size and mtime); None otherwise."""
    if known is None or known.key != key:
        return None
    try:
        stats = _stats(out)
    except OSError:
        return None
    if stats is None or stats != known.files:
        return None
    return Recalled([w for w in known.warnings if isinstance(w, dict)], sorted(stats))
