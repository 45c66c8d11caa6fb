"""The write stage: the whole site into a fresh directory, then swapped in.

Files are put into the staging directory as they are made (rendering workers
write their own pages), and the directory is swapped in once the build has
succeeded; on any error it is removed instead.

The new site is written beside the output directory and exchanged with it in
one atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux; two renames
elsewhere), so a reader, a web server or a killed build only ever sees the old
site or the complete new one. A file whose bytes did not change is hard-linked
from the previous build instead of rewritten, so its mtime stays and rsync-style
deploys upload only what changed.

The site the swap replaces is not deleted: it is kept beside the output as
``.NAME.spare`` (``.site.spare``) and becomes the next build's staging folder.
Most of its files are the current site's files too (hard links), so the next
build leaves them where they are: a one-article edit of a 10,000-page site then
makes no folders and links no files, where a fresh tree cost 10,600 folders and
hard links (1.5 to 6 s on this machine's disk) and deleting the old one as much
again. A file that changed is unlinked from the recycled tree before the new one
is put in its place, never written into: the current site may share its inode.
A first build into a new folder replaces no tree; it makes the spare of hard
links to the new site's files while the build state is written, so the first
edit after it is as cheap as the next. A spare is reused only when it is the very folder a build of ours left (its
device and inode, which the build keeps in its signed memo): a briefing folder
from someone else may hold a ``.site.spare`` of their making, a symbolic link to
the user's files, say, whose "stale" files a build would otherwise delete.

An output directory is only ever replaced when it is empty or holds our marker
file: we never delete a folder we did not make.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import itertools
import json
import os
import posixpath
import re
import shutil
import stat
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import BinaryIO, Literal, NamedTuple

from generator.errors import OutputError
from generator.fingerprint import MARKER as MARKER  # re-exported: the site's manifest file
from generator.fingerprint import manifest as manifest
from generator.frozen import record

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_RELATIVE = {os.mkdir, os.open, os.link} <= os.supports_dir_fd


@record
class Kept:
    """A file the build did not make again: the one at the same path in the
    current site, whose bytes have this SHA-256 (see ``render.Renderer``)."""

    digest: str
    unbuilt: bool = False
    """Kept without its context being built: what it read of the site was unchanged."""


@record
class WriteResult:
    """What the write changed: files written anew and files kept from the last build."""

    written: int
    kept: int
    removed: int


def check_output(out: Path, root: Path) -> None:
    """Raise :class:`OutputError` unless ``out`` may be (re)placed by a build."""
    out_abs, root_abs = out.resolve(), root.resolve()
    if root_abs == out_abs or root_abs.is_relative_to(out_abs):
        raise OutputError(f"refusing to write the site to {out}: it contains the briefing itself")
    for part in ("content", "seeds", "templates"):
        if out_abs.is_relative_to(root_abs / part):
            raise OutputError(f"refusing to write the site inside {part}/ ({out}); the default is ROOT/site")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputError(f"refusing to replace {out}: it is not a directory")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise OutputError(
            f"refusing to replace {out}: it is not empty and was not made by briefing"
            f" (no {MARKER} file in it). Choose another --out, or empty it first."
        )


class Copy(NamedTuple):
    """Bytes to copy from the file being replaced: where, and how many (a part
    given to :meth:`Staging.put_parts`)."""

    offset: int
    length: int


class Placed(NamedTuple):
    """A file of the new site, once in the staging folder."""

    digest: str
    """The SHA-256 of its bytes."""
    written: bool
    """False when it was hard-linked (or copied) from the current site instead."""
    reused: bool = False
    """A page the build did not render again (it was given as :class:`Kept`)."""
    unbuilt: bool = False
    """A page whose context the build did not even build (see :class:`Kept`)."""


class SiteFiles(MutableMapping[str, Placed]):
    """Every file of a new site and where it went, by site path: the
    :class:`Placed` of each file put, and the digest alone of each page kept
    in place (already in the staging folder and in the current site, as
    :meth:`Staging.keep` finds most pages of an edit). Those are made a
    :class:`Placed` only when asked for one by one: making the 10,600 of a
    10,000-article edit took 10 ms, and the passes over every file (the
    manifest, the record, the counts) read the digests as a column instead.
    Iterated in a stable order: the files put, as they were put, then the pages
    kept in place, in their order."""

    __slots__ = ("_in_place", "_placed")

    def __init__(self, in_place: dict[str, str] | None = None) -> None:
        self._placed: dict[str, Placed] = {}
        self._in_place = in_place if in_place is not None else {}
        """Site path -> digest of each page kept in place: not written, reused, unbuilt."""

    def __getitem__(self, rel: str) -> Placed:
        found = self._placed.get(rel)
        return found if found is not None else Placed(self._in_place[rel], False, True, True)

    def __setitem__(self, rel: str, placed: Placed) -> None:
        self._in_place.pop(rel, None)
        self._placed[rel] = placed

    def __delitem__(self, rel: str) -> None:
        if self._placed.pop(rel, None) is None:
            del self._in_place[rel]

    def __contains__(self, rel: object) -> bool:
        return rel in self._placed or rel in self._in_place

    def __iter__(self) -> Iterator[str]:
        # A chain of the two, iterated in C: a generator's step per path cost
        # 0.6 ms of each of the passes over the 10,600 files of an edit.
        return itertools.chain(self._placed, self._in_place)

    def __len__(self) -> int:
        return len(self._placed) + len(self._in_place)

    def digests(self) -> dict[str, str]:
        """The SHA-256 of each file, by site path."""
        return {**self._in_place, **{rel: placed.digest for rel, placed in self._placed.items()}}

    def changed_from(self, previous: Mapping[str, str]) -> list[tuple[str, str]] | None:
        """(path, digest) of each file whose digest is not the one ``previous``
        has, in path order; None unless these are the very paths of ``previous``
        (a file added or gone). Without a pass in Python over the pages kept in
        place: their digests are compared with ``previous``'s as items, in C."""
        if len(self) != len(previous) or not self._in_place.items() <= previous.items():
            return None
        changed = []
        for rel, placed in self._placed.items():
            was = previous.get(rel)
            if was is None:
                return None
            if was != placed.digest:
                changed.append((rel, placed.digest))
        return sorted(changed)

    def written(self) -> dict[str, bool]:
        """Whether the build wrote each file anew, by site path."""
        return {**dict.fromkeys(self._in_place, False), **{rel: p.written for rel, p in self._placed.items()}}

    def pages(self, is_page: Callable[[str], bool]) -> int:
        """How many of the files are pages (``is_page``): every page kept in place,
        without asking each (the test of 10,600 paths took 4 ms at the end of every
        edit), and the files put that pass it."""
        return len(self._in_place) + sum(1 for rel in self._placed if is_page(rel))

    def count(self, flag: Literal["written", "reused", "unbuilt"]) -> int:
        """How many files have ``flag`` set: written anew, reused, or not even
        built (every page kept in place is the latter two, not the first)."""
        kept = 0 if flag == "written" else len(self._in_place)
        return kept + sum(1 for placed in self._placed.values() if getattr(placed, flag))


