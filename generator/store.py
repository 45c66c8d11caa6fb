"""What the last good build knew, kept for the next one, and read lazily.

A :class:`Store` holds named tables (``source``, ``index:mentions``, ``page``,
...) of values by string key. A build reads the previous build's values through
:class:`Table` views, which load an entry only when it is asked for, and writes
its own into each view's overlay; :meth:`Store.commit` makes the overlays the
new state once the build has succeeded, and :meth:`Store.discard` forgets them
when it fails, so the state always describes the last good build.

Two backends:

* in memory, for the live preview (``briefing serve``): the values themselves;
* on disk, for ``briefing build``: an SQLite file of pickled values in the
  user's own cache folder (``memo.user_cache``). Unpickling runs code, so the
  file must be the user's own, never one inside a briefing folder that may come
  from someone else: it lives beside the user's signing key and compiled
  templates, keyed by the briefing's and the output's absolute paths. A file
  made by other code (another version of briefing or of its libraries) is
  discarded, and one that cannot be read is treated as empty.

Why lazily: a one-article edit of a 10,000-article briefing needs a few dozen
of the state's entries; loading the whole of it took 1.5 s (``docs/performance.md``).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import signal
import sqlite3
import sys
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any, NamedTuple

from generator.memo import code_salt

_GONE = object()
"""An overlay's mark for an entry the build deleted."""


