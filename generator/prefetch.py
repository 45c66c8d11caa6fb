"""The fingerprint of ``briefing build``, worked out by a forked helper while
the command imports the rest of the generator.

A one-article edit of a 10,000-article briefing spends much of its time on two
independent things: importing the generator (jinja2, the model, the pages;
0.1 to 0.2 s) and the fingerprint (a stat of each of the 20,600 inputs; 0.2 s).
On a machine with two cores they can run at once: :func:`start` forks a helper
first thing, which imports what the fingerprint needs, works it out and sends
it back through a pipe (plain data), while the command goes on
importing. ``build`` uses it only when it is the fingerprint of the very build
it runs (same folders, same options); else, or when there is no helper (no
``fork``, it failed), it works the fingerprint out itself. Either way the build
is the same: only when the work is done changes. After an edit the helper sends
the hashes of the files it hashed again only (``Inputs.looked_again``): the build
has the others' in its state.

The helper then reads the manifest of the site in place and takes the stat of
each of its files (10,600 of them: 80 ms), which the build needs only once it
has read what changed: the build meanwhile loads what the last build left and
reads the edit, and the second core would be idle otherwise. The manifest is
sent first, so the build can start writing ``briefing.json`` (a thread copying
most of its 62 MB) while the stats are still being taken. The stats themselves
are not sent: the helper judges them against the record of the last build
(``fingerprint.altered``) and sends the few files not as it left them, which
the build takes only when it read the very same record (``fingerprint.record_mark``).
Making the 10,600 stats a table again in the build took 11 ms of an edit.

``briefing build`` forks the helper before argparse is even imported, on a
guess at its command line (``cli._early_helper``): what it imported before the
fork delayed the helper by as much. With it, the helper has its looks ready
well before the build asks for them, and judges the site's files before the
build gets there.
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from generator.parallel import Pending, fork_each

if TYPE_CHECKING:  # imported by the helper once forked: see start()
    from generator.fingerprint import Inputs, Listed, Record

_TAG = "briefing-looks-3"
T = TypeVar("T")


class Looks(NamedTuple):
    """What the helper found, and what it was asked."""

    root: Path
    out: Path
    options: dict[str, object]
    inputs: Inputs | Listed | None
    """The fingerprint (see ``fingerprint.inputs``), or the inputs listed for
    the build to hash (``fingerprint.listed``: nothing was remembered); None
    when some input could not be read."""

    def describe(self, root: Path, out: Path, options: dict[str, object]) -> bool:
        """Whether this is the fingerprint of a build of ``root`` into ``out`` with ``options``."""
        return (root, out, options) == (self.root, self.out, self.options)


class Helper:
    """A helper started by :func:`start`: :meth:`looks`, :meth:`manifest` and
    :meth:`altered` wait for what it sends, in that order. :meth:`close` stops it
    if it still runs."""

    def __init__(self, pending: list[Pending[tuple[Any, ...] | None]], root: Path, out: Path,
                 choices: Mapping[str, Any], meeting: _Meeting) -> None:
        self._pending = pending
        self._root, self._out, self._choices = root, out, choices
        self._meeting = meeting
        self._looks: Looks | None = None
        self._manifest: dict[str, str] | None = None
        self._marker: tuple[str | None, str | None] = (None, None)
        self._done = False

    def looks(self) -> Looks | None:
        """The helper's looks; None when it failed (the build then looks itself)."""
        if not self._done:
            self._done = True
            self._looks = _unpacked(self._pending[0].wait(), self._root, self._out, self._choices)
        return self._looks

    def asked(self, root: Path, out: Path, choices: Mapping[str, Any]) -> bool:
        """Whether this helper looks for a build of ``root`` into ``out`` with
        ``choices`` (see :func:`start`)."""
        return (root, out, dict(choices)) == (self._root, self._out, dict(self._choices))

    def manifest(self, out: Path) -> dict[str, str] | None:
        """The manifest of the site in ``out`` (see ``fingerprint.manifest``), read once
        the looks were sent; None when the helper failed or looked at another
        folder (the build then reads it itself). Only once."""
        if out != self._out:
            return None
        sent = self._sent(1, tuple)
        if sent is not None and len(sent) == 3 and isinstance(sent[0], dict):
            self._manifest, self._marker = sent[0], sent[1:]
        return self._manifest

    def marker_text(self, last: Record | None) -> str | None:
        """The text that manifest was read from, when it is the file the last
        build wrote (its size and mtime are the ones its record ``last`` has);
        None otherwise. After :meth:`manifest`."""
        from generator.fingerprint import MARKER

        text, entry = self._marker
        if last is None or text is None or entry != last.files.get(MARKER):
            return None
        return text

    def altered(self, last: Record, mark: str | None) -> set[str] | None:
        """The files of that manifest not as the record ``last`` of the last
        build has them (see ``fingerprint.altered``): changed, gone, or not in
        it. ``mark``: the ``fingerprint.record_mark`` of ``last`` as this
        process read it; None when the helper failed, or judged against
        another record (the build then takes the stats itself). The helper
        takes the stats from the front of the manifest and this process from its
        end, until they meet (see :class:`_Meeting`): it would be waiting
        otherwise. Only once, after :meth:`manifest` gave one."""
        if self._manifest is None or mark is None:
            return None
        from generator import fingerprint

        files = list(self._manifest)
        start, mine = self._meeting.from_back(lambda chunk: fingerprint.stat_entries(self._out, chunk), files)
        theirs = self._sent(2, tuple)
        if theirs is None or len(theirs) != 3 or theirs[0] != mark or not isinstance(theirs[1], int):
            return None
        _, upto, found = theirs
        if upto < start:
            return None  # the two sides left files in between: cannot be, but then none is taken as intact
        # Theirs, judged from the front (one string); mine, from where they stopped.
        found = set(found.split(_SEP)) if found else set()
        found.update(fingerprint.altered(last, files[start:], mine))
        return found

    def _sent(self, at: int, kind: type[T]) -> T | None:
        """The helper's result ``at``, if it sent one of ``kind``."""
        found = self._pending[at].wait()
        if isinstance(found, tuple) and len(found) == 2 and found[0] == _TAG and isinstance(found[1], kind):
            return found[1]
        return None

    def close(self) -> None:
        for pending in self._pending:
            pending.cancel()