class Staging:
    """The new site, written file by file into a folder beside ``out`` and swapped
    in whole by :meth:`commit`; :meth:`discard` (or leaving the ``with`` block by
    an exception) removes it and leaves ``out`` as it was.

    :meth:`put` may be called from forked workers: rendering workers write their
    pages here themselves, so a large site is never held in memory and its files
    are written on every core. Paths are opened relative to the staging folder's
    descriptor (where the system allows), so a worker outliving a killed build can
    never recreate a staging folder that a later build has removed.

    Raises :class:`OutputError` when the folder cannot be made.
    """

    def __init__(self, out: Path, spare: Identity | None = None, current: dict[str, str] | None = None,
                 current_text: str | None = None) -> None:
        """``spare``: the :func:`identity` of the spare folder this build may reuse,
        as a build of ours recorded it (see the module doc); None: make a new one.
        ``current``: the current site's manifest, when the build has read it
        already; ``current_text``: the text it was read from, when that is the
        file a build of ours wrote (its stat is the one the build recorded). The
        new manifest is then made from it (see :func:`_marker_patched`)."""
        self.out = out
        self.previous = current if current is not None else manifest(out)
        """SHA-256 by site path of the current site's files, as its build wrote them."""
        self._previous_text = current_text if current is not None else None
        self._altered: set[str] = set()
        """Files of the current site changed since then (see :meth:`distrust`)."""
        self.path = _beside(out)
        self.recycled = _claim_spare(out, self.path, spare) if spare is not None else {}
        """SHA-256 by site path of the files already in the staging folder: the
        spare site it was made from (see the module doc), or nothing."""
        try:
            self.path.mkdir(parents=True, exist_ok=bool(self.recycled))
        except OSError as exc:
            raise OutputError(f"cannot write the site to {out}: {exc.strerror or exc}") from None
        # Plain string paths: pathlib's per-call cost shows on a 10,000-page site.
        self._current = os.fspath(out)
        self._fd = os.open(self.path, os.O_RDONLY) if _RELATIVE else None
        # The folders known to be there. Those of a recycled tree are found as
        # pages are put (a mkdir that finds one there costs a failed call):
        # listing the 10,600 pages' folders up front took 7 ms of every edit.
        self._made = {""}
        self.spare: Identity | None = None
        """Once committed: the :func:`identity` of the spare the next build may
        claim (the replaced site, or one made of links to the new site), if any."""
        self._later: list[Later] = []
        self._spare_ahead: tuple[Path, set[str]] | None = None
        """A first site's spare begun before the commit, and the files linked
        into it (see :meth:`link_spare_ahead`)."""

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            self.discard()

    def distrust(self, files: Iterable[str]) -> None:
        """Files of the current site that are no longer as its build wrote them
        (edited in place, say): never linked into the new site nor kept in
        place, whatever the manifest says. Before anything is put."""
        self._altered.update(files)

    def put(self, rel: str, data: bytes | Kept) -> Placed:
        """Place the file ``rel``: its bytes, or the current site's file for
        :class:`Kept`. A file whose bytes did not change is hard-linked from the
        current site, so its mtime stays. Raises :class:`OutputError`."""
        with self._writing():
            return self._put(rel, data)

    def keep(self, files: Mapping[str, str]) -> SiteFiles:
        """:meth:`put` for many :class:`Kept` files at once (path -> digest), the
        pages a build did not build again."""
        with self._writing():
            # Already in place (see _in_place), folder and all: the common case, a
            # digest each (see SiteFiles). Most often all of them are, which
            # comparing the items in C tells (0.7 ms for 10,600, against 9 ms
            # for a comprehension); else one comprehension finds which.
            items = files.items()
            if items <= self.recycled.items() and items <= self.previous.items():
                placed = SiteFiles(dict(files))
            else:
                recycled, previous = self.recycled.get, self.previous.get
                placed = SiteFiles({rel: digest for rel, digest in items
                                    if recycled(rel) == digest and previous(rel) == digest})
            if len(placed) < len(files):
                for rel, digest in files.items():
                    if rel not in placed:
                        placed[rel] = self._put(rel, Kept(digest, unbuilt=True))
            return placed

    def put_stream(self, rel: str, pieces: Iterable[bytes]) -> Placed:
        """Place the file ``rel`` made of ``pieces``, written as they come, so a
        large file is never whole in memory. Like :meth:`put`, an unchanged file
        is hard-linked from the current site instead. Raises :class:`OutputError`."""
        with self._writing():
            return self._put_stream(rel, pieces)

    def put_parts(self, rel: str, parts: Iterable[bytes | Copy], digest: Callable[[], str]) -> Placed:
        """Place the file ``rel`` made of ``parts``: bytes, and ranges copied from
        the current site's file at the same path (in the kernel, where the system
        can). ``digest()``, called once the parts are written, names the content
        instead of its SHA-256 (see ``data.PartMap``). Like :meth:`put`, an
        unchanged file is hard-linked from the current site. Raises :class:`OutputError`."""
        with self._writing():
            self._folder(posixpath.dirname(rel))
            part = f"{rel}.part"
            _write_parts(self._open(part), parts, os.path.join(self._current, rel))
            return self._settle(rel, part, digest())

    def put_parts_later(self, rel: str, parts: Iterable[bytes | Copy], digest: Callable[[], str]) -> Later:
        """:meth:`put_parts`, the file written by a thread while the build goes on:
        ``parts`` are made at once, in this thread, and only written and copied by
        the other, which waits for the system most of the time (the 62 MB
        ``briefing.json`` of a 10,000-article briefing took 55 ms to copy, a tenth
        of an edit's build). :meth:`Later.wait` places the file. Not while
        workers may be forked: a lock the thread holds would stay held in them."""
        with self._writing():
            pieces = list(parts)
            self._folder(posixpath.dirname(rel))
            part = f"{rel}.part"
            target = self._open(part)
        later = Later(lambda: _write_parts(target, pieces, os.path.join(self._current, rel)),
                      lambda: self._settle(rel, part, digest()), self._writing)
        self._later.append(later)
        return later

    def link_spare_ahead(self, files: Iterable[str]) -> None:
        """Begin the spare of a first site (nothing in ``out`` yet: see
        :meth:`commit`) with hard links to these files as staged, while the
        build would only wait for ``briefing.json``'s child (0.55 s at 10,000
        articles; the commit took 0.55 to 0.88 s for the 10,600 links, and
        0.17 to 0.26 s now). The commit links the rest, and links again any of these that is
        no longer the site's file (another inode); a spare is used only once
        its manifest is in it, linked last. Never raises: what could not be
        linked now is linked by the commit."""
        if self._spare_ahead is not None or identity(self.out) is not None:
            return
        made = _made_beside(self.out)
        if made is None:
            return
        linked: set[str] = set()
        self._spare_ahead = (made, linked)
        with contextlib.suppress(OSError):
            _link_files(self.path, files, made, linked)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise OutputError(f"cannot write the site to {self.out}: {exc.strerror or exc}") from None

    def _put(self, rel: str, data: bytes | Kept) -> Placed:
        digest = data.digest if isinstance(data, Kept) else hashlib.sha256(data).hexdigest()
        self._folder(posixpath.dirname(rel))
        reused = isinstance(data, Kept)
        unbuilt = isinstance(data, Kept) and data.unbuilt
        if self._in_place(rel, digest):
            return Placed(digest, written=False, reused=reused, unbuilt=unbuilt)
        if self._unchanged(rel, digest) and self._link(rel):
            return Placed(digest, written=False, reused=reused, unbuilt=unbuilt)
        if isinstance(data, Kept):
            # No hard links on this file system: copy the current file.
            self._write(rel, Path(self._current, rel).read_bytes())
            return Placed(digest, written=False, reused=True, unbuilt=unbuilt)
        self._write(rel, data)
        return Placed(digest, written=True)

    def _put_stream(self, rel: str, pieces: Iterable[bytes]) -> Placed:
        self._folder(posixpath.dirname(rel))
        part = f"{rel}.part"
        sha = hashlib.sha256()
        with self._open(part) as f:
            for piece in pieces:
                sha.update(piece)
                f.write(piece)
        return self._settle(rel, part, sha.hexdigest())

    def _settle(self, rel: str, part: str, digest: str) -> Placed:
        """The file ``rel`` written as ``part``: kept as the current site's file
        when that has the same ``digest`` (its mtime stays), else renamed into place."""
        if self._in_place(rel, digest) or (self._unchanged(rel, digest) and self._link(rel)):
            path, at = self._at(part)
            os.unlink(path, **at)
            return Placed(digest, written=False)
        if self._fd is not None:
            os.rename(part, rel, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        else:
            os.rename(os.path.join(self.path, part), os.path.join(self.path, rel))
        return Placed(digest, written=True)

    def commit(self, files: SiteFiles, then: Callable[[], object] | None = None) -> WriteResult:
        """Swap the staged site in for ``out``; ``files`` is everything put into it.
        ``then`` runs once the new site is in place. The site it replaced is kept
        as the spare (see the module doc); if a spare is already there, the
        replaced site is deleted while ``then`` runs (on a large site that takes
        as long as the rest of an incremental build), and waited for. Raises
        :class:`OutputError` when it cannot be swapped."""
        if any(not later.done for later in self._later):
            raise RuntimeError("a file put later was not waited for before the commit")
        try:
            self.prune(files)
            (self.path / MARKER).write_text(self._marker(files), encoding="utf-8")
            replaced = identity(self.out)
            _swap(self.path, self.out)
        except OSError as exc:
            self.discard()
            raise OutputError(f"cannot write the site to {self.out}: {exc.strerror or exc}") from None
        self._close()
        remover = None
        if replaced is not None and self._spare_ahead is not None:
            # ``out`` was made by someone else meanwhile: its site is the spare now.
            shutil.rmtree(self._spare_ahead[0], ignore_errors=True)
            self._spare_ahead = None
        if replaced is not None:
            # ``self.path`` now holds the previous site: the next build's staging
            # folder, or deleted if another build already left one.
            unwanted = _keep_spare(self.path, self.out)
            if unwanted != self.path:
                self.spare = replaced  # the replaced site is the spare now
            if unwanted is not None:
                remover = threading.Thread(target=shutil.rmtree, args=(unwanted,), kwargs={"ignore_errors": True},
                                           name="briefing-remove-old-site")
                remover.start()
        else:
            # A first site: no tree was replaced, so the spare is made, of links to
            # its files, while ``then`` runs (the first edit would make it otherwise).
            remover = self._make_spare(files)
        try:
            if then is not None:
                then()
        finally:
            if remover is not None:
                remover.join()
        written = files.count("written")
        return WriteResult(written=written, kept=len(files) - written, removed=len(set(self.previous) - set(files)))

    def _marker(self, files: SiteFiles) -> str:
        """The new site's manifest file: the current one with the digests that
        changed replaced, when its text is known (an edit's build: 10,600 files
        took 11 ms to write out anew); else written out whole."""
        if self._previous_text is not None:
            changed = files.changed_from(self.previous)
            text = _marker_patched(self._previous_text, changed) if changed is not None else None
            if text is not None:
                return text
        return _marker_text(files.digests())

    def _make_spare(self, files: Iterable[str]) -> threading.Thread | None:
        """Start making the spare as a tree of hard links to the new site's files
        and its manifest (last); its identity is :attr:`spare` at once."""
        if self._spare_ahead is not None:
            (made, linked), self._spare_ahead = self._spare_ahead, None
        else:
            found, linked = _made_beside(self.out), set()
            if found is None:
                return None
            made = found
        self.spare = identity(made)
        worker = threading.Thread(target=_link_spare, args=(self.out, sorted(files), made, linked),
                                  name="briefing-make-spare")
        worker.start()
        return worker

    def prune(self, keep: Collection[str]) -> None:
        """Unlink the files of the recycled tree that are not among ``keep`` (the
        files put so far), and the folders left empty: before the search index
        reads the staged pages, and before the swap. Raises :class:`OSError`."""
        stale = sorted(set(self.recycled) - set(keep))
        for rel in stale:
            path, at = self._at(rel)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path, **at)
            del self.recycled[rel]
        for folder in sorted({f for rel in stale for f in _folders(rel)}, key=len, reverse=True):
            path, at = self._at(folder)
            with contextlib.suppress(OSError):  # not empty: still used
                os.rmdir(path, **at)
                self._made.discard(folder)

    def discard(self) -> None:
        """Remove the staged files; ``out`` is left exactly as it was."""
        for later in self._later:
            later.join()
        self._close()
        shutil.rmtree(self.path, ignore_errors=True)
        if self._spare_ahead is not None:
            shutil.rmtree(self._spare_ahead[0], ignore_errors=True)
            self._spare_ahead = None

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _folder(self, folder: str) -> None:
        if folder in self._made:
            return
        self._folder(posixpath.dirname(folder))
        path, at = self._at(folder)
        with contextlib.suppress(FileExistsError):  # made by another worker
            os.mkdir(path, **at)
        self._made.add(folder)

    def _at(self, rel: str) -> tuple[str, dict[str, int]]:
        """Path arguments for ``rel`` in the staging folder: relative to its
        descriptor where the system allows."""
        if self._fd is not None:
            return rel, {"dir_fd": self._fd}
        return os.path.join(self.path, rel), {}

    def _open(self, rel: str) -> BinaryIO:
        path, at = self._at(rel)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        return open(os.open(path, flags, 0o666, **at), "wb")

    def _write(self, rel: str, data: bytes) -> None:
        with self._open(rel) as f:
            f.write(data)

    def _in_place(self, rel: str, digest: str) -> bool:
        """Whether the recycled tree already holds the current site's file ``rel``
        with these bytes; if it holds another file there, that is unlinked."""
        had = self.recycled.get(rel)
        if had is None:
            return False
        if had == digest and self._unchanged(rel, digest):
            return True  # the file the current site has too (a hard link), mtime and all
        # Another version: unlinked, never written into (it may be the current
        # site's file as well).
        path, at = self._at(rel)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path, **at)
        return False

    def _unchanged(self, rel: str, digest: str) -> bool:
        """Whether the current site's file ``rel`` has these bytes, as far as we know."""
        return self.previous.get(rel) == digest and rel not in self._altered

    def _link(self, rel: str) -> bool:
        """Hard-link an unchanged file from the current site; False if impossible."""
        path, at = self._at(rel)
        try:
            os.link(os.path.join(self._current, rel), path, dst_dir_fd=at.get("dir_fd"))
            return True
        except OSError:
            return False


