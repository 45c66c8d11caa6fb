"""Results of the build's pure steps, remembered from one build to the next.

A :class:`Memo` maps a *key* to a result. The key is a digest of everything the
result is computed from: a YAML file's path and bytes, an article's bytes and the
drop patterns, a text and the matcher's phrases, a page's template sources and
context. A changed input is a different key, so a stale result cannot be found;
there is no dependency graph to keep up to date by hand.

Lifetimes:

* ``briefing serve`` keeps one memo in memory for all its builds;
* ``briefing build`` loads it from ``ROOT/.briefing-cache/memo.pickle`` and saves
  it after a successful build. The file is signed (HMAC-SHA256) with a key that
  lives in the user's own cache folder: unpickling runs code, so a memo file
  planted in a shared briefing folder must never be loaded. A file with a bad
  signature, or made by another version of the code, is ignored.

Entries the latest build did not use are dropped when it settles, so the memo
holds about what one build needs, however long the server runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
import pickle
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple, TypeVar

T = TypeVar("T")

_SIGNATURE_BYTES = 32


def digest(*parts: object) -> bytes:
    """A key for plain, acyclic data (str, bytes, numbers, tuples, lists, dicts,
    frozen dataclasses of those). Equal pickles mean equal data, so a key never
    names two different inputs. The pickler runs in "fast" mode, without its memo:
    otherwise the bytes would depend on which equal strings happen to be one
    object, and equal data could get different keys. It is also several times
    faster than JSON."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: see above (the data has no cycles)
    pickler.dump(parts)
    return hashlib.blake2b(buffer.getbuffer(), digest_size=20).digest()


class Journal(NamedTuple):
    """What a memo's :meth:`Memo.get` computed, as (kind, key, value), and which
    remembered results it found, as (kind, key)."""

    computed: list[tuple[str, bytes, Any]]
    found: list[tuple[str, bytes]]


class Memo:
    """Results by (kind, key). ``salt`` names the code that made them: a memo
    saved by other code (another version, a local change) is not loaded."""

    def __init__(self, salt: str = "") -> None:
        self.salt = salt
        self._kept: dict[tuple[str, bytes], Any] = {}
        self._used: dict[tuple[str, bytes], Any] = {}
        self.hits = 0
        self.misses = 0
        self._changed = False
        self._file: _Stored | None = None
        """Where each entry loaded from the memo file is in it (see :meth:`save`)."""
        self._journal = Journal([], [])
        """What :meth:`get` computed and found since :meth:`take_journal`."""

    def get(self, kind: str, key: bytes, compute: Callable[[], T]) -> T:
        """The remembered result for ``key``, or ``compute()``'s (then remembered)."""
        slot = (kind, key)
        if slot in self._used:
            self.hits += 1
            value: T = self._used[slot]
            return value
        if slot in self._kept:
            self.hits += 1
            value = self._kept[slot]
            self._journal.found.append(slot)
        else:
            self.misses += 1
            value = compute()
            self._journal.computed.append((kind, key, value))
        self._used[slot] = value
        return value

    def take_journal(self) -> Journal:
        """What :meth:`get` computed and found since the last call. A forked worker's
        memo is its own copy: what it computes, and which remembered results it
        used (and so must be kept), reach the build's memo only when the worker
        sends them back (:meth:`replay`)."""
        journal, self._journal = self._journal, Journal([], [])
        return journal

    def replay(self, journal: Journal) -> None:
        """Learn what another process's memo computed and found (see :meth:`take_journal`)."""
        for kind, key, value in journal.computed:
            self.put(kind, key, value)
        for slot in journal.found:
            if slot not in self._used and slot in self._kept:
                self._used[slot] = self._kept[slot]

    def peek(self, kind: str, key: bytes) -> Any | None:
        """The remembered result for ``key`` without computing anything."""
        slot = (kind, key)
        return self._used.get(slot, self._kept.get(slot))

    def put(self, kind: str, key: bytes, value: object) -> None:
        """Remember ``value`` for ``key`` (a result computed elsewhere: in a worker)."""
        slot = (kind, key)
        if self._kept.get(slot) != value:
            self._changed = True
            if self._file is not None:
                self._file.entries.pop(slot, None)  # its stored bytes are another value's
        self._used[slot] = value

    def retain(self, kind: str) -> None:
        """Keep every remembered result of one kind past this build, used or not
        (facts about other outputs than this build's, say)."""
        for slot, value in self._kept.items():
            if slot[0] == kind:
                self._used.setdefault(slot, value)

    def known(self, kind: str) -> Mapping[bytes, Any]:
        """Every remembered result of one kind (for forked workers, read-only)."""
        found = {k: v for (x, k), v in self._kept.items() if x == kind}
        found.update({k: v for (x, k), v in self._used.items() if x == kind})
        return found

    def settle(self, succeeded: bool) -> None:
        """End of a build. After a success only what it used is kept; after a
        failure the older entries stay too (the next build will likely need them)."""
        before = len(self._kept)
        if succeeded:
            self._kept = self._used
        else:
            self._kept.update(self._used)
        self._changed = self._changed or self.misses > 0 or len(self._kept) != before
        self._used = {}
        self._journal = Journal([], [])
        self.hits = self.misses = 0

    # ------------------------------------------------------------ on disk

    def save(self, path: Path, secret: bytes | None) -> None:
        """Write the memo, signed; without a secret (no user cache folder), nothing.
        A folder that cannot be written to simply gets no memo.

        The file is the signature, the salt on a line, then one pickle per entry:
        pickling everything at once kept a table of every object pickled, the
        largest allocation of a 10,000-article build.

        An entry loaded from the file is copied from it, not pickled again (after
        a one-article edit at 10,000 articles, 1.0 s to save instead of 1.85 s):
        the bytes are read back and checked against the digest taken when they
        were loaded and verified, so a file changed in between is never signed;
        such an entry is pickled."""
        if secret is None or not self._changed:
            return
        temp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        signer = hmac.new(secret, digestmod=hashlib.sha256)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "wb") as f, _open_stored(self._file) as stored:
                f.write(bytes(_SIGNATURE_BYTES))  # the signature, once everything is written

                def write(data: bytes) -> None:
                    signer.update(data)
                    f.write(data)

                write(self.salt.encode() + b"\n")
                for slot, value in self._kept.items():
                    write(stored.copy(slot) or pickle.dumps((*slot, value), protocol=5))
                f.seek(0)
                f.write(signer.digest())
            os.replace(temp, path)
            self._changed = False
            self._file = None  # the offsets were the old file's
        except OSError:
            temp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path, secret: bytes | None, salt: str) -> Memo:
        """The memo saved at ``path`` if it is signed with ``secret`` and made by
        code with this ``salt``; an empty one otherwise. Nothing is unpickled
        before both are checked."""
        memo = cls(salt)
        if secret is None:
            return memo
        try:
            data = path.read_bytes()  # read once: what is checked is what is unpickled
        except OSError:
            return memo
        view = memoryview(data)
        if not hmac.compare_digest(data[:_SIGNATURE_BYTES],
                                   hmac.new(secret, view[_SIGNATURE_BYTES:], hashlib.sha256).digest()):
            return memo
        line_end = data.find(b"\n", _SIGNATURE_BYTES)
        if line_end < 0 or data[_SIGNATURE_BYTES:line_end] != salt.encode():
            return memo
        stream = io.BytesIO(data)  # shares the bytes; no copy
        stream.seek(line_end + 1)
        kept: dict[tuple[str, bytes], Any] = {}
        where: dict[tuple[str, bytes], tuple[int, int, bytes]] = {}
        try:
            while (start := stream.tell()) < len(data):
                kind, key, value = pickle.load(stream)  # signed by this user: see the module doc
                kept[(kind, key)] = value
                end = stream.tell()
                where[(kind, key)] = (start, end - start, _entry_digest(view[start:end]))
        except Exception:  # a file we signed but cannot read (another Python): start afresh
            return memo
        memo._kept = kept
        memo._file = _Stored(path, _identity(path), where)
        return memo