def start(root: Path, out: Path, choices: Mapping[str, Any]) -> Helper | None:
    """Fork a helper that takes the looks of a build of ``root`` into ``out``
    with ``choices`` (the keyword arguments of ``fingerprint.covered``), then
    looks at the site in ``out``; None where it cannot be forked. Call before
    importing what the build needs: the helper imports the fingerprint itself,
    and each process makes the options of ``choices`` on its own. Not with
    other threads running: a lock one of them holds would stay held in the
    helper, forever."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    meeting = _Meeting()
    choices = dict(choices)
    pending = fork_each(lambda: _look(root, out, choices, meeting), [lambda: None, lambda: None, lambda: None])
    return Helper(pending, root, out, choices, meeting)


class _Meeting:
    """Where the helper and the build meet on the list of the site's files:
    two numbers in memory they share (mapped before the fork). The helper takes
    the files' stats chunk by chunk from the front, the build from the back, each
    writing how far it got and stopping where the other has been. A chunk may
    be taken by both (each writes only once it is done), none by neither; and
    a file left out would only be taken as changed (rendered and written again),
    never as intact."""

    def __init__(self) -> None:
        self._map = mmap.mmap(-1, 16)
        self._at = memoryview(self._map).cast("q")
        self._at[0], self._at[1] = 0, _FAR  # the front's end, the back's start

    def from_front(self, take: Callable[[list[str]], list[str]], files: list[str]) -> list[str]:
        """``take`` of the first files (see ``fingerprint.stat_entries``), chunk
        by chunk until where the other side has been."""
        found: list[str] = []
        while len(found) < min(self._at[1], len(files)):
            found += take(files[len(found):len(found) + _CHUNK])
            self._at[0] = len(found)
        return found

    def from_back(self, take: Callable[[list[str]], list[str]], files: list[str]) -> tuple[int, list[str]]:
        """``take`` of the last files, chunk by chunk until where the other side
        has been: where they start, and what it gave."""
        chunks: list[list[str]] = []
        start = len(files)
        while start > self._at[0]:
            begin = max(start - _CHUNK, 0)
            chunks.append(take(files[begin:start]))
            start = begin
            self._at[1] = start
        return start, [entry for chunk in reversed(chunks) for entry in chunk]


_CHUNK = 256
_FAR = 1 << 62


def _look(root: Path, out: Path, choices: Mapping[str, Any], meeting: _Meeting) -> Iterator[tuple[Any, ...]]:
    """The fingerprint against the hashes the last build remembered, as plain
    data; then the manifest of the site in ``out``, and which of its files are
    not as the last build's record has them (a stat of each), which the build
    needs only once it has read what changed (the manifest first: with it the
    build starts writing ``briefing.json`` while the stats are taken)."""
    from generator import fingerprint
    from generator.memo import user_cache
    from generator.places import builtin_templates
    from generator.store import Store, state_path, state_salt

    store = Store.on_disk(state_path(user_cache(), root, out), state_salt(), root)
    try:
        meta = store.table("meta")
        known, last = fingerprint.Known.unpacked(meta.get("inputs")), meta.get("record")
    finally:
        store.close()
    if known is None and last is None:
        # Nothing remembered: the build reads every file and hashes what it reads.
        listed = fingerprint.listed(root, builtin_templates(), fingerprint.covered(**choices))
        yield _TAG, None if listed is None else (
            _LISTED, _SEP.join(listed.folders), _SEP.join(listed.files), [tuple(s) for s in listed.spans],
            listed.stats.tobytes(), listed.at, _SEP.join(listed.prefixes))
    else:
        found = fingerprint.inputs(root, builtin_templates(), fingerprint.covered(**choices), known)
        if found is not None:
            found = found.looked_again()  # an edit: the build has the others' hashes
        # Long strings, not lists of 20,000: faster to unpickle.
        yield _TAG, None if found is None else (
            found.key, _SEP.join(found.files), "".join(found.shas),
            found.table.packed() if found.table is not None else None, found.looked_at, found.partial)
    read = fingerprint.marker(out)
    manifest = fingerprint.manifest_of(read[0]) if read is not None else fingerprint.manifest(out)
    # With its text and the text's stat: the build makes the next one from it (see output.Staging).
    yield _TAG, (manifest, *(read if read is not None else (None, None)))
    # The record first: once the stats are taken, the build waits for what is left to do.
    record = fingerprint.Record.unpacked(last)
    if record is None:
        return  # nothing to judge the site's files against: the build has no record either
    files = list(manifest)
    entries = meeting.from_front(lambda chunk: fingerprint.stat_entries(out, chunk), files)
    # The few files not as the record has them, as one string: not 10,600 stats.
    yield _TAG, (fingerprint.record_mark(last), len(entries),
                 _SEP.join(fingerprint.altered(record, files[:len(entries)], entries)))


def _unpacked(found: object, root: Path, out: Path, choices: Mapping[str, Any]) -> Looks | None:
    from generator.fingerprint import Inputs, Known, covered

    options = covered(**choices)

    if not (isinstance(found, tuple) and len(found) == 2 and found[0] == _TAG):
        return None
    if found[1] is None:
        return Looks(root, out, options, None)
    if found[1][0] == _LISTED:
        return Looks(root, out, options, _listed(found[1][1:], options))
    key, files, shas, table, looked_at, partial = found[1]
    return Looks(root, out, options, Inputs(key, files.split(_SEP) if files else [],
                                            [shas[i:i + 64] for i in range(0, len(shas), 64)],
                                            Known.unpacked(table), looked_at, partial))


def _listed(sent: tuple[Any, ...], options: dict[str, object]) -> Listed:
    from array import array

    from generator.fingerprint import Listed, Span

    folders, files, spans, stats, at, prefixes = sent
    numbers = array("q")
    numbers.frombytes(stats)
    return Listed(folders.split(_SEP) if folders else [], files.split(_SEP) if files else [],
                  [Span(*span) for span in spans], numbers, at, tuple(prefixes.split(_SEP)), options)


_SEP = "\0"
_LISTED = "listed"
"""The first item of what the helper sends for inputs it listed but did not hash."""