class _Memory:
    """Tables as dicts of live values."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def get(self, ns: str, key: str) -> Any:
        return self.tables.get(ns, {}).get(key, _GONE)

    def keys(self, ns: str) -> list[str]:
        return list(self.tables.get(ns, {}))

    def load(self, ns: str) -> dict[str, Any]:
        return dict(self.tables.get(ns, {}))

    def forget(self) -> None:
        self.tables = {}

    def write_ahead(self, changes: dict[str, dict[str, Any]]) -> None:
        del changes  # kept in memory: nothing to write

    def cancel_ahead(self) -> None:
        pass

    def write(self, changes: dict[str, dict[str, Any]], fresh: bool) -> None:
        if fresh:
            self.tables = {}
        for ns, entries in changes.items():
            table = self.tables.setdefault(ns, {})
            for key, value in entries.items():
                if value is _GONE:
                    table.pop(key, None)
                else:
                    table[key] = value


class _Sqlite:
    """Tables as rows of pickled values in one SQLite file."""

    def __init__(self, path: Path, salt: str, owner: str = "") -> None:
        self.path = path
        self.salt = salt
        self.owner = owner
        """The briefing folder the state is of: once it is gone, so is the state."""
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self.usable = self._check()
        self._ahead: _Ahead | None = None

    def _connect(self) -> sqlite3.Connection:
        # A connection must never cross a fork: a rendering worker opens its own.
        if self._conn is None or self._pid != os.getpid():
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA temp_store=MEMORY")
            self._pid = os.getpid()
        return self._conn

    def _check(self) -> bool:
        """Whether the file holds a state made by this code; else it is started afresh."""
        if not self.path.exists():
            return False
        try:
            row = self._connect().execute("SELECT value FROM kv WHERE ns = '' AND key = 'salt'").fetchone()
            self._connect().execute("SELECT sum FROM kv LIMIT 1")  # this schema
        except sqlite3.Error:
            row = None
        return row is not None and row[0] == self.salt.encode()

    def get(self, ns: str, key: str) -> Any:
        if not self.usable:
            return _GONE
        try:
            row = self._connect().execute("SELECT value, sum FROM kv WHERE ns = ? AND key = ?", (ns, key)).fetchone()
        except sqlite3.Error as exc:
            raise DamagedState(str(exc)) from None
        return _GONE if row is None else _unpack(*row)

    def keys(self, ns: str) -> list[str]:
        if not self.usable:
            return []
        try:
            return [k for (k,) in self._connect().execute("SELECT key FROM kv WHERE ns = ? ORDER BY key", (ns,))]
        except sqlite3.Error as exc:
            raise DamagedState(str(exc)) from None

    def load(self, ns: str) -> dict[str, Any]:
        if not self.usable:
            return {}
        try:
            rows = self._connect().execute("SELECT key, value, sum FROM kv WHERE ns = ? ORDER BY key", (ns,))
            return {k: _unpack(v, check) for k, v, check in rows}
        except sqlite3.Error as exc:
            raise DamagedState(str(exc)) from None

    def write(self, changes: dict[str, dict[str, Any]], fresh: bool) -> None:
        """Write the changes in one transaction; a fresh state is written to a new
        file swapped in whole (faster than replacing every row, and a killed
        build leaves the old file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if fresh or not self.usable:
            self._write_fresh(changes)
            return
        conn = self._connect()
        with _transaction(conn):
            _put_rows(conn, changes)

    def write_ahead(self, changes: dict[str, dict[str, Any]]) -> None:
        """Start writing a fresh state with ``changes`` in a forked process, which
        :meth:`write` then completes (see ``Store.write_ahead``); a later call
        adds its changes to the same file. Not with other threads running: a lock
        one of them holds would stay held in the child."""
        if not hasattr(os, "fork") or threading.active_count() > 1:
            return
        # A second call goes on with the file the first one wrote, once it is written,
        # and leaves out the tables in it (sealed since): writing what was read at
        # 10,000 articles again took 1 s of the child, while the pages were rendered.
        had, done = self._take_ahead()
        changes = {ns: entries for ns, entries in changes.items() if ns not in done}
        temp = had if had is not None else self.path.with_name(f"{self.path.name}.ahead-{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if had is None:
                _clear_litter(self.path)
                temp.unlink(missing_ok=True)
            pid = os.fork()
        except OSError:  # the commit writes every table itself
            if had is not None:
                with contextlib.suppress(OSError):
                    had.unlink()
            return
        if pid == 0:  # the child: never returns
            status = 1
            try:
                if had is None:
                    _new_state(temp, self.salt, changes)
                else:
                    _add_rows(temp, changes)
                status = 0
            except BaseException:  # whatever went wrong, the parent writes the state itself
                pass
            finally:
                os._exit(status)
        self._ahead = _Ahead(pid, temp, done | frozenset(changes))

    def _take_ahead(self) -> tuple[Path | None, frozenset[str]]:
        """The file a child wrote ahead and the tables it holds, once it is done;
        (None, nothing) when there is none or it failed."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None, frozenset()
        try:
            _, status = os.waitpid(ahead.pid, 0)
        except ChildProcessError:
            status = 1
        if status == 0 and ahead.temp.exists():
            return ahead.temp, ahead.tables
        ahead.temp.unlink(missing_ok=True)
        return None, frozenset()

    def cancel_ahead(self) -> None:
        """Stop a child writing ahead and delete what it wrote (the build failed)."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(ahead.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(ahead.pid, 0)
        with contextlib.suppress(OSError):
            ahead.temp.unlink(missing_ok=True)

    def _write_fresh(self, changes: dict[str, dict[str, Any]]) -> None:
        _forget_gone(self.path.parent)
        temp, done = self._take_ahead()
        _clear_litter(self.path)
        if temp is None:
            temp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
            temp.unlink(missing_ok=True)
            _new_state(temp, self.salt, changes)
        else:
            _add_rows(temp, {ns: entries for ns, entries in changes.items() if ns not in done})
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None
        os.replace(temp, self.path)
        if self.owner:
            self.path.with_suffix(".root").write_text(self.owner, encoding="utf-8")
        self.usable = True

    def close(self) -> None:
        self.cancel_ahead()
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def forget(self) -> None:
        self.close()
        with contextlib.suppress(OSError):
            self.path.unlink()
        self.usable = False


class _Ahead(NamedTuple):
    """A child writing a fresh state ahead of the commit (see ``_Sqlite.write_ahead``)."""

    pid: int
    temp: Path
    tables: frozenset[str]


def _fresh_connection(path: Path) -> sqlite3.Connection:
    """A connection to a state file being made: nobody reads it before it is
    swapped in whole, so it needs no journal and no waiting for the disk."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    return conn


_PAGE_SIZE = 65536
"""SQLite's largest page: see :func:`_new_state`."""


def _new_state(path: Path, salt: str, changes: dict[str, dict[str, Any]]) -> None:
    """A new state file at ``path`` made by code with ``salt``, holding ``changes``."""
    conn = _fresh_connection(path)
    try:
        # Values are large (a few MB for the tables every build rewrites, 5 KB for a
        # source as read): in an ordinary table with 64 KiB pages, the rewrite of
        # an edit's 3.2 MB took 6 ms where a WITHOUT ROWID table of 4 KiB pages
        # took 33 ms, and reading the heads 2.5 ms instead of 8.6.
        conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
        conn.execute("CREATE TABLE kv (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,"
                     " sum BLOB NOT NULL, PRIMARY KEY (ns, key))")
        with _transaction(conn):
            conn.execute("INSERT INTO kv VALUES ('', 'salt', ?, x'')", (salt.encode(),))
            _put_rows(conn, changes)
    finally:
        conn.close()


def _add_rows(path: Path, changes: dict[str, dict[str, Any]]) -> None:
    """More of the changes of a new state (see :func:`_new_state`)."""
    conn = _fresh_connection(path)
    try:
        with _transaction(conn):
            _put_rows(conn, changes)
    finally:
        conn.close()


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _put_rows(conn: sqlite3.Connection, changes: dict[str, dict[str, Any]]) -> None:
    for ns, entries in changes.items():
        gone = [(ns, k) for k, v in entries.items() if v is _GONE]
        if gone:
            conn.executemany("DELETE FROM kv WHERE ns = ? AND key = ?", gone)
        conn.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?)",
                         (_pack(ns, k, v) for k, v in entries.items() if v is not _GONE))


