"""Change-driven watching for the dev server: a livereload watcher fed by the OS.

livereload's own ``Watcher`` finds changes by walking every watched folder and
comparing mtimes, on a 0.8 s ``PeriodicCallback``: that alone costs up to 0.8 s
between a save and the rebuild. :class:`ChangeWatcher` keeps livereload's
watcher interface (``watch``, ``start(callback)``, ``examine``) but is fed by the
operating system's change notifications through ``watchfiles`` (inotify,
FSEvents, ReadDirectoryChangesW; polling only where none works). It:

* waits until a burst of changes settles (``settle_ms`` without a new one), so an
  editor's write-temp-then-rename save, or a "save all", is one change;
* runs the registered callbacks once per burst, in its own thread, so a build
  never blocks the server's event loop;
* then hands livereload the change through the callback given to ``start``
  (livereload's ``poll_tasks``), which reloads the browsers.

A callback that raises is reported and does not stop the watcher: the next
change runs it again (livereload's poller instead records the new mtimes first,
so a failed build is never retried for that change). Changes that arrive while a
callback runs are kept by ``watchfiles`` and reported as the next burst, so the
last save is always the last one built. A watched folder that does not exist yet
is looked for on every tick; when it appears, the watch starts again with it.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import watchfiles
from livereload.watcher import Watcher  # type: ignore[import-untyped]
from tornado.ioloop import IOLoop

logger = logging.getLogger("briefing.watch")

#: How long the watcher waits in the OS for changes before returning to
#: Python (to notice ``stop`` and, the first time, to say it is ready).
TICK_MS = 100


class ChangeWatcher(Watcher):  # type: ignore[misc]  # livereload is untyped
    """livereload's watcher interface, driven by change notifications.

    ``settle_ms`` is the quiet time that ends a burst of changes.
    ``force_polling`` forces ``watchfiles``' polling backend (for file systems
    without notifications); by default it is used only where notifications fail.
    """

    def __init__(self, *, settle_ms: int = 25, force_polling: bool | None = None) -> None:
        super().__init__()
        self.settle_ms = settle_ms
        self.force_polling = force_polling
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._reported: collections.deque[str] = collections.deque()
        self._thread: threading.Thread | None = None
        self._loop: IOLoop | None = None
        self._notify: Callable[[], object] | None = None

    def watch(self, path: str | Path, func: Callable[..., object] | None = None,
              delay: float | None = None, ignore: Callable[[str], bool] | None = None) -> None:
        """Watch the folder or file ``path``; on a change run ``func(changed_paths)``."""
        super().watch(str(Path(path).resolve()), func, delay, ignore=ignore)

    def start(self, callback: Callable[[], object]) -> bool:
        """Start watching in a thread; ``callback`` runs on the current IOLoop after
        every burst. Returns True: livereload must not start its own poller."""
        if self._thread is not None:
            return True
        self._loop = IOLoop.current()
        self._notify = callback
        self._thread = threading.Thread(target=self._run, name="briefing-watch", daemon=True)
        self._thread.start()
        return True

    def wait_ready(self, timeout: float) -> bool:
        """Block until the OS watches are in place; returns False on timeout."""
        return self._ready.wait(timeout)

    def examine(self) -> tuple[str | None, None]:
        """livereload's question "what changed?": the next reported burst, once.

        The path is always ``"*"``: after a rebuild anything may have changed (the
        error overlay included), so livereload.js must reload the whole page rather
        than only the stylesheets or images named by the change.
        """
        with self._lock:
            self.filepath = self._reported.popleft() if self._reported else None
        return self.filepath, None

    def stop(self) -> None:
        """Stop watching and wait for a running callback to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _paths(self) -> list[str]:
        return [p for p in self._tasks if Path(p).exists()]

    def _run(self) -> None:
        polling = self.force_polling
        pending: list[str] = []
        try:
            while not self._stop.is_set():
                try:
                    pending = self._watch(polling, pending)
                except OSError as exc:
                    if polling:
                        raise
                    # Typically the inotify watch limit; polling still works, only slower.
                    logger.warning("change notifications unavailable (%s); polling instead", exc)
                    polling = True
        finally:
            self._ready.set()

    def _watch(self, force_polling: bool | None, pending: Sequence[str]) -> list[str]:
        """Watch the folders that exist until stopped, or until a watched folder
        that did not exist appears (say ``templates/``, made while serving); then
        return it, and the next watch, which includes it, reports it as changed
        once it is in place (so no save in between is missed)."""
        missing = [p for p in self._tasks if not Path(p).exists()]
        if not self._paths():  # nothing to watch yet: wait for a folder to appear
            self._ready.set()
            while not self._stop.wait(TICK_MS / 1000):
                if appeared := [p for p in missing if Path(p).exists()]:
                    return appeared
            return []
        waiting = list(pending)
        for changes in watchfiles.watch(
            *self._paths(), step=self.settle_ms, stop_event=self._stop, rust_timeout=TICK_MS,
            yield_on_timeout=True, force_polling=force_polling, poll_delay_ms=100,
            raise_interrupt=False,
        ):
            self._ready.set()
            if changes or waiting:
                self._dispatch(sorted({path for _, path in changes} | set(waiting)))
                waiting = []
            if appeared := [p for p in missing if Path(p).exists()]:
                return appeared
        return []

    def _dispatch(self, changed: Sequence[str]) -> None:
        tasks: dict[int, tuple[Callable[..., object], list[str]]] = {}
        for root, item in self._tasks.items():
            ignore: Callable[[str], bool] | None = item["ignore"]
            mine = [p for p in changed if _under(p, root) and not (ignore and ignore(p))]
            func: Callable[..., object] | None = item["func"]
            if mine and func is not None:
                tasks.setdefault(id(func), (func, []))[1].extend(mine)
        if not tasks:
            return
        for func, paths in tasks.values():
            try:
                func(paths)
            except Exception:  # the watcher outlives a failing callback; see module doc
                logger.exception("watch callback %r failed; the next change runs it again", func)
        with self._lock:
            self._reported.append("*")
        loop, notify = self._loop, self._notify
        if loop is not None and notify is not None and not self._stop.is_set():
            loop.add_callback(notify)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(os.path.join(root, ""))


def describe(paths: Sequence[str], base: Path) -> str:
    """Changed ``paths`` for a log line, relative to ``base`` where possible."""
    shown: list[str] = []
    for p in paths[:3]:
        try:
            shown.append(Path(p).relative_to(base.resolve()).as_posix())
        except ValueError:
            shown.append(p)
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    return ", ".join(shown) + more

