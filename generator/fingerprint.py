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

The table is kept by column (:class:`Known`): the paths, the hashes, and the
stat numbers as one array, which a whole pass compares with its own in a few
dozen slice comparisons instead of a string per file (a no-change look at
20,700 inputs went from 0.24-0.34 s to 0.15-0.16 s).
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import time
import zlib
from array import array
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from stat import S_ISDIR, S_ISLNK
from typing import NamedTuple

from generator import __version__, packing


class Inputs(NamedTuple):
    """The fingerprint of a build, and the SHA-256 of each input file by path.
    (Like the other types the helper of ``generator.prefetch`` uses, a named
    tuple: the helper is forked before the dataclasses module is imported.)"""

    key: str
    files: Sequence[str]
    shas: Sequence[str]
    """The SHA-256 of each of ``files``."""
    table: Known | None = None
    """The hashes to remember for the next build (see :func:`inputs`); None when
    the ones given are still good enough."""
    looked_at: frozenset[str] | None = None
    """The files hashed again (their stat was not the remembered one): every file
    changed since the remembered table was made is among them. None when the
    files and folders are not the same as the table's."""
    partial: bool = False
    """``files`` and ``shas`` are those of ``looked_at`` only: the others' are the
    remembered table's, unchanged (see :meth:`looked_again` and :func:`every_hash`)."""

    @property
    def hashes(self) -> dict[str, str]:
        """The SHA-256 of each input file (of ``looked_at`` only, if ``partial``), by path."""
        return dict(zip(self.files, self.shas, strict=True))

    def looked_again(self) -> Inputs:
        """These inputs with the hashes of ``looked_at`` only, when the others
        are the remembered table's (the table is not to be written again). The
        helper of ``generator.prefetch`` sends them so: an edit reads again only
        the files it changed, and 20,000 hashes took 20 ms to send and unpack."""
        if self.looked_at is None or self.table is not None:
            return self
        looked = self.looked_at
        pairs = [(path, sha) for path, sha in zip(self.files, self.shas, strict=True) if path in looked]
        return Inputs(self.key, [path for path, _ in pairs], [sha for _, sha in pairs], None, looked, True)


def every_hash(found: Inputs, known: Known | None) -> dict[str, str]:
    """The SHA-256 of each input file by path, from :meth:`Inputs.looked_again`
    and the table it was worked out against (``known``); of those hashed again
    only, when that table cannot be read (the others are then hashed anew)."""
    if not found.partial or known is None:
        return found.hashes
    return {**dict(zip(known.files, known.shas, strict=True)), **found.hashes}


class Known(NamedTuple):
    """The hashes a build remembers for the next (see the module doc), by column:
    every input file and folder of a whole pass, in its order."""

    folders: list[str]
    files: list[str]
    shas: list[str]
    """The SHA-256 of each file."""
    stats: array[int]
    """The size, mtime (ns) and inode of each file when it was hashed: three numbers a file."""
    trust: str
    """A letter a file: ``T`` when it was a second old when hashed, ``U`` when it
    was hashed in the clock tick it was saved in (its hash is not trusted next time)."""
    prefixes: tuple[str, ...] = ()
    """The folders a build reads as this table spells them, each with a trailing
    separator: the paths above begin with them (see :func:`_respelt`)."""

    def packed(self) -> bytes:
        """The table as the build state keeps it (see :mod:`generator.packing`)."""
        return marshal.dumps((_SEP.join(self.folders), _SEP.join(self.files), "".join(self.shas),
                              self.stats.tobytes(), self.trust, _SEP.join(self.prefixes)))

    @classmethod
    def unpacked(cls, found: object) -> Known | None:
        """The table :meth:`packed` made; None for anything else (no table, another shape)."""
        try:
            parts = marshal.loads(found) if isinstance(found, bytes) else None
        except (EOFError, ValueError, TypeError):
            return None
        if not (isinstance(parts, tuple) and len(parts) == 6 and all(
                isinstance(v, t) for v, t in zip(parts, (str, str, str, bytes, str, str), strict=True))):
            return None
        folders, files, shas, stats, trust, prefixes = parts
        paths = files.split(_SEP) if files else []
        numbers = array("q")
        numbers.frombytes(stats[:len(stats) - len(stats) % numbers.itemsize])
        if len(shas) != 64 * len(paths) or len(numbers) != 3 * len(paths) or len(trust) != len(paths):
            return None
        return cls(folders.split(_SEP) if folders else [], paths,
                   [shas[i:i + 64] for i in range(0, len(shas), 64)], numbers, trust,
                   tuple(prefixes.split(_SEP)) if prefixes else ())