class DamagedState(Exception):
    """The state file cannot be read back as it was written (a disk error, an
    interrupted copy): the build starts afresh without it."""


def _pack(ns: str, key: str, value: Any) -> tuple[str, str, bytes, bytes]:
    data = pickle.dumps(value, protocol=5)
    return ns, key, data, _checksum(data)


def _unpack(data: bytes, check: bytes) -> Any:
    """A value as written: its checksum is checked before it is unpickled."""
    if _checksum(data) != check:
        raise DamagedState("a value does not match its checksum")
    return pickle.loads(data)  # the user's own file, as written: see the module doc


def _checksum(data: bytes) -> bytes:
    # Against damage (a disk error, a torn copy), not tampering: the file is the
    # user's own. CRC-32 finds that as well as a hash, four times as fast (an
    # edit of a 10,000-article briefing checks 6 MB: 11 ms with BLAKE2b).
    return zlib.crc32(data).to_bytes(4, "little")


class Store:
    """The tables of the last good build (see the module doc)."""

    def __init__(self, backend: _Memory | _Sqlite) -> None:
        self._backend = backend
        self._tables: dict[str, Table] = {}
        self.fresh = False
        """This build replaces every table (a cold build): nothing is read from the
        previous state, and committing writes the whole state anew."""

    @classmethod
    def in_memory(cls) -> Store:
        """A state kept in this process only (the live preview's)."""
        return cls(_Memory())

    @classmethod
    def on_disk(cls, path: Path, salt: str, root: Path | None = None) -> Store:
        """The state kept in the SQLite file ``path`` by code with this ``salt``
        (another salt: an empty state), of the briefing in ``root``."""
        return cls(_Sqlite(path, salt, os.fspath(root.resolve()) if root is not None else ""))

    @property
    def empty(self) -> bool:
        """Whether there is no previous state to build on."""
        if isinstance(self._backend, _Sqlite):
            return not self._backend.usable
        return not self._backend.tables

    def start_fresh(self) -> None:
        """Make this build a cold one: every table starts empty."""
        self.fresh = True
        for table in self._tables.values():
            table.clear_base()

    def table(self, ns: str) -> Table:
        """The table ``ns``, as the last good build left it plus this build's changes."""
        found = self._tables.get(ns)
        if found is None:
            found = self._tables[ns] = Table(self, ns)
        return found

    def _get(self, ns: str, key: str) -> Any:
        return _GONE if self.fresh else self._backend.get(ns, key)

    def _keys(self, ns: str) -> list[str]:
        return [] if self.fresh else self._backend.keys(ns)

    def _load(self, ns: str) -> dict[str, Any]:
        return {} if self.fresh else self._backend.load(ns)

    def write_ahead(self, names: Iterable[str]) -> None:
        """Start writing these tables now, while the build goes on, when this
        build writes a fresh state to disk (a cold build). Their overlays are then
        sealed: writing to them again is an error. :meth:`commit` finishes the
        state with the other tables; :meth:`discard` throws the start away.

        A cold build's largest tables (what it read and resolved: 100 MB pickled
        at 10,000 articles) are complete before it renders a page, and writing
        them took 5 s at its end; forked children write them while the build
        resolves and renders. A later call adds more tables to the same file."""
        if not self.fresh:
            return
        tables = {ns: self._tables[ns] for ns in names if ns in self._tables}
        for table in tables.values():
            table.sealed = True
        self._backend.write_ahead({ns: table.overlay for ns, table in tables.items() if table.overlay})

    def commit(self) -> None:
        """Make this build's changes the state (after the build has succeeded).
        A state that cannot be written (no cache folder) is simply not kept."""
        changes = {ns: t.overlay for ns, t in self._tables.items() if t.overlay}
        try:
            self._backend.write(changes, self.fresh)
        except (OSError, sqlite3.Error):
            return
        finally:
            self._reset()

    def discard(self) -> None:
        """Forget this build's changes (it failed): the state stays the last good one."""
        self._reset()

    def forget(self) -> None:
        """Forget the state altogether (it is damaged): the next build is a cold one."""
        self._reset()
        self._backend.forget()

    def _reset(self) -> None:
        self._backend.cancel_ahead()  # after a commit, nothing is left to cancel
        self._tables = {}
        self.fresh = False

    def close(self) -> None:
        if isinstance(self._backend, _Sqlite):
            self._backend.close()