class Later:
    """A file being written by a thread (see :meth:`Staging.put_parts_later`)."""

    def __init__(self, write: Callable[[], None] | None, settle: Callable[[], Placed],
                 errors: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext) -> None:
        """``write`` runs in the thread (None: nothing to write), then ``settle``,
        which places the file (in the caller's thread when there is nothing to
        write); ``errors`` turns what either raised into the error the caller
        expects. Placing is done by the thread too: it unlinks the file's older
        version from the recycled tree, and freeing the 62 MB of a 10,000-article
        ``briefing.json`` took 15 ms."""
        self._settle, self._errors = settle, errors
        self._failed: BaseException | None = None
        self._placed: Placed | None = None
        self._waited = False
        self._thread: threading.Thread | None = None
        if write is not None:
            self._thread = threading.Thread(target=self._run, args=(write,), name="briefing-write-later")
            self._thread.start()

    def _run(self, write: Callable[[], None]) -> None:
        try:
            write()
            self._placed = self._settle()
        except BaseException as exc:  # raised again by wait(), in the build's own thread
            self._failed = exc

    @property
    def done(self) -> bool:
        return self._waited

    def join(self) -> None:
        """Wait for the thread (the build failed: the staged site is discarded)."""
        if self._thread is not None:
            self._thread.join()

    def wait(self) -> Placed:
        """The file, placed once the thread is done. Raises what writing it raised."""
        self.join()
        with self._errors():
            if self._failed is not None:
                raise self._failed
            if self._placed is None:
                self._placed = self._settle()
        self._waited = True
        return self._placed