_SEP = "\0"
"""What separates the paths of a packed :class:`Known` (no path holds a NUL)."""


def covered(*, drafts: bool, base_url: str | None, noindex: bool, search: bool, report: bool) -> dict[str, object]:
    """The options that change a build's output, as :func:`inputs` takes them."""
    return {"drafts": drafts, "base_url": base_url, "noindex": noindex, "search": search, "report": report}


def inputs(root: Path, builtin_templates: Path, options: Mapping[str, object],
           known: Known | None, changed: Collection[str] | None = None) -> Inputs | None:
    """The fingerprint of a build of ``root`` with ``options`` (JSON-able values),
    reusing the hashes ``known`` from an earlier build (see the module doc);
    None when some input cannot be read (the build then reports it properly).

    ``changed``: the files a watcher saw change since the build that made
    ``known`` (the live preview's), when it knows them. Then only those are
    looked at again, if they are files ``known`` has and still files (an edit);
    anything else (a file or folder that came or went) is a whole pass, as
    without ``changed``. Either way the fingerprint is the same."""
    folders = _input_folders(root, builtin_templates)
    # The same briefing named another way (``--root .`` after ``--root /abs/path``,
    # say): the table in this build's spelling, then written again in it.
    prefixes = tuple(folder + os.sep for _, folder in folders)
    respelt = known is not None and known.prefixes != prefixes
    if known is not None and respelt:
        known = _respelt(known, prefixes)
    if changed is not None and known is not None:
        found = _inputs_changed(folders, options, known, changed)
        if found is not None:
            return found
    try:
        listing, stats = _Listing.of(folders)
        if known is not None and known.files == listing.files:
            shas, trust = list(known.shas), list(known.trust)
            redo = sorted({*_differing(stats, known.stats), *_untrusted(known.trust)})
        else:
            shas, trust, redo = _matched(listing.files, stats, known)
        for i in redo:
            shas[i], trust[i] = _hash_into(listing.files[i], stats, i)
    except OSError:
        return None
    same = not respelt and known is not None and (known.folders, known.files) == (listing.folders, listing.files)
    table = Known(listing.folders, listing.files, shas, stats, "".join(trust), prefixes)
    hashed = [listing.files[i] for i in redo]
    # A few files hashed again (an edit) are hashed again next time too, which
    # costs less than writing the whole table (20,000 entries) on every edit;
    # unless the next build is told what changed, and trusts the rest as it is.
    keep = changed is not None or len(hashed) > _REWRITE_AFTER or not same
    return Inputs(_key(listing.spans, options, table), table.files, table.shas,
                  table if keep else None, frozenset(hashed) if same else None)


def listed(root: Path, builtin_templates: Path, options: Mapping[str, object]) -> Listed | None:
    """The inputs of a build of ``root`` with ``options`` as :func:`inputs`
    finds them on a whole pass, with no file hashed: for a build with nothing
    remembered (no table, no record), whose update reads and hashes every file
    of the briefing anyway (see :meth:`Listed.hashed`). None when some input
    cannot be listed."""
    folders = _input_folders(root, builtin_templates)
    at = time.time_ns()  # before the stats: a file a second older than this was a second old when read
    try:
        listing, stats = _Listing.of(folders)
    except OSError:
        return None
    return Listed(listing.folders, listing.files, listing.spans, stats, at,
                  tuple(folder + os.sep for _, folder in folders), dict(options))