class Table(MutableMapping[str, Any]):
    """One table: the previous build's entries (loaded on first read) under this
    build's changes. Writing changes only the overlay, until :meth:`Store.commit`."""

    def __init__(self, store: Store, ns: str) -> None:
        self._store = store
        self._ns = ns
        self.overlay: dict[str, Any] = {}
        self._cache: dict[str, Any] = {}
        self._keys: dict[str, None] | None = None
        self._sorted: list[str] | None = None
        self._complete = False
        self.sealed = False
        """Written ahead (see ``Store.write_ahead``): its overlay may not change."""

    def clear_base(self) -> None:
        self._cache = {}
        self._keys = None
        self._sorted = None
        self._complete = False

    @property
    def previous(self) -> Mapping[str, Any]:
        """The table as the last good build left it, without this build's changes."""
        return _Previous(self)

    def _base(self, key: str) -> Any:
        value = self._cache.get(key, _GONE)
        if value is _GONE and not self._complete:
            value = self._store._get(self._ns, key)
            if value is not _GONE:
                self._cache[key] = value
        return value

    def __getitem__(self, key: str) -> Any:
        value = self.overlay.get(key, _GONE) if self.overlay else _GONE
        if value is _GONE:
            if key in self.overlay:
                raise KeyError(key)
            value = self._base(key)
            if value is _GONE:
                raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        if key in self.overlay:
            return self.overlay[key] is not _GONE
        if self._keys is not None:
            return key in self._keys
        return self._base(key) is not _GONE  # one entry, not every key

    def __setitem__(self, key: str, value: Any) -> None:
        if self.sealed:
            raise RuntimeError(f"table {self._ns!r} was written ahead; it cannot change")
        if key not in self.overlay:
            self._sorted = None
        self.overlay[key] = value

    def __delitem__(self, key: str) -> None:
        if self.sealed:
            raise RuntimeError(f"table {self._ns!r} was written ahead; it cannot change")
        if key not in self:
            raise KeyError(key)
        self.overlay[key] = _GONE
        self._sorted = None

    def _base_keys(self) -> dict[str, None]:
        if self._keys is None:
            self._keys = dict.fromkeys(self._store._keys(self._ns))
        return self._keys

    def __iter__(self) -> Iterator[str]:
        if self._sorted is None:
            keys = dict(self._base_keys())
            for key, value in self.overlay.items():
                if value is _GONE:
                    keys.pop(key, None)
                else:
                    keys[key] = None
            self._sorted = sorted(keys)
        return iter(self._sorted)

    def __len__(self) -> int:
        if self._sorted is None:
            iter(self)
        assert self._sorted is not None
        return len(self._sorted)

    def load_all(self) -> None:
        """Read every entry at once (cheaper than one by one when all are needed)."""
        if not self._complete:
            self._cache = self._store._load(self._ns)
            self._keys = dict.fromkeys(self._cache)
            self._complete = True