def _write_parts(target: BinaryIO, parts: Iterable[bytes | Copy], source_path: str) -> None:
    """Write ``parts`` into ``target`` (closed after): bytes as they are, and each
    :class:`Copy` from the file at ``source_path``."""
    with target, contextlib.ExitStack() as stack:
        source: BinaryIO | None = None
        for piece in parts:
            if isinstance(piece, bytes):
                target.write(piece)
                continue
            if source is None:
                source = stack.enter_context(open(source_path, "rb"))
            target.flush()
            _copy_range(source, target, piece.offset, piece.length)


def _copy_range(source: BinaryIO, target: BinaryIO, offset: int, length: int) -> None:
    """Copy ``length`` bytes at ``offset`` of ``source`` to the end of ``target``."""
    done = 0
    if hasattr(os, "copy_file_range"):
        try:
            while done < length:
                n = os.copy_file_range(source.fileno(), target.fileno(), length - done, offset + done)
                if n == 0:
                    raise OSError(errno.EIO, "the file to copy from is shorter than its record")
                done += n
            target.seek(0, os.SEEK_END)
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                raise
    source.seek(offset + done)
    while done < length:
        chunk = source.read(min(length - done, 1 << 20))
        if not chunk:
            raise OSError(errno.EIO, "the file to copy from is shorter than its record")
        target.write(chunk)
        done += len(chunk)