class Listed(NamedTuple):
    """The inputs of a whole pass and each file's stat, not yet hashed (see
    :func:`listed`). A cold build of 10,000 articles waited 0.4 to 0.8 s for
    the 20,700 hashes, then read every file again to parse it; it now hashes
    the bytes it parses and makes the fingerprint after."""

    folders: list[str]
    files: list[str]
    spans: list[Span]
    stats: array[int]
    at: int
    """When the stats were taken (``time.time_ns``): each is older than the
    bytes its file was read with."""
    prefixes: tuple[str, ...]
    options: dict[str, object]

    def hashed(self, found: Mapping[str, str]) -> Inputs | None:
        """The fingerprint, from ``found`` (path -> the SHA-256 of the very
        bytes the build read and parsed, taken after the stats); a file not
        among them (a template, our code, a file the briefing does not read) is
        hashed now. None when one cannot be read.

        A file's stat was taken before its bytes were read, so a file saved in
        between has a stat older than its hash: the next build sees another
        stat and hashes it again, never trusts a stale hash; and a hash is
        trusted next time only when the file was a second old at the stat."""
        stats = array("q", self.stats)
        shas: list[str] = []
        trust: list[str] = []
        try:
            for row, path in enumerate(self.files):
                sha = found.get(path)
                if sha is None:
                    sha, trusted = _hash_into(path, stats, row)
                else:
                    trusted = "T" if stats[3 * row + 1] < self.at - _TRUST_AFTER_NS else "U"
                shas.append(sha)
                trust.append(trusted)
        except OSError:
            return None
        table = Known(self.folders, self.files, shas, stats, "".join(trust), self.prefixes)
        return Inputs(_key(self.spans, self.options, table), table.files, table.shas, table, None)


def _input_folders(root: Path, builtin_templates: Path) -> list[tuple[str, str]]:
    """(label, path) of each folder a build reads; our own code last."""
    code = Path(__file__).resolve().parent
    return [(label, os.fspath(folder)) for label, folder in (
        ("content", root / "content"), ("seeds", root / "seeds"), ("templates", root / "templates"),
        ("builtin", builtin_templates), ("code", code))]


class _Listing(NamedTuple):
    """The input files and folders of a whole pass, in its order."""

    folders: list[str]
    files: list[str]
    spans: list[Span]
    """Where each of the folders a build reads is in ``folders`` and ``files``."""

    @classmethod
    def of(cls, folders: list[tuple[str, str]]) -> tuple[_Listing, array[int]]:
        """The listing of ``folders`` ((label, path) each), and the size, mtime
        and inode of each file (three numbers a file; see :class:`Known`).

        The loop of a no-change build, kept tight: one ``lstat`` of each entry
        tells a file from a folder and gives the file's numbers (a second
        ``stat`` only for a link). Links to folders are listed, not followed (a
        loop must not hang the build); ``__pycache__`` is skipped, and only the
        ``.py`` files of our own code count."""
        below: list[str] = []
        files: list[str] = []
        spans: list[Span] = []
        stats = array("q")
        for label, folder in folders:
            start = (len(below), len(files))
            if os.path.isdir(folder):
                _list(folder, label == "code", below, files, stats)
            spans.append(Span(label, folder + os.sep, start, (len(below), len(files))))
        return cls(below, files, spans), stats


class Span(NamedTuple):
    """Where one of the folders a build reads is in a listing."""

    label: str
    prefix: str
    start: tuple[int, int]
    """The first folder and file below it: their places in the listing."""
    end: tuple[int, int]


def _list(top: str, code: bool, below: list[str], files: list[str], stats: array[int]) -> None:
    """Add what is below ``top`` to ``below`` and ``files``: each folder's entries
    in name order, its folders before its files, and each subfolder's after."""
    todo = [top]
    while todo:
        path = todo.pop()
        try:
            # Each entry's stat by its name in the open folder: the kernel
            # does not walk the whole path again for each (10% of a stat).
            folder = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            continue  # as os.walk does: an unreadable folder is skipped
        try:
            subfolders = _list_one(path, folder, code, below, files, stats)
        finally:
            os.close(folder)
        todo.extend(reversed(subfolders))