def _entry_digest(data: bytes | memoryview) -> bytes:
    return hashlib.blake2b(data, digest_size=20).digest()


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass(slots=True)
class _Stored:
    """The memo file a memo was loaded from: each entry's offset, length and digest."""

    path: Path
    identity: tuple[int, int, int] | None
    entries: dict[tuple[str, bytes], tuple[int, int, bytes]]


class _StoredReader:
    """Reads loaded entries back from their file, as long as they are unchanged."""

    def __init__(self, stored: _Stored | None, f: BinaryIO | None) -> None:
        self._stored = stored
        self._f = f

    def copy(self, slot: tuple[str, bytes]) -> bytes | None:
        """The entry's bytes as loaded and verified, or None (then it is pickled)."""
        if self._stored is None or self._f is None or (found := self._stored.entries.get(slot)) is None:
            return None
        offset, length, expected = found
        self._f.seek(offset)
        data = self._f.read(length)
        return data if len(data) == length and _entry_digest(data) == expected else None


@contextlib.contextmanager
def _open_stored(stored: _Stored | None) -> Iterator[_StoredReader]:
    """A reader of the file ``stored`` describes, if it is still the file that was loaded."""
    if stored is None or stored.identity is None or _identity(stored.path) != stored.identity:
        yield _StoredReader(None, None)
        return
    try:
        f = open(stored.path, "rb")  # noqa: SIM115 - closed below; a missing file means nothing to copy
    except OSError:
        yield _StoredReader(None, None)
        return
    with f:
        yield _StoredReader(stored, f)


def user_cache() -> Path:
    """This user's own cache folder: ``$XDG_CACHE_HOME/briefing`` or ``~/.cache/briefing``.

    What would run as code if it were tampered with (compiled templates) lives
    here, never in the briefing folder: a briefing may come from someone else."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "briefing"


def user_secret() -> bytes | None:
    """This user's signing key for memo files, made on first use in
    :func:`user_cache`, readable by the user only. None when there is no such
    folder to write to."""
    path = user_cache() / "memo-key"
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(32))
    except FileExistsError:
        pass  # made by a build running at the same time
    except OSError:
        return None
    try:
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    key = path.read_bytes()
    return key if len(key) == 32 else None


def code_salt(package: Path, extra: Mapping[str, str]) -> str:
    """A digest of the generator's own source files and the given versions (of
    the libraries whose behaviour shapes the results)."""
    h = hashlib.blake2b(digest_size=16)
    for name, version in sorted(extra.items()):
        h.update(f"{name}={version}\0".encode())
    for path in sorted(package.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