class Discard:
    """Where a build that writes nothing (``briefing check``) puts its files."""

    def keep(self, files: Mapping[str, str]) -> SiteFiles:
        return SiteFiles(dict.fromkeys(files, ""))

    def put(self, rel: str, data: bytes | Kept) -> Placed:
        return Placed("", written=False, reused=isinstance(data, Kept),
                      unbuilt=isinstance(data, Kept) and data.unbuilt)

    def put_stream(self, rel: str, pieces: Iterable[bytes]) -> Placed:
        for _ in pieces:
            pass  # made, as a build would make them, so that check finds the same errors
        return Placed("", written=False)

    def put_parts(self, rel: str, parts: Iterable[bytes | Copy], digest: Callable[[], str]) -> Placed:
        for _ in parts:
            pass
        return Placed("", written=False)

    def put_parts_later(self, rel: str, parts: Iterable[bytes | Copy], digest: Callable[[], str]) -> Later:
        placed = self.put_parts(rel, parts, digest)
        return Later(None, lambda: placed)


Sink = Staging | Discard
"""Where a build puts the files it makes."""


def _spare(out: Path) -> Path:
    return out.parent / f".{out.name}.spare"


Identity = tuple[int, int]
"""A folder's device and inode numbers."""


def identity(path: Path) -> Identity | None:
    """The device and inode of the folder ``path``; None if it is not a folder (a
    symbolic link is not one)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _claim_spare(out: Path, staging: Path, trusted: Identity) -> dict[str, str]:
    """Make the spare site beside ``out`` the folder ``staging``, if it is the
    folder ``trusted`` names, and return its manifest; {} if there is none, it is
    another folder, or another build took it first (a rename succeeds once). Its
    marker is removed first, so a build killed while reusing it never leaves a
    tree that claims files it may no longer have."""
    spare = _spare(out)
    if identity(spare) != trusted:
        return {}
    try:
        os.rename(spare, staging)
    except OSError:
        return {}
    if identity(staging) != trusted:  # replaced between the check and the rename
        with contextlib.suppress(OSError):
            os.rename(staging, spare)
        return {}
    files = manifest(staging)
    try:
        os.unlink(staging / MARKER)
    except OSError:
        files = {}
    if not files:
        shutil.rmtree(staging, ignore_errors=True)
    return files


def _beside(out: Path) -> Path:
    """A new name beside ``out`` for a folder of this process (removed by
    :func:`clean_strays` if the process dies with it there)."""
    return out.parent / f".{out.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}"


def _made_beside(out: Path) -> Path | None:
    """A new empty folder :func:`_beside` ``out``; None if it cannot be made."""
    made = _beside(out)
    try:
        made.mkdir()
    except OSError:
        return None
    return made


def _link_spare(site: Path, files: Sequence[str], into: Path, linked: Collection[str] = ()) -> None:
    """Fill the folder ``into`` with hard links to ``files`` of ``site`` and its
    manifest, then make it the spare: in place of a spare of ours already there
    that no build could reuse, as a replaced site is kept (:func:`_keep_spare`).
    ``linked``: the files linked into it already (see ``Staging.link_spare_ahead``),
    each kept only if it is still the site's file. A tree left without its
    manifest (a failed link, a killed build) is never reused: it is removed instead."""
    base, dest = os.fspath(site), os.fspath(into)
    try:
        wanted, kept = set(files), set()
        for rel in linked:
            if rel in wanted and os.path.samestat(os.stat(f"{base}/{rel}"), os.stat(f"{dest}/{rel}")):
                kept.add(rel)
            else:
                os.unlink(f"{dest}/{rel}")  # no longer the site's file, or no longer in it
                for folder in _folders(rel):
                    with contextlib.suppress(OSError):  # not empty: still used
                        os.rmdir(f"{dest}/{folder}")
        _link_files(site, [rel for rel in files if rel not in kept], into, set())
        os.link(f"{base}/{MARKER}", f"{dest}/{MARKER}")
        unwanted = _keep_spare(into, site)
    except OSError:
        unwanted = into
    if unwanted is not None:
        shutil.rmtree(unwanted, ignore_errors=True)


def _link_files(site: Path, files: Iterable[str], into: Path, linked: set[str]) -> None:
    """Hard-link each of ``files`` of ``site`` into the folder ``into``, making
    the folders it needs, adding each to ``linked`` once linked. Raises :class:`OSError`."""
    base, dest = os.fspath(site), os.fspath(into)
    folders = {""}
    for rel in files:
        folder = rel.rpartition("/")[0]
        if folder not in folders:
            os.makedirs(f"{dest}/{folder}", exist_ok=True)
            folders.update(_parents([rel]))
        os.link(f"{base}/{rel}", f"{dest}/{rel}")
        linked.add(rel)


def _keep_spare(previous: Path, out: Path) -> Path | None:
    """Keep the site just replaced as the spare; return what is to be deleted.

    A spare already there that this build could not reuse (the memo that named it
    is gone: another version of briefing, a deleted cache) is a site of ours if
    it is a folder holding our marker, like any output we replace: it is moved
    aside for deletion, or no build would ever keep a spare again. Anything else
    by that name is left alone, and ``previous`` is deleted instead."""
    spare = _spare(out)
    with contextlib.suppress(OSError):
        os.rename(previous, spare)
        return None
    if identity(spare) is None or not (spare / MARKER).is_file():
        return previous
    aside = _beside(out)
    try:
        os.rename(spare, aside)
    except OSError:
        return previous
    try:
        os.rename(previous, spare)
    except OSError:
        shutil.rmtree(aside, ignore_errors=True)
        return previous
    return aside


def _folders(rel: str) -> Iterator[str]:
    """The folders above the site path ``rel``, deepest first ("" excluded)."""
    folder = posixpath.dirname(rel)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def _parents(files: Iterable[str]) -> set[str]:
    """Every folder holding one of the site paths ``files``, "" (the top) included.
    Each path's folders are walked up only until one already found: at 10,000
    pages, one step each instead of every ancestor."""
    found = {""}
    for rel in files:
        folder = rel.rpartition("/")[0]
        while folder not in found:
            found.add(folder)
            folder = folder.rpartition("/")[0]
    return found


def _marker_text(digests: Mapping[str, str]) -> str:
    """The site's manifest file: the generator's name and each file's SHA-256
    (``digests``), one per line, keys sorted. The text ``json.dumps(..., indent=0,
    sort_keys=True)`` would make, without its pure-Python encoder (indentation
    turns off the C one): that took 60 ms for 10,600 files, on every build. Paths
    that need no escape (printable ASCII without quotes or backslashes: all of
    ours, but a static file's name may be anything) and digests (hex) are
    written between quotes as they are: quoting each took 9 of 14 ms."""
    rels = sorted(digests)
    if _PLAIN.fullmatch("".join(rels)) and _PLAIN.fullmatch("".join(digests.values())):
        lines = ",\n".join([f'"{rel}": "{digests[rel]}"' for rel in rels])
    else:
        quote = json.encoder.encode_basestring_ascii  # what json.dumps quotes keys and strings with
        lines = ",\n".join(f"{quote(rel)}: {quote(digests[rel])}" for rel in rels)
    return '{\n"files": {\n' + lines + '\n},\n"generator": "briefing"\n}\n' if digests else \
        '{\n"files": {},\n"generator": "briefing"\n}\n'


def _marker_patched(text: str, changed: Sequence[tuple[str, str]]) -> str | None:
    """:func:`_marker_text` of a manifest made from ``text``, the one of another
    with the same paths, and ``changed`` (path, new digest; in path order, as
    the text has them): its lines with the new digests. None when a path or
    digest of ``changed`` is not plain, or not found."""
    pieces: list[str] = []
    at = 0
    for rel, digest in changed:
        if not (_PLAIN.fullmatch(rel) and _PLAIN.fullmatch(digest)):
            return None
        line = f'\n"{rel}": "'  # a path's line: no other line, nor a digest, holds this
        start = text.find(line, at)
        end = text.find('"', start + len(line)) if start >= 0 else -1
        if end < 0:
            return None
        pieces += (text[at:start + len(line)], digest)
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


_PLAIN = re.compile(r'[ !#-\[\]-~]*')
"""Text that JSON writes as it is between quotes: printable ASCII but ``"`` and ``\\``."""


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    if sys.platform.startswith("linux") and _exchange(staging, out):
        return
    # Fallback without an atomic exchange: two renames, with a short window in
    # which ``out`` is missing (never half-written).
    old = out.parent / f".{out.name}.old-{os.getpid()}-{os.urandom(4).hex()}"
    os.rename(out, old)
    os.rename(staging, out)
    os.rename(old, staging)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err))


def clean_strays(out: Path) -> None:
    """Remove what a killed build left beside ``out`` (its process is gone)."""
    if not out.parent.is_dir():
        return
    for entry in out.parent.glob(f".{out.name}.*-*-*"):
        kind, _, rest = entry.name.removeprefix(f".{out.name}.").partition("-")
        pid = rest.split("-", 1)[0]
        if kind in ("tmp", "old") and pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