def _list_one(path: str, folder: int, code: bool, below: list[str], files: list[str],
              stats: array[int]) -> list[str]:
    """:func:`_list` of one folder (``path``, open as ``folder``): its subfolders to walk."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []  # as os.walk does: an unreadable folder is skipped
    subfolders = []
    for name in names:
        entry = f"{path}{os.sep}{name}"
        st = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if S_ISLNK(st.st_mode):
            try:
                st = os.stat(name, dir_fd=folder)
            except FileNotFoundError:  # a broken link: the build reports it
                raise OSError(entry) from None
            if S_ISDIR(st.st_mode):
                below.append(entry)  # listed, not walked
                continue
        elif S_ISDIR(st.st_mode):
            if name != "__pycache__":
                below.append(entry)
                subfolders.append(entry)
            continue
        if code and not name.endswith(".py"):
            continue
        files.append(entry)
        stats.extend((st.st_size, st.st_mtime_ns, st.st_ino))
    return subfolders


def _differing(now: array[int], then: array[int]) -> list[int]:
    """The rows (three numbers each) where two equally long arrays differ: halves
    compared whole, so an edit or two cost a few dozen comparisons, not 20,000."""
    found: list[int] = []
    todo = [(0, len(now) // 3)]
    while todo:
        lo, hi = todo.pop()
        if now[3 * lo:3 * hi] == then[3 * lo:3 * hi]:
            continue
        if hi - lo == 1:
            found.append(lo)
        else:
            mid = (lo + hi) // 2
            todo += [(mid, hi), (lo, mid)]
    return found


def _untrusted(trust: str) -> list[int]:
    found, at = [], trust.find("U")
    while at >= 0:
        found.append(at)
        at = trust.find("U", at + 1)
    return found


def _matched(files: list[str], stats: array[int], known: Known | None
             ) -> tuple[list[str], list[str], list[int]]:
    """Each file's remembered hash and trust, where ``known`` has the file with
    the same stat and trusted it; and the rows to hash again (all the others)."""
    shas, trust, redo = [""] * len(files), ["U"] * len(files), []
    at = {path: i for i, path in enumerate(known.files)} if known is not None else {}
    for i, path in enumerate(files):
        j = at.get(path)
        if (j is None or known is None or known.trust[j] != "T"
                or stats[3 * i:3 * i + 3] != known.stats[3 * j:3 * j + 3]):
            redo.append(i)
        else:
            shas[i] = known.shas[j]
            trust[i] = "T"
    return shas, trust, redo


def _hash_into(path: str, stats: array[int], row: int) -> tuple[str, str]:
    """The SHA-256 of a file and whether to trust it next time (``T``) or not
    (``U``): trusted only when the file was already a second old when hashed,
    since a file saved again in the same clock tick would have the same stat.
    Its stat, taken before it is read, is written into ``stats`` at ``row``."""
    st = os.stat(path)
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    stats[3 * row:3 * row + 3] = array("q", (st.st_size, st.st_mtime_ns, st.st_ino))
    return sha, "T" if st.st_mtime_ns < time.time_ns() - _TRUST_AFTER_NS else "U"


def _inputs_changed(folders: list[tuple[str, str]], options: Mapping[str, object], known: Known,
                    changed: Collection[str]) -> Inputs | None:
    """:func:`inputs` when only the files ``changed`` may have changed; None when
    one of them is not a file ``known`` already has, or is no longer a file."""
    places = [(os.path.abspath(folder) + os.sep, folder + os.sep) for _, folder in folders]
    rows = {path: i for i, path in enumerate(known.files)}
    below = set(known.folders)
    shas, stats, trust = list(known.shas), array("q", known.stats), list(known.trust)
    hashed: list[str] = []
    for name in changed:
        name = os.path.abspath(name)
        path = next((mine + name[len(there):] for there, mine in places if name.startswith(there)), None)
        if path is None:
            if any(there.startswith(name + os.sep) for there, _ in places):
                return None  # one of the folders itself (made while serving, say), or above them
            continue  # outside what a build reads
        row = rows.get(path)
        if row is None and path not in below and not os.path.lexists(path):
            continue  # came and went between two looks (an editor's temporary file)
        if row is None or os.path.islink(path) or not os.path.isfile(path):
            return None
        try:
            sha, trust[row] = _hash_into(path, stats, row)
        except OSError:
            return None
        if sha != shas[row]:
            hashed.append(path)
        shas[row] = sha
    table = Known(known.folders, known.files, shas, stats, "".join(trust), known.prefixes)
    # Written back every time: the next build trusts these entries without a stat.
    return Inputs(_key(_spans(known, folders), options, table), table.files, shas, table, frozenset(hashed))


def _respelt(known: Known, prefixes: tuple[str, ...]) -> Known | None:
    """``known`` with its paths under ``prefixes`` (the same folders, in the same
    order, spelt as this build spells them); None if they cannot be matched up."""
    if len(known.prefixes) != len(prefixes):
        return None
    moved: list[list[str]] = []
    for paths in (known.folders, known.files):
        out: list[str] = []
        at = 0
        for old, new in zip(known.prefixes, prefixes, strict=True):
            end = _run(paths, at, old)
            out.extend(new + path[len(old):] for path in paths[at:end])
            at = end
        if at != len(paths):
            return None
        moved.append(out)
    return known._replace(folders=moved[0], files=moved[1], prefixes=prefixes)


def _spans(known: Known, folders: list[tuple[str, str]]) -> list[Span]:
    """Where each of ``folders`` is in a table made by a whole pass over them."""
    spans: list[Span] = []
    at = (0, 0)
    for label, folder in folders:
        prefix = folder + os.sep
        end = (_run(known.folders, at[0], prefix), _run(known.files, at[1], prefix))
        spans.append(Span(label, prefix, at, end))
        at = end
    return spans


def _run(paths: list[str], start: int, prefix: str) -> int:
    """The end of the run of ``paths`` from ``start`` on that begin with ``prefix``."""
    end = start
    while end < len(paths) and paths[end].startswith(prefix):
        end += 1
    return end


def _key(spans: list[Span], options: Mapping[str, object], table: Known) -> str:
    """The hash of the files and folders of ``table``: the options, then, folder
    by folder a build reads, the place below it of each folder and file, and
    each file's contents. Places, not paths: the same briefing elsewhere has the
    same key."""
    key = hashlib.sha256(json.dumps({"version": __version__, **options}, sort_keys=True, default=str).encode())
    for span in spans:
        key.update(f"\0\0{span.label}".encode())
        for paths, start, end in ((table.folders, span.start[0], span.end[0]),
                                  (table.files, span.start[1], span.end[1])):
            # Every path below the folder starts with its prefix, and a NUL is in no
            # path: each "NUL prefix" marks where a path begins, and only that.
            places = _SEP.join(("", *paths[start:end])).replace(_SEP + span.prefix, _SEP)
            key.update(places.encode("utf-8", "surrogateescape"))
            key.update(b"\0\0")
        key.update("".join(table.shas[span.start[1]:span.end[1]]).encode())
    return key.hexdigest()


_TRUST_AFTER_NS = 1_000_000_000
_REWRITE_AFTER = 64


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
    base = os.fspath(out)
    paths: list[str] = []
    numbers = array("q")
    _list(base, False, [], paths, numbers)  # the inputs' listing: one lstat an entry
    start = len(base) + 1
    found = {path[start:].replace(os.sep, "/"): f"{numbers[3 * i]} {numbers[3 * i + 1]}"
             for i, path in enumerate(paths)}
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
"""The site's own manifest, which every build writes (see ``output``). Here, with
:func:`manifest`, so that the helper of ``generator.prefetch`` reads it without
importing ``output`` (and with it the dataclasses: 25 ms before its stats)."""


def manifest(out: Path) -> dict[str, str]:
    """The manifest of the site in ``out``: the digest of each of its files by
    site path (empty when there is none or it cannot be read)."""
    try:
        text = (out / MARKER).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return {}
    return manifest_of(text)


def manifest_of(text: str) -> dict[str, str]:
    """:func:`manifest` of the manifest file's ``text``."""
    try:
        data = json.loads(text)
        files = data.get("files", {})
    except (ValueError, AttributeError):
        return {}
    if not isinstance(files, dict):
        return {}
    # Keys of a JSON object are strings; a value of another type (a hand-edited
    # marker) is made one, which no digest equals.
    return files if set(map(type, files.values())) <= {str} else {k: str(v) for k, v in files.items()}