class _Previous(Mapping[str, Any]):
    """A table's entries as the last good build left them (see :attr:`Table.previous`)."""

    __slots__ = ("_table",)

    def __init__(self, table: Table) -> None:
        self._table = table

    def __getitem__(self, key: str) -> Any:
        value = self._table._base(key)
        if value is _GONE:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._table._base(key) is not _GONE

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._table._base_keys()))

    def __len__(self) -> int:
        return len(self._table._base_keys())


def _clear_litter(path: Path) -> None:
    """Delete the unfinished state files a killed build of this state left
    (``.tmp-<pid>``, ``.ahead-<pid>``), those of a build that still runs excepted:
    a killed build's child writing ahead finishes its file, which nothing then
    swaps in."""
    for found in path.parent.glob(f"{path.name}.*-*"):
        kind, _, pid = found.name[len(path.name) + 1:].partition("-")
        if kind not in ("tmp", "ahead") or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # that build is still running
        except ProcessLookupError:
            pass
        except OSError:
            continue  # someone else's process: not ours to judge
        with contextlib.suppress(OSError):
            found.unlink()


def _forget_gone(folder: Path) -> None:
    """Delete the states of briefings whose folder no longer exists, so that the
    cache does not grow with every briefing ever built (a test suite's, say)."""
    for sidecar in folder.glob("*.root"):
        try:
            if not os.path.isdir(sidecar.read_text(encoding="utf-8")):
                sidecar.with_suffix(".sqlite").unlink(missing_ok=True)
                sidecar.unlink()
        except OSError:
            continue


def state_salt() -> str:
    """What the build state depends on besides the briefing: our code and the
    libraries that parse and render (named by where they are installed and when,
    which changes with any upgrade, without importing them: an edit may need
    neither PyYAML nor markdown-it)."""
    versions = {"python": sys.version}
    for name in ("jinja2", "markdown_it", "yaml", "markupsafe"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None and spec.origin else ""
        versions[name] = f"{origin} {os.stat(origin).st_mtime_ns if origin else ''}"
    return code_salt(Path(__file__).resolve().parent, versions)


def state_path(cache: Path, root: Path, out: Path) -> Path:
    """Where the state of builds of ``root`` into ``out`` is kept, under ``cache``."""
    name = hashlib.sha256(f"{root.resolve()}\0{out.resolve()}".encode()).hexdigest()[:24]
    return cache / "state" / f"{name}.sqlite"
