"""Map a function over many items on every core, with the same result as a loop.

Large briefings read their sources, find the mentions in them and render their
pages on all cores: each source, and each page, is independent of the others.
Workers are *forked*, so they inherit the function and everything it closes
over (the folders and drop patterns, the phrase matchers, the resolved site,
the Jinja environment) without pickling any of it; only each item (an index)
and its result cross the process boundary. Results come back in item order, so
the output never depends on the number of workers.

Measured on the 10,000-article benchmark (2 cores): reading 11.4 s -> 9.0 s,
analysis 5.9 s -> 4.8 s. The workers spend 20-30% more CPU than one process
on the same work (the results are pickled, and the machine's two cores do not
run at full speed together), so it pays on large briefings only.

Small jobs, platforms without ``fork``, and ``jobs=1`` run in-process.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 200
"""Below this many items a pool costs more than it saves."""

_worker_func: Callable[[Any], Any] | None = None


def forks(items: int, *, jobs: int, min_items: int = MIN_ITEMS) -> bool:
    """Whether :func:`fork_map` may fork workers for this many items (a thread
    running then would make that unsafe)."""
    return jobs > 1 and items >= min_items


def fork_map(func: Callable[[T], R], items: Sequence[T], *, jobs: int, chunksize: int = 32,
             min_items: int = MIN_ITEMS) -> Iterator[R]:
    """``map(func, items)`` across ``jobs`` forked processes; yields in item order."""
    if not forks(len(items), jobs=jobs, min_items=min_items):
        yield from map(func, items)
        return
    import multiprocessing as mp  # only for many items: most builds of an edit need no pool

    if "fork" not in mp.get_all_start_methods():
        yield from map(func, items)
        return
    # Objects alive now are the workers' inherited input: frozen, the collector
    # neither walks them in the workers nor writes to them there, which would
    # copy every page of the parent's heap. A caller that froze its own objects
    # unfreezes them itself.
    ours = gc.get_freeze_count() == 0
    gc.freeze()
    try:
        with _pool(mp.get_context("fork"), jobs, func) as pool:
            yield from pool.imap(_call, items, chunksize=chunksize)
    finally:
        if ours:
            gc.unfreeze()  # collectable again: a live preview builds many times


def _pool(context: Any, jobs: int, func: Callable[[Any], Any]) -> Any:
    """A pool of ``jobs`` forked workers for ``func``, whose manager thread
    sleeps until a worker exits or the work is done.

    The standard pool's thread that keeps the workers going also wakes up
    whenever results wait in the pipe (CPython's ``Pool._get_sentinels``), and
    wakes up again and again, spinning, until another thread has read them: it
    took the GIL from the thread reading the results and used a core's time
    the workers need (a cold build of 10,000 articles: the parent's CPU 1 s
    less without it, the build 0.6 to 0.9 s shorter). Workers that exit
    still wake it, so the pool is kept whole as before."""
    import multiprocessing.pool

    class Pool(multiprocessing.pool.Pool):
        def _get_sentinels(self) -> list[Any]:
            notifier = getattr(self, "_change_notifier", None)
            if notifier is None:  # another CPython's pool: as it is
                return cast(list[Any], super()._get_sentinels())  # type: ignore[misc]
            return [notifier._reader]

    return Pool(jobs, initializer=_init, initargs=(func,), context=context)


def _init(func: Callable[[Any], Any]) -> None:
    global _worker_func  # one per worker process, set once when it starts
    _worker_func = func
    # What a worker makes is freed as it goes: reading, analysing and rendering
    # the 10,000-article benchmark left no cyclic garbage at all, and the
    # collector's passes over the worker's growing caches took 0.2 s of each
    # rendering worker. (Reading and analysing fork with it paused already.)
    gc.disable()


def _call(item: Any) -> Any:
    assert _worker_func is not None
    return _worker_func(item)


class _Child:
    """A forked child sending its results through a pipe, each as soon as it is
    made: a length (8 bytes), then the pickled value."""

    def __init__(self, pid: int, fd: int, count: int) -> None:
        self.pid, self.count = pid, count
        self._fd: int | None = fd
        self.received: list[Any] = []

    def result(self, index: int) -> tuple[bool, Any]:
        """(True, the child's result ``index``) once it came; (False, None) when
        the child stopped before sending it (it failed, or was killed)."""
        while len(self.received) <= index and self._fd is not None:
            head = _read(self._fd, 8)
            size = int.from_bytes(head, "little")
            data = _read(self._fd, size) if len(head) == 8 else b""
            if len(head) < 8 or len(data) < size:
                self.stop()
                break
            self.received.append(pickle.loads(data))  # our own child's, as it pickled it
            if len(self.received) == self.count:
                self.stop()  # it has sent everything: it is ending, and is reaped
        return (True, self.received[index]) if index < len(self.received) else (False, None)

    def stop(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self._fd is None:
            return
        os.close(self._fd)
        self._fd = None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


def _send_each(results: Iterable[object], fd: int) -> None:
    """Send each of ``results`` down the pipe ``fd`` as it is made (see
    :class:`_Child`), from a thread: a pipe holds 64 KiB, and a larger result
    the parent has not asked for yet would otherwise stop this child until it
    does (the helper's manifest of a 10,000-page site, 1 MB, held its stats
    back 0.1 s)."""
    sent: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def write() -> None:
        # The parent may stop reading (it has what it needs) and close the pipe:
        # nothing to report then, and nothing to print.
        with contextlib.suppress(OSError), open(fd, "wb", closefd=True) as pipe:
            while (data := sent.get()) is not None:
                pipe.write(data)
                pipe.flush()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for result in results:
            data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            sent.put(len(data).to_bytes(8, "little") + data)
    finally:
        sent.put(None)
        writer.join()


def _read(fd: int, size: int) -> bytes:
    """``size`` bytes from ``fd``, or fewer if it ends first."""
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


class Pending(Generic[R]):
    """A result of a call running in a forked child (see :func:`fork_call`)."""

    def __init__(self, func: Callable[[], R], child: _Child | None = None, index: int = 0) -> None:
        self._func, self._child, self._index = func, child, index

    def wait(self) -> R:
        """The call's result, once the child sent it; else (no child, or it
        failed: it may have been killed, say) what the fallback returns."""
        child, self._child = self._child, None
        if child is not None:
            done, result = child.result(self._index)
            if done:
                return cast(R, result)
        return self._func()

    def cancel(self) -> None:
        """Give up on the result: the child is stopped, if it still runs."""
        if self._child is not None:
            self._child.stop()
            self._child = None

    def __enter__(self) -> Pending[R]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Leaving the block without waiting (on an error): the child is stopped."""
        self.cancel()


def fork_call(func: Callable[[], R], fallback: Callable[[], R] | None = None) -> Pending[R]:
    """Start ``func()`` in a forked child, while this process goes on; its result
    (pickled) comes back through a pipe to :meth:`Pending.wait`. For a long call
    independent of what this process does meanwhile: what ``func`` changes in
    memory stays in the child, only its result and the files it writes remain.
    Without ``fork``, with other threads running (a lock one of them holds would
    stay held in the child), or when the child fails, ``wait`` returns
    ``fallback()`` instead: by default, the call made here."""
    here = fallback if fallback is not None else func
    return fork_each(lambda: (func(),), [here])[0]


def fork_each(func: Callable[[], Iterable[R]], fallbacks: Sequence[Callable[[], R]]) -> list[Pending[R]]:
    """:func:`fork_call` for a child with several results, made one after the
    other: the child iterates over ``func()`` and sends each result as soon as
    it is made, so the first can be used while the child makes the next. One
    :class:`Pending` for each of ``fallbacks``, in order: for the results the
    child does not send (it fails, or cannot be forked), the fallback's.
    Leaving any of them without waiting stops the child."""
    alone = [Pending(fallback) for fallback in fallbacks]
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return alone
    try:
        read, write = os.pipe()
    except OSError:
        return alone
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return alone
    if pid == 0:  # the child: never returns
        status = 1
        try:
            gc.disable()  # the parent's heap, shared until written: left alone
            os.close(read)
            _send_each(func(), write)
            status = 0
        except BaseException:  # the parent makes the calls itself, and reports what fails
            pass
        finally:
            os._exit(status)
    os.close(write)
    child = _Child(pid, read, len(fallbacks))
    return [Pending(fallback, child, i) for i, fallback in enumerate(fallbacks)]