def marker(out: Path) -> tuple[str, str] | None:
    """The text of the manifest file of the site in ``out``, and its size and
    mtime as a :class:`Record` has them; None when it cannot be read, or
    changed while it was."""
    path = os.fspath(out / MARKER)
    try:
        before = _stat(path)
        with open(path, encoding="utf-8") as file:
            text = file.read()
        after = _stat(path)
    except (OSError, ValueError):
        return None
    return (text, after) if before == after else None


def intact(out: Path, written: Mapping[str, str], known: Record | None, trusted: bool = False,
           stats: Mapping[str, str] | None = None, altered: Collection[str] | None = None
           ) -> tuple[dict[str, str], dict[str, str]]:
    """Of the site files ``written`` (path -> SHA-256, the site's own manifest),
    those still exactly as the last build (``known``) left them (size and
    mtime); and that record's entries for them. ``stats``: :func:`site_stats`
    of ``written``, if taken already. ``altered``: the files of ``written``
    found not to be as ``known`` has them, if that was judged already (by the
    helper of ``generator.prefetch``): the others are. ``trusted``: nothing
    but our builds writes to ``out``, so every file the record has is taken as
    intact without a stat (10,000 of them took 55 ms)."""
    if known is None:
        return {}, {}
    files = known.files
    if trusted or altered is not None:
        if not altered and written.keys() <= files.keys():
            # Every file intact, as most often: the two tables copied, in C
            # (the comprehensions took 7 ms for 10,600 files).
            kept = dict(files)
            if MARKER not in written:
                kept.pop(MARKER, None)  # the record has the manifest file, the manifest not
            if len(kept) > len(written):  # files the manifest does not name
                for rel in kept.keys() - written.keys():
                    del kept[rel]
            return dict(written), kept
        left = altered or ()
        kept = {rel: files[rel] for rel in written if rel in files and rel not in left}
    else:
        found = stats if stats is not None else site_stats(out, written)
        kept = {rel: entry for rel, entry in found.items() if files.get(rel) == entry}
    return {rel: written[rel] for rel in kept}, kept


def altered(known: Record, files: Sequence[str], entries: Sequence[str]) -> list[str]:
    """Of the site ``files``, whose :func:`stat_entries` are ``entries``, those
    not as the record ``known`` has them (changed, gone, or not in it)."""
    recorded = known.files.get
    return [rel for rel, entry in zip(files, entries, strict=True) if recorded(rel) != entry]


def record_mark(found: object) -> str | None:
    """A short mark of a packed :class:`Record` (as the build state keeps it),
    equal for the same record read twice: its fingerprint, and the length and
    CRC-32 of its files' entries. The helper of ``generator.prefetch`` judges
    the site's files against the record it read, and the build takes that
    judgement only for the record it read itself."""
    if not (isinstance(found, tuple) and len(found) == 3 and isinstance(found[1], bytes)):
        return None
    return f"{found[0]} {len(found[1])} {zlib.crc32(found[1])}"


def site_stats(out: Path, files: Iterable[str]) -> dict[str, str]:
    """The size and mtime (``"size mtime_ns"``) of each of the site ``files`` in
    ``out`` that can be looked at, as a :class:`Record` has them."""
    files = list(files)
    return {rel: entry for rel, entry in zip(files, stat_entries(out, files), strict=True) if entry}


def stat_entries(out: Path, files: Iterable[str]) -> list[str]:
    """:func:`site_stats` as a list, in the order of ``files``: ``""`` for a file
    that cannot be looked at."""
    base = os.fspath(out)
    found: list[str] = []
    for rel in files:
        try:
            found.append(_stat(f"{base}/{rel}"))
        except OSError:
            found.append("")
    return found


class Recalled(NamedTuple):
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
